"""Reading a content file: YAML with the line of every field, refusing what is unsafe.

No anchors or aliases, no tags, bounded depth, values and size: an untrusted file is
refused with a plain problem before anything grows.
"""

from __future__ import annotations

import math
from typing import Any, cast

import yaml

from handlers.content_documents import ContentError, Document, Problem, plain_problem

_TIMESTAMP, _MERGE = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"


# Size and values bound the parse (pure Python: time grows with both); at these limits the
# worst file took about 0.3 s on a busy 2-core machine (docs/security.md, "Inputs").
MAX_BYTES = 500_000  # a content file, before it is parsed (the largest demo file: 3 KB)
MAX_BYTES_LABEL = f"{MAX_BYTES // 1000} KB"  # for the plain problem `too_big`
MAX_DEPTH = 50  # nesting of lists and mappings
MAX_NODES = 10_000  # values of every kind in one file (the demo survey has 222)


class _Refused(yaml.YAMLError):
    """A file the loader will not read (an alias, a tag, too deep, too many values)."""

    def __init__(self, code: str, line: int, **values: Any) -> None:
        super().__init__(code)
        self.code, self.line, self.values = code, line, values


class _Loader(yaml.SafeLoader):
    """Safe loader for untrusted files: no anchors or aliases, no tags, bounded depth and size.

    Timestamps stay strings (we parse them ourselves) and `<<` is an ordinary key, so no
    value is ever built from another. Limits hold while composing, before anything grows.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """One node, refused when it is an alias, anchored, tagged, too deep or one too many."""
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("yaml_alias", line)
        tag = getattr(event, "tag", None)
        if tag is not None and not (isinstance(event, yaml.ScalarEvent) and tag == "!"):
            raise _Refused("yaml_tag", line, tag=tag.replace("tag:yaml.org,2002:", "!!")[:40])
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused("yaml_too_many", line, limit=f"{MAX_NODES:,}")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused("yaml_deep", line, limit=MAX_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in {_TIMESTAMP, _MERGE}]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def file_problem(text: str, code: str, line: int, detail: str = "", **values: Any) -> Problem:
    """A problem of the file as a whole (syntax), placed by its line."""
    from messages import content_problems as words

    plain = {
        lang: words.at_line(lang, line, words.sentence(lang, code, {"detail": detail, **values}))
        for lang in ("ja", "en")
    }
    return Problem(text, plain["ja"], plain["en"], (), code)


def _walk(
    node: yaml.Node, loader: _Loader, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]
) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, object] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int):
                raise ContentError([file_problem(f"{line}: keys must be text", "key_text", line)])
            if key in out:
                raise ContentError(
                    [file_problem(f"{line}: {key}: duplicate key", "duplicate_key", line, name=key)]
                )
            out[key] = _walk(value_node, loader, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(n, loader, (*path, i), lines) for i, n in enumerate(node.value)]
    value = loader.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):  # .inf, .nan: JSON has neither
        raise ValueError("not a finite number")
    return value


def parse(text: str, path: str) -> Document:
    """Parse one YAML document into data plus the line of every field.

    Every path that reads YAML comes here (`content apply`, console uploads): files over
    `MAX_BYTES`, aliases and anchors, tags, nesting deeper than `MAX_DEPTH` and more than
    `MAX_NODES` values are refused with a plain problem before anything is built.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ContentError([plain_problem("too_big", limit=MAX_BYTES_LABEL)])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        message = f"{path}:{exc.line}: refused ({exc.code})"
        raise ContentError([file_problem(message, exc.code, exc.line, **exc.values)]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        detail = getattr(exc, "problem", None) or str(exc)
        raise ContentError(
            [file_problem(f"{path}:{line}: not valid YAML ({detail})", "yaml", line, detail)]
        ) from exc
    finally:
        loader.dispose()
    if node is None:
        raise ContentError([file_problem(f"{path}:1: the file is empty", "empty", 1)])
    lines: dict[tuple[Any, ...], int] = {}
    try:
        data = _walk(node, _Loader(""), (), lines)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # a value that cannot be built
        line = max(lines.values(), default=1)  # the last value built
        text = f"{path}:{line}: a value cannot be read ({type(exc).__name__})"
        raise ContentError([file_problem(text, "yaml_value", line)]) from exc
    except ContentError as exc:
        found = cast("list[Problem]", exc.problems)  # _walk raises only file_problem()s
        raise ContentError(
            [Problem(f"{path}:{p}", p.plain, p.plain_en, code=p.code) for p in found]
        ) from exc
    if not isinstance(data, dict):
        raise ContentError(
            [file_problem(f"{path}:1: expected a mapping with `kind` first", "not_mapping", 1)]
        )
    return Document(path=path, data=data, lines=lines)
