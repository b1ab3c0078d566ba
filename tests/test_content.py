"""`flask content apply`: validation with file, line and field; all or nothing; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import ContentItem
from handlers.town import load_town

GOOD_TOWN = """kind: town
name: 試験町
districts: [東, 西]
topics: [子育て]
privacy_url: https://example.jp/p
contact: 企画課
"""


def town(app):
    with app.extensions["machikoe"].sessions() as s:
        return load_town(s)


def test_apply_twice_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "town.yml"
    path.write_text(GOOD_TOWN, encoding="utf-8")
    first = runner.invoke(args=["content", "apply", str(path)])
    assert first.exit_code == 0 and "1 updated" in first.output
    second = runner.invoke(args=["content", "apply", str(path)])
    assert second.exit_code == 0 and "1 unchanged" in second.output
    assert town(app).districts == ("東", "西")


def test_a_changed_town_reaches_residents_at_once(app, runner, tmp_path, resident):
    """The parsed town is cached per process by its digest: a new version is read at once."""
    path = tmp_path / "town.yml"
    path.write_text(GOOD_TOWN, encoding="utf-8")
    assert runner.invoke(args=["content", "apply", str(path)]).exit_code == 0
    assert town(app).districts == ("東", "西")
    path.write_text(GOOD_TOWN.replace("[東, 西]", "[北, 南, 中央]"), encoding="utf-8")
    assert runner.invoke(args=["content", "apply", str(path)]).exit_code == 0
    assert town(app).districts == ("北", "南", "中央")
    r = resident(60)
    r.follow()
    r.tap("同意する")
    labels = set(r.buttons(r.tap("スキップ")))  # skip the age band: the districts come
    assert {"北", "南", "中央"} <= labels and "東" not in labels


def test_errors_name_file_line_and_field(app, runner, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("kind: town\nname: 町\ndistricts: [東, 東]\ncolour: blue\n", encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(path)])
    assert result.exit_code != 0
    assert f"{path}:1: (document): unknown field ('colour' was unexpected)" in result.output
    path.write_text("kind: town\nname: 町\ndistricts: [東, 東]\n", encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(path)])
    assert f"{path}:3: districts.1: district '東' appears twice" in result.output


def test_all_or_nothing(app, runner, tmp_path):
    (tmp_path / "a_town.yml").write_text(GOOD_TOWN, encoding="utf-8")
    (tmp_path / "b_bad.yml").write_text("kind: nonsense\n", encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(tmp_path)])
    assert result.exit_code != 0 and "unknown kind 'nonsense'" in result.output
    assert town(app).name == "みらい野町"  # the good file was not applied either


def test_bad_yaml_and_missing_paths(app, runner, tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("kind: town\nname: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(path)])
    assert (
        result.exit_code != 0 and f"{path}:" in result.output and "not valid YAML" in result.output
    )
    result = runner.invoke(args=["content", "apply", str(tmp_path / "missing.yml")])
    assert result.exit_code != 0 and "no such file" in result.output
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(ContentItem)) == 1


def test_the_same_item_in_two_files_is_refused_naming_both(app, runner, tmp_path):
    """Found by the type checker: this refusal used to crash with a TypeError instead."""
    (tmp_path / "a_town.yml").write_text(GOOD_TOWN, encoding="utf-8")
    (tmp_path / "b_town.yml").write_text(GOOD_TOWN.replace("試験町", "別町"), encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(tmp_path)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"also defined in {tmp_path / 'a_town.yml'}" in result.output
    assert town(app).name == "みらい野町"  # nothing applied
