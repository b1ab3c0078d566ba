"""ご意見 in the console and `opinions export`: what residents sent, escaped, for Excel."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl

from tests.test_console import as_role, audit_rows
from tests.test_opinion_plan_mydata import newcomer, opinions, plan  # noqa: F401  (fixture)

HOSTILE = '<script>alert(1)</script> =HYPERLINK("x") バス停がほしい'


def _send(resident, state, n: int, words: str, *, comment: bool = False) -> str:
    """A resident sends an opinion (or a public comment) through the chat; their LINE id."""
    r = newcomer(resident, n)
    state.clock.fixed = (
        datetime(2027, 1, 20, 3, 0, tzinfo=UTC) if comment else datetime(2026, 12, 1, tzinfo=UTC)
    )
    r.say("意見")
    if comment:
        r.tap("素案への意見")
        r.tap("第3章 幸せの再デザイン")
    r.say(words)
    r.tap("送信する")
    return r.id


def test_staff_read_and_export_what_residents_sent(plan, resident, state):  # noqa: F811
    uid = _send(resident, state, 70, HOSTILE)
    _send(resident, state, 71, "幸福度の目標を上げてほしい", comment=True)
    op, pc = opinions(plan)
    viewer = as_role(plan, "viewer")  # reading is for every role

    page = viewer.get("/admin/opinions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 件" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert op.receipt_no in html and pc.receipt_no in html
    assert "第3章 幸せの再デザイン" in html
    assert uid not in html
    comments = viewer.get("/admin/opinions?kind=comment").get_data(as_text=True)
    assert pc.receipt_no in comments and op.receipt_no not in comments
    assert viewer.get("/admin/opinions?kind=everything").status_code == 404

    sheet = viewer.get("/admin/opinions/export.csv")
    assert sheet.status_code == 200 and sheet.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["受付番号", "受付日時", "種類", "章・節", "内容"]
    assert [r[0] for r in rows[1:]] == [op.receipt_no, pc.receipt_no]  # oldest first
    assert rows[1][4] == HOSTILE and rows[1][2] == "ご意見" and rows[2][2] == "パブリックコメント"
    assert uid not in sheet.data.decode("utf-8-sig")
    book = viewer.get("/admin/opinions/export.xlsx?kind=opinion")
    ws = openpyxl.load_workbook(io.BytesIO(book.data)).active
    assert ws.cell(row=2, column=1).value == op.receipt_no
    assert ws.max_row == 2
    assert viewer.get("/admin/opinions/export.pdf").status_code == 404
    assert [row.target for row in audit_rows(plan, "opinions.export")] == ["all", "opinion"]


def test_opinions_export_command(plan, resident, state, runner, tmp_path):  # noqa: F811
    _send(resident, state, 72, "=1+1 駅前に駐輪場を")
    out = tmp_path / "opinions.csv"
    result = runner.invoke(args=["opinions", "export", "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 opinions written" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][4] == "'=1+1 駅前に駐輪場を"  # formula neutralised
    assert not (tmp_path / "opinions.csv.part").exists()
    wrong = runner.invoke(args=["opinions", "export", "--format", "pdf", "--output", str(out)])
    assert wrong.exit_code != 0 and "pdf" in wrong.output
