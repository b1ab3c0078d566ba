"""Announcements in their rooms: decisions in handlers/ never start threads, sleep, touch
processes or call LINE; storage in db/ never commits; an error is a code the edges say in
their own words (the console in Japanese, the CLI with its flags)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.cli_broadcast import ERRORS
from handlers.broadcast_errors import BroadcastError
from messages.catalog import CATALOGS
from tests.survey_helpers import NOW, onboard
from tests.test_console import as_role

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = sorted((ROOT / "handlers").glob("broadcast*.py"))
STORAGE = sorted((ROOT / "db").glob("broadcasts*.py"))
# what only bot/ does: threads, processes, sleeping, the machine's name, LINE's API
EDGE_MODULES = {"threading", "subprocess", "signal", "multiprocessing", "socket", "time", "os"}
EDGE_CALLS = {"multicast", "push", "reply", "sleep", "kill", "Thread", "fork", "Popen"}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _called(tree: ast.AST) -> set[str]:
    """The names of the attributes and functions a module calls."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            out.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return out


def test_the_broadcast_handlers_start_no_thread_sleep_process_or_line_call():
    assert len(HANDLERS) >= 6  # the split: drafts, lifecycle, send, reports, errors, the face
    for path in HANDLERS:
        tree = _tree(path)
        assert not _imported(tree) & EDGE_MODULES, (path.name, _imported(tree) & EDGE_MODULES)
        assert "bot" not in _imported(tree), path.name
        assert not _called(tree) & EDGE_CALLS, (path.name, _called(tree) & EDGE_CALLS)


def test_broadcast_storage_neither_commits_nor_speaks():
    for path in STORAGE:
        tree = _tree(path)
        assert not _imported(tree) & {"bot", "handlers", "messages"}, path.name
        assert not _called(tree) & {"commit", "rollback", "begin"}, path.name


def test_the_dispatcher_is_where_sending_happens():
    tree = _tree(ROOT / "bot" / "dispatcher.py")
    assert {"threading", "time", "os"} <= _imported(tree)
    assert {"multicast", "sleep", "kill", "Thread"} <= _called(tree)


def _codes() -> set[str]:
    """Every error code raised in the announcement area (BroadcastError, AnnouncementError)."""
    codes = set()
    for path in [*HANDLERS, ROOT / "messages" / "broadcast.py", ROOT / "bot" / "dispatcher.py"]:
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in {"BroadcastError", "AnnouncementError"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                codes.add(node.args[0].value)
    return codes


def test_every_error_code_has_staff_words_in_both_languages_and_cli_words():
    codes = _codes()
    assert {"duplicate", "not_https", "no_broadcast", "text_empty"} <= codes
    for code in codes:
        for lang in ("ja", "en"):
            assert f"broadcast_error.{code}" in CATALOGS[lang], (lang, code)
        assert code in ERRORS, code


def test_an_error_is_a_code_with_values_said_per_language():
    exc = BroadcastError("unknown_topic", topic="野球", valid=("子育て", "防災"))
    assert exc.code == "unknown_topic" and exc.params["topic"] == "野球"
    assert exc.words("ja") == "分野「野球」は町の設定にありません。使える分野: 子育て、防災"
    assert str(exc) == "Topic '野球' is not known; valid topics: 子育て, 防災"
    gone = BroadcastError("cannot_cancel", id=7, status="done")
    assert gone.words("ja") == "お知らせ #7 は「配信済み」のため、取り消せません。"


def test_the_console_says_a_refusal_in_japanese_and_never_names_a_cli_flag(
    app, state, resident, fake_line
):
    state.clock.fixed = NOW
    onboard(resident(1))
    editor = as_role(app, "editor")
    form = {"text": "防災訓練のお知らせ", "when": "later", "send_at": "2026-11-30T09:00"}
    bad_link = {**form, "link_url": "http://example.jp/drill", "link_label": "詳しく"}
    page = editor.post("/admin/announcements/check", bad_link)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "リンクの URLは https:// で始まる URL にしてください" in html
    assert "--link" not in html and "must be" not in html

    assert editor.post("/admin/announcements", form).status_code == 302
    again = editor.post("/admin/announcements", form)
    html = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "二重に送らないよう止めました" in html and "（予約済み、" in html
    assert "もう一度送る" in html and "--again" not in html
    assert editor.post("/admin/announcements", {**form, "again": "1"}).status_code == 302
    assert fake_line.count("multicast") == 0


def test_the_cli_says_a_refusal_with_its_flags(app, runner, fake_line):
    def send(*args: str):
        return runner.invoke(args=["broadcast", "send", "--actor", "t@town", *args])

    result = send("--text", "x", "--link", "http://example.jp", "--link-label", "見る")
    assert result.exit_code == 2
    assert "--link must be an https:// URL (got 'http://example.jp')" in result.output
    result = send("--text", "x", "--image", "ftp://example.jp/a.png", "--dry-run")
    assert result.exit_code == 2 and "--image must be an https:// URL" in result.output
    result = send("--text", "x", "--action", "survey:nope")
    assert result.exit_code == 2 and "--action: there is no survey 'nope'" in result.output
    result = runner.invoke(args=["broadcast", "cancel", "4242"])
    assert result.exit_code == 2 and "no broadcast 4242" in result.output
    assert "リンク" not in result.output and fake_line.count("multicast") == 0
