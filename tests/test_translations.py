"""English labels for the town's lists, and warnings about texts without English."""

from __future__ import annotations

from sqlalchemy import select

from db.broadcasts import NotifyOptOut
from db.models import Resident, ResidentTopic
from db.surveys import SurveyResponse
from handlers.town import Town, _parse, load_town
from handlers.translations import missing_english
from tests.survey_helpers import NOW, SURVEY, apply_survey, count
from tests.test_console import as_role
from tests.test_console_events import FORM

PREFIX = "英語の訳がありません: "


def stored(app, uid: str) -> Resident:
    with app.extensions["machikoe"].sessions() as s:
        r = s.scalar(select(Resident).where(Resident.line_user_id == uid))
        s.expunge(r)
        return r


def topics_of(app, uid: str) -> list[str]:
    with app.extensions["machikoe"].sessions() as s:
        rid = s.scalar(select(Resident.id).where(Resident.line_user_id == uid))
        return sorted(
            s.scalars(select(ResidentTopic.topic).where(ResidentTopic.resident_id == rid))
        )


def english_resident(resident, n: int):
    """An English resident who agreed and skipped the profile."""
    r = resident(n, language="en")
    r.follow()
    r.tap("Agree")
    for _ in range(4):
        r.tap("Skip")
    return r


# --- missing_english ------------------------------------------------------------------


def test_missing_english_names_each_survey_text_in_staff_words():
    import yaml

    doc = yaml.safe_load(SURVEY.replace("ANON", "true"))
    doc["description"] = "町の将来について"
    doc["questions"][0]["text"] = {"ja": "まちは住みやすいと思いますか", "en": "Is it livable?"}
    doc["questions"][0]["choices"][0] = {
        "value": "good",
        "label": {"ja": "住みやすい", "en": "Yes"},
    }
    got = missing_english(doc)
    assert "タイトル" not in got  # the title has English
    assert "説明" in got
    assert "1問目「まちは住みやすいと思いますか」" not in got
    assert "1問目「まちは住みやすいと思いますか」の選択肢「住みやすい」" not in got
    assert "1問目「まちは住みやすいと思いますか」の選択肢「住みにくい」" in got
    assert "2問目「住みにくいと感じる理由は（2つまで）」" in got
    assert "2問目「住みにくいと感じる理由は（2つまで）」の選択肢「買い物が不便」" in got
    assert "3問目「いま、どのくらい幸せですか」の目盛り「0」のラベル" in got
    assert "3問目「いま、どのくらい幸せですか」の目盛り「10」のラベル" in got
    assert len(got) == 1 + 3 + 4 + 3 + 1  # description, q1's choices, q2, q3, q4

    complete = {
        "kind": "survey",
        "title": {"ja": "題", "en": "Title"},
        "questions": [
            {
                "id": "a",
                "type": "scale",
                "text": {"ja": "問", "en": "Q"},
                "min": 1,
                "max": 5,
                "labels": {"1": {"ja": "低", "en": "Low"}, "5": {"ja": "高", "en": " "}},
            }
        ],
    }
    assert missing_english(complete) == ["1問目「問」の目盛り「5」のラベル"]  # blank is missing


def test_missing_english_for_a_stored_definition_and_a_long_question():
    definition = {
        "kind": "survey",
        "title": {"ja": "題", "en": "Title"},
        "description": None,
        "questions": [
            {
                "id": "a",
                "type": "single",
                "text": {"ja": "あ" * 40, "en": "A"},
                "choices": [
                    {"value": "x", "label": {"ja": "はい", "en": "Yes"}},
                    {"value": "y", "label": {"ja": "いいえ"}},
                ],
            }
        ],
    }
    assert missing_english(definition) == [f"1問目「{'あ' * 29}…」の選択肢「いいえ」"]


def test_missing_english_for_an_event_and_the_town():
    event = {
        "kind": "event",
        "title": {"ja": "未来について話そう", "en": "Let's talk"},
        "venue": "役場 2階 会議室",
        "description": {"ja": "10年後のまち"},
        "format": "onsite",
    }
    assert missing_english(event) == ["会場", "説明"]
    assert missing_english({**event, "venue": {"ja": "役場", "en": "Town hall"}}) == ["説明"]

    town = {
        "kind": "town",
        "name": "町",
        "districts": [{"ja": "大谷", "en": "Otani"}, "磐梯"],
        "age_bands": ["20代", "若者", {"ja": "高齢", "en": "Senior"}],
        "topics": ["子育て"],
    }
    # 20代 is a default band: its default English label is used
    assert missing_english(town) == ["地区「磐梯」", "年代「若者」", "分野「子育て」"]
    assert missing_english({"kind": "town", "name": "町", "districts": []}) == []
    assert missing_english({"kind": "target", "id": "x"}) == []


def test_town_labels_values_and_typed_answers():
    town = _parse(
        {
            "name": "町",
            "districts": [{"ja": "大谷", "en": "Otani"}, "磐梯"],
            "topics": [{"ja": "子育て", "en": "Child-raising"}],
        }
    )
    assert town.districts == ("大谷", "磐梯")  # the stored values stay Japanese
    assert town.options("district", "en") == [("大谷", "Otani"), ("磐梯", "磐梯")]
    assert town.options("district", "ja") == [("大谷", "大谷"), ("磐梯", "磐梯")]
    assert town.label("age_band", "20代", "en") == "20s"  # no age_bands: the defaults
    assert town.find("district", " otani ") == "大谷"
    assert town.find("district", "ＯＴＡＮＩ") == "大谷"
    assert town.find("district", "大谷") == "大谷"
    assert town.find("topic", "Child-raising") == "子育て"
    assert town.find("district", "Tokyo") is None
    assert Town().label("district", "東", "en") == "東"


# --- the town file ----------------------------------------------------------------------


def test_town_file_items_with_english_are_validated(app, runner, tmp_path):
    path = tmp_path / "town.yml"
    path.write_text("kind: town\nname: 町\ndistricts: [東, {ja: 東, en: East}]\n", encoding="utf-8")
    twice = runner.invoke(args=["content", "apply", str(path)])
    assert twice.exit_code == 1 and "appears twice" in twice.output
    path.write_text("kind: town\nname: 町\ndistricts: [{en: East}]\n", encoding="utf-8")
    no_ja = runner.invoke(args=["content", "apply", str(path)])
    assert no_ja.exit_code == 1 and "nothing applied" in no_ja.output
    path.write_text(
        "kind: town\nname: 町\ndistricts: [{ja: 東, en: " + "E" * 41 + "}]\n", encoding="utf-8"
    )
    too_long = runner.invoke(args=["content", "apply", str(path)])
    assert too_long.exit_code == 1 and "nothing applied" in too_long.output
    with app.extensions["machikoe"].sessions() as s:
        assert load_town(s).districts == ("大谷", "磐梯", "更科", "七ツ森")  # unchanged


# --- content apply warns only when someone reads English ----------------------------------


def test_content_apply_warns_only_with_english_residents(app, runner, tmp_path, resident):
    first = apply_survey(runner, tmp_path)
    assert first.exit_code == 0 and PREFIX not in first.output  # no English resident yet

    emma = english_resident(resident, 1)
    again = apply_survey(runner, tmp_path)
    assert again.exit_code == 0, again.output
    assert "1 unchanged" in again.stdout and PREFIX not in again.stdout
    lines = [x for x in again.stderr.splitlines() if x.startswith(PREFIX)]
    assert f"{PREFIX}{tmp_path / 's.yml'}: 1問目「まちは住みやすいと思いますか」" in lines
    assert not any(x.endswith(": タイトル") for x in lines)  # the title has English
    assert len(lines) == 5 + 4 + 3 + 1  # each question with its choices and labels

    town = tmp_path / "town.yml"
    town.write_text("kind: town\nname: 町\ndistricts: [{ja: 東, en: East}, 西]\n", "utf-8")
    result = runner.invoke(args=["content", "apply", str(town)])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"{PREFIX}{town}: 地区「西」"]

    emma.unfollow()  # a blocked resident reads nothing: no warnings
    blocked = apply_survey(runner, tmp_path)
    assert blocked.exit_code == 0 and PREFIX not in blocked.output


def test_the_demo_town_has_english_for_everything(app, runner, resident):
    from tests.conftest import TOWN

    english_resident(resident, 1)
    result = runner.invoke(args=["content", "apply", str(TOWN)])
    assert result.exit_code == 0 and PREFIX not in result.output


# --- the console -------------------------------------------------------------------------


def test_console_survey_page_lists_missing_english(app, runner, tmp_path, resident, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    viewer = as_role(app, "viewer")
    page = viewer.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "translation-warnings" not in page  # nobody reads English

    english_resident(resident, 1)
    page = viewer.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert 'class="card warn" data-testid="translation-warnings"' in page
    assert "<li>2問目「住みにくいと感じる理由は（2つまで）」の選択肢「買い物が不便」</li>" in page
    assert "<li>タイトル</li>" not in page


def test_event_form_save_warns_about_missing_english(app, resident, state):
    state.clock.fixed = NOW
    editor = as_role(app, "editor")
    editor.post("/admin/events/save", FORM)
    page = editor.get("/admin/events/ws-x").get_data(as_text=True)
    assert "イベントを保存しました" in page and PREFIX not in page

    english_resident(resident, 1)
    saved = editor.post("/admin/events/save", {**FORM, "id": "ws-y"})
    assert saved.status_code == 302  # saved all the same
    page = editor.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'class="flash warn"' in page and f"{PREFIX}タイトル、会場、説明" in page


# --- residents reading English -------------------------------------------------------------


def test_english_onboarding_shows_english_and_stores_japanese(app, resident):
    emma = resident(1, language="en")
    emma.follow()
    got = emma.tap("Agree")
    assert {"20s", "30s", "80 or over"} <= set(emma.buttons(got))
    assert "30代" not in emma.buttons(got)
    got = emma.tap("30s")
    assert {"Otani", "Bandai", "Sarashina", "Nanatsumori"} <= set(emma.buttons(got))
    assert "大谷" not in emma.buttons(got)
    got = emma.tap("Otani")
    got = emma.tap("I live in town")
    assert {"Child-raising", "Disaster safety"} <= set(emma.buttons(got))
    got = emma.tap("Child-raising")
    assert "✓ Child-raising" in emma.buttons(got) and "Chosen: Child-raising" in emma.texts(got)
    emma.say("disaster safety")  # typed, any case
    got = emma.tap("Done")
    assert "Thank you for registering" in emma.texts(got)
    r = stored(app, emma.id)
    assert (r.age_band, r.district, r.residency) == ("30代", "大谷", "resident")
    assert topics_of(app, emma.id) == ["子育て", "防災"]

    got = emma.say("Profile")
    text = emma.texts(got)
    assert "Age group: 30s" in text and "District: Otani" in text
    assert "Child-raising, Disaster safety" in text
    got = emma.say("My data")
    assert "District: Otani" in emma.texts(got) and "大谷" not in emma.texts(got)


def test_typed_answers_in_either_language(app, resident):
    emma = resident(2, language="en")
    emma.follow()
    emma.tap("Agree")
    emma.say("20代")  # Japanese typed by an English resident
    emma.say("bandai")
    assert stored(app, emma.id).age_band == "20代"
    assert stored(app, emma.id).district == "磐梯"

    taro = resident(3)
    taro.follow()
    taro.tap("同意する")
    taro.say("40s")  # English typed by a Japanese resident
    got = taro.say("Sarashina")
    assert "かかわり" in taro.texts(got)
    got = taro.say("Tokyo")  # not a district anywhere: asked again, nothing stored
    r = stored(app, taro.id)
    assert (r.age_band, r.district, r.residency) == ("40代", "更科", None)


def test_japanese_resident_still_sees_japanese(app, resident):
    taro = resident(4)
    taro.follow()
    got = taro.tap("同意する")
    assert "30代" in taro.buttons(got) and "30s" not in taro.buttons(got)
    got = taro.tap("30代")
    assert {"大谷", "七ツ森"} <= set(taro.buttons(got)) and "Otani" not in taro.buttons(got)
    taro.tap("大谷")
    taro.tap("町内に住んでいる")
    got = taro.tap("子育て")
    assert "✓ 子育て" in taro.buttons(got)
    taro.tap("決定")
    assert stored(app, taro.id).district == "大谷"
    assert "地区: 大谷" in taro.texts(taro.say("プロフィール"))


def test_english_notification_settings(app, resident):
    emma = resident(5, language="en")
    emma.follow()
    for label in ("Agree", "30s", "Nanatsumori", "I live in town", "Done"):
        emma.tap(label)
    got = emma.say("Notifications")
    assert {"✓ Town planning", "✓ Child-raising", "✓ Moving here"} <= set(emma.buttons(got))
    got = emma.tap("✓ Child-raising")
    assert "News on “Child-raising” is stopped." in emma.texts(got)
    got = emma.say("child-raising")  # typed: switched back on
    assert "You will receive news on “Child-raising”." in emma.texts(got)
    emma.say("✓ Events")
    got = emma.tap("Done")
    assert "Topics you receive: Town planning, Child-raising, Disaster safety, Moving here" in (
        emma.texts(got)
    )
    with app.extensions["machikoe"].sessions() as s:
        assert list(s.scalars(select(NotifyOptOut.topic))) == ["イベント"]


def test_english_survey_eligibility_age_question(app, runner, tmp_path, resident, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    emma = resident(6, language="en")
    emma.follow()
    emma.tap("Decline")  # no profile: the survey asks the age band itself
    emma.say("Surveys")
    got = emma.tap("Test survey")
    assert "age requirement" in emma.texts(got)
    assert {"15 or under", "16–19", "30s"} <= set(emma.buttons(got))
    assert "30代" not in emma.buttons(got)
    got = emma.tap("15 or under")  # stored as 15歳以下: below the survey's 16
    assert "is for people aged 16 and over" in emma.texts(got)
    assert count(app, SurveyResponse) == 0

    sam = resident(7, language="en")
    sam.follow()
    sam.tap("Decline")
    sam.say("Surveys")
    sam.tap("Test survey")
    got = sam.say("30S")  # typed: understood, so the residency question comes next
    assert "age requirement" not in sam.texts(got) and "I live in town" in sam.buttons(got)


def test_web_survey_age_bands_in_english(app, runner, tmp_path, state):
    from tests.test_web_survey import Phone, make_codes, text

    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    code = make_codes(app, 1)[0]
    p = Phone(app)
    p.get("/s/test-2026?lang=en")
    got = p.post("/s/test-2026", {"code": code}, follow_redirects=True)
    page = got.get_data(as_text=True)
    assert "What is your age group?" in text(got)
    assert "30s" in text(got) and "30代" not in text(got) and 'value="30代"' in page
    got = p.answer("p:age_band", "30代")  # the form sends the stored value
    assert "I live in town" in text(got)
    japanese = Phone(app, addr="192.0.2.30")
    japanese.get("/s/test-2026?lang=ja")
    got = japanese.post("/s/test-2026", {"code": make_codes(app, 1)[0]}, follow_redirects=True)
    assert "30代" in text(got) and "30s" not in text(got)
