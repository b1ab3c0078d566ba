"""Invitation codes for mailed letters: codes, storage, the CSV and PDF, CLI and console."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import String, Text, func, select

from db.base import Base
from db.session import transaction
from db.survey_channels import SurveyInvitation
from handlers import invitation_letters as letters
from handlers import invitations
from tests.survey_helpers import NOW, SurveyResponse, apply_survey, count, onboard
from tests.test_console import PASSWORD, as_role, audit_rows, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401 (fixtures)

SURVEY = "test-2026"
BASE = "https://machikoe.example.jp"
ADD_FRIEND = "https://lin.ee/abcDEF1"
PERIOD = "11月1日(日) 0:00 〜 12月31日(木) 23:59"


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    state.settings = state.settings.but(public_base_url=BASE)
    result = apply_survey(runner, tmp_path)
    assert result.exit_code == 0, result.output
    return SURVEY


def stored(app) -> int:
    return count(app, SurveyInvitation)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def url_of(code: str) -> str:
    return f"{BASE}/s/{SURVEY}?code={code}"


# --- the codes --------------------------------------------------------------------------------


def test_100000_codes_in_one_transaction_are_unique(app, survey):
    with transaction(app.extensions["machikoe"].sessions) as s:
        codes = invitations.create(s, survey, invitations.MAX_COUNT)
    assert len(codes) == len(set(codes)) == 100_000
    assert stored(app) == 100_000
    assert all(invitations.normalize(c) == c for c in codes[:1000])
    with transaction(app.extensions["machikoe"].sessions) as s:  # more: new across surveys
        more = invitations.create(s, survey, 10)
    assert not set(more) & set(codes) and stored(app) == 100_010


def test_the_check_character_catches_every_typo_and_swap():
    rng = random.Random(7)
    sample = [invitations.make_code() for _ in range(300)]
    for code in sample:
        raw = code.replace("-", "")
        assert invitations.normalize(raw) == code
        for i in range(len(raw)):
            for ch in invitations.ALPHABET:
                if ch != raw[i]:
                    typo = raw[:i] + ch + raw[i + 1 :]
                    assert invitations.normalize(typo) is None, (code, typo)
        for i in range(len(raw) - 1):
            if raw[i] != raw[i + 1]:
                swapped = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2 :]
                assert invitations.normalize(swapped) is None, (code, swapped)
    typed = rng.choice(sample)
    assert invitations.normalize(f" {typed.lower()} ") == typed


def test_only_hashes_are_stored_even_after_a_code_is_used(app, runner, survey, tmp_path, resident):
    out = tmp_path / "codes.csv"
    result = runner.invoke(
        args=["surveys", "invitations", SURVEY, "--count", "5", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    codes = [row[3] for row in read_csv(out.read_bytes())[1:]]
    r = onboard(resident(1))
    r.say(codes[0])
    r.tap("住みやすい")
    r.tap("7")
    assert "ありがとうございました" in r.texts(r.tap("スキップ"))
    assert count(app, SurveyResponse) == 1
    text = []
    with app.extensions["machikoe"].sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                text.extend(str(v) for v in row)
    blob = "\n".join(text).upper()
    # the used code's hash is in its invitation row only (the conversation forgot it)
    assert blob.lower().count(invitations.code_hash(codes[0])) == 1
    for code in codes:
        assert code not in blob and code.replace("-", "") not in blob, code
    # no text column anywhere could hold a code by another name
    assert all(
        not isinstance(c.type, String | Text) or c.name != "code"
        for t in Base.metadata.sorted_tables
        for c in t.columns
    )


# --- the CSV and the PDF ----------------------------------------------------------------------


def test_the_csv_for_the_mail_merge(app, runner, survey, tmp_path):
    out = tmp_path / "letters.csv"
    result = runner.invoke(
        args=["surveys", "invitations", SURVEY, "--count", "12", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "12 codes" in result.output
    rows = read_csv(out.read_bytes())
    assert rows[0] == ["通し番号", "アンケート", "回答期間", "回答コード", "回答URL"]
    assert [r[0] for r in rows[1:]] == [f"{n:04d}" for n in range(1, 13)]
    assert {r[1] for r in rows[1:]} == {"町民アンケート（テスト）"}
    assert {r[2] for r in rows[1:]} == {PERIOD}
    codes = [r[3] for r in rows[1:]]
    assert len(set(codes)) == 12
    with app.extensions["machikoe"].sessions() as s:
        assert all(invitations.status(s, SURVEY, c) == "ok" for c in codes)
    assert [r[4] for r in rows[1:]] == [url_of(c) for c in codes]
    assert stored(app) == 12
    [entry] = audit_rows(app, "survey.invitations")
    assert entry.detail == {"format": "csv", "count": 12} and entry.target == SURVEY
    assert not list(tmp_path.glob("*.part"))


def test_the_period_is_shown_in_the_towns_time():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Tokyo")
    opens = datetime(2026, 5, 31, 15, 0, tzinfo=UTC)  # 6月1日 0:00 JST
    closes = datetime(2026, 7, 31, 14, 59, 59, tzinfo=UTC)
    assert letters.period(opens, closes, tz) == "6月1日(月) 0:00 〜 7月31日(金) 23:59"
    assert letters.period(opens, datetime(2027, 1, 5, 3, tzinfo=UTC), tz) == (
        "2026年6月1日(月) 0:00 〜 2027年1月5日(火) 12:00"
    )


def _poppler() -> None:
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    reason = "poppler-utils (pdftoppm, pdftotext) is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"the PDF test must run in CI: {reason}")
    pytest.skip(reason)


def _pages(pdf: Path, folder: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def _qr_texts(png: Path) -> set[str]:
    import zxingcpp

    return {b.text for b in zxingcpp.read_barcodes(Image.open(png))}


def _text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True)
    return done.stdout.decode()


def test_the_pdf_has_one_letter_per_code_with_a_readable_qr(
    app, runner, survey, tmp_path, state, artifacts
):
    _poppler()
    state.settings = state.settings.but(line_add_friend_url=ADD_FRIEND)
    out = tmp_path / "letters.pdf"
    result = runner.invoke(
        args=["surveys", "invitations", SURVEY, "--count", "3", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    pages = _pages(out, tmp_path)
    assert len(pages) == 3
    shutil.copy(pages[0], artifacts / "invitation-letter.png")
    text = _text(out)
    assert text.count("\f") == 3  # pdftotext ends every page with a form feed
    assert "町民アンケート（テスト）" in text and PERIOD in text
    assert "LINE で友だち追加" in text and "回答コード" in text
    seen = []
    for page, page_text in zip(pages, text.split("\f"), strict=False):
        found = _qr_texts(page)
        answer = [u for u in found if u.startswith(f"{BASE}/s/")]
        assert len(answer) == 1 and ADD_FRIEND in found, found
        code = answer[0].rsplit("=", 1)[1]
        assert answer[0] == url_of(code) and code in page_text
        seen.append(code)
    with app.extensions["machikoe"].sessions() as s:
        assert all(invitations.status(s, SURVEY, c) == "ok" for c in seen)
    assert len(set(seen)) == 3 and stored(app) == 3


def test_the_pdf_without_an_add_friend_link_says_how_to_find_the_account(
    app, runner, survey, tmp_path
):
    _poppler()
    out = tmp_path / "one.pdf"
    result = runner.invoke(
        args=["surveys", "invitations", SURVEY, "--count", "1", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    [page] = _pages(out, tmp_path)
    found = _qr_texts(page)
    assert len(found) == 1 and next(iter(found)).startswith(f"{BASE}/s/{SURVEY}?code=")
    text = _text(out)
    assert "友だち追加" in text and "LINE で友だち追加" not in text
    assert "「回答コード」" in text.replace("\n", "").replace(" ", "")


# --- the command line refuses and stores nothing ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([SURVEY, "--count", "5", "--output", "{tmp}/codes.txt"], ".csv or .pdf"),
        ([SURVEY, "--count", "5", "--output", "{tmp}/codes"], ".csv or .pdf"),
        (["no-such-survey", "--count", "5", "--output", "{tmp}/c.csv"], "unknown survey"),
        ([SURVEY, "--count", "0", "--output", "{tmp}/c.csv"], "between 1 and 100000"),
        ([SURVEY, "--count", "100001", "--output", "{tmp}/c.pdf"], "between 1 and 100000"),
        ([SURVEY, "--count", "-3", "--output", "{tmp}/c.csv"], "between 1 and 100000"),
        ([SURVEY, "--count", "5", "--output", "{tmp}/missing/c.csv"], "no such folder"),
    ],
)
def test_the_cli_refuses_bad_requests(app, runner, survey, tmp_path, args, message):
    folder = tmp_path / "out"
    folder.mkdir()
    argv = ["surveys", "invitations", *(a.replace("{tmp}", str(folder)) for a in args)]
    result = runner.invoke(args=argv)
    assert result.exit_code != 0
    assert message in result.output and "nothing stored" in result.output
    assert stored(app) == 0 and list(folder.iterdir()) == []
    assert audit_rows(app, "survey.invitations") == []


def test_the_cli_needs_count_and_output(app, runner, survey):
    result = runner.invoke(args=["surveys", "invitations", SURVEY, "--count", "abc"])
    assert result.exit_code != 0 and stored(app) == 0


# --- the console ------------------------------------------------------------------------------


def test_a_viewer_cannot_make_codes_or_see_the_form(app, survey):
    viewer = as_role(app, "viewer")
    page = viewer.get(f"/admin/surveys/{SURVEY}").get_data(as_text=True)
    assert "回答コード（郵送の案内状）" not in page
    response = viewer.post(f"/admin/surveys/{SURVEY}/invitations", {"count": "5", "format": "csv"})
    assert response.status_code == 403
    assert stored(app) == 0 and audit_rows(app, "survey.invitations") == []


def test_an_editor_downloads_codes_and_the_page_counts_them(app, survey, resident):
    editor = as_role(app, "editor")
    page = editor.get(f"/admin/surveys/{SURVEY}").get_data(as_text=True)
    assert "回答コード（郵送の案内状）" in page and 'data-testid="invitations-issued">0<' in page
    response = editor.post(f"/admin/surveys/{SURVEY}/invitations", {"count": "4", "format": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.get_data())
    codes = [r[3] for r in rows[1:]]
    assert len(set(codes)) == 4 and stored(app) == 4
    [entry] = audit_rows(app, "survey.invitations")
    assert entry.actor == "editor@example.jp" and entry.target == SURVEY
    assert entry.detail == {"format": "csv", "count": 4}
    assert not any(c in str(entry.detail) for c in codes)

    r = onboard(resident(1))
    r.say(codes[0])
    r.tap("住みやすい")
    r.tap("7")
    r.tap("スキップ")
    page = editor.get(f"/admin/surveys/{SURVEY}").get_data(as_text=True)
    assert 'data-testid="invitations-issued">4<' in page
    assert 'data-testid="invitations-used">1<' in page

    response = editor.post(f"/admin/surveys/{SURVEY}/invitations", {"count": "2", "format": "pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF") and stored(app) == 6
    assert [e.detail for e in audit_rows(app, "survey.invitations")][-1] == {
        "format": "pdf",
        "count": 2,
    }


@pytest.mark.parametrize(
    "form",
    [
        {"count": "0", "format": "csv"},
        {"count": "abc", "format": "csv"},
        {"count": "1001", "format": "pdf"},
        {"count": "10001", "format": "csv"},
        {"count": "5", "format": "xlsx"},
        {"count": "5"},
    ],
)
def test_the_console_refuses_bad_requests(app, survey, form):
    editor = as_role(app, "editor")
    response = editor.post(f"/admin/surveys/{SURVEY}/invitations", form)
    assert response.status_code == 302
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "枚数は" in page or "形式は" in page
    assert stored(app) == 0 and audit_rows(app, "survey.invitations") == []


def test_the_console_404s_an_unknown_survey_and_needs_csrf(app, survey):
    editor = as_role(app, "editor")
    response = editor.post("/admin/surveys/nope/invitations", {"count": "1", "format": "csv"})
    assert response.status_code == 404
    response = editor.post(
        f"/admin/surveys/{SURVEY}/invitations", {"count": "1", "format": "csv"}, token=False
    )
    assert response.status_code == 400
    assert stored(app) == 0
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyInvitation)) == 0


# --- the console button in a browser ----------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_editor_clicks_the_button_and_gets_the_file(
    app,
    survey,
    live,  # noqa: F811 (the fixture)
    browser,  # noqa: F811
    tmp_path,
    artifacts,
):
    make_staff(app, "kikaku@town.example.jp", "editor")
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "kikaku@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    page.goto(f"{live}/admin/surveys/{SURVEY}")
    section = page.locator("#invitations")
    assert "発行 0件" in section.inner_text()
    section.locator("input[name=count]").fill("3")
    section.locator("input[value=csv]").check()
    with page.expect_download() as info:
        section.locator("button[type=submit]").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".csv"
    codes = [r[3] for r in read_csv(saved.read_bytes())[1:]]
    assert len(set(codes)) == 3 and stored(app) == 3
    page.reload()
    assert "発行 3件" in page.locator("#invitations").inner_text()
    page.locator("#invitations").scroll_into_view_if_needed()
    shot(page, artifacts, "console-survey-invitations")
    assert errors == []


def test_the_cli_warns_when_the_letters_would_point_to_this_machine(
    app, runner, survey, state, tmp_path
):
    state.settings = state.settings.but(public_base_url="http://127.0.0.1:5000")
    out = tmp_path / "c.csv"
    result = runner.invoke(
        args=["surveys", "invitations", SURVEY, "--count", "1", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "set PUBLIC_BASE_URL" in result.output
    assert read_csv(out.read_bytes())[1][4].startswith("http://127.0.0.1:5000/s/test-2026?code=")
    assert out.stat().st_mode & 0o077 == 0  # the codes are readable by the operator only
