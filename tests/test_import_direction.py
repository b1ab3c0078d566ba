"""The four rooms and what each may import (docs/architecture.md), and the size of a module.

Read from the source with `ast`, so nothing is imported: `bot/` may import anything;
`handlers/` never imports `bot/` or Flask, and never starts threads, sleeps or touches
processes; `messages/` is pure (nothing from `bot/`, `handlers/` or `db/`); `db/` imports
nothing from `bot/`, `handlers/` or `messages/` (storage holds no wording). A failure names
the file and line of each offending import or call.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# room → the top-level packages and modules it must not import.
FORBIDDEN = {
    "messages": {"bot", "handlers", "db", "flask"},
    "db": {"bot", "handlers", "messages", "flask"},
    "handlers": {"bot", "flask", "threading", "subprocess", "signal", "multiprocessing"},
}
# Calls a decision must never make (module, function).
FORBIDDEN_CALLS = {
    "handlers": {("time", "sleep"), ("os", "kill"), ("os", "fork"), ("os", "_exit")},
}

# Imports that break the rule today, each with its reason; remove an entry once it is fixed.
EXEMPT: dict[tuple[str, str], str] = {
    ("handlers/context.py", "bot.config"): "type only (TYPE_CHECKING): Ctx.settings is bot's"
    " Settings; give handlers a Protocol of the settings they read",
    ("handlers/textmining.py", "threading"): "a lock and a per-thread analyser, no thread"
    " started; hand the analyser in from bot/ instead",
}

MAX_LINES = 400
# Modules over MAX_LINES today that another change is splitting; remove each as it lands.
OVERSIZE_ALLOWED: dict[str, str] = {}
NOT_SIZED = ("bot/simulator/", "db/migrations/")


def _modules(room: str) -> list[Path]:
    return sorted(p for p in (ROOT / room).rglob("*.py") if "migrations" not in p.parts)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import in a module, wherever it stands."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            # `from bot import x` is an import of bot whatever x is; nothing more to add.
    return out


def _calls(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, module, function) of calls written `module.function(...)` or imported by name."""
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name):
            out.append((node.lineno, fn.value.id, fn.attr))
        elif isinstance(fn, ast.Name) and fn.id in names:
            out.append((node.lineno, *names[fn.id]))
    return out


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_each_room_imports_only_what_it_may():
    bad = []
    for room, forbidden in FORBIDDEN.items():
        for path in _modules(room):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, name in _imports(tree):
                top = name.split(".")[0]
                rel = str(path.relative_to(ROOT))
                if top in forbidden and (rel, name) not in EXEMPT:
                    bad.append(f"{_where(path, line)}: {room}/ imports {name}")
    assert not bad, "imports against the direction (docs/architecture.md):\n" + "\n".join(bad)


def test_handlers_never_sleep_or_touch_processes():
    bad = []
    for room, calls in FORBIDDEN_CALLS.items():
        for path in _modules(room):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, module, fn in _calls(tree):
                rel = str(path.relative_to(ROOT))
                if (module, fn) in calls and (rel, f"{module}.{fn}") not in EXEMPT:
                    bad.append(f"{_where(path, line)}: {module}.{fn}() in {room}/")
    assert not bad, "calls that belong in bot/:\n" + "\n".join(bad)


def test_the_checker_sees_what_it_must():
    """The rules above would catch an offence (so an empty result means something)."""
    tree = ast.parse(
        "import threading\nfrom bot.state import AppState\nimport time\n"
        "def f():\n    from flask import request\n    time.sleep(1)\n"
    )
    assert [n for _l, n in _imports(tree)] == ["threading", "bot.state", "time", "flask"]
    assert (6, "time", "sleep") in _calls(tree)
    from_import = ast.parse("from time import sleep as nap\nnap(2)\n")
    assert (2, "time", "sleep") in _calls(from_import)


def test_no_module_is_over_400_lines():
    over, landed = [], []
    for room in ("bot", "handlers", "messages", "db"):
        for path in _modules(room):
            rel = str(path.relative_to(ROOT))
            if rel.startswith(NOT_SIZED):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES and rel not in OVERSIZE_ALLOWED:
                over.append(f"{rel}: {lines} lines")
            if lines <= MAX_LINES and rel in OVERSIZE_ALLOWED:
                landed.append(rel)
    assert not over, f"split these (names that say what they hold, ≤ {MAX_LINES} lines):\n" + (
        "\n".join(over)
    )
    assert not landed, f"now small enough: remove from OVERSIZE_ALLOWED: {landed}"


def test_exemptions_still_needed():
    """An exemption that no longer matches any import or call is removed, not left to rot."""
    seen = set()
    for room in FORBIDDEN:
        for path in _modules(room):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            rel = str(path.relative_to(ROOT))
            seen.update((rel, name) for _l, name in _imports(tree))
            seen.update((rel, f"{m}.{f}") for _l, m, f in _calls(tree))
    assert not [key for key in EXEMPT if key not in seen]
