"""The registries are built from lists a reader can open, and a name registered twice fails.

handlers/registry.py AREAS (keywords, actions, patterns, flows), handlers/content_kinds.py
(content kinds), handlers/segments.py FIELDS, bot/jobs.py JOBS, bot/router.py ROUTES.
"""

from __future__ import annotations

import pytest
from linebot.v3.webhooks import FollowEvent

from bot import jobs, router
from handlers import chat, content, content_kinds, engine, named, registry, segments


def test_every_entry_comes_from_a_listed_area():
    registry.load()
    areas = {m.__name__ for m in registry.AREAS}
    for kind, name, module in registry.entries():
        assert registry._area(module) in areas, f"{kind} {name!r} from unlisted {module}"
    assert {"メニュー", "アンケート", "ワークショップ", "お知らせ設定", "意見", "ヘルプ"} <= set(
        chat.KEYWORDS
    )
    assert {"onboarding", "survey", "opinion", "notify", "mydata"} <= set(engine.FLOWS)


def test_an_unlisted_module_is_refused(monkeypatch):
    def stray(ctx, text):
        raise AssertionError("never called")

    stray.__module__ = "handlers.somewhere_else"
    monkeypatch.setitem(chat.KEYWORDS, "ひみつ", stray)
    with pytest.raises(RuntimeError, match="somewhere_else"):
        registry.load()


def test_a_keyword_or_action_registered_twice_fails():
    before = dict(chat.KEYWORDS), dict(chat.ACTIONS)
    with pytest.raises(ValueError, match="registered twice"):
        chat.keyword("menu.menu")(lambda ctx, text: None)
    with pytest.raises(ValueError, match="registered twice"):
        chat.action("profile_edit")(lambda ctx, pb, params: None)
    assert (dict(chat.KEYWORDS), dict(chat.ACTIONS)) == before


def test_a_flow_registered_twice_fails():
    with pytest.raises(ValueError, match="registered twice"):
        engine.register(engine.FLOWS["opinion"])


def test_content_kinds_are_one_list_and_unique():
    assert set(content.KINDS) == {
        "town",
        "population",
        "survey",
        "event",
        "kpi",
        "consultation",
        "timeline",
        "publication",
        "report",
    }
    with pytest.raises(ValueError, match="registered twice"):
        content_kinds.by_name(*content.KINDS.values(), content.KINDS["town"])


def test_segment_fields_are_one_list_and_unique():
    assert list(segments.FIELDS) == [
        "district",
        "age",
        "residency",
        "topic",
        "attended",
        "signed_up",
        "answered",
        "not_answered",
    ]
    with pytest.raises(ValueError, match="registered twice"):
        segments.by_name(*segments.FIELDS.values(), segments.FIELDS["age"])


def test_a_job_or_route_registered_twice_fails():
    before = dict(jobs.JOBS), dict(router.ROUTES)
    with pytest.raises(ValueError, match="job 'inbox' is registered twice"):
        named.by_name("job", *jobs.JOBS.values(), jobs.JOBS["inbox"])
    with pytest.raises(ValueError, match="routed twice"):
        router.routes(*router.ROUTES.items(), (FollowEvent, lambda ctx, event, extras: None))
    assert (dict(jobs.JOBS), dict(router.ROUTES)) == before
