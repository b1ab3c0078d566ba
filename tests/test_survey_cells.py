"""The small-cell rule's type: a hidden `Cell` never gives its count back, and every results,
export and publishing path of an anonymous survey shows small counts only as hidden Cells."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from db import anonymous_pool
from db import surveys as store
from handlers import privacy, publishing, survey_report
from handlers import survey_results as api
from handlers.survey_cells import (
    ALSO_HIDDEN,
    HIDDEN,
    SUPPRESS_BELOW,
    Cell,
    cell,
    export,
    is_hidden,
    number,
    share,
    to_json,
)
from handlers.survey_export import export as export_survey
from handlers.survey_export import summary_rows
from tests.test_survey_channels import mixed  # noqa: F401 (the fixture)

COUNT_KEYS = ("count", "total", "answered")


def test_a_hidden_cell_holds_no_count_and_shows_only_its_mark():
    with pytest.raises(ValueError):
        Cell(3, True)  # a hidden cell cannot be made with its number inside
    with pytest.raises(ValueError):
        Cell(None, False)
    hidden = cell(3, hide=True)
    assert hidden is HIDDEN and hidden.count is None
    assert str(hidden) == "<5" and f"{hidden:,}" == "<5" and f"{hidden:>5}" == "   <5"
    assert hidden.export() == "<5" and export(hidden) == "<5" and export(hidden, "") == ""
    assert json.dumps({"n": hidden}, default=to_json) == '{"n": "<5"}'
    assert number(hidden) is None and share(hidden, 10) is None and share(3, HIDDEN) is None
    assert str(ALSO_HIDDEN) == "※" and is_hidden(ALSO_HIDDEN) and ALSO_HIDDEN != HIDDEN
    assert "3" not in repr(cell(3, hide=True))


def test_a_shown_count_stays_a_number():
    assert cell(3, hide=False) == 3 and cell(7, hide=True) == 7
    assert Cell.of(7) == Cell(7) and str(Cell(1234)) == "1234" and f"{Cell(1234):,}" == "1,234"
    assert Cell(7).export() == 7 and export(7) == 7 and number(Cell(7)) == 7
    assert share(1, 4) == 25.0 and share(1, 0) is None and not is_hidden(0)
    assert json.dumps([Cell(7)], default=to_json) == "[7]"
    with pytest.raises(TypeError):
        to_json(object())


def test_the_threshold_is_the_pools_group_size():
    assert SUPPRESS_BELOW == anonymous_pool.K == privacy.SUPPRESS_BELOW


def _counts(tree, path=()):
    """(path, value) of every count a view of the results may show."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in COUNT_KEYS and not isinstance(value, dict | list):
                yield (*path, key), value
            else:
                yield from _counts(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _counts(value, (*path, i))


def _small_shown(tree) -> list:
    return [
        (p, v) for p, v in _counts(tree) if not is_hidden(v) and not (isinstance(v, int) and v >= 5)
    ]


def test_every_anonymous_crosstab_and_channel_view_hides_small_counts_as_cells(app, mixed):  # noqa: F811
    with app.extensions["machikoe"].sessions() as s:
        res = api.survey_results(s, mixed, by=("age_band", "district", "residency", "channel"))
        views = [res["crosstabs"]]
        views += [api.survey_results(s, mixed, channel=ch) for ch in ("line", "web", "paper")]
        views.append(survey_report.crosstab(s, store.get_survey(s, mixed), "age_band"))
        public = publishing.public_results(s, mixed, {"crosstabs": ["age_band", "channel"]})
    hidden = [v for view in views for _p, v in _counts(view) if is_hidden(v)]
    assert hidden and all(v is HIDDEN for v in hidden)
    for view in views:
        assert _small_shown(view) == [], view
    assert all(not isinstance(v, str) for _p, v in _counts(views))  # no "<5" strings left
    assert any(is_hidden(v) for v in res["channels_shown"].values())  # 4 web answers pooled
    # the public pages' rule starts from the same Cells (and hides more, never less)
    assert _small_shown(public["crosstabs"]) == []
    as_json = json.dumps([views[0], *(v["questions"] for v in views[1:4])], default=to_json)
    assert '"<5"' in as_json  # a hidden count goes to JSON as its mark, never its number


def test_exports_write_numbers_or_nothing_never_a_hidden_count(app, mixed):  # noqa: F811
    with app.extensions["machikoe"].sessions() as s:
        rows = list(summary_rows(s, mixed, channel="paper"))
        out = io.BytesIO()
        export_survey(s, mixed, "xlsx", out, with_rows=False)
    flat = [c for r in rows for c in r]
    assert not any(isinstance(c, Cell) for c in flat)  # Cells never reach a spreadsheet cell
    assert "5人未満" in flat  # the note says why a number cell is empty
    for row in rows:  # a hidden count is an empty number cell next to its note
        if row and row[-1] == "5人未満":
            assert None in row[1:-1]
    sheet = load_workbook(io.BytesIO(out.getvalue()))["集計"]
    values = [c.value for r in sheet.iter_rows() for c in r if c.value is not None]
    assert "<5" not in values and not any(isinstance(v, Cell) for v in values)


def test_the_coverage_table_and_digest_counts_use_cells():
    shown = privacy.hide_small({"a": 6, "b": 5, "c": 2})
    assert shown == {"a": 6, "b": ALSO_HIDDEN, "c": HIDDEN}
    assert [str(v) for v in shown.values()] == ["6", "※", "<5"]
    assert privacy.shown(3, True) is HIDDEN and privacy.shown(3, False) == 3
