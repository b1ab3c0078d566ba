"""Each flow's states are the states drawn in its docs/flows/<name>.mmd, no more and no fewer.

A diagram may draw moments and outcomes that are no state of the conversation row (the list,
a refusal, thanks); it marks them with the class `outside` (`class a,b outside`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers import chat, registry
from handlers.engine import FLOWS, Flow
from messages.catalog import every

ROOT = Path(__file__).resolve().parents[1]
FLOW_DOCS = ROOT / "docs" / "flows"
NODE = r"(\[\*\]|[A-Za-z_][\w-]*)"
TRANSITION = re.compile(rf"^\s*{NODE}\s*-->\s*{NODE}\s*(?::.*)?$")
DECLARED = re.compile(r"^\s*state\s+(?:\"[^\"]*\"\s+as\s+)?([A-Za-z_][\w-]*)\s*(?:\{.*)?$")
CLASSED = re.compile(r"^\s*class\s+([\w,-]+)\s+outside\s*$")

registry.load()


def diagram(text: str) -> tuple[set[str], set[str]]:
    """(every state a stateDiagram-v2 draws, those of class `outside`)."""
    states: set[str] = set()
    outside: set[str] = set()
    for line in text.splitlines():
        if line.strip().startswith("%%"):
            continue
        if m := TRANSITION.match(line):
            states |= {m.group(1), m.group(2)}
        elif m := DECLARED.match(line):
            states.add(m.group(1))
        elif m := CLASSED.match(line):
            outside |= set(m.group(1).split(","))
    states.discard("[*]")
    return states, outside


def test_the_parser_reads_transitions_declarations_and_the_outside_class():
    text = """stateDiagram-v2
    %% a --> comment
    [*] --> ask: start
    ask --> ask: again
    state "Thanks" as thanks
    ask --> thanks
    thanks --> [*]
    classDef outside fill:#eee
    class thanks outside
"""
    assert diagram(text) == ({"ask", "thanks"}, {"thanks"})


@pytest.mark.parametrize("flow", sorted(FLOWS.values(), key=lambda f: f.name), ids=lambda f: f.name)
def test_each_flow_matches_its_diagram(flow: Flow):
    path = FLOW_DOCS / f"{flow.name}.mmd"
    assert path.exists(), f"flow {flow.name!r} has no diagram {path.relative_to(ROOT)}"
    text = path.read_text(encoding="utf-8")
    assert "stateDiagram-v2" in text, f"{path.name}: a flow is drawn as a stateDiagram-v2"
    drawn, outside = diagram(text)
    assert outside <= drawn, f"{path.name}: class outside names undrawn {outside - drawn}"
    states = {str(s) for s in flow.states}
    drawn -= outside
    assert states - drawn == set(), f"{path.name} does not draw states {states - drawn}"
    assert drawn - states == set(), (
        f"{path.name} draws {drawn - states}, which flow {flow.name!r} does not have "
        "(a moment or outcome? give it the class `outside`)"
    )


def test_each_entry_point_is_registered_with_the_chat():
    entries = [(f, e) for f in FLOWS.values() for e in f.entry_points]
    assert {f.name for f, _ in entries} >= {"survey", "survey_code"}
    patterns = {rx.pattern for rx, _ in chat.PATTERNS}
    for flow, entry in entries:
        for word in entry.keywords:
            for typed in every(word) or {word}:
                assert chat.normalise(typed) in chat.KEYWORDS, (flow.name, typed)
        assert not entry.action or entry.action in chat.ACTIONS, (flow.name, entry.action)
        assert not entry.pattern or entry.pattern in patterns, (flow.name, entry.pattern)
