"""The weekly digest: numbers from known inputs, e-mail over real SMTP, LINE push, once."""

from __future__ import annotations

import email
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot import digest as digest_job
from bot.jobs import JOBS
from bot.state import build_state
from db.digest import JobRun
from db.models import Resident, WebhookEvent
from db.opinions import Opinion
from db.session import transaction
from db.staff import AppSetting, Staff
from handlers.digest import Period, Schedule

ROOT = Path(__file__).resolve().parents[1]
POPULATION = ROOT / "content" / "demo" / "population.yml"
JST = ZoneInfo("Asia/Tokyo")
# Monday 30 November 2026, 09:05 JST: the digest for 11/23〜11/29 is due.
MONDAY = datetime(2026, 11, 30, 9, 5, tzinfo=JST).astimezone(UTC)
SUBJECT = "【みらい野町】週次ダイジェスト 11/23〜11/29"


def jst(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JST).astimezone(UTC)


# --- a real SMTP server on loopback ----------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def parsed(self, i: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(self.messages[i][2], policy=policy.default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def settings(settings, smtp):
    """The app's settings with a real SMTP server and a default recipient."""
    return settings.but(
        smtp_url=f"smtp://127.0.0.1:{smtp.port}?from=machikoe@example.jp",
        digest_emails=("kikaku@example.jp",),
    )


# --- known inputs ------------------------------------------------------------------------


def seed(state) -> None:
    """Friends, blocks, webhook activity and opinions around the week 11/23〜11/29."""
    with transaction(state.sessions) as s:

        def res(n, followed, **kw):
            r = Resident(
                line_user_id=f"U{n:032x}",
                followed_at=followed,
                created_at=followed,
                consent=kw.pop("consent", "agreed"),
                **kw,
            )
            s.add(r)
            return r

        # 3 new friends this week (one with a profile in 20代/七ツ森)
        res(1, jst(23), age_band="20代", district="七ツ森", onboarded_at=jst(23))
        res(2, jst(25), age_band="70代", district="大谷", onboarded_at=jst(25))
        res(3, jst(29, 23))
        # before the week: 60代 in 大谷 ×6, 50代 in 磐梯 ×4
        for i in range(10, 16):
            res(i, jst(2), age_band="60代", district="大谷", onboarded_at=jst(2))
        for i in range(20, 24):
            res(i, jst(3), age_band="50代", district="磐梯", onboarded_at=jst(3))
        # not this week: Nov 30 (after the period) and Nov 22 (before it)
        res(4, jst(30, 1))
        res(5, jst(22, 23))
        # blocks: one this week, one the week before
        res(6, jst(1), blocked=True, blocked_at=jst(24))
        res(7, jst(1), blocked=True, blocked_at=jst(20))
        s.flush()
        # activity: users 1 and 10 this week (3 events), user 11 only before
        for i, (uid, at) in enumerate(
            [(1, jst(23)), (1, jst(26)), (10, jst(28)), (11, jst(21)), (None, jst(27))]
        ):
            s.add(
                WebhookEvent(
                    event_id=f"E{i:025d}",
                    event_type="message",
                    line_user_id=f"U{uid:032x}" if uid else None,
                    occurred_at=at,
                    received_at=at,
                    status="done",
                )
            )
        rid = s.scalar(select(Resident.id).where(Resident.line_user_id == f"U{1:032x}"))
        for at, consultation in [(jst(24), None), (jst(27), None), (jst(10), None)]:
            s.add(Opinion(resident_id=rid, body="バスを増やして", created_at=at,
                          consultation_id=consultation))  # fmt: skip
        s.add(Opinion(resident_id=rid, body="賛成です", created_at=jst(28),
                      consultation_id="draft-plan-2027", receipt_no="PC-0001"))  # fmt: skip


def apply_population(runner) -> None:
    result = runner.invoke(args=["content", "apply", str(POPULATION)])
    assert result.exit_code == 0, result.output


def make_staff(runner, address: str, role: str = "editor") -> None:
    result = runner.invoke(
        args=["staff", "create", address, "--role", role, "--password-stdin"],
        input="correct-horse-battery\n",
    )
    assert result.exit_code == 0, result.output


# --- when ----------------------------------------------------------------------------------


def test_schedule_and_period():
    sched = Schedule()
    assert sched.latest(MONDAY, JST) == datetime(2026, 11, 30, 9, 0, tzinfo=JST)
    just_before = datetime(2026, 11, 30, 8, 59, tzinfo=JST)
    assert sched.latest(just_before, JST) == datetime(2026, 11, 23, 9, 0, tzinfo=JST)
    period = Period.before(MONDAY, JST)
    assert (period.key, period.label) == ("2026-11-23", "11/23〜11/29")
    assert period.start == jst(23, 0) and period.end == jst(30, 0)
    friday = Schedule("fri", 17, 30)
    assert friday.latest(MONDAY, JST) == datetime(2026, 11, 27, 17, 30, tzinfo=JST)
    assert friday.label() == "毎週金曜 17:30"


# --- the numbers -------------------------------------------------------------------------


def test_digest_numbers_from_known_inputs(app, state, runner, fake_line):
    apply_population(runner)
    seed(state)
    fake_line.quota_limit = 1000
    fake_line.quota_used = 250
    state.clock.fixed = MONDAY
    d = digest_job.compose(state, Period.before(MONDAY, JST))
    got = d.numbers
    assert got["friends.gained"] == 3
    assert got["friends.blocks"] == 1
    assert got["friends.total"] == 3 + 6 + 4 + 2  # not blocked
    assert got["friends.active"] == 2
    assert got["friends.profiles"] == 12
    assert (got["opinions.week"], got["opinions.total"]) == (2, 3)
    assert (got["comments.week"], got["comments.total"]) == (1, 1)
    assert (got["quota.used"], got["quota.limit"]) == (250, 1000)
    # coverage: 12 friends in known groups of a 3,414-person town; 60代 is well covered,
    # groups with nobody (e.g. 30代, 更科) are named as under-covered
    assert got["coverage.rate"] == round(12 / 3414, 4)
    low = got["coverage.under_covered"]
    assert "30代" in low and "更科" in low and "60代" not in low and "大谷" not in low

    text = runner.invoke(args=["digest", "send", "--dry-run"]).output
    assert SUBJECT in text
    assert "友だち数: 15人（今週 +3人、ブロック 1人）" in text
    assert "今週やりとりのあった方: 2人" in text
    assert "ご意見: 今週 2件（累計 3件）" in text
    assert "パブリックコメント: 今週 1件（累計 1件）" in text
    assert "今月の送信数: 250通 / 上限 1,000通（25.0%）" in text
    assert "年代 | 60代 | 585 | 6 | 1.0%" in text
    assert "参加が少ないグループ:" in text
    assert not smtp_sent(state)


def smtp_sent(state) -> bool:
    with state.sessions() as s:
        return s.scalar(select(JobRun.id)) is not None


def test_quota_failure_does_not_stop_the_digest(app, state, runner, fake_line):
    fake_line.inject("getMessageQuota", status=500, count=10)
    state.clock.fixed = MONDAY
    d = digest_job.compose(state, Period.before(MONDAY, JST))
    quota = next(s for s in d.sections if s.key == "quota")
    assert quota.missing and "quota.used" not in d.numbers
    assert "coverage" in {s.key for s in d.sections}


# --- delivery ------------------------------------------------------------------------------


def parts(msg) -> dict[str, list]:
    found: dict[str, list] = {}
    for part in msg.walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


def test_email_and_line_push_once(app, state, runner, resident, fake_line, smtp):
    apply_population(runner)
    seed(state)
    state.clock.fixed = MONDAY - timedelta(hours=2)
    make_staff(runner, "Suzuki@Example.jp")
    code_out = runner.invoke(args=["staff", "link-code", "suzuki@example.jp"]).output
    code = code_out.split(": ")[1].split()[0]
    staff_line = resident("staff-suzuki")
    staff_line.follow()
    got = staff_line.say(code.lower())  # typed by hand, in lower case
    assert "連携しました" in staff_line.texts(got)
    with state.sessions() as s:
        staff = s.scalar(select(Staff).where(Staff.email == "suzuki@example.jp"))
        assert staff.line_user_id == staff_line.id and staff.link_code_hash is None

    state.clock.fixed = MONDAY
    result = runner.invoke(args=["jobs", "run", "digest"])
    assert result.exit_code == 0, result.output
    assert "mail to 2" in result.output and "LINE to 1 staff" in result.output
    assert len(smtp.messages) == 1
    mail_from, rcpts, _raw = smtp.messages[0]
    assert mail_from == "machikoe@example.jp"
    assert sorted(rcpts) == ["kikaku@example.jp", "suzuki@example.jp"]

    msg = smtp.parsed()
    assert msg["Subject"] == SUBJECT
    assert msg.get_content_type() == "multipart/alternative"
    found = parts(msg)
    assert "multipart/related" in found
    plain = found["text/plain"][0].get_content()
    html = found["text/html"][0].get_content()
    for body in (plain, html):  # the staff member is a friend too: 16
        assert SUBJECT in body
        assert "友だち数: 16人（今週 +3人、ブロック 1人）" in body
        assert "七ツ森" in body
    images = found["image/png"]
    assert len(images) == 2
    for img in images:
        cid = img["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert img.get_content().startswith(b"\x89PNG\r\n\x1a\n")

    pushed = staff_line.texts(staff_line.news())
    assert SUBJECT in pushed and "友だち 16人（+3 / ブロック 1）" in pushed

    again = runner.invoke(args=["jobs", "run", "digest"])
    assert "already sent" in again.output
    assert len(smtp.messages) == 1
    assert staff_line.news() == []
    with state.sessions() as s:
        run = s.scalar(select(JobRun))
        assert (run.name, run.period, run.status) == ("digest", "2026-11-23", "done")
        assert run.detail == {"emails": 2, "pushes": 1}


def test_two_clocks_send_one_digest(app, state, settings, runner, resident, fake_line, smtp):
    make_staff(runner, "tanaka@example.jp")
    code = runner.invoke(args=["staff", "link-code", "tanaka@example.jp"]).output
    staff_line = resident("staff-tanaka")
    staff_line.follow()
    staff_line.say(code.split(": ")[1].split()[0])
    staff_line.news()
    state.clock.fixed = MONDAY
    clocks = [build_state(settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def clock(st) -> None:
        st.clock = state.clock
        barrier.wait()
        results.append(JOBS["digest"].run(st))

    threads = [threading.Thread(target=clock, args=(st,)) for st in clocks]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    for st in clocks:
        st.engine.dispose()
    assert len(results) == 2
    assert sum("mail to" in r for r in results) == 1, results
    assert len(smtp.messages) == 1
    assert len(staff_line.news()) == 1
    assert fake_line.count("push") == 1


def test_failed_mail_is_retried_later(app, state, runner, fake_line, smtp):
    good = state.settings.smtp_url
    state.settings = state.settings.but(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    state.clock.fixed = MONDAY
    assert "FAILED" in JOBS["digest"].run(state)
    with state.sessions() as s:
        assert s.scalar(select(JobRun.status)) == "failed"
    state.settings = state.settings.but(smtp_url=good)
    state.clock.fixed = MONDAY + timedelta(minutes=5)
    assert "already sent or being sent" in JOBS["digest"].run(state)  # too soon to retry
    state.clock.fixed = MONDAY + timedelta(minutes=20)
    assert "mail to 1" in JOBS["digest"].run(state)
    assert len(smtp.messages) == 1
    with state.sessions() as s:
        run = s.scalar(select(JobRun))
        assert (run.status, run.attempts) == ("done", 2)


def test_schedule_from_console_settings(app, state, runner, smtp):
    with transaction(state.sessions) as s:
        s.add(
            AppSetting(
                key="digest",
                value={"day_of_week": "fri", "hour": 17, "minute": 30, "emails": ["a@example.jp"]},
            )
        )
    # Monday 09:05: Friday's digest (11/20〜11/26) was due last Friday
    state.clock.fixed = MONDAY
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "digest       next 2026-12-04 17:30 JST" in listing
    out = JOBS["digest"].run(state)
    assert out.startswith("digest 2026-11-20: mail to 1")
    assert [r for _f, r, _c in smtp.messages] == [["a@example.jp"]]
    assert "11/20〜11/26" in smtp.parsed()["Subject"]


def test_digest_send_output_writes_html(app, state, runner, tmp_path, smtp):
    apply_population(runner)
    state.clock.fixed = MONDAY
    out = tmp_path / "digest.html"
    result = runner.invoke(args=["digest", "send", "--output", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert SUBJECT in html and "data:image/png;base64," in html and "cid:" not in html
    assert smtp.messages == []


def test_html_escapes_what_it_shows(app, state):
    from handlers.digest import Digest, Section
    from messages import digest as words

    hostile = Section("x", "<script>alert(1)</script>", lines=["a & b <b>"])
    d = Digest("みらい野町", Period.before(MONDAY, JST), MONDAY, [hostile], {})
    html = words.html(d, JST)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b &lt;b&gt;" in html


def test_digest_send_without_smtp_fails_clearly(app, state, runner):
    state.settings = state.settings.but(smtp_url=None)
    state.clock.fixed = MONDAY
    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 1
    assert "SMTP_URL is not set" in result.output
