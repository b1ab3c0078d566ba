"""Event cards, confirmations and pushes for workshops and meetings. Pure builders.

Times are shown in the town's time zone: `11月8日(土) 18:30〜20:30`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexMessage,
    FlexSeparator,
    FlexText,
    Message,
    MessageAction,
    URIAction,
)

from messages import common
from messages.catalog import t
from messages.postback import Postback
from messages.text import pick

ALT_MAX = 400
PAGE = 10  # event bubbles per carousel (LINE allows 12; one more bubble says "next")
CONFIRMED_COLOR = "#1B7F3B"
WAITLIST_COLOR = "#B35C00"
MUTED = "#666666"
BUTTON_COLOR = "#087A3A"  # white text on it at 5.4:1 (LINE's default green is 2.2:1)
EVENT_WORD = "イベント"  # typed, it lists the events (outside a conversation: also a topic)


def local(lang: str, value: dict | str | None) -> str:
    """A content text ({ja, en} or a plain string) in the resident's language."""
    return pick(value, lang)


def date_label(lang: str, at: datetime, tz: tzinfo) -> str:
    """`11月8日(土)` in the town's time zone."""
    local_at = at.astimezone(tz)
    weekday = t(lang, "events.weekdays").split(",")[local_at.weekday()]
    return t(lang, "events.date", month=local_at.month, day=local_at.day, weekday=weekday)


def when(lang: str, starts: datetime, ends: datetime, tz: tzinfo) -> str:
    """`11月8日(土) 18:30〜20:30` (the end's date is shown when it is another day)."""
    s, e = starts.astimezone(tz), ends.astimezone(tz)
    end = e.strftime("%H:%M")
    if e.date() != s.date():
        end = f"{date_label(lang, ends, tz)} {end}"
    start = f"{date_label(lang, starts, tz)} {s.strftime('%H:%M')}"
    return t(lang, "events.range", start=start, end=end)


def moment(lang: str, at: datetime, tz: tzinfo) -> str:
    """`11月7日(金) 17:00`."""
    return f"{date_label(lang, at, tz)} {at.astimezone(tz).strftime('%H:%M')}"


@dataclass(frozen=True)
class Card:
    """What one event card shows, prepared by the handler."""

    id: str
    title: str
    when: str
    venue: str
    format: str  # onsite | online | hybrid
    seats: dict[str, int]  # mode → seats left
    open: bool
    closes: str = ""
    description: str = ""
    series: str = ""
    series_count: int = 0  # sessions of the series still ahead (0: not a series)
    my_status: str | None = None  # confirmed | waitlisted
    my_mode: str | None = None
    my_position: int | None = None
    my_code: str | None = None
    modes: tuple[str, ...] = field(default=())


def _pb(lang: str, key: str, action: str, value: str = "", **values) -> object:
    return common.button(t(lang, key, **values), Postback(action=action, value=value))


def _status_line(lang: str, card: Card) -> FlexText | None:
    if card.my_status == "confirmed":
        text = t(lang, "events.status.confirmed", mode=t(lang, f"events.mode.{card.my_mode}"))
        return FlexText(text=text, color=CONFIRMED_COLOR, weight="bold", size="md", wrap=True)
    if card.my_status == "waitlisted":
        text = t(
            lang,
            "events.status.waitlisted",
            mode=t(lang, f"events.mode.{card.my_mode}"),
            position=card.my_position or "-",
        )
        return FlexText(text=text, color=WAITLIST_COLOR, weight="bold", size="md", wrap=True)
    return None


def bubble(lang: str, card: Card) -> FlexBubble:
    """One event as a card: title, date, place, format, seats per mode, my status, buttons."""
    rows: list = [
        FlexText(text=card.title, weight="bold", size="md", wrap=True),
        FlexText(text=card.when, size="md", wrap=True, margin="sm"),
    ]
    if card.venue and card.format != "online":
        rows.append(
            FlexText(text=t(lang, "events.card.venue", venue=card.venue), size="md", wrap=True)
        )
    fmt = t(lang, "events.card.format", format=t(lang, f"events.format.{card.format}"))
    rows.append(FlexText(text=fmt, size="md", wrap=True))
    if card.series_count > 1:
        rows.append(
            FlexText(
                text=t(lang, "events.card.series", n=card.series_count),
                size="md",
                color=MUTED,
                wrap=True,
            )
        )
    rows.append(FlexSeparator(margin="md"))
    if card.open:
        for mode, left in card.seats.items():
            name = t(lang, f"events.mode.{mode}")
            text = (
                t(lang, "events.card.seats", mode=name, n=left)
                if left > 0
                else t(lang, "events.card.full", mode=name)
            )
            rows.append(FlexText(text=text, size="md", wrap=True, margin="sm"))
        if card.closes:
            rows.append(
                FlexText(
                    text=t(lang, "events.card.closes", when=card.closes),
                    size="md",
                    color=MUTED,
                    wrap=True,
                )
            )
    else:
        rows.append(
            FlexText(text=t(lang, "events.card.closed"), size="md", color=MUTED, margin="sm")
        )
    status = _status_line(lang, card)
    if status is not None:
        rows.append(status)
        if card.my_code and card.my_status == "confirmed":
            rows.append(
                FlexText(text=t(lang, "events.code", code=card.my_code), size="lg", weight="bold")
            )
    buttons: list = []
    if card.my_status:
        buttons.append(
            FlexButton(
                action=_pb(lang, "events.label.cancel", "ev_cancel", card.id),
                style="secondary",
                height="sm",
            )
        )
    elif card.open:
        buttons.append(
            FlexButton(
                action=_pb(lang, "events.label.join", "ev_join", card.id),
                style="primary",
                color=BUTTON_COLOR,
                height="sm",
            )
        )
        if card.series_count > 1:
            buttons.append(
                FlexButton(
                    action=_pb(
                        lang, "events.label.series", "ev_series", card.id, n=card.series_count
                    ),
                    style="secondary",
                    height="sm",
                )
            )
    buttons.append(
        FlexButton(
            action=_pb(lang, "events.label.details", "ev_info", card.id), style="link", height="sm"
        )
    )
    return FlexBubble(
        size="kilo",
        body=FlexBox(layout="vertical", contents=rows, spacing="xs"),
        footer=FlexBox(layout="vertical", contents=buttons, spacing="sm"),
    )


def _more_bubble(lang: str, remaining: int, offset: int) -> FlexBubble:
    n = min(remaining, PAGE)
    return FlexBubble(
        size="kilo",
        body=FlexBox(
            layout="vertical",
            contents=[
                FlexText(
                    text=t(lang, "events.list.more_title", n=remaining), wrap=True, weight="bold"
                )
            ],
        ),
        footer=FlexBox(
            layout="vertical",
            contents=[
                FlexButton(
                    action=_pb(lang, "events.label.more", "ev_list", str(offset), n=n),
                    style="primary",
                    color=BUTTON_COLOR,
                    height="sm",
                )
            ],
        ),
    )


def carousel(
    lang: str, intro: str, cards: list[Card], *, remaining: int = 0, next_offset: int = 0
) -> FlexMessage:
    """Event cards as a carousel (at most PAGE, plus a "next" card when more remain)."""
    bubbles = [bubble(lang, c) for c in cards[:PAGE]]
    if remaining > 0:
        bubbles.append(_more_bubble(lang, remaining, next_offset))
    alt = intro + "\n" + "\n".join(f"{c.when} {c.title}" for c in cards[:PAGE])
    message = FlexMessage(
        altText=common.shorten(alt, ALT_MAX), contents=FlexCarousel(contents=bubbles)
    )
    message.quick_reply = common.quick(
        [common.say(t(lang, "events.keyword.mine")), *common.menu_actions(lang)]
    )
    return message


def details(lang: str, card: Card) -> Message:
    """The full description of an event, with what can be done next."""
    body = t(
        lang,
        "events.details",
        title=card.title,
        when=card.when,
        venue=card.venue if card.format != "online" else t(lang, "events.place.online"),
        format=t(lang, f"events.format.{card.format}"),
        description=card.description,
    ).rstrip()
    actions = []
    if card.my_status:
        actions.append(_pb(lang, "events.label.cancel", "ev_cancel", card.id))
    elif card.open:
        actions.append(_pb(lang, "events.label.join", "ev_join", card.id))
    return common.text(body, [*actions, common.say(t(lang, "events.keyword.mine"))])


def ask_mode(lang: str, body: str, action: str, value: str, modes: dict[str, int]) -> Message:
    """会場で参加 / オンラインで参加 (with the seats left in each)."""
    buttons = [
        _pb(lang, f"events.label.{mode}", action, f"{value}:{mode}")
        for mode in ("onsite", "online")
        if mode in modes
    ]
    lines = [
        t(lang, "events.card.seats", mode=t(lang, f"events.mode.{m}"), n=n)
        if n > 0
        else t(lang, "events.card.full", mode=t(lang, f"events.mode.{m}"))
        for m, n in modes.items()
    ]
    return common.text(body + "\n" + "\n".join(lines), buttons)


@dataclass(frozen=True)
class Confirmation:
    """What a confirmed sign-up tells the resident."""

    event_id: str
    title: str
    when: str
    place: str
    mode: str
    code: str
    calendar_url: str
    online_url: str | None = None  # only ever set for online attendees
    soon: str = ""  # 本日 / 明日 when the reminder time has passed (no reminder will follow)


def confirmation(lang: str, c: Confirmation) -> FlexMessage:
    """The confirmation card: date, place, mode, code, the online URL (online only), calendar.

    A sign-up after the reminder time says the day (本日 / 明日) and promises no reminder.
    """
    mode = t(lang, "events.confirmed.mode", mode=t(lang, f"events.mode.{c.mode}"))
    rows: list = [
        FlexText(
            text=t(lang, "events.confirmed.header"),
            weight="bold",
            color=CONFIRMED_COLOR,
            wrap=True,
        ),
        FlexText(text=c.title, weight="bold", size="md", wrap=True, margin="md"),
    ]
    if c.soon:
        rows.append(
            FlexText(text=t(lang, "events.confirmed.soon", day=c.soon), weight="bold", wrap=True)
        )
    rows.append(FlexText(text=c.when, size="md", wrap=True))
    if c.mode != "online":  # online: the mode line says where
        rows.append(
            FlexText(text=t(lang, "events.confirmed.place", place=c.place), size="md", wrap=True)
        )
    rows += [
        FlexText(text=mode, size="md", wrap=True),
        FlexText(text=t(lang, "events.code", code=c.code), size="xl", weight="bold", margin="md"),
    ]
    note = "events.confirmed.note_online" if c.mode == "online" else "events.confirmed.note_onsite"
    if c.soon:
        note += "_soon"
    buttons: list = []
    if c.online_url:
        rows.append(
            FlexText(text=t(lang, "events.confirmed.url", url=c.online_url), size="md", wrap=True)
        )
        buttons.append(
            FlexButton(
                action=URIAction(label=t(lang, "events.label.open_online"), uri=c.online_url),
                style="primary",
                color=BUTTON_COLOR,
                height="sm",
            )
        )
    rows.append(FlexText(text=t(lang, note), size="md", color=MUTED, wrap=True, margin="md"))
    buttons.append(
        FlexButton(
            action=URIAction(label=t(lang, "events.label.calendar"), uri=c.calendar_url),
            style="secondary",
            height="sm",
        )
    )
    buttons.append(
        FlexButton(
            action=MessageAction(
                label=t(lang, "events.keyword.mine"), text=t(lang, "events.keyword.mine")
            ),
            style="link",
            height="sm",
        )
    )
    lines = [
        t(lang, "events.confirmed.header"),
        c.title,
        c.when,
        mode,
        t(lang, "events.code", code=c.code),
    ]
    if c.online_url:
        lines.append(t(lang, "events.confirmed.url", url=c.online_url))
    message = FlexMessage(
        altText=common.shorten("\n".join(lines), ALT_MAX),
        contents=FlexBubble(
            body=FlexBox(layout="vertical", contents=rows, spacing="sm"),
            footer=FlexBox(layout="vertical", contents=buttons, spacing="sm"),
        ),
    )
    message.quick_reply = common.quick(common.menu_actions(lang))
    return message


def full(lang: str, title: str, event_id: str, mode: str, others: dict[str, int]) -> Message:
    """満席: キャンセル待ちに登録, and the other mode when it has seats."""
    lines = [t(lang, "events.full", title=title, mode=t(lang, f"events.mode.{mode}"))]
    buttons = [_pb(lang, "events.label.waitlist", "ev_wait", f"{event_id}:{mode}")]
    for other, n in others.items():
        lines.append(t(lang, "events.full_other", mode=t(lang, f"events.mode.{other}"), n=n))
        buttons.append(_pb(lang, f"events.label.{other}", "ev_mode", f"{event_id}:{other}"))
    return common.text("\n".join(lines), buttons)


def cancel_question(lang: str, title: str, when_: str, event_id: str) -> Message:
    """Ask before cancelling."""
    return common.text(
        t(lang, "events.cancel.ask", title=title, when=when_),
        [
            _pb(lang, "events.label.cancel_yes", "ev_cancel_yes", event_id),
            _pb(lang, "events.label.cancel_no", "ev_cancel_no", event_id),
        ],
    )


def with_mine(lang: str, body: str) -> Message:
    """A text with 予約の確認 and the menu as quick replies."""
    return common.text(
        body, [common.say(t(lang, "events.keyword.mine")), *common.menu_actions(lang)]
    )
