"""messages.limits.wire: LINE's JSON for every kind of message we build, like the SDK's."""

from __future__ import annotations

from linebot.v3.messaging import (
    ButtonsTemplate,
    ConfirmTemplate,
    DatetimePickerAction,
    ImageMessage,
    MessageAction,
    PostbackAction,
    TemplateMessage,
    URIAction,
)

from messages import common
from messages.choices import question
from messages.limits import wire
from messages.plan import kpi_carousel
from messages.postback import Postback
from messages.richmenu import menu_object

KPI = {
    "id": "k",
    "title": {"ja": "ふるさと納税"},
    "unit": "円",
    "baseline": {"year": 2018, "value": 24_000_000},
    "current": {"year": 2022, "value": 500_000_000},
    "target": {"year": 2026, "value": 1_000_000_000},
}


def samples():
    long_choices = [
        common.button("とても長い選択肢の文言" * 3, Postback("pick", str(i))) for i in range(15)
    ]
    yield common.with_menu("ja", "メニューです")
    yield from question("どれですか", long_choices, [common.say("中断")])
    yield from kpi_carousel([KPI, {**KPI, "id": "k2"}], "en")
    yield ImageMessage(
        originalContentUrl="https://example.jp/a.png", previewImageUrl="https://example.jp/a.png"
    )
    yield TemplateMessage(
        altText="確認",
        template=ConfirmTemplate(
            text="よろしいですか",
            actions=[
                MessageAction(label="はい", text="はい"),
                PostbackAction(label="いいえ", data="v=1&a=no"),
            ],
        ),
    )
    yield TemplateMessage(
        altText="日時",
        template=ButtonsTemplate(
            text="日時を選んでください",
            title="予約",
            actions=[
                DatetimePickerAction(label="選ぶ", data="v=1&a=dt", mode="datetime"),
                URIAction(label="詳しく", uri="https://example.jp/"),
            ],
        ),
    )


def test_wire_matches_the_sdk_for_every_shape():
    for message in samples():
        assert wire(message) == message.to_dict(), type(message).__name__


def test_rich_menu_object_needs_no_conversion():
    menu = menu_object("ja")
    assert wire(menu) == menu
