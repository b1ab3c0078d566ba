"""No Japanese string literal in handlers/, db/ or bot/ Python outside docstrings and comments.

Every sentence a resident or a member of staff reads lives in messages/ (the catalogs,
messages/staff_labels.py) or in a template; so do words residents type that the code looks
for. Errors staff see carry a code and parameters, and the edge renders the words. The test
reads each module's syntax tree, so comments and docstrings may stay in Japanese.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("handlers", "db", "bot")

# Hiragana, Katakana (and half-width), CJK ideographs, CJK symbols and full-width punctuation
JAPANESE = re.compile(
    "[\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff01-\uff60\uff61-\uff9f]"
)

# path (or folder ending in /) → why it may keep Japanese literals
EXEMPT = {
    "bot/simulator/": "the simulator plays the LINE app and a pretend resident (demo tooling)",
    "bot/demo_data.py": "the demo town's pretend residents and their answers (data, not wording)",
    "bot/demo_answers.py": "what the pretend residents type and answer (data, not wording)",
    "db/migrations/": "migrations are history: they keep the data they wrote at the time",
}


def _exempt(rel: str) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in EXEMPT)


def modules() -> list[str]:
    """Every Python module under the three layers, as a path relative to the repository."""
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not _exempt(rel):
                found.append(rel)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.add(id(body[0].value))
    return found


def japanese_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal holding Japanese, docstrings left out."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and JAPANESE.search(node.value)
        ):
            out.append((node.lineno, node.col_offset, node.value))
    return [(line, text) for line, _col, text in sorted(out)]


def test_the_checker_sees_literals_and_ignores_docstrings_and_comments():
    source = '''"""モジュールの説明。"""
# コメント
def f(x):
    """関数の説明。"""
    label = "アンケート"  # コメント
    return f"{x}件", "（", "ok", "Ｑ"
class C:
    """クラス。"""
    words = ("はい",)
'''
    found = [text for _line, text in japanese_literals(source)]
    assert found == ["アンケート", "件", "（", "Ｑ", "はい"]
    assert japanese_literals('x = "Sat 8 Nov — 18:30 ■ ・"'.replace("・", "-")) == []


def test_every_exemption_still_exists():
    for path in EXEMPT:
        assert (ROOT / path).exists(), f"{path} is exempt but no longer exists"


@pytest.mark.parametrize("rel", modules())
def test_no_japanese_literal(rel):
    found = japanese_literals((ROOT / rel).read_text(encoding="utf-8"))
    shown = "\n".join(f"  {rel}:{line}: {text[:60]!r}" for line, text in found[:20])
    more = f"\n  … and {len(found) - 20} more" if len(found) > 20 else ""
    assert not found, (
        f"{len(found)} Japanese string literal(s) outside docstrings; move the wording to "
        f"messages/ (a catalog or messages/staff_labels.py) or a template:\n{shown}{more}"
    )
