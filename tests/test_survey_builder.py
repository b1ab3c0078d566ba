"""The survey builder over HTTP: staff make, change and copy surveys in a form, on both databases.

Every save goes through the content pipeline, so the tests read back the stored survey and
its content document; refusals are checked in the plain Japanese staff see.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from db.models import ContentItem
from db.surveys import Survey
from tests.survey_helpers import NOW, apply_survey, onboard
from tests.test_console import as_role, audit_rows
from tests.test_console_surveys import GOOD, XSS, answer


@pytest.fixture
def editor(app, state):
    state.clock.fixed = NOW
    return as_role(app, "editor")


def form(**top) -> dict:
    """A builder form: survey fields, then questions as q0.…, q1.… (a list of dicts)."""
    questions = top.pop("questions", [])
    data = {
        "title": "町民アンケート 2027",
        "title_en": "",
        "description": "",
        "description_en": "",
        "opens_at": "2026-11-01T00:00",
        "closes_at": "2026-12-31T23:59",
        "anonymous": "yes",
        "min_age": "",
        "count": str(len(questions)),
        "op": "save",
        **top,
    }
    for i, q in enumerate(questions):
        for key, value in q.items():
            data[f"q{i}.{key}"] = value
    return data


EVERY_TYPE = [
    {
        "type": "single",
        "text": "まちは住みやすいと思いますか",
        "choices": "住みやすい\nどちらかといえば住みにくい\n住みにくい",
        "choices_en": "Good\nNot so good\nBad",
        "required": "1",
    },
    {
        "type": "multi",
        "text": "住みにくい理由は（2つまで）",
        "choices": "買い物が不便\n交通が不便\n仕事が少ない",
        "max_choices": "2",
        "required": "1",
        "show_if": ["q1=どちらかといえば住みにくい", "q1=住みにくい"],
    },
    {
        "type": "scale",
        "text": "いま、どのくらい幸せですか",
        "min": "0",
        "max": "10",
        "min_label": "とても不幸",
        "max_label": "とても幸せ",
        "required": "1",
    },
    {"type": "text", "text": "まちに望むこと", "max_length": "300"},
]


def post(console, data: dict):
    items = []
    for key, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((key, v))
    from werkzeug.datastructures import MultiDict

    body = MultiDict(items)
    body["csrf_token"] = console.token
    return console.client.post("/admin/surveys/build", data=body)


def stored(app, survey_id: str) -> tuple[Survey | None, dict | None]:
    with app.extensions["machikoe"].sessions() as s:
        survey = s.get(Survey, survey_id)
        item = s.scalar(
            select(ContentItem).where(ContentItem.kind == "survey", ContentItem.key == survey_id)
        )
        if survey is not None:
            s.expunge(survey)
        return survey, (dict(item.data) if item else None)


def text_of(response) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", text)


def test_a_viewer_cannot_reach_the_builder(app, state):
    state.clock.fixed = NOW
    viewer = as_role(app, "viewer")
    assert viewer.get("/admin/surveys/new").status_code == 403
    assert post(viewer, form(id="v-2027", questions=EVERY_TYPE)).status_code == 403
    assert stored(app, "v-2027") == (None, None)
    page = viewer.get("/admin/surveys").get_data(as_text=True)
    assert "新しいアンケートを作る" not in page


def test_an_editor_builds_every_question_type_with_a_condition(app, editor):
    page = editor.get("/admin/surveys/new")
    assert page.status_code == 200 and "アンケートを作る" in page.get_data(as_text=True)
    saved = post(
        editor, form(id="town-2027", min_age="16", residency=["resident"], questions=EVERY_TYPE)
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/surveys/town-2027"
    )
    survey, data = stored(app, "town-2027")
    assert survey is not None and survey.version == 1 and survey.anonymous
    ids = [q["id"] for q in survey.questions]
    assert ids == ["q1", "q2", "q3", "q4"]  # from the position
    assert [q["type"] for q in survey.questions] == ["single", "multi", "scale", "text"]
    assert survey.questions[0]["choices"][0] == {
        "value": "住みやすい",
        "label": {"ja": "住みやすい", "en": "Good"},
    }
    assert survey.questions[1]["show_if"] == {"q1": ["どちらかといえば住みにくい", "住みにくい"]}
    assert survey.questions[1]["max_choices"] == 2
    assert survey.questions[2]["labels"] == {"0": {"ja": "とても不幸"}, "10": {"ja": "とても幸せ"}}
    assert survey.questions[3]["required"] is False and survey.questions[3]["max_length"] == 300
    assert survey.definition["eligibility"] == {"min_age": 16, "residency": ["resident"]}
    assert data["opens_at"] == "2026-11-01T00:00:00+09:00"  # the form's time is JST
    [entry] = audit_rows(app, "content.survey")
    assert entry.actor == "editor@example.jp" and entry.target == "town-2027"

    # the stored survey comes back as the same form, and saving it unchanged changes nothing
    again = editor.get("/admin/surveys/town-2027/edit").get_data(as_text=True)
    assert 'value="q1=住みにくい" checked' in again
    resaved = post(
        editor,
        form(
            editing="town-2027",
            questions=[
                {
                    **q,
                    "id": f"q{i + 1}",
                    "values": q.get("choices", ""),
                    "old_labels": q.get("choices", ""),
                }
                for i, q in enumerate(EVERY_TYPE)
            ],
            min_age="16",
            residency=["resident"],
        ),
    )
    assert resaved.status_code == 302
    assert stored(app, "town-2027")[0].version == 1


def test_buttons_add_move_and_remove_questions_without_saving(app, editor):
    two = form(
        id="moves",
        questions=[
            {
                "id": "first",
                "type": "single",
                "text": "一つ目",
                "choices": "はい\nいいえ",
                "required": "1",
            },
            {
                "id": "second",
                "type": "single",
                "text": "二つ目",
                "choices": "A\nB",
                "required": "1",
                "show_if": ["first=はい"],
            },
        ],
    )
    added = post(editor, {**two, "op": "add:scale"})
    assert added.status_code == 200
    body = added.get_data(as_text=True)
    assert 'name="q2.type"' in body and "3問目" in body and 'name="q2.min" value="0"' in body
    moved = post(editor, {**two, "op": "down:0"})
    body = text_of(moved)
    assert body.index("二つ目") < body.index("一つ目")
    # the condition now names a later question: it is shown for removal, never dropped silently
    assert "first=はい" in body and "外してください" in body
    removed = post(editor, {**two, "op": "remove:0"})
    body = removed.get_data(as_text=True)
    assert "一つ目" not in body and 'value="first=はい"' not in body  # its condition went too
    assert stored(app, "moves") == (None, None)  # nothing is saved until 保存する


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"q0.type": "slider"},
            "1問目「まちは住みやすいと思いますか」: 種類「slider」は使えません。"
            "単一選択・複数選択・段階評価・自由記述から選んでください。",
        ),
        (
            {"q1.show_if": ["q1=とても住みにくい"]},
            "2問目「住みにくい理由は（2つまで）」: 表示条件: 「まちは住みやすいと思いますか」に"
            "「とても住みにくい」という選択肢はありません。",
        ),
        (
            {"q2.min": "5", "q2.max": "5"},
            "3問目「いま、どのくらい幸せですか」: 最大は最小より大きくしてください。",
        ),
        ({"q2.max": "20"}, "段階評価は11段階（例: 0〜10）までにしてください。"),
        (
            {"q0.choices": "はい"},
            "1問目「まちは住みやすいと思いますか」: 選択肢は2つ以上にしてください。",
        ),
        (
            {"q0.choices_en": "Yes"},
            "選択肢（英語）が1行あります。選択肢と同じ3行にするか、空欄にしてください。",
        ),
        ({"q1.max_choices": "5"}, "最大選択数（5）が選択肢の数（3）より多くなっています。"),
        ({"q3.max_length": "abc"}, "4問目「まちに望むこと」: 最大文字数は数字で入力してください。"),
        ({"q0.text": ""}, "1問目「」: 質問文を入力してください。"),
        ({"title": ""}, "タイトルを入力してください。"),
        (
            {"opens_at": "2027-01-10T00:00", "closes_at": "2027-01-01T00:00"},
            "終了は開始より後の日時にしてください。",
        ),
        ({"opens_at": "来年"}, "開始の日時が読めません。"),
        ({"min_age": "十六"}, "最低年齢は数字で入力してください。"),
        ({"id": "町民"}, "ID「町民」は使えません。半角の英小文字・数字・ハイフン"),
    ],
)
def test_every_refusal_in_plain_japanese(app, editor, change, expected):
    data = form(id="plain-2027", questions=EVERY_TYPE)
    data.update(change)
    refused = post(editor, data)
    assert refused.status_code == 400
    page = text_of(refused)
    assert "保存できませんでした" in page
    assert expected in page, page[page.find("保存できませんでした") :][:600]
    assert "questions." not in page and "is not one of" not in page  # no code in sight
    assert stored(app, "plain-2027") == (None, None)
    # what was typed stays in the form
    assert "まちに望むこと" in page and "住みにくい理由は" in page


def test_a_new_survey_cannot_take_an_existing_id(app, editor, runner, tmp_path):
    apply_survey(runner, tmp_path, GOOD)
    refused = post(editor, form(id="test-2026", questions=EVERY_TYPE))
    assert refused.status_code == 400
    assert "ID「test-2026」のアンケートはすでにあります" in text_of(refused)
    assert stored(app, "test-2026")[0].title == "町民アンケート（テスト）"  # untouched


def test_a_blank_id_is_made_from_the_day(app, editor):
    saved = post(editor, form(id="", questions=EVERY_TYPE))
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith("/admin/surveys/survey-20261128")
    again = post(editor, form(id="", questions=EVERY_TYPE))
    assert again.headers["Location"].endswith("/admin/surveys/survey-20261128-2")


def test_a_survey_with_answers_keeps_its_meaning(app, editor, runner, tmp_path, resident, state):
    apply_survey(runner, tmp_path, GOOD)
    r = onboard(resident(1))
    answer(r, "住みやすい", "7", "公園がほしい")
    page = editor.get("/admin/surveys/test-2026/edit")
    body = text_of(page)
    assert "すでに 1件 の回答があります" in body
    assert "できないこと: 回答のある質問の削除" in body
    assert 'value="remove:' not in page.get_data(as_text=True)  # no delete buttons

    # a forged post that drops a question and retypes another: refused, nothing changes
    data = _form_from_page(page.get_data(as_text=True))
    data["count"] = "3"
    for key in [k for k in data if k.startswith("q3.")]:
        del data[key]
    data["q0.type"] = "multi"
    refused = post(editor, data)
    if refused.status_code == 302:  # the dropped question is put back; the retype is refused
        pytest.fail("a change that breaks stored answers was saved")
    assert "質問の種類を変えることはできません" in text_of(refused)
    assert stored(app, "test-2026")[0].version == 1

    # rewording a choice keeps its value, so the answers keep their meaning
    data = _form_from_page(page.get_data(as_text=True))
    data["q0.choices"] = data["q0.choices"].replace("住みやすい\n", "とても住みやすい\n", 1)
    data["title"] = "町民アンケート（改訂）"
    saved = post(editor, data)
    assert saved.status_code == 302, text_of(saved)[:800]
    survey = stored(app, "test-2026")[0]
    assert survey.version == 2 and survey.title == "町民アンケート（改訂）"
    first = survey.questions[0]["choices"][0]
    assert first == {"value": "住みやすい", "label": {"ja": "とても住みやすい"}}


def _form_from_page(body: str) -> dict:
    """The fields of the builder page as a browser would send them on 保存する."""
    data: dict = {}
    pattern = r"<textarea\b([^>]*)>(.*?)</textarea>|<(input|select)\b([^>]*)>"
    for m in re.finditer(pattern, body, re.S):
        if m.group(1) is not None:
            tag, attrs, inner = "textarea", m.group(1), m.group(2)
        else:
            tag, attrs, inner = m.group(3), m.group(4), None
        name = re.search(r'name="([^"]+)"', attrs)
        if not name or "disabled" in attrs:
            continue
        key = name.group(1)
        value = re.search(r'value="([^"]*)"', attrs)
        if tag == "textarea":
            data[key] = html.unescape(inner or "")
        elif tag == "select":
            options = body[m.end() : body.index("</select>", m.end())]
            chosen = re.search(r'<option value="([^"]*)" selected', options)
            data[key] = chosen.group(1) if chosen else ""
        elif 'type="checkbox"' in attrs or 'type="radio"' in attrs:
            if "checked" in attrs:
                if key.endswith(".show_if") or key == "residency":
                    data.setdefault(key, []).append(html.unescape(value.group(1)))
                else:
                    data[key] = html.unescape(value.group(1))
        elif key not in ("op", "csrf_token"):
            data[key] = html.unescape(value.group(1)) if value else ""
    data["op"] = "save"
    return data


def test_copy_makes_a_new_draft_with_the_same_question_ids(app, editor, runner):
    assert (
        runner.invoke(
            args=[
                "content",
                "apply",
                "content/demo/town.yml",
                "content/demo/survey-wellbeing-2026.yml",
            ]
        ).exit_code
        == 0
    )
    page = editor.get("/admin/surveys/new?copy=wellbeing-2026")
    assert page.status_code == 200
    data = _form_from_page(page.get_data(as_text=True))
    assert data["id"] == "wellbeing-2027" and data["title"] == "町民の幸せにかかるアンケート 2027"
    assert data["opens_at"] == "" and data["closes_at"] == ""  # the period is cleared
    refused = post(editor, data)
    assert "開始を入力してください。" in text_of(refused)
    data.update(opens_at="2027-11-15T00:00", closes_at="2027-12-25T23:59")
    assert post(editor, data).status_code == 302
    old, new = stored(app, "wellbeing-2026")[0], stored(app, "wellbeing-2027")[0]
    assert [q["id"] for q in new.questions] == [q["id"] for q in old.questions]
    assert new.questions == old.questions  # results stay comparable year to year
    assert editor.get("/admin/surveys/new?copy=nope").status_code == 404


def test_hostile_text_is_escaped_everywhere_staff_see_it(app, editor, resident):
    evil = [dict(EVERY_TYPE[0], text=XSS, choices=f"{XSS}\nふつう", choices_en="")]
    assert post(editor, form(id="xss-2027", title=XSS, questions=evil)).status_code == 302
    for url in ("/admin/surveys", "/admin/surveys/xss-2027", "/admin/surveys/xss-2027/edit"):
        body = editor.get(url).get_data(as_text=True)
        assert XSS not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
    # in LINE the words are plain text (the fake LINE API checked every message)
    r = onboard(resident(1))
    r.say("アンケート")
    got = r.tap(XSS)
    assert XSS in r.texts(got) and "&lt;" not in r.texts(got)
    refused = post(editor, form(id="xss-2", title=XSS, questions=[dict(evil[0], type=XSS)]))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and XSS not in body


def test_content_apply_keeps_file_line_field_and_adds_the_plain_sentence(runner, tmp_path):
    broken = GOOD.replace("type: scale", "type: slider")
    result = apply_survey(runner, tmp_path, broken, name="町民アンケート.yml")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    where = next(i for i, line in enumerate(lines) if "questions.2.type" in line)
    assert lines[where].startswith(str(tmp_path / "町民アンケート.yml") + ":23: questions.2.type:")
    assert lines[where + 1] == (
        "    → 23行目: 3問目「いま、どのくらい幸せですか」: 種類「slider」は使えません。"
        "単一選択・複数選択・段階評価・自由記述から選んでください。"
    )
    assert "nothing applied: 1 problem(s)" in result.output
