"""Attacks on the staff console, as scripts: each should fail against the console.

Cookie replay after sign-out, after 12 hours and after 「すべての端末からサインアウト」;
enumeration through the sign-in answers; locking a colleague out from elsewhere; guessing
across accounts from one address; a 300 MB body before sign-in; CR/LF in ``next=``; HSTS.
"""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot import create_app
from db.staff import StaffSession
from handlers import staff as staff_accounts
from tests.test_console import PASSWORD, Console, audit_rows, make_staff

ERROR_RE = re.compile(r'<p class="flash error" role="alert">(.*?)</p>', re.S)
# public addresses (documentation ranges count as private, and private peers may forward)
ATTACKER = "81.2.69.160"
COLLEAGUE = "93.184.216.34"
START = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)


def browser(app, address: str = COLLEAGUE) -> Console:
    """A console browser whose requests come from this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Console(app, client)


def signed_in(app, email: str, address: str = COLLEAGUE) -> Console:
    console = browser(app, address)
    assert console.login(email).status_code == 302
    console.get("/admin/")
    return console


def answer(response) -> tuple[int, str]:
    """What a sign-in attempt tells the person trying: status and the error sentence."""
    found = ERROR_RE.search(response.get_data(as_text=True))
    return response.status_code, found.group(1) if found else ""


def replay(app, cookie: str, address: str = COLLEAGUE) -> Console:
    """A different browser holding a copied session cookie."""
    thief = browser(app, address)
    thief.client.set_cookie("session", cookie, domain="localhost")
    return thief


# --- sessions end on the server -----------------------------------------------------------


def test_a_cookie_copied_before_sign_out_no_longer_works(app, state):
    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "editor")
    console = signed_in(app, "kikaku@example.jp")
    stolen = console.client.get_cookie("session").value
    token = console.token
    assert replay(app, stolen).get("/admin/").status_code == 200  # the copy works before…

    assert console.post("/admin/logout").status_code == 302
    thief = replay(app, stolen)
    assert thief.get("/admin/").status_code == 302  # … and not after
    before = len(audit_rows(app))
    refused = thief.client.post("/admin/account/sessions", data={"csrf_token": token})
    assert refused.status_code == 401
    assert len(audit_rows(app)) == before  # nothing changed with the stolen cookie
    with app.extensions["machikoe"].sessions() as s:
        rows = list(s.scalars(select(StaffSession)))
    assert len(rows) == 1 and rows[0].revoked_at is not None
    assert stolen not in rows[0].token_hash  # only a hash of the token is stored


def test_a_session_ends_12_hours_after_sign_in_however_busy(app, state):
    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "viewer")
    console = signed_in(app, "kikaku@example.jp")
    stolen = console.client.get_cookie("session").value
    for hours in (3, 6, 9, 11.9):  # in use all along: the idle limit never ends it
        state.clock.fixed = START + timedelta(hours=hours)
        assert console.get("/admin/").status_code == 200, hours
    state.clock.fixed = START + timedelta(hours=12, minutes=1)
    assert console.get("/admin/").status_code == 302
    assert replay(app, stolen).get("/admin/").status_code == 302
    # still ended when the clock comes back (the row is revoked, not just old)
    state.clock.fixed = START + timedelta(hours=1)
    assert replay(app, stolen).get("/admin/").status_code == 302
    assert signed_in(app, "kikaku@example.jp").get("/admin/").status_code == 200


def test_the_idle_limit_still_ends_a_quiet_session(app, state):
    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "viewer")
    console = signed_in(app, "kikaku@example.jp")
    state.clock.fixed = START + timedelta(hours=8, minutes=1)
    assert console.get("/admin/").status_code == 302


def test_sign_out_everywhere_ends_every_copy(app, state):
    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "editor")
    make_staff(app, "other@example.jp", "editor")
    office = signed_in(app, "kikaku@example.jp")
    home = signed_in(app, "kikaku@example.jp", address="151.101.1.69")
    colleague = signed_in(app, "other@example.jp")
    stolen = home.client.get_cookie("session").value

    page = office.get("/admin/account").get_data(as_text=True)
    assert "すべての端末からサインアウト" in page and "2 台" in page
    out = office.post("/admin/account/sessions")
    assert out.status_code == 302 and out.headers["Location"].endswith("/admin/login")
    assert "すべての端末からサインアウトしました" in office.get("/admin/login").get_data(
        as_text=True
    )
    assert office.get("/admin/").status_code == 302
    assert home.get("/admin/").status_code == 302
    assert replay(app, stolen).get("/admin/").status_code == 302
    assert colleague.get("/admin/").status_code == 200  # only this member's sessions
    [row] = audit_rows(app, "staff.sessions.revoke")
    assert row.actor == "kikaku@example.jp" and row.detail == {"sessions": 2}
    assert signed_in(app, "kikaku@example.jp").get("/admin/").status_code == 200


def test_sign_out_everywhere_needs_the_csrf_token(app, state):
    make_staff(app, "kikaku@example.jp", "viewer")
    console = signed_in(app, "kikaku@example.jp")
    assert console.post("/admin/account/sessions", token=False).status_code == 400
    assert console.get("/admin/").status_code == 200
    assert not audit_rows(app, "staff.sessions.revoke")


def test_a_password_reset_or_disabling_revokes_the_sessions(app, state):
    admin = signed_in(app, _admin(app))
    staff_id = make_staff(app, "sato@example.jp", "viewer")
    sato = signed_in(app, "sato@example.jp")
    stolen = sato.client.get_cookie("session").value
    admin.post(f"/admin/staff/{staff_id}/password", {"password": "a-new-password-1"})
    assert replay(app, stolen).get("/admin/").status_code == 302
    sato = browser(app)
    assert sato.login("sato@example.jp", "a-new-password-1").status_code == 302
    assert sato.get("/admin/").status_code == 200
    admin.post(f"/admin/staff/{staff_id}/active", {"active": "0"})
    assert sato.get("/admin/").status_code == 302


def _admin(app) -> str:
    make_staff(app, "admin@example.jp", "admin")
    return "admin@example.jp"


# --- guessing passwords -------------------------------------------------------------------


def test_unknown_wrong_and_locked_accounts_answer_alike(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    guesser = browser(app, ATTACKER)
    unknown = answer(guesser.login("nobody@example.jp", "guess-1"))
    wrong = answer(guesser.login("suzuki@example.jp", "guess-1"))
    for n in range(staff_accounts.MAX_FAILED_LOGINS):
        answer(guesser.login("suzuki@example.jp", f"guess-{n}"))
    locked = answer(guesser.login("suzuki@example.jp", PASSWORD))  # locked: even the right one
    for _ in range(staff_accounts.MAX_FAILED_LOGINS):
        guesser.login("nobody@example.jp", "guess")
    unknown_after = answer(guesser.login("nobody@example.jp", "guess"))
    assert unknown == wrong == locked == unknown_after
    assert unknown[0] == 401 and "メールアドレスまたはパスワードが違います" in unknown[1]
    assert [r.target for r in audit_rows(app, "staff.locked")] == ["suzuki@example.jp"]


def test_a_guesser_elsewhere_cannot_lock_a_colleague_out(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    guesser = browser(app, ATTACKER)
    for n in range(3 * staff_accounts.MAX_FAILED_LOGINS):
        assert guesser.login("suzuki@example.jp", f"guess-{n}").status_code == 401
    # a forged X-Forwarded-For from a public address is not believed
    forged = browser(app, ATTACKER)
    response = forged.login("suzuki@example.jp", headers={"X-Forwarded-For": COLLEAGUE})
    assert response.status_code == 401
    # the colleague, at their own desk, signs in at once
    assert browser(app, COLLEAGUE).login("suzuki@example.jp").status_code == 302


def test_lockouts_grow_longer(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    guesser = browser(app, ATTACKER)

    def guess_five():
        for n in range(staff_accounts.MAX_FAILED_LOGINS):
            guesser.login("suzuki@example.jp", f"guess-{n}")

    guess_five()  # 15 minutes
    state.clock.fixed = START + timedelta(minutes=14)
    assert guesser.login("suzuki@example.jp").status_code == 401
    state.clock.fixed = START + timedelta(minutes=16)
    guess_five()  # 30 minutes from here
    state.clock.fixed = START + timedelta(minutes=16 + 29)
    assert guesser.login("suzuki@example.jp").status_code == 401
    state.clock.fixed = START + timedelta(minutes=16 + 31)
    assert guesser.login("suzuki@example.jp").status_code == 302
    minutes = [r.detail["minutes"] for r in audit_rows(app, "staff.locked")]
    assert minutes == [15, 30]


def test_one_address_cannot_guess_across_many_accounts(app, state):
    state.clock.fixed = START
    make_staff(app, "suzuki@example.jp", "editor")
    guesser = browser(app, ATTACKER)
    for n in range(staff_accounts.MAX_ADDRESS_FAILURES):  # one guess each: no pair locks
        assert guesser.login(f"person{n}@example.jp", "Password1!").status_code == 401
    # the address is now held back, whatever account it tries, right password or not
    refused = guesser.login("suzuki@example.jp")
    assert answer(refused) == answer(guesser.login("nobody@example.jp", "x"))
    assert audit_rows(app, "staff.address_locked")
    assert browser(app, COLLEAGUE).login("suzuki@example.jp").status_code == 302
    state.clock.fixed = START + timedelta(minutes=16)
    assert guesser.login("suzuki@example.jp").status_code == 302


def test_no_address_or_typed_email_is_stored(app, state):
    from db.staff import LoginThrottle

    browser(app, ATTACKER).login("who-is-this@example.jp", "guess")
    with app.extensions["machikoe"].sessions() as s:
        rows = list(s.scalars(select(LoginThrottle)))
    assert len(rows) == 3  # per account and address, per address, per account and /48
    for row in rows:
        assert ATTACKER not in row.key and "who-is-this" not in row.key


# --- request bodies -------------------------------------------------------------------------


class NeverRead:
    """A 300 MB request body that fails the test if the server reads any of it."""

    read_at_all = False
    size = 300 * 1024 * 1024
    position = 0

    def read(self, *_args):
        NeverRead.read_at_all = True
        raise AssertionError("the server read the body")

    readline = readlines = read

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size if whence == 2 else offset
        return self.position


HUGE = str(NeverRead.size)


@pytest.mark.parametrize("url", ["/admin/surveys/upload", "/admin/account/password"])
def test_an_unauthenticated_huge_body_is_refused_unread(app, url):
    NeverRead.read_at_all = False
    response = app.test_client().post(
        url,
        input_stream=NeverRead(),
        headers={"Content-Length": HUGE, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code in (401, 413)
    assert not NeverRead.read_at_all


def test_a_huge_sign_in_form_is_refused_unread(app):
    NeverRead.read_at_all = False
    response = app.test_client().post(
        "/admin/login",
        input_stream=NeverRead(),
        headers={"Content-Length": HUGE, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "大きすぎます" in response.get_data(as_text=True)
    assert not NeverRead.read_at_all


def test_signed_in_bodies_have_a_limit_too(app):
    make_staff(app, "kikaku@example.jp", "editor")
    console = signed_in(app, "kikaku@example.jp")
    NeverRead.read_at_all = False
    response = console.client.post(
        "/admin/surveys/upload",
        input_stream=NeverRead(),
        headers={"Content-Length": HUGE, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413 and not NeverRead.read_at_all
    assert console.get("/admin/").status_code == 200


def test_a_huge_body_over_a_real_socket_gets_an_answer(app):
    """The 300 MB announced, 1 KB sent: the server answers without waiting for the rest."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=30) as sock:
            sock.sendall(
                b"POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: " + HUGE.encode() + b"\r\n\r\n" + b"a" * 1024
            )
            head = sock.recv(4096).split(b"\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 413"), head
    finally:
        server.shutdown()
        server.server_close()


# --- next= and HSTS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/admin/%0d%0aSet-Cookie:%20x=1",
        "/admin/%0aLocation:%20https://evil.example/",
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "/admin/\\\\evil.example",
        "/admin/%09tab",
        "/admin/%E3%81%82",
        "/\\evil.example",
    ],
)
def test_next_is_never_a_500_or_another_site(app, target):
    make_staff(app, "a@example.jp", "viewer")
    console = browser(app)
    console.get("/admin/login")
    response = console.client.post(
        "/admin/login?next=" + target,
        data={"email": "a@example.jp", "password": PASSWORD, "csrf_token": console.token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_a_crlf_path_before_sign_in_redirects_cleanly(app):
    response = app.test_client().get("/admin/%0d%0aX-Evil:%201")
    assert response.status_code in (302, 404)
    assert "X-Evil" not in response.headers


def test_a_good_next_is_kept(app):
    make_staff(app, "a@example.jp", "viewer")
    console = browser(app)
    console.get("/admin/login")
    response = console.client.post(
        "/admin/login?next=/admin/surveys?page=2",
        data={"email": "a@example.jp", "password": PASSWORD, "csrf_token": console.token},
    )
    assert response.headers["Location"] == "/admin/surveys?page=2"


def test_hsts_only_over_https(app, state):
    plain = app.test_client().get("/admin/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure = app.test_client().get("/admin/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    behind_proxy = create_app(
        settings=state.settings.but(public_base_url="https://town.example"), state=state
    )
    got = behind_proxy.test_client().get("/admin/login")
    assert got.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_clock_forgets_ended_sessions_and_old_failures(app, state):
    from bot.jobs import JOBS
    from db.staff import LoginThrottle

    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "viewer")
    ended = signed_in(app, "kikaku@example.jp")
    ended.post("/admin/logout")
    browser(app, ATTACKER).login("kikaku@example.jp", "guess")
    state.clock.fixed = START + timedelta(days=1, hours=1)
    current = signed_in(app, "kikaku@example.jp")
    assert JOBS["sign-ins"].run(state) == 4  # the signed-out session, the three failure counts
    assert JOBS["sign-ins"].run(state) == 0  # safe to run twice
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(LoginThrottle)) is None
        [kept] = s.scalars(select(StaffSession)).all()
    assert kept.revoked_at is None
    assert current.get("/admin/").status_code == 200


def test_the_lifetime_is_a_setting(app, state):
    from bot.config import SettingsError, load_settings

    assert load_settings({}).console_session_max_hours == 12
    assert load_settings({"CONSOLE_SESSION_MAX_HOURS": "2.5"}).console_session_max_hours == 2.5
    for bad in ("0", "-1", "soon", "1000"):
        with pytest.raises(SettingsError, match="CONSOLE_SESSION_MAX_HOURS"):
            load_settings({"CONSOLE_SESSION_MAX_HOURS": bad})
    state.settings = state.settings.but(console_session_max_hours=2)
    state.clock.fixed = START
    make_staff(app, "kikaku@example.jp", "viewer")
    console = signed_in(app, "kikaku@example.jp")
    state.clock.fixed = START + timedelta(hours=1, minutes=59)
    assert console.get("/admin/").status_code == 200
    state.clock.fixed = START + timedelta(hours=2)
    assert console.get("/admin/").status_code == 302
