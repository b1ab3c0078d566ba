"""The staff console: sign-in, CSRF, roles, throttling, the audit log, staff and settings.

Helpers here (`make_staff`, `Console`) are shared by the other tests/test_console*.py files.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.console.base import ANY_ROLE_POST
from db.models import AuditLog
from db.session import transaction
from db.staff import AppSetting, Staff
from handlers import staff as staff_accounts

PASSWORD = "correct-horse-battery"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(app, email: str, role: str, password: str = PASSWORD) -> int:
    """A staff account created the way the CLI does."""
    state = app.extensions["machikoe"]
    with transaction(state.sessions) as s:
        return staff_accounts.create(s, email, password, role, actor="test", now=state.now()).id


class Console:
    """A staff member's browser session on the test client."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.token = ""

    def get(self, url: str, **kw):
        response = self.client.get(url, **kw)
        html = response.mimetype == "text/html"
        found = html and TOKEN_RE.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def login(self, email: str, password: str = PASSWORD, **kw):
        self.get("/admin/login")
        return self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf_token": self.token},
            **kw,
        )

    def post(self, url: str, data: dict | None = None, *, token: bool = True, **kw):
        if token and not self.token:
            self.get("/admin/")
        payload = dict(data or {})
        if token:
            payload.setdefault("csrf_token", self.token)
        return self.client.post(url, data=payload, **kw)


def as_role(app, role: str) -> Console:
    """A console signed in with a fresh account of this role."""
    email = f"{role}@example.jp"
    make_staff(app, email, role)
    console = Console(app, app.test_client())
    response = console.login(email)
    assert response.status_code == 302, response.get_data(as_text=True)
    console.get("/admin/")
    return console


def audit_rows(app, action: str | None = None) -> list[AuditLog]:
    with app.extensions["machikoe"].sessions() as s:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(s.scalars(query))


def console_post_rules(app) -> list[tuple[str, str]]:
    """(endpoint, url) for every POST route of the console, arguments filled with dummies."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "POST" not in rule.methods:
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg].__class__.__name__
            values[arg] = 1 if "Integer" in converter else "x"
        with app.test_request_context():
            from flask import url_for

            out.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return out


# --- the command line ---------------------------------------------------------------------


def test_cli_creates_and_lists_staff(app, runner):
    result = runner.invoke(
        args=["staff", "create", "Hanako@Example.jp", "--role", "editor", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created hanako@example.jp (editor)" in result.output
    with app.extensions["machikoe"].sessions() as s:
        staff = s.scalar(select(Staff).where(Staff.email == "hanako@example.jp"))
        assert staff.role == "editor"
        assert staff.password_hash.startswith("scrypt:")
        assert PASSWORD not in staff.password_hash

    again = runner.invoke(
        args=["staff", "create", "hanako@example.jp", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert again.exit_code == 1 and "すでに登録されています" in again.output
    short = runner.invoke(args=["staff", "create", "b@example.jp", "--password-stdin"], input="x\n")
    assert short.exit_code == 1 and "10文字以上" in short.output
    bad_role = runner.invoke(args=["staff", "create", "c@example.jp", "--role", "root"])
    assert bad_role.exit_code == 2

    listed = runner.invoke(args=["staff", "list"])
    assert "hanako@example.jp" in listed.output and "editor" in listed.output
    assert [r.target for r in audit_rows(app, "staff.create")] == ["hanako@example.jp"]


def test_cli_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["staff", "create", "p@example.jp", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert Console(app, app.test_client()).login("p@example.jp").status_code == 302


def test_demo_creates_a_login_that_works(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    found = re.search(r"demo login:\s+(\S+) / (\S+)", result.output)
    assert found, result.output
    assert "/admin/" in result.output
    email, password = found.groups()
    console = Console(app, app.test_client())
    assert console.login(email, password).status_code == 302
    assert console.get("/admin/staff").status_code == 200  # the demo login is an admin

    # running it again gives a new password; the old one stops working
    again = runner.invoke(args=["demo"])
    new_password = re.search(r"demo login:\s+\S+ / (\S+)", again.output).group(1)
    assert new_password != password
    assert Console(app, app.test_client()).login(email, password).status_code == 401
    assert Console(app, app.test_client()).login(email, new_password).status_code == 302


# --- signing in and out -------------------------------------------------------------------


def test_pages_need_a_login(app, client):
    for url in ("/admin/", "/admin/staff", "/admin/audit", "/admin/settings", "/admin/surveys"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login" in response.headers["Location"]


def test_login_dashboard_logout(app):
    make_staff(app, "kikaku@example.jp", "viewer")
    console = Console(app, app.test_client())
    wrong = console.login("kikaku@example.jp", "not-the-password")
    assert wrong.status_code == 401
    assert "メールアドレスまたはパスワードが違います" in wrong.get_data(as_text=True)
    unknown = console.login("nobody@example.jp", PASSWORD)
    assert unknown.status_code == 401

    response = console.login("KIKAKU@example.jp ", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie

    page = console.get("/admin/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ダッシュボード" in text and "kikaku@example.jp" in text and "閲覧者" in text
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

    out = console.post("/admin/logout")
    assert out.status_code == 302
    assert console.get("/admin/").status_code == 302
    with app.extensions["machikoe"].sessions() as s:
        staff = s.scalar(select(Staff).where(Staff.email == "kikaku@example.jp"))
        assert staff.last_login_at is not None and staff.failed_logins == 0


def test_login_does_not_redirect_elsewhere(app):
    make_staff(app, "a@example.jp", "viewer")
    for target, expected in (
        ("https://evil.example/", "/admin/"),
        ("//evil.example/admin/", "/admin/"),
        ("/admin/surveys", "/admin/surveys"),
    ):
        console = Console(app, app.test_client())
        console.get("/admin/login")
        response = console.client.post(
            "/admin/login",
            query_string={"next": target},
            data={"email": "a@example.jp", "password": PASSWORD, "csrf_token": console.token},
        )
        assert response.headers["Location"] == expected, target


def test_static_files_are_served_by_the_app(client):
    for name in ("console.css", "console.js"):
        response = client.get(f"/admin/static/{name}")
        assert response.status_code == 200 and len(response.data) > 100
        response.close()


def test_password_reset_and_disabling_sign_others_out(app):
    admin = as_role(app, "admin")
    staff_id = make_staff(app, "sato@example.jp", "editor")
    sato = Console(app, app.test_client())
    sato.login("sato@example.jp")
    assert sato.get("/admin/").status_code == 200

    response = admin.post(f"/admin/staff/{staff_id}/password", {"password": "a-new-password-1"})
    assert response.status_code == 302
    assert sato.get("/admin/").status_code == 302  # the old session ended
    assert sato.login("sato@example.jp", "a-new-password-1").status_code == 302
    assert sato.get("/admin/").status_code == 200

    admin.post(f"/admin/staff/{staff_id}/active", {"active": "0"})
    assert sato.get("/admin/").status_code == 302
    refused = sato.login("sato@example.jp", "a-new-password-1")
    assert refused.status_code == 401 and "無効" in refused.get_data(as_text=True)


def test_idle_sessions_end(app, state):
    console = as_role(app, "viewer")
    state.clock.fixed = datetime.now(UTC) + timedelta(hours=9)
    assert console.get("/admin/").status_code == 302


# --- throttling ---------------------------------------------------------------------------


def test_login_locks_after_five_failures(app, state):
    start = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)
    state.clock.fixed = start
    make_staff(app, "suzuki@example.jp", "editor")
    console = Console(app, app.test_client())
    for _ in range(4):
        assert console.login("suzuki@example.jp", "guess").status_code == 401
    locked = console.login("suzuki@example.jp", "guess")
    # the same answer as a wrong password (no enumeration: tests/test_security_console.py)
    assert "メールアドレスまたはパスワードが違います" in locked.get_data(as_text=True)
    # even the right password is refused while locked
    again = console.login("suzuki@example.jp", PASSWORD)
    assert again.status_code == 401
    assert "メールアドレスまたはパスワードが違います" in again.get_data(as_text=True)
    assert [r.target for r in audit_rows(app, "staff.locked")] == ["suzuki@example.jp"]

    state.clock.fixed = start + timedelta(minutes=16)
    assert console.login("suzuki@example.jp", PASSWORD).status_code == 302


def test_successful_login_resets_the_failure_count(app):
    make_staff(app, "t@example.jp", "viewer")
    console = Console(app, app.test_client())
    for _ in range(4):
        console.login("t@example.jp", "guess")
    assert console.login("t@example.jp").status_code == 302
    for _ in range(4):
        console.login("t@example.jp", "guess")
    assert console.login("t@example.jp").status_code == 302  # not locked: the count restarted


# --- CSRF ---------------------------------------------------------------------------------


def test_every_post_needs_the_csrf_token(app):
    admin = as_role(app, "admin")
    rules = console_post_rules(app)
    assert len(rules) >= 5
    before = len(audit_rows(app))
    for endpoint, url in rules:
        missing = admin.post(url, {"email": "x@example.jp"}, token=False)
        assert missing.status_code == 400, endpoint
        forged = admin.client.post(url, data={"csrf_token": "forged"})
        assert forged.status_code == 400, endpoint
    assert len(audit_rows(app)) == before
    assert admin.get("/admin/").status_code == 200  # still signed in


def test_login_form_needs_the_csrf_token(app, client):
    make_staff(app, "u@example.jp", "admin")
    response = client.post("/admin/login", data={"email": "u@example.jp", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


# --- roles --------------------------------------------------------------------------------


def test_a_viewer_can_change_nothing(app):
    viewer = as_role(app, "viewer")
    before = len(audit_rows(app))
    rules = console_post_rules(app)
    for endpoint, url in rules:
        if endpoint in ANY_ROLE_POST:  # signing in and out, one's own password
            continue
        response = viewer.post(url, {"email": "x@example.jp", "role": "admin", "text": "x"})
        assert response.status_code == 403, endpoint
    assert len(audit_rows(app)) == before
    assert viewer.get("/admin/").status_code == 200


def test_admin_pages_are_for_admins_only(app):
    editor = as_role(app, "editor")
    for url in ("/admin/staff", "/admin/settings", "/admin/audit"):
        assert editor.get(url).status_code == 403, url
    target = make_staff(app, "other@example.jp", "viewer")
    for url in (
        "/admin/staff",
        f"/admin/staff/{target}/role",
        f"/admin/staff/{target}/active",
        f"/admin/staff/{target}/password",
        "/admin/settings/digest",
    ):
        response = editor.post(
            url, {"email": "e@example.jp", "role": "admin", "password": "x" * 12}
        )
        assert response.status_code == 403, url
    page = editor.get("/admin/").get_data(as_text=True)
    assert "/admin/staff" not in page  # no link to what they cannot open


def test_every_console_view_declares_or_inherits_a_role(app):
    """Admin-only modules (staff, settings, audit) guard each view with @require('admin')."""
    for rule in app.url_map.iter_rules():
        module = app.view_functions[rule.endpoint].__module__
        if module in {"bot.console.staff", "bot.console.settings"} or rule.endpoint == (
            "console.audit"
        ):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "required_role", None) == "admin", rule.endpoint


# --- staff accounts and settings (admin) --------------------------------------------------


def test_admin_manages_staff_and_everything_is_audited(app):
    admin = as_role(app, "admin")
    response = admin.post(
        "/admin/staff", {"email": "Yamada@Example.jp", "password": PASSWORD, "role": "viewer"}
    )
    assert response.status_code == 302
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert "yamada@example.jp を追加しました" in page
    with app.extensions["machikoe"].sessions() as s:
        yamada = s.scalar(select(Staff).where(Staff.email == "yamada@example.jp"))
    admin.post(f"/admin/staff/{yamada.id}/role", {"role": "editor"})
    admin.post(f"/admin/staff/{yamada.id}/active", {"active": "0"})
    admin.post(f"/admin/staff/{yamada.id}/active", {"active": "1"})
    admin.post(f"/admin/staff/{yamada.id}/password", {"password": "short"})
    assert "10文字以上" in admin.get("/admin/staff").get_data(as_text=True)
    dup = admin.post("/admin/staff", {"email": "yamada@example.jp", "password": PASSWORD})
    assert dup.status_code == 302

    rows = [(r.actor, r.action, r.target) for r in audit_rows(app) if r.actor == "admin@example.jp"]
    assert rows == [
        ("admin@example.jp", "staff.login", "admin@example.jp"),
        ("admin@example.jp", "staff.create", "yamada@example.jp"),
        ("admin@example.jp", "staff.role", "yamada@example.jp"),
        ("admin@example.jp", "staff.disable", "yamada@example.jp"),
        ("admin@example.jp", "staff.enable", "yamada@example.jp"),
    ]
    role_change = audit_rows(app, "staff.role")[0]
    assert role_change.detail == {"from": "viewer", "to": "editor"}

    audit_page = admin.get("/admin/audit").get_data(as_text=True)
    for action in ("staff.create", "staff.role", "staff.disable", "staff.enable"):
        assert action in audit_page
    filtered = admin.get("/admin/audit?action=staff.role").get_data(as_text=True)
    rows = filtered.split('id="audit"')[1]  # the table (the action select lists every code)
    assert "staff.role" in rows and "staff.create" not in rows


def test_the_last_admin_stays_an_admin(app):
    admin = as_role(app, "admin")
    with app.extensions["machikoe"].sessions() as s:
        me = s.scalar(select(Staff).where(Staff.email == "admin@example.jp"))
    admin.post(f"/admin/staff/{me.id}/role", {"role": "viewer"})
    assert "最後の管理者" in admin.get("/admin/staff").get_data(as_text=True)
    admin.post(f"/admin/staff/{me.id}/active", {"active": "0"})
    with app.extensions["machikoe"].sessions() as s:
        me = s.get(Staff, me.id)
        assert me.role == "admin" and me.active


def test_digest_settings(app):
    admin = as_role(app, "admin")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "週次ダイジェスト" in page and 'value="09:00"' in page
    response = admin.post(
        "/admin/settings/digest",
        {
            "emails": "kikaku@town.example.jp\nMayor@Town.example.jp\n\nkikaku@town.example.jp",
            "day_of_week": "fri",
            "time": "17:30",
        },
    )
    assert response.status_code == 302
    with app.extensions["machikoe"].sessions() as s:
        row = s.get(AppSetting, "digest")
        assert row.value == {
            "emails": ["kikaku@town.example.jp", "mayor@town.example.jp"],
            "day_of_week": "fri",
            "hour": 17,
            "minute": 30,
        }
        assert row.updated_by == "admin@example.jp"
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'value="17:30"' in page and "mayor@town.example.jp" in page

    admin.post("/admin/settings/digest", {"emails": "not-an-address", "day_of_week": "mon"})
    assert "形式が正しくありません" in admin.get("/admin/settings").get_data(as_text=True)
    admin.post("/admin/settings/digest", {"emails": "", "day_of_week": "someday"})
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(AppSetting, "digest").value["day_of_week"] == "fri"
    [entry] = audit_rows(app, "settings.digest")
    assert entry.detail["to"]["day_of_week"] == "fri" and entry.detail["from"] is None


# --- dashboard ----------------------------------------------------------------------------


def test_dashboard_counts_friends_and_blocks(app, resident):
    resident(1).follow()
    resident(2).follow()
    third = resident(3)
    third.follow()
    third.unfollow()
    console = as_role(app, "viewer")
    page = console.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="friends">2<', page), page
    assert "ブロック 1人" in page


@pytest.mark.parametrize("limit", [None, 1000])
def test_dashboard_shows_the_quota(app, fake_line, limit):
    fake_line.quota_limit = limit
    console = as_role(app, "viewer")
    page = console.get("/admin/").get_data(as_text=True)
    assert "今月のメッセージ通数" in page
    if limit:
        assert "残り 1,000通" in page
    else:
        assert "上限なしのプランです" in page


def test_dashboard_works_when_line_does_not_answer(app, fake_line):
    fake_line.inject("getMessageQuota", 500, count=10)
    console = as_role(app, "viewer")
    page = console.get("/admin/")
    assert page.status_code == 200
    assert "LINE から取得できませんでした" in page.get_data(as_text=True)


def test_counting_helpers_use_sql(app):
    with app.extensions["machikoe"].sessions() as s:
        counts = staff_accounts.friend_counts(s)
        assert counts == {"total": 0, "friends": 0, "blocked": 0, "agreed": 0, "profiled": 0}
        assert s.scalar(select(func.count()).select_from(Staff)) == 0


def _kill_pooled_connections(app, db_url) -> int:
    """Terminate every connection the app's pool holds, as a database restart would."""
    engine = app.extensions["machikoe"].engine
    with ExitStack() as stack:
        held = [stack.enter_context(engine.connect()) for _ in range(engine.pool.checkedin())]
        pids = [conn.execute(text("SELECT pg_backend_pid()")).scalar() for conn in held]
    killer = create_engine(db_url)
    with killer.begin() as conn:
        for pid in pids:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    killer.dispose()
    return len(pids)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a server restart
def test_console_pages_survive_a_database_restart(app, db_url, caplog):
    """A page read meets the dead connection and is read again; a change is not repeated."""
    console = as_role(app, "admin")
    assert _kill_pooled_connections(app, db_url) >= 1
    with caplog.at_level("WARNING"):
        page = console.get("/admin/")
    assert page.status_code == 200 and "ダッシュボード" in page.get_data(as_text=True)
    assert "reading /admin/ again" in caplog.text  # the dead connection was really met

    assert _kill_pooled_connections(app, db_url) >= 1
    refused = console.post("/admin/logout")
    assert refused.status_code == 503
    assert "データベースに接続し直しました" in refused.get_data(as_text=True)
    assert console.get("/admin/").status_code == 200  # still signed in: nothing was done


def test_staff_change_their_own_password(app):
    make_staff(app, "kikaku@example.jp", "viewer")
    console = Console(app, app.test_client())
    assert console.login("kikaku@example.jp").status_code == 302
    other = Console(app, app.test_client())  # the same member in another browser
    assert other.login("kikaku@example.jp").status_code == 302
    page = console.get("/admin/account")
    assert page.status_code == 200 and "パスワードの変更" in page.get_data(as_text=True)
    assert 'href="/admin/account"' in console.get("/admin/").get_data(as_text=True)

    new = "a-new-and-longer-secret"

    def change(current: str, new_password: str, confirm: str | None = None) -> str:
        response = console.post(
            "/admin/account/password",
            {
                "current_password": current,
                "new_password": new_password,
                "confirm_password": new_password if confirm is None else confirm,
            },
            follow_redirects=True,
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "今のパスワードが違います" in change("not-the-password", new)
    assert "確認用と一致しません" in change(PASSWORD, new, confirm=new + "x")
    assert "10文字以上" in change(PASSWORD, "short")
    assert "今のパスワードと違うもの" in change(PASSWORD, PASSWORD)
    assert Console(app, app.test_client()).login("kikaku@example.jp").status_code == 302

    assert "パスワードを変更しました" in change(PASSWORD, new)
    assert console.get("/admin/").status_code == 200  # this browser stays signed in
    assert other.get("/admin/").status_code == 302  # the other one is signed out
    assert Console(app, app.test_client()).login("kikaku@example.jp").status_code == 401
    assert Console(app, app.test_client()).login("kikaku@example.jp", new).status_code == 302
    assert [row.target for row in audit_rows(app, "staff.password.own")] == ["kikaku@example.jp"]


def test_guessing_the_current_password_locks_the_account(app):
    make_staff(app, "kikaku@example.jp", "editor")
    console = Console(app, app.test_client())
    assert console.login("kikaku@example.jp").status_code == 302
    console.get("/admin/account")  # the signed-in session's CSRF token
    body = {"new_password": "x" * 12, "confirm_password": "x" * 12}
    for _ in range(staff_accounts.MAX_FAILED_LOGINS - 1):
        wrong = console.post("/admin/account/password", {**body, "current_password": "guess"})
        assert wrong.headers["Location"].endswith("/admin/account")
    locked = console.post("/admin/account/password", {**body, "current_password": "guess"})
    assert locked.headers["Location"].endswith("/admin/login")
    assert console.get("/admin/").status_code == 302  # signed out
    assert console.login("kikaku@example.jp").status_code == 401  # locked, even with it right
    assert audit_rows(app, "staff.locked")


def test_long_lists_page_and_keep_their_filter(app):
    admin = as_role(app, "admin")
    state = app.extensions["machikoe"]
    with transaction(state.sessions) as s:
        for n in range(60):
            staff_accounts.audit(s, "test", "test.paging", f"row {n}")
    first = admin.get("/admin/audit?action=test.paging").get_data(as_text=True)
    assert "1 / 2" in first and "row 59" in first and "row 0<" not in first
    assert "/admin/audit?page=2&amp;action=test.paging" in first and "← 新しい" not in first
    second = admin.get("/admin/audit?page=2&action=test.paging").get_data(as_text=True)
    assert "2 / 2" in second and "row 0" in second and "row 59" not in second
    assert "/admin/audit?page=1&amp;action=test.paging" in second and "古い →" not in second
