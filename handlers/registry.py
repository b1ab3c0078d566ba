"""Every area a resident reaches from the chat, in one list, and what each adds.

The registries are `handlers/chat.py` KEYWORDS (typed words), ACTIONS (button actions) and
PATTERNS (typed text matching a regex), and `handlers/engine.py` FLOWS (conversations). An
area declares its entries beside its code — `@chat.keyword(...)`, `@chat.action(...)`,
`@chat.pattern(...)`, `chat.flow(Flow(...))` — and a word, action or flow registered twice
is an error at import. `AREAS` below is the list the app loads (`bot/__init__.py` calls
`load()`); `load()` refuses an entry registered from a module that is not listed, so this
list is always the whole map. Content kinds: `handlers/content_kinds.py`; segment fields:
`handlers/segments.py` FIELDS; digest sections: `handlers/digest.py`; jobs: `bot/jobs.py`;
webhook events: `bot/router.py` ROUTES.
"""

from __future__ import annotations

from types import ModuleType

from handlers import (
    chat,
    engine,
    mydata,
    notify,
    onboarding,
    opinion,
    plan,
    plan_results,
    rsvp,
    staff_link,
    survey,
    survey_code,
)

AREAS: tuple[ModuleType, ...] = (
    chat,  # メニュー, ヘルプ, プロフィール, English / 日本語; the profile_edit button
    onboarding,  # flow `onboarding`: consent and the optional profile (started on follow)
    survey,  # アンケート, survey_open / survey_preview buttons; flow `survey` (survey_flow.py)
    survey_code,  # 回答コード and a typed answer code (pattern); flow `survey_code`
    rsvp,  # ワークショップ, イベント, my sign-ups; the ev_* buttons; flow `rsvp`
    notify,  # お知らせ設定; flow `notify`
    opinion,  # 意見, パブリックコメント; flow `opinion` (also typed words no keyword takes)
    plan,  # 計画の進捗
    plan_results,  # 結果・報告
    mydata,  # 私のデータ; flow `mydata`
    staff_link,  # a staff member's LINE link code (pattern)
)


def _area(module_name: str) -> str:
    """The listed module a registering module belongs to (`handlers.survey_flow` → survey)."""
    listed = {m.__name__ for m in AREAS}
    name = module_name
    while name and name not in listed:
        head, _, _ = name.rpartition("_")  # handlers.survey_flow → handlers.survey
        if head == name or not head:
            return ""
        name = head
    return name


def entries() -> list[tuple[str, str, str]]:
    """(kind, name, module) of every registered keyword, action, pattern and flow."""
    out = [("keyword", w, fn.__module__) for w, fn in chat.KEYWORDS.items()]
    out += [("action", a, fn.__module__) for a, fn in chat.ACTIONS.items()]
    out += [("pattern", rx.pattern, fn.__module__) for rx, fn in chat.PATTERNS]
    out += [("flow", name, f.start.__module__) for name, f in engine.FLOWS.items()]
    return out


def load() -> tuple[ModuleType, ...]:
    """The listed areas, once every entry is known to come from one of them."""
    strays = [(kind, name, mod) for kind, name, mod in entries() if not _area(mod)]
    if strays:
        raise RuntimeError(f"registered outside handlers/registry.py AREAS: {strays}")
    return AREAS
