"""Every export opened with openpyxl and read cell by cell: Japanese headers, labels, real
dates (JST, no zone), numbers as numbers, 0/1 columns per choice, internal ids apart, the door
list's print setup; CSV with a BOM. Downloads go through the console (HTTP) and the CLI."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from db import anonymous_pool
from db import surveys as store
from db.models import Resident
from db.session import transaction
from tests.survey_helpers import NOW, apply_survey, held
from tests.test_console import as_role, audit_rows
from tests.test_console_opinions import _send
from tests.test_events import event_doc, pb, setup_events, signup_row
from tests.test_opinion_plan_mydata import opinions, plan  # noqa: F401  (fixture)


def wall(*parts: int) -> datetime:
    """A JST wall-clock time without a zone, as an Excel cell holds it."""
    return datetime(*parts, tzinfo=ZoneInfo("Asia/Tokyo")).replace(tzinfo=None)


TOWN_DAY = wall(2026, 11, 28)  # NOW in JST, as Excel holds a date
LINE = {"livability": ["住みにくい"], "reasons": ["jobs", "traffic"], "happiness": [3],
        "wishes": ["=1+1 仕事"]}  # fmt: skip
WEB = {"livability": ["住みやすい"], "happiness": [9]}
PAPER = {"livability": ["どちらかといえば住みやすい"], "happiness": [7]}
HEADER = [
    "回答番号", "回答日", "回答方法", "年代", "地区", "かかわり",
    "Q1 まちは住みやすいと思いますか", "Q2 住みにくいと感じる理由は（2つまで）",
    "Q3 いま、どのくらい幸せですか", "Q4 まちに望むことを自由にお書きください",
    "Q2「買い物が不便」", "Q2「仕事が少ない」", "Q2「交通が不便」",
]  # fmt: skip


def fill(state, anonymous: bool = True) -> list[int]:
    """6 LINE answers (20代 大谷), 5 web (30代 磐梯), 2 paper (60代 更科); resident ids.

    Anonymous answers go through the holding pool, flushed as at the survey's close: 5 LINE
    and the 5 web answers are written as groups; the 6th LINE answer and the 2 paper answers
    stay sealed (保留中: fewer than 5 of their channel left), so exports never show them.
    """
    ids = []
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i in range(6):
            r = Resident(line_user_id=f"U{i:032x}", age_band="20代", district="大谷")
            s.add(r)
            s.flush()
            ids.append(r.id)
            profile = {"age_band": "20代", "district": "大谷", "residency": "resident"}
            assert store.submit(s, survey, r.id, LINE, profile, NOW, tz="Asia/Tokyo") is not None
        for channel, n, answers, profile in (
            ("web", 5, WEB, {"age_band": "30代", "district": "磐梯", "residency": "resident"}),
            ("paper", 2, PAPER, {"age_band": "60代", "district": "更科", "residency": "resident"}),
        ):
            for _ in range(n):
                store.write_response(
                    s, survey, answers, profile, NOW, channel=channel, tz="Asia/Tokyo"
                )
        if anonymous:
            anonymous_pool.flush_survey(s, survey, store.town_day(NOW, "Asia/Tokyo"))
    return ids


def survey(runner, tmp_path, state, anonymous: bool = True) -> list[int]:
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=anonymous).exit_code == 0
    return fill(state, anonymous)


def rows_of(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def block(summary: list[tuple], first: str) -> int:
    """The index of the first row whose first cell is `first`."""
    return next(i for i, r in enumerate(summary) if r and r[0] == first)


# --- survey exports -------------------------------------------------------------------------


def test_survey_workbook_cell_by_cell(app, runner, tmp_path, state):
    survey(runner, tmp_path, state)
    editor = as_role(app, "editor")
    got = editor.get("/admin/surveys/test-2026/export.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.data))
    assert book.sheetnames == ["回答", "集計"]  # anonymous: no internal ids at all
    ws = book["回答"]
    assert [c.value for c in ws[1]] == HEADER
    by_channel: dict[str, list] = {}
    for row in ws.iter_rows(min_row=2):  # anonymous: rows in no particular order
        by_channel.setdefault(row[2].value, []).append(row)
    # the 6th LINE and the 2 paper answers are held (fewer than 5 of their channel left)
    assert {k: len(v) for k, v in by_channel.items()} == {"LINE": 5, "Web": 5}
    assert len(held(app, "test-2026")) == 3
    assert sorted(row[0].value for rows in by_channel.values() for row in rows) == list(
        range(1, 11)
    )
    line = by_channel["LINE"][0]
    assert [c.value for c in line][1:] == [
        TOWN_DAY, "LINE", "20代", "大谷", "町内在住",
        "住みにくい", "仕事が少ない、交通が不便", 3, "'=1+1 仕事", 0, 1, 1,
    ]  # fmt: skip
    assert line[0].data_type == "n" and line[8].data_type == "n" and line[11].data_type == "n"
    assert line[1].is_date and line[1].number_format == "yyyy/mm/dd"
    web = [c.value for c in by_channel["Web"][0]]
    assert web[2:7] == ["Web", "30代", "磐梯", "町内在住", "住みやすい"]
    assert web[8] == 9 and web[10:] == [None, None, None]  # Q2 not asked: no 0/1 either
    assert ws.max_row == 11

    summary = rows_of(book["集計"])
    assert summary[0][:2] == ("アンケート", "町民アンケート（テスト）")
    assert summary[2][:2] == ("回答数", 10)
    period = summary[3]
    assert period[0] == "受付期間" and period[1] == wall(2026, 11, 1, 0, 0)  # JST
    assert book["集計"]["B4"].is_date and book["集計"]["B4"].number_format == "yyyy/mm/dd hh:mm"
    at = block(summary, "回答方法")
    assert summary[at][:4] == ("回答方法", "件数", "割合(%)", "備考")
    assert [r[:4] for r in summary[at + 1 : at + 4]] == [
        ("LINE", 5, 50, None),
        ("Web", 5, 50, None),  # 紙 0 written: nothing to work back by subtraction
        ("紙", None, None, "5人未満"),
    ]
    at = block(summary, "質問")
    end = next(i for i in range(at, len(summary)) if not any(summary[i]))
    q1 = [r for r in summary[at + 1 : end] if r[0] == "Q1 まちは住みやすいと思いますか"]
    assert [(r[1], r[2]) for r in q1] == [
        ("住みやすい", 5),
        ("どちらかといえば住みやすい", 0),  # the 2 paper answers are held
        ("どちらかといえば住みにくい", 0),
        ("住みにくい", 5),
    ]
    q2 = [r[1] for r in summary[at + 1 : end] if r[0].startswith("Q2 ")]
    assert q2 == ["買い物が不便", "仕事が少ない", "交通が不便"]  # labels, not codes
    cells = {c for r in summary for c in r}
    assert not cells & {"shops", "jobs", "traffic", "<5"}

    at = block(summary, "クロス集計（年代別）")
    assert summary[at + 1][0] == "Q1 まちは住みやすいと思いますか"
    assert summary[at + 2][:4] == ("年代", "計", "住みやすい（人）", "住みやすい（%）")
    twenties = next(r for r in summary[at + 3 :] if r[0] == "20代")
    assert twenties[1] == 5 and twenties[8] == 5 and twenties[9] == 100.0  # 住みにくい
    assert twenties[2] is None and "5人未満の欄は空欄" in twenties  # 0 people: hidden
    # the held paper answers are in no group: no row for them, not even a hidden one
    assert not any(r[0] == "未回答" for r in summary[at + 3 :] if r)
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("=")


def test_survey_csv_has_a_bom_labels_and_the_0_1_columns(app, runner, tmp_path, state):
    survey(runner, tmp_path, state)
    admin = as_role(app, "admin")
    got = admin.get("/admin/surveys/test-2026/export.csv")
    assert got.status_code == 200 and got.data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in got.data
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    line = next(r for r in rows if r[2] == "LINE")
    assert line[1:] == [
        "2026-11-28", "LINE", "20代", "大谷", "町内在住", "住みにくい",
        "仕事が少ない、交通が不便", "3", "'=1+1 仕事", "0", "1", "1",
    ]  # fmt: skip
    assert len(rows) == 11  # header + 10 written (3 held in the pool: not exported)


def test_named_survey_keeps_resident_ids_apart(app, runner, tmp_path, state):
    ids = survey(runner, tmp_path, state, anonymous=False)
    viewer = as_role(app, "viewer")  # named surveys: as before, every role
    got = viewer.get("/admin/surveys/test-2026/export.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.data))
    assert book.sheetnames == ["回答", "集計", "内部ID"]
    assert "住民ID" not in [c.value for c in book["回答"][1]]
    internal = rows_of(book["内部ID"])
    assert internal[0] == ("回答番号", "住民ID")
    assert sorted(r[1] for r in internal[1:] if r[1] is not None) == sorted(ids)
    assert all(isinstance(r[0], int) for r in internal[1:])
    # named: nothing coarsened, nothing hidden
    paper = [r for r in rows_of(book["回答"]) if r[2] == "紙"]
    assert [r[2:6] for r in paper] == [("紙", "60代", "更科", "町内在住")] * 2
    summary = rows_of(book["集計"])
    at = block(summary, "回答方法")
    assert [r[1] for r in summary[at + 1 : at + 4]] == [6, 5, 2]

    sheet = viewer.get("/admin/surveys/test-2026/export.csv")
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["", "住民ID"]  # the internal-id group, after an empty column
    assert {int(r[-1]) for r in rows[1:] if r[-1]} == set(ids)


def test_cli_exports_typed_cells_and_the_aggregate_workbook(app, runner, tmp_path, state):
    survey(runner, tmp_path, state)
    out = tmp_path / "all.xlsx"
    args = ["surveys", "export", "test-2026", "--format", "xlsx", "--output", str(out)]
    assert runner.invoke(args=args).exit_code == 0
    ws = load_workbook(out)["回答"]
    assert ws["B2"].value == TOWN_DAY and ws["B2"].is_date
    [entry] = audit_rows(app, "survey.export")
    assert entry.actor == "cli" and entry.detail["coarsened"] is True

    summary = tmp_path / "summary.xlsx"
    args = ["surveys", "export", "test-2026", "--format", "xlsx", "--summary"]
    result = runner.invoke(args=[*args, "--output", str(summary)])
    assert result.exit_code == 0, result.output
    assert load_workbook(summary).sheetnames == ["集計"]
    bad = runner.invoke(args=[*args[:3], "--format", "csv", "--summary", "--output", str(out)])
    assert bad.exit_code == 1 and "xlsx only" in bad.output


# --- events ---------------------------------------------------------------------------------


def signed_up(app, runner, state, tmp_path, resident) -> dict[str, str]:
    """Two on site, one online, one waiting and one cancelled; user id → 受付番号."""
    doc = event_doc("ws-1", capacity={"onsite": 2, "online": 5})
    setup_events(app, runner, state, tmp_path, doc)
    people = [resident(n) for n in range(80, 85)]
    for r, action, value in zip(
        people,
        ("ev_mode", "ev_mode", "ev_mode", "ev_wait", "ev_mode"),
        ("ws-1:onsite", "ws-1:onsite", "ws-1:online", "ws-1:onsite", "ws-1:online"),
        strict=True,
    ):
        r.postback(pb(action, value))
    people[4].postback(pb("ev_cancel_yes", "ws-1"))
    return {r.id: signup_row(app, r.id, "ws-1").attendance_code for r in people}


def test_attendee_list_has_labels_jst_times_and_ids_apart(app, runner, state, tmp_path, resident):
    codes = signed_up(app, runner, state, tmp_path, resident)
    viewer = as_role(app, "viewer")
    got = viewer.get("/admin/events/ws-1/attendees.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.data))
    assert book.sheetnames == ["申込者", "内部ID"]
    ws = book["申込者"]
    assert [c.value for c in ws[1]] == [
        "受付番号", "参加方法", "状態", "キャンセル待ち順", "出席", "出席確認日時", "申込日時",
        "取消日時",
    ]  # fmt: skip
    values = rows_of(ws)[1:]
    assert sorted((r[1], r[2], r[3] or 0) for r in values) == [
        ("オンライン", "参加確定", 0),
        ("オンライン", "取消", 0),
        ("会場", "キャンセル待ち", 1),
        ("会場", "参加確定", 0),
        ("会場", "参加確定", 0),
    ]
    waiting = next(i for i, r in enumerate(values, 2) if r[2] == "キャンセル待ち")
    assert ws.cell(row=waiting, column=4).data_type == "n"
    signed = ws["G2"]
    assert signed.is_date and signed.value == wall(2026, 11, 28, 12, 0)  # JST, no zone
    assert signed.number_format == "yyyy/mm/dd hh:mm"
    cancelled = next(i for i, r in enumerate(values, 2) if r[2] == "取消")
    assert ws.cell(row=cancelled, column=8).is_date
    assert ws.cell(row=cancelled, column=8).value == wall(2026, 11, 28, 12, 0)
    assert {r[0] for r in values} == set(codes.values())
    flat = {c for r in rows_of(ws) for c in r}
    assert not flat & set(codes)  # no LINE user ids on the first sheet
    internal = rows_of(book["内部ID"])
    assert internal[0] == ("受付番号", "申込番号", "LINEユーザーID")
    assert {r[2] for r in internal[1:]} == set(codes)

    sheet = viewer.get("/admin/events/ws-1/attendees.csv")
    assert sheet.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["", "申込番号", "LINEユーザーID"]
    assert rows[1][6] == "2026/11/28 12:00"


def check_door_sheet(book, codes: dict[str, str]) -> None:
    ws = book["受付名簿"]
    assert ws["A1"].value == "テスト会 ws-1　受付名簿"
    assert ws["A2"].value == "12月12日(土) 18:30〜20:30"  # JST
    assert "名前" in ws["A3"].value and "同意" in ws["A3"].value
    assert [c.value for c in ws[4]] == ["受付番号", "名前", "参加方法", "出席"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert len(rows) == 3  # confirmed only: not the waiting, not the cancelled
    confirmed = list(codes.values())[:3]  # the first three signed up and were confirmed
    assert [r[0] for r in rows] == sorted(confirmed, key=int)  # by 受付番号
    assert all(r[1] is None and r[3] is None for r in rows)  # 名前 (no consent yet), 出席
    modes = dict(zip(confirmed, ["会場", "会場", "オンライン"], strict=True))
    assert [r[2] for r in rows] == [modes[r[0]] for r in rows]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == "$4:$4"
    assert ws.print_options.gridLines is True


def test_door_sheet_from_console_and_cli(app, runner, state, tmp_path, resident):
    codes = signed_up(app, runner, state, tmp_path, resident)
    viewer = as_role(app, "viewer")
    page = viewer.get("/admin/events/ws-1").get_data(as_text=True)
    assert 'data-testid="door-sheet"' in page
    got = viewer.get("/admin/events/ws-1/door.xlsx")
    assert got.status_code == 200 and "ws-1-door.xlsx" in got.headers["Content-Disposition"]
    check_door_sheet(load_workbook(io.BytesIO(got.data)), codes)
    assert [r.target for r in audit_rows(app, "events.door_sheet")] == ["ws-1"]
    assert viewer.get("/admin/events/nope/door.xlsx").status_code == 404

    out = tmp_path / "door.xlsx"
    result = runner.invoke(args=["events", "door-sheet", "ws-1", "--output", str(out)])
    assert result.exit_code == 0 and "3 people" in result.output
    check_door_sheet(load_workbook(out), codes)
    bad = runner.invoke(args=["events", "door-sheet", "nope", "--output", str(out)])
    assert bad.exit_code == 1 and "no event" in bad.output


# --- opinions -------------------------------------------------------------------------------


def test_opinions_workbook_in_japanese_with_dates(plan, resident, state):  # noqa: F811
    _send(resident, state, 90, "駅前に駐輪場を")
    _send(resident, state, 91, "幸福度の目標を上げてほしい", comment=True)
    comment = opinions(plan)[1]
    editor = as_role(plan, "editor")
    form = {"status": "in_progress", "category": "その他"}
    saved = editor.post(f"/admin/opinions/{comment.id}", form)
    assert saved.status_code == 302
    viewer = as_role(plan, "viewer")
    got = viewer.get("/admin/opinions/export.xlsx")
    book = load_workbook(io.BytesIO(got.data))
    assert book.sheetnames == ["ご意見", "内部ID"]
    ws = book["ご意見"]
    assert [c.value for c in ws[1]] == [
        "受付番号", "受付日時", "種類", "章・節", "内容", "対応状況", "分類", "職員メモ",
    ]  # fmt: skip
    assert ws["B2"].is_date and ws["B2"].value == wall(2026, 12, 1, 9, 0)  # JST
    assert [ws["C2"].value, ws["E2"].value] == ["ご意見", "駅前に駐輪場を"]
    assert [ws["F2"].value, ws["G2"].value] == ["未対応", None]
    assert ws["C3"].value == "パブリックコメント" and ws["D3"].value == "第3章 幸せの再デザイン"
    assert [ws["F3"].value, ws["G3"].value] == ["対応中", "その他"]  # status label, category
    internal = rows_of(book["内部ID"])
    assert internal[0] == ("受付番号", "意見募集ID") and internal[1][1] is None
    assert internal[2][1]  # the consultation a comment belongs to
