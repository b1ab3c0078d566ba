"""Issue #15 items 1 and 7: the topics a resident chose are what she sees and receives, and
私のデータ lists everything stored, offers 変更, and says what deleting cancels."""

from __future__ import annotations

from sqlalchemy import func, select

from db.broadcasts import STOP_ALL, NotifyOptOut
from db.events import Signup
from db.models import Resident, ResidentTopic
from db.opinions import Opinion
from tests.survey_helpers import NOW, SURVEY, apply_survey
from tests.test_events import URL, event_doc, pb, setup_events, signup_row

ALL = ["計画づくり", "子育て", "防災", "イベント", "移住・定住"]


def send(runner, *args: str) -> None:
    result = runner.invoke(args=["broadcast", "send", "--actor", "tester@town", *args])
    assert result.exit_code == 0, result.output


def news_heads(r) -> list[str]:
    """First lines of the texts delivered since last asked (announcements are pushes)."""
    return [m["text"].split("\n")[0] for m in r.news() if m.get("type") == "text"]


def stored_topics(app, uid: str) -> tuple[set[str], set[str]]:
    """(resident_topics, notify_optouts) of one resident, as sets."""
    with app.extensions["machikoe"].sessions() as s:
        rid = s.scalar(select(Resident.id).where(Resident.line_user_id == uid))
        follows = set(
            s.scalars(select(ResidentTopic.topic).where(ResidentTopic.resident_id == rid))
        )
        off = set(s.scalars(select(NotifyOptOut.topic).where(NotifyOptOut.resident_id == rid)))
        return follows, off


def agree_and_skip_profile(r) -> list[dict]:
    """Follow, agree, skip age, district and residency: returns the topics question."""
    r.follow()
    r.tap("同意する")
    for _ in range(2):
        r.tap("スキップ")
    return r.tap("スキップ")


# --- item 1: the topic choice is honoured ---------------------------------------------------


def test_onboarding_choice_is_what_notify_and_profile_show_and_what_arrives(app, runner, resident):
    she = resident(1)
    she.follow()
    she.tap("同意する")
    she.tap("70代")
    she.tap("スキップ")
    got = she.tap("スキップ")
    assert "すべての分野のお知らせが届きます" in she.texts(got)  # what choosing none means
    she.tap("計画づくり")
    got = she.tap("防災")
    assert "すべての分野" not in she.texts(got)
    got = she.tap("決定")
    assert "受け取る分野: 計画づくり、防災" in she.texts(got)

    got = she.say("お知らせ設定")
    buttons = set(she.buttons(got))
    assert {"✓ 計画づくり", "✓ 防災", "子育て", "イベント", "移住・定住"} <= buttons
    assert not {"✓ 子育て", "✓ イベント", "✓ 移住・定住"} & buttons
    she.tap("決定")
    assert "受け取る分野: 計画づくり、防災" in she.texts(she.say("プロフィール"))
    assert "受け取る分野: 計画づくり、防災" in she.texts(she.say("私のデータ"))
    she.say("メニュー")

    never = resident(2)  # skipped the topics: every topic stays on
    agree_and_skip_profile(never)
    never.tap("スキップ")
    assert "受け取る分野: 計画づくり、子育て、防災、イベント、移住・定住" in never.texts(
        never.say("プロフィール")
    )
    she.news(), never.news()
    send(runner, "--text", "子育て支援の説明会", "--topic", "子育て")
    send(runner, "--text", "防災訓練のお知らせ", "--topic", "防災")
    send(runner, "--text", "子育てひろばのお知らせ", "--segment", "topic=子育て")
    send(runner, "--text", "防災マップのお知らせ", "--segment", "topic=防災")
    assert news_heads(she) == ["防災訓練のお知らせ", "防災マップのお知らせ"]
    assert news_heads(never) == ["子育て支援の説明会", "防災訓練のお知らせ"]
    assert stored_topics(app, she.id) == (
        {"防災", "計画づくり"},
        {"子育て", "イベント", "移住・定住"},
    )


def test_changes_in_notify_and_in_the_profile_are_the_same_choice(app, runner, resident):
    r = resident(3)
    agree_and_skip_profile(r)
    r.tap("防災")
    r.tap("決定")
    r.say("お知らせ設定")
    got = r.tap("子育て")  # switched on here ...
    assert "「子育て」のお知らせを受け取ります" in r.texts(got)
    r.tap("決定")
    got = r.say("プロフィール")  # ... shows in the profile
    assert "受け取る分野: 子育て、防災" in r.texts(got)
    r.tap("変更する")
    for _ in range(3):
        got = r.tap("スキップ")
    buttons = set(r.buttons(got))  # the profile's topic question starts from the same choice
    assert {"✓ 子育て", "✓ 防災", "計画づくり"} <= buttons and "✓ 計画づくり" not in buttons
    assert "選択中: 子育て、防災" in r.texts(got)
    r.tap("✓ 防災")
    got = r.tap("決定")
    assert "受け取る分野: 子育て" in r.texts(got)
    got = r.say("お知らせ設定")
    assert "✓ 子育て" in r.buttons(got) and "防災" in r.buttons(got)
    assert "✓ 防災" not in r.buttons(got)
    r.tap("決定")
    r.news()
    send(runner, "--text", "避難所のお知らせ", "--topic", "防災")
    send(runner, "--text", "健診のお知らせ", "--topic", "子育て")
    assert news_heads(r) == ["健診のお知らせ"]
    assert stored_topics(app, r.id) == (
        {"子育て"},
        {"計画づくり", "防災", "イベント", "移住・定住"},
    )


def test_unticking_everything_after_a_choice_means_none_and_a_fresh_done_means_all(
    app, runner, resident
):
    a = resident(4)
    agree_and_skip_profile(a)
    got = a.tap("決定")  # fresh, nothing ticked: nothing stored, every topic on
    assert "受け取る分野" not in a.texts(got)
    assert stored_topics(app, a.id) == (set(), set())
    a.say("プロフィール")
    got = a.tap("変更する")
    for _ in range(3):
        got = a.tap("スキップ")
    assert not [b for b in a.buttons(got) if b.startswith("✓")]  # she never chose
    a.tap("計画づくり")
    a.tap("決定")
    a.say("プロフィール")
    a.tap("変更する")
    for _ in range(3):
        got = a.tap("スキップ")
    assert "✓ 計画づくり" in a.buttons(got)
    a.tap("✓ 計画づくり")
    got = a.tap("決定")  # she had chosen before: none ticked now means none
    assert "受け取る分野: なし" in a.texts(got)
    assert stored_topics(app, a.id) == (set(), set(ALL))
    a.news()
    send(runner, "--text", "計画の報告", "--topic", "計画づくり")
    send(runner, "--text", "町からのお知らせ")  # no topic: still arrives
    assert news_heads(a) == ["町からのお知らせ"]


def test_without_consent_the_choice_is_kept_as_settings_only(app, runner, resident):
    r = resident(5)
    r.follow()
    r.tap("同意しない")
    r.say("お知らせ設定")
    r.tap("✓ 子育て")
    got = r.tap("すべて停止する")
    assert "緊急のお知らせ以外" in r.texts(got)
    r.tap("決定")
    assert stored_topics(app, r.id) == (set(), {"子育て", STOP_ALL})  # no profile stored
    text = r.texts(r.say("私のデータ"))
    assert (
        "受け取る分野: 計画づくり、防災、イベント、移住・定住（いまは緊急のお知らせ以外を停止中）"
        in text
    )
    r.tap("メニュー")
    r.say("プロフィール")
    r.tap("同意する")  # agreeing later keeps what she chose as her interests
    assert stored_topics(app, r.id)[0] == {"計画づくり", "防災", "イベント", "移住・定住"}
    r.news()
    send(runner, "--text", "子育ての集い", "--topic", "子育て", "--urgent")
    send(runner, "--text", "大雨の避難情報", "--topic", "防災", "--urgent")
    assert news_heads(r) == ["大雨の避難情報"]


def test_english_resident_sees_the_same_choice(app, resident):
    emma = resident(6, language="en")
    emma.follow()
    for label in ("Agree", "Skip", "Skip", "Skip"):
        got = emma.tap(label)
    assert "you receive news on every topic" in emma.texts(got)
    emma.tap("Child-raising")
    got = emma.tap("Done")
    assert "Topics you receive: Child-raising" in emma.texts(got)
    got = emma.say("Notifications")
    assert "✓ Child-raising" in emma.buttons(got) and "Town planning" in emma.buttons(got)
    assert "Topics you receive: Child-raising" in emma.texts(emma.say("Profile"))


# --- item 7: 私のデータ lists everything and says what deleting cancels ---------------------------


NAMED = SURVEY.replace("id: test-2026", "id: named-2026").replace(
    "町民アンケート（テスト）", "子育てアンケート（記名）"
)


def answer_survey(r, title: str, words: str) -> None:
    r.say("アンケート")
    r.tap(title)
    r.tap("住みやすい")
    r.tap("7")
    got = r.say(words)
    assert "ご回答ありがとうございました" in r.texts(got)


def test_my_data_lists_everything_stored_with_changes(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path,
        event_doc("ws-1", capacity={"onsite": 1, "online": 1}),
        event_doc("ws-2", title="子育て座談会", capacity={"onsite": 1, "online": 1},
                  starts_at="2026-12-19T10:00:00+09:00", ends_at="2026-12-19T12:00:00+09:00",
                  signup_closes_at=None),
    )  # fmt: skip
    assert apply_survey(runner, tmp_path).exit_code == 0
    assert apply_survey(runner, tmp_path, NAMED, anonymous=False, name="n.yml").exit_code == 0
    state.clock.fixed = NOW
    other = resident(20)
    other.postback(pb("ev_mode", "ws-2:onsite"))  # ws-2 on site is full
    r = resident(21)
    r.follow()
    r.tap("同意する")
    r.tap("30代")
    r.tap("更科")
    r.tap("町内に住んでいる")
    r.tap("防災")
    r.tap("決定")
    got = r.postback(pb("ev_mode", "ws-1:online"))
    assert "お申し込みを受け付けました" in r.texts(got)
    r.postback(pb("ev_wait", "ws-2:onsite"))
    r.say("意見")
    r.say("除雪をもっと早くしてほしい")
    got = r.tap("送信する")
    assert "受付番号: OP-" in r.texts(got)
    answer_survey(r, "町民アンケート（テスト）", "ひみつの匿名の答え")
    answer_survey(r, "子育てアンケート（記名）", "記名の答え")

    got = r.say("私のデータ")
    text = r.texts(got)
    code = signup_row(app, r.id, "ws-1").attendance_code
    with app.extensions["machikoe"].sessions() as s:
        receipt = s.scalar(select(Opinion.receipt_no))
    for expected in (
        "年代: 30代",
        "地区: 更科",
        "かかわり: 町内に住んでいる",
        "受け取る分野: 防災",
        "ワークショップの申し込み（2件）",
        f"12月12日(土) 18:30 テスト会 ws-1（オンライン・参加番号 {code}）",
        "12月19日(土) 10:00 子育て座談会（会場・キャンセル待ち 1番目）",
        "お寄せいただいたご意見: 1件",
        f"11月28日(土) 受付番号 {receipt}",
        "回答したアンケート（2件）",
        "町民アンケート（テスト）（11月28日(土)・匿名のため回答内容は結びつけていません）",
        "子育てアンケート（記名）（11月28日(土)・回答内容も保存しています）",
    ):
        assert expected in text, expected
    assert "ひみつの匿名の答え" not in text and "除雪" not in text  # never their words back
    assert URL not in text
    buttons = set(r.buttons(got))
    assert {"プロフィールを変更", "お知らせ設定", "予約の確認", "English", "削除する"} <= buttons
    got = r.tap("予約の確認")
    assert "テスト会 ws-1" in r.texts(got)
    r.say("私のデータ")
    got = r.tap("プロフィールを変更")
    assert "年代を教えてください" in r.texts(got)
    r.tap("40代")
    assert "年代: 40代" in r.texts(r.say("私のデータ"))
    got = r.tap("お知らせ設定")
    assert "✓ 防災" in r.buttons(got)


def test_delete_warning_names_what_it_cancels_and_the_seat_moves_on(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    assert apply_survey(runner, tmp_path, NAMED, anonymous=False, name="n.yml").exit_code == 0
    state.clock.fixed = NOW
    r = resident(30)
    r.follow()
    for label in ("同意する", "30代", "七ツ森", "町内に住んでいる", "決定"):
        r.tap(label)
    r.postback(pb("ev_mode", "ws-1:onsite"))
    waiting = resident(31)
    waiting.postback(pb("ev_wait", "ws-1:onsite"))
    r.say("意見")
    r.say("バスを増やしてほしい")
    r.tap("送信する")
    answer_survey(r, "子育てアンケート（記名）", "記名の答え")
    r.say("私のデータ")
    got = r.tap("削除する")
    text = r.texts(got)
    for expected in (
        "元には戻せません",
        "プロフィールと、お知らせの設定",
        "ワークショップの申し込み1件（キャンセルになり、席はほかの方に回ります）",
        "お寄せいただいたご意見1件と受付番号",
        "記名のアンケートの回答1件（集計からも消えます）",
        "また話しかけていただくまでお知らせは届きません",
        "匿名のアンケートの回答は",
    ):
        assert expected in text, expected
    assert "キャンセル待ち" not in text  # she has no waitlist place
    got = r.tap("やめる")
    assert signup_row(app, r.id, "ws-1").status == "confirmed"  # keeping changes nothing

    r.say("私のデータ")
    r.tap("削除する")
    got = r.tap("削除する（確定）")
    assert "削除しました" in r.texts(got)
    row = signup_row(app, waiting.id, "ws-1")
    assert row.status == "confirmed"  # the freed seat went to the one waiting
    assert runner.invoke(args=["jobs", "run", "outbox"]).exit_code == 0
    assert "席があいたため" in waiting.texts(waiting.news())
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Signup)) == 1
        assert s.scalar(select(func.count()).select_from(Opinion)) == 0


def test_waitlist_only_deletion_says_the_place_is_withdrawn(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    holder, r = resident(40), resident(41)
    holder.postback(pb("ev_mode", "ws-1:onsite"))
    r.follow()
    r.tap("同意しない")
    r.postback(pb("ev_wait", "ws-1:onsite"))
    got = r.say("私のデータ")
    assert "キャンセル待ち 1番目" in r.texts(got)
    assert "プロフィール" in r.buttons(got) and "プロフィールを変更" not in r.buttons(got)
    got = r.tap("削除する")
    text = r.texts(got)
    assert "キャンセル待ち1件（取り消しになります）" in text and "・お知らせの設定" in text
    assert "ワークショップの申し込み" not in text
    r.tap("削除する（確定）")
    assert signup_row(app, holder.id, "ws-1").status == "confirmed"
    assert signup_row(app, r.id, "ws-1") is None
