"""Validate Messaging API requests against LINE's OpenAPI file and documented limits.

The schema part uses ``vendor/line-openapi/messaging-api.yml`` converted to JSON
Schema (draft 4, which matches OpenAPI 3.0 semantics) and checked with
``jsonschema``. OpenAPI features that ``jsonschema`` does not know are added as
custom keywords:

* ``discriminator`` (``propertyName`` + ``mapping``): the mapped subschema is
  chosen by the property's value and validated; an unknown value is an error.
* ``nullable``: turned into a ``null`` alternative of ``type``.
* ``format``: ``uri``, ``int32``, ``int64`` and ``double`` are checked.
* unknown properties on named object schemas are reported (optional), so a typo
  such as ``lable`` does not pass silently.

On top of the schema, LINE's documented limits that the OpenAPI file does not
encode are enforced (LINE's API reference, "Message objects"/"Action objects"): text
lengths counted in UTF-16 code units or grapheme clusters as LINE counts them,
template and quick-reply rules, Flex size limits, retry-key rules and so on.

Every problem is reported as :class:`Problem` (``property`` in LINE's
``messages[0].text`` notation plus a message); :func:`validate_body` returns
them as human-readable strings.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import (  # type: ignore[import-untyped]  # no stubs in the dev requirements
    Draft4Validator,
    FormatChecker,
    validators,
)
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]  # no stubs

SPEC_PATH = Path(__file__).resolve().parents[2] / "vendor/line-openapi/messaging-api.yml"

# --- LINE's documented limits (LINE Messaging API reference and its message docs) -------
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_ALT_TEXT = 1500
MAX_EMOJIS = 20
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_TEMPLATE_LABEL = 20
MAX_IMAGE_CAROUSEL_LABEL = 12
MAX_FLEX_LABEL = 40
MAX_RICH_MENU_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_MESSAGE_ACTION_TEXT = 300
MAX_URI = 1000
MAX_CLIPBOARD_TEXT = 1000
MAX_IMAGE_URL = 2000
MAX_BUTTONS_ACTIONS = 4
MAX_BUTTONS_TITLE = 40
MAX_BUTTONS_TEXT = 160
MAX_BUTTONS_TEXT_WITH_TITLE_OR_IMAGE = 60
MAX_CONFIRM_TEXT = 240
MAX_CAROUSEL_COLUMNS = 10
MAX_CAROUSEL_ACTIONS = 3
MAX_CAROUSEL_TITLE = 40
MAX_CAROUSEL_TEXT = 120
MAX_CAROUSEL_TEXT_WITH_TITLE_OR_IMAGE = 60
# "30 KB" / "50 KB": counted strictly (decimal kB of compact UTF-8 JSON) so that
# whatever passes here also passes at LINE.
MAX_FLEX_BUBBLE_BYTES = 30_000
MAX_FLEX_CAROUSEL_BYTES = 50_000
MAX_FLEX_CAROUSEL_BUBBLES = 12
MAX_MULTICAST_TO = 500
MAX_SENDER_NAME = 20
MAX_RICH_MENU_AREAS = 20
MAX_CHAT_BAR_TEXT = 14
MAX_RICH_MENU_NAME = 300

RETRY_KEY_ENDPOINTS = frozenset({"push", "multicast", "narrowcast", "broadcast"})
_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_URI_SCHEMES = ("http", "https", "line", "tel")
_DATETIME_FORMATS = {
    "date": ("%Y-%m-%d", "YYYY-MM-DD"),
    "time": ("%H:%M", "HH:mm"),
    "datetime": ("%Y-%m-%dT%H:%M", "YYYY-MM-DDTHH:mm"),
}
# Schemas whose body carries ``messages`` (all get the message-level limit checks).
MESSAGE_REQUESTS = frozenset(
    {
        "ReplyMessageRequest",
        "PushMessageRequest",
        "MulticastRequest",
        "BroadcastRequest",
        "NarrowcastRequest",
        "ValidateMessageRequest",
    }
)


@dataclass(frozen=True)
class Problem:
    """One reason a request is refused, in LINE's ``details`` shape."""

    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.property}: {self.message}" if self.property else self.message

    def as_detail(self) -> dict[str, str]:
        """Return the problem as an entry of LINE's error ``details`` array."""
        detail = {"message": self.message}
        if self.property:
            detail["property"] = self.property
        return detail


# --- character counting -------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as LINE counts most texts."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def grapheme_len(text: str) -> int:
    """Approximate number of grapheme clusters (used by LINE for labels etc.).

    Combining marks, variation selectors, emoji modifiers, tag characters and
    ZWJ sequences are folded into the preceding character; regional-indicator
    pairs (flags) count once; CR LF counts once.
    """
    if text.isascii():
        return len(text) - text.count("\r\n")
    count = 0
    joined = False
    regional = 0
    prev = ""
    for ch in text:
        cp = ord(ch)
        if joined:
            joined = False
            prev = ch
            continue
        if cp == 0x200D:
            joined = True
            continue
        if (
            0xFE00 <= cp <= 0xFE0F
            or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F
            or 0xE0100 <= cp <= 0xE01EF
            or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        ):
            continue
        if ch == "\n" and prev == "\r":
            prev = ch
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            regional += 1
            if regional % 2 == 0:
                prev = ch
                continue
        else:
            regional = 0
        count += 1
        prev = ch
    return count


# --- OpenAPI -> JSON Schema -----------------------------------------------------

_REF_PREFIX = "#/components/schemas/"
_BASE_SUFFIX = "__base"
_SUBSCHEMA_KEYS = ("items", "not", "additionalProperties")
_LIST_KEYS = ("allOf", "anyOf", "oneOf")


@lru_cache(maxsize=4)
def load_spec(path: str | Path = SPEC_PATH) -> dict[str, Any]:
    """Load (and cache) the OpenAPI document."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _is_simple_string_schema(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and set(schema) <= {"type", "description"}
        and (schema.get("type") == "string")
    )


def _convert(node: Any, named: dict[str, Any], in_allof: bool = False) -> Any:
    """Convert one OpenAPI 3.0 schema node to draft-4 JSON Schema."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        name = ref[len(_REF_PREFIX) :] if ref.startswith(_REF_PREFIX) else None
        if in_allof and name is not None:
            # The base part of a composed schema: never dispatch again, never
            # check unknown properties (the composed schema does that).
            return {"$ref": _REF_PREFIX + name + _BASE_SUFFIX}
        return {"$ref": ref}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("discriminator", "externalDocs", "example", "examples", "description"):
            continue
        if key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {prop: _convert(sub, named) for prop, sub in value.items()}
        elif key in _LIST_KEYS:
            out[key] = [_convert(sub, named, in_allof=(key == "allOf")) for sub in value]
        elif key in _SUBSCHEMA_KEYS and isinstance(value, dict):
            if key == "items" and _is_simple_string_schema(value):
                out["x-string-items"] = True
            else:
                out[key] = _convert(value, named)
        elif key == "nullable":
            continue
        else:
            out[key] = value
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _known_properties(name: str, schemas: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """All property names a named schema allows, following ``allOf``."""
    seen = seen if seen is not None else set()
    if name in seen or name not in schemas:
        return set()
    seen.add(name)
    schema = schemas[name]
    props = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith(_REF_PREFIX):
            props |= _known_properties(ref[len(_REF_PREFIX) :], schemas, seen)
        props |= set(part.get("properties", {}))
    return props


def _has_open_properties(schema: dict[str, Any]) -> bool:
    if "additionalProperties" in schema:
        return True
    return any("additionalProperties" in part for part in schema.get("allOf", []))


def build_json_schema(spec: dict[str, Any], strict_properties: bool = True) -> dict[str, Any]:
    """Build one JSON Schema document holding every component schema.

    ``#/components/schemas/X`` is the schema as referenced (discriminators
    dispatch, unknown properties are refused); ``X__base`` is the plain shape used
    as the base of an ``allOf`` composition.
    """
    schemas = spec["components"]["schemas"]
    out: dict[str, Any] = {}
    discriminator_values: dict[str, tuple[str, str]] = {}
    for schema in schemas.values():
        disc = schema.get("discriminator")
        if disc:
            for value, target in disc.get("mapping", {}).items():
                discriminator_values[target[len(_REF_PREFIX) :]] = (disc["propertyName"], value)
    for name, schema in schemas.items():
        base = _convert(schema, schemas)
        out[name + _BASE_SUFFIX] = base
        disc = schema.get("discriminator")
        if disc:
            out[name] = {
                "type": "object",
                "required": [disc["propertyName"]],
                "x-discriminator": {
                    "name": name,
                    "propertyName": disc["propertyName"],
                    "mapping": dict(disc.get("mapping", {})),
                },
            }
            continue
        full = dict(base)
        if strict_properties and not _has_open_properties(schema):
            props = _known_properties(name, schemas)
            if props:
                full["x-known-properties"] = {"name": name, "properties": sorted(props)}
        if name in discriminator_values:
            prop, value = discriminator_values[name]
            full["x-discriminator-value"] = {"name": name, "property": prop, "value": value}
        out[name] = full
    return {"components": {"schemas": out}}


# --- custom keywords ------------------------------------------------------------


def _kw_discriminator(
    validator: Any, spec: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    prop = spec["propertyName"]
    if prop not in instance:
        return  # "required" reports it
    value = instance[prop]
    target = spec["mapping"].get(value) if isinstance(value, str) else None
    if target is None:
        allowed = ", ".join(sorted(spec["mapping"]))
        yield ValidationError(
            f"unknown {spec['name']} {prop} {value!r} (expected one of: {allowed})",
            path=[prop],
        )
        return
    resolved = spec.get("_targets", {}).get(value)
    yield from validator.descend(instance, resolved if resolved is not None else {"$ref": target})


def _kw_known_properties(
    validator: Any, spec: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    known = spec["_set"] if "_set" in spec else set(spec["properties"])
    for key in instance:
        if key not in known:
            yield ValidationError(
                f"unknown property (not in LINE's OpenAPI schema for {spec['name']}; "
                f"allowed: {', '.join(spec['properties'])})",
                path=[key],
            )


def _kw_discriminator_value(
    validator: Any, spec: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    prop = spec["property"]
    if prop in instance and instance[prop] != spec["value"]:
        yield ValidationError(
            f"must be {spec['value']!r} for a {spec['name']} (got {instance[prop]!r})",
            path=[prop],
        )


def _kw_string_items(
    validator: Any, spec: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, list):
        return
    for index, item in enumerate(instance):
        if not isinstance(item, str):
            yield ValidationError(
                f"must be of type string (got {type(item).__name__})", path=[index]
            )


_format_checker = FormatChecker(formats=())


@_format_checker.checks("uri")
def _check_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not value or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


@_format_checker.checks("int32")
def _check_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@_format_checker.checks("int64")
def _check_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@_format_checker.checks("double")
def _check_double(value: object) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


# --- speed: resolve $refs from a dict, skip descending into simple leaf schemas ----------

_TYPE_PREDICATES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}
_SIMPLE_KEYS = frozenset(
    {"type", "enum", "maxLength", "minLength", "maximum", "minimum", "format", "pattern", "default"}
)


def _fast_predicate(schema: Any) -> Callable[[Any], bool] | None:
    """A quick "is this value certainly valid?" test for a simple leaf schema.

    ``True`` means valid; ``False`` means "ask jsonschema", which then reports
    the precise error. ``None`` when the schema is not simple enough.
    """
    if not isinstance(schema, dict) or not schema or not set(schema) <= _SIMPLE_KEYS:
        return None
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _TYPE_PREDICATES:
        return None
    checks: list[Callable[[Any], bool]] = [_TYPE_PREDICATES[kind]]
    if "enum" in schema:
        allowed = list(schema["enum"])
        checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
    if "maxLength" in schema:
        longest = schema["maxLength"]
        checks.append(lambda v: len(v) <= longest)
    if "minLength" in schema:
        shortest = schema["minLength"]
        checks.append(lambda v: len(v) >= shortest)
    if "maximum" in schema:
        highest = schema["maximum"]
        checks.append(lambda v: v <= highest)
    if "minimum" in schema:
        lowest = schema["minimum"]
        checks.append(lambda v: v >= lowest)
    if "format" in schema:
        fmt = schema["format"]
        checks.append(lambda v: _format_checker.conforms(v, fmt))
    if "pattern" in schema:
        regex = re.compile(schema["pattern"])
        checks.append(lambda v: regex.search(v) is not None)
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(check(v) for check in checks)


def _kw_properties(
    validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    fast = schema.get("x-fast-properties") or {}
    for prop, subschema in properties.items():
        if prop in instance:
            value = instance[prop]
            predicate = fast.get(prop)
            if predicate is not None and predicate(value):
                continue
            yield from validator.descend(value, subschema, path=prop, schema_path=prop)


def _compile_fast_paths(node: Any) -> None:
    """Attach ``x-fast-properties`` predicates to every ``properties`` in the tree."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            fast = {}
            for prop, sub in props.items():
                predicate = _fast_predicate(sub)
                if predicate is not None:
                    fast[prop] = predicate
            if fast:
                node["x-fast-properties"] = fast
        for key, value in list(node.items()):
            if key != "x-fast-properties":
                _compile_fast_paths(value)
    elif isinstance(node, list):
        for value in node:
            _compile_fast_paths(value)


def _inline_refs(root: dict[str, Any]) -> None:
    """Replace ``{"$ref": "#/components/schemas/X"}`` nodes by the schema object itself.

    The result is a cyclic graph of dicts, which jsonschema walks happily (it
    follows the instance, which is finite) and which saves a reference lookup
    and one ``descend`` per level.
    """
    schemas = root["components"]["schemas"]

    def target(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"$ref"}:
            ref = node["$ref"]
            if ref.startswith(_REF_PREFIX) and ref[len(_REF_PREFIX) :] in schemas:
                return schemas[ref[len(_REF_PREFIX) :]]
        return None

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                resolved = target(item)
                if resolved is not None:
                    node[index] = resolved
                else:
                    walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("x-"):
                    continue
                if key == "properties" and isinstance(value, dict):
                    for prop, sub in value.items():
                        resolved = target(sub)
                        if resolved is not None:
                            value[prop] = resolved
                        else:
                            walk(sub)
                    continue
                resolved = target(value)
                if resolved is not None:
                    node[key] = resolved
                else:
                    walk(value)

    for schema in schemas.values():
        walk(schema)
        disc = schema.get("x-discriminator")
        if disc:
            disc["_targets"] = {
                value: schemas[ref[len(_REF_PREFIX) :]]
                for value, ref in disc["mapping"].items()
                if ref[len(_REF_PREFIX) :] in schemas
            }


def _make_validator_class(root: dict[str, Any]) -> Any:
    """A draft-4 validator class knowing the custom keywords and ``root``'s $refs."""
    schemas = root["components"]["schemas"]

    def ref(
        validator: Any, reference: str, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if reference.startswith(_REF_PREFIX):
            target = schemas.get(reference[len(_REF_PREFIX) :])
            if target is not None:
                yield from validator.descend(instance, target)
                return
        yield from validator._validate_reference(ref=reference, instance=instance)

    return validators.extend(
        Draft4Validator,
        validators={
            "$ref": ref,
            "properties": _kw_properties,
            "x-discriminator": _kw_discriminator,
            "x-known-properties": _kw_known_properties,
            "x-discriminator-value": _kw_discriminator_value,
            "x-string-items": _kw_string_items,
        },
    )


# --- error formatting -----------------------------------------------------------


def format_path(path: Any) -> str:
    """Render a JSON path (sequence of keys/indexes) as ``messages[0].text``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_to_problem(error: ValidationError) -> Problem:
    path = list(error.absolute_path)
    kind = error.validator
    value = error.validator_value
    inst = error.instance
    if kind == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        missing = match.group(1) if match else str(value)
        return Problem(format_path([*path, missing]), "must be specified")
    if kind == "type":
        return Problem(format_path(path), f"must be of type {value} (got {type(inst).__name__})")
    if kind == "maxItems":
        return Problem(format_path(path), f"must have at most {value} items (got {len(inst)})")
    if kind == "minItems":
        return Problem(format_path(path), f"must have at least {value} items (got {len(inst)})")
    if kind == "maxLength":
        return Problem(format_path(path), f"must be at most {value} characters (got {len(inst)})")
    if kind == "minLength":
        return Problem(format_path(path), f"must be at least {value} characters (got {len(inst)})")
    if kind == "enum":
        return Problem(format_path(path), f"must be one of {value} (got {_short(inst)})")
    if kind == "pattern":
        return Problem(format_path(path), f"must match {value} (got {_short(inst)})")
    if kind in ("maximum", "minimum"):
        word = "at most" if kind == "maximum" else "at least"
        return Problem(format_path(path), f"must be {word} {value} (got {inst})")
    if kind == "format":
        return Problem(format_path(path), f"must be a valid {value} (got {_short(inst)})")
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return Problem(format_path(path), message)


# --- limit checks (things the OpenAPI file does not encode) ----------------------


class _Checker:
    """Collects :class:`Problem` objects while walking a request body."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # generic helpers
    def max_utf16(self, obj: dict[str, Any], key: str, limit: int, path: str) -> None:
        value = obj.get(key)
        if isinstance(value, str):
            n = utf16_len(value)
            if n > limit:
                self.add(
                    f"{path}.{key}",
                    f"must be at most {limit} characters (got {n} UTF-16 code units)",
                )

    def max_graphemes(self, obj: dict[str, Any], key: str, limit: int, path: str) -> None:
        value = obj.get(key)
        if isinstance(value, str):
            n = grapheme_len(value)
            if n > limit:
                self.add(f"{path}.{key}", f"must be at most {limit} characters (got {n})")

    def required_str(self, obj: dict[str, Any], key: str, path: str, why: str = "") -> None:
        value = obj.get(key)
        if value is None:
            self.add(f"{path}.{key}", "must be specified" + (f" ({why})" if why else ""))
        elif isinstance(value, str) and value == "":
            self.add(f"{path}.{key}", "must not be empty" + (f" ({why})" if why else ""))

    def https_url(
        self, obj: dict[str, Any], key: str, path: str, limit: int = MAX_IMAGE_URL
    ) -> None:
        value = obj.get(key)
        if not isinstance(value, str):
            return
        if not value.startswith("https://"):
            self.add(f"{path}.{key}", f"must be an HTTPS URL (got {_short(value)})")
        if len(value) > limit:
            self.add(f"{path}.{key}", f"must be at most {limit} characters (got {len(value)})")

    # actions
    def action(self, action: Any, path: str, ctx: str) -> None:
        """Check one action object; ``ctx`` is where it is used."""
        if not isinstance(action, dict):
            return
        kind = action.get("type")
        label_limit = {
            "quick_reply": MAX_QUICK_REPLY_LABEL,
            "template": MAX_TEMPLATE_LABEL,
            "image_carousel": MAX_IMAGE_CAROUSEL_LABEL,
            "flex": MAX_FLEX_LABEL,
            "flex_button": MAX_FLEX_LABEL,
            "rich_menu": MAX_RICH_MENU_LABEL,
            "default_action": MAX_TEMPLATE_LABEL,
        }.get(ctx, MAX_TEMPLATE_LABEL)
        label_required = ctx in ("quick_reply", "template", "flex_button")
        if label_required:
            self.required_str(action, "label", path, f"required for actions in a {_CTX_NAMES[ctx]}")
        self.max_graphemes(action, "label", label_limit, path)
        if kind in ("camera", "cameraRoll", "location") and ctx != "quick_reply":
            self.add(f"{path}.type", f"a {kind} action can only be used in quick reply buttons")
        if kind == "richmenuswitch" and ctx != "rich_menu":
            self.add(f"{path}.type", "a richmenuswitch action can only be used in rich menus")
        if kind == "postback":
            data = action.get("data")
            if data is None:
                self.add(f"{path}.data", "must be specified")
            elif isinstance(data, str) and utf16_len(data) > MAX_POSTBACK_DATA:
                self.add(
                    f"{path}.data",
                    f"must be at most {MAX_POSTBACK_DATA} characters (got {utf16_len(data)})",
                )
            self.max_graphemes(action, "displayText", MAX_DISPLAY_TEXT, path)
            self.max_graphemes(action, "text", MAX_DISPLAY_TEXT, path)
            self.max_graphemes(action, "fillInText", MAX_DISPLAY_TEXT, path)
            if "displayText" in action and "text" in action:
                self.add(f"{path}.text", "cannot be combined with displayText (text is deprecated)")
        elif kind == "message":
            self.required_str(action, "text", path)
            self.max_graphemes(action, "text", MAX_MESSAGE_ACTION_TEXT, path)
        elif kind == "uri":
            self.required_str(action, "uri", path)
            self._uri(action.get("uri"), f"{path}.uri")
            alt = action.get("altUri")
            if isinstance(alt, dict):
                self._uri(alt.get("desktop"), f"{path}.altUri.desktop")
        elif kind == "datetimepicker":
            self.datetimepicker(action, path)
        elif kind == "clipboard":
            self.max_utf16(action, "clipboardText", MAX_CLIPBOARD_TEXT, path)
        elif kind == "richmenuswitch":
            self.required_str(action, "richMenuAliasId", path)
            self.required_str(action, "data", path)

    def _uri(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not value:
            return
        if len(value) > MAX_URI:
            self.add(path, f"must be at most {MAX_URI} characters (got {len(value)})")
        scheme = urlsplit(value).scheme.lower()
        if scheme not in _URI_SCHEMES:
            self.add(path, f"scheme must be one of {', '.join(_URI_SCHEMES)} (got {_short(value)})")

    def datetimepicker(self, action: dict[str, Any], path: str) -> None:
        self.required_str(action, "data", path)
        mode = action.get("mode")
        if mode is None:
            self.add(f"{path}.mode", "must be specified")
            return
        if mode not in _DATETIME_FORMATS:
            return  # the schema's enum reports it
        fmt, shown = _DATETIME_FORMATS[mode]
        parsed: dict[str, datetime] = {}
        for key in ("initial", "min", "max"):
            value = action.get(key)
            if value is None:
                continue
            try:
                parsed[key] = datetime.strptime(str(value).replace("t", "T"), fmt)  # noqa: DTZ007
            except ValueError:
                self.add(
                    f"{path}.{key}",
                    f"must be in {shown} format for mode {mode!r} (got {_short(value)})",
                )
                continue
            if mode != "time" and not (1900 <= parsed[key].year <= 2100):
                self.add(f"{path}.{key}", "must be between 1900-01-01T00:00 and 2100-12-31T23:59")
        if "min" in parsed and "max" in parsed and parsed["max"] <= parsed["min"]:
            self.add(f"{path}.max", "must be later than min")
        if "initial" in parsed:
            if "min" in parsed and parsed["initial"] < parsed["min"]:
                self.add(f"{path}.initial", "must not be earlier than min")
            if "max" in parsed and parsed["initial"] > parsed["max"]:
                self.add(f"{path}.initial", "must not be later than max")

    # messages
    def messages(self, messages: Any, path: str = "messages") -> None:
        if not isinstance(messages, list):
            return
        for index, message in enumerate(messages):
            if isinstance(message, dict):
                self.message(message, f"{path}[{index}]")

    def message(self, msg: dict[str, Any], path: str) -> None:
        kind = msg.get("type")
        if kind in ("text", "textV2"):
            self.max_utf16(msg, "text", MAX_TEXT_UTF16, path)
            if isinstance(msg.get("text"), str) and msg["text"] == "":
                self.add(f"{path}.text", "must not be empty")
            emojis = msg.get("emojis")
            if isinstance(emojis, list) and len(emojis) > MAX_EMOJIS:
                self.add(
                    f"{path}.emojis", f"must have at most {MAX_EMOJIS} items (got {len(emojis)})"
                )
        if "altText" in msg or kind in ("template", "flex", "imagemap"):
            self.max_utf16(msg, "altText", MAX_ALT_TEXT, path)
            if msg.get("altText") == "":
                self.add(f"{path}.altText", "must not be empty")
        if kind in ("image", "video"):
            self.https_url(msg, "originalContentUrl", path)
            self.https_url(msg, "previewImageUrl", path)
        elif kind == "audio":
            self.https_url(msg, "originalContentUrl", path)
        elif kind == "imagemap":
            self.https_url(msg, "baseUrl", path)
        elif kind == "template" and isinstance(msg.get("template"), dict):
            self.template(msg["template"], f"{path}.template")
        elif kind == "flex" and isinstance(msg.get("contents"), dict):
            self.flex_container(msg["contents"], f"{path}.contents")
        sender = msg.get("sender")
        if isinstance(sender, dict):
            self.https_url(sender, "iconUrl", f"{path}.sender")
        quick = msg.get("quickReply")
        if isinstance(quick, dict):
            self.quick_reply(quick, f"{path}.quickReply")

    def quick_reply(self, quick: dict[str, Any], path: str) -> None:
        items = quick.get("items")
        if items is None:
            self.add(f"{path}.items", "must be specified")
            return
        if not isinstance(items, list):
            return
        if not items:
            self.add(f"{path}.items", "must have at least 1 item")
        for index, item in enumerate(items):
            ipath = f"{path}.items[{index}]"
            if not isinstance(item, dict):
                continue
            if item.get("type") != "action":
                self.add(f"{ipath}.type", f"must be 'action' (got {_short(item.get('type'))})")
            self.https_url(item, "imageUrl", ipath)
            action = item.get("action")
            if action is None:
                self.add(f"{ipath}.action", "must be specified")
            else:
                self.action(action, f"{ipath}.action", "quick_reply")

    def template(self, tpl: dict[str, Any], path: str) -> None:
        kind = tpl.get("type")
        if kind == "buttons":
            self.https_url(tpl, "thumbnailImageUrl", path)
            self.max_graphemes(tpl, "title", MAX_BUTTONS_TITLE, path)
            has_extra = bool(tpl.get("title")) or bool(tpl.get("thumbnailImageUrl"))
            limit = MAX_BUTTONS_TEXT_WITH_TITLE_OR_IMAGE if has_extra else MAX_BUTTONS_TEXT
            if isinstance(tpl.get("text"), str) and grapheme_len(tpl["text"]) > limit:
                why = " when a title or thumbnail image is set" if has_extra else ""
                self.add(
                    f"{path}.text",
                    f"must be at most {limit} characters{why} (got {grapheme_len(tpl['text'])})",
                )
            self._template_actions(tpl, path, 1, MAX_BUTTONS_ACTIONS)
            if "defaultAction" in tpl:
                self.action(tpl["defaultAction"], f"{path}.defaultAction", "default_action")
        elif kind == "confirm":
            self.max_graphemes(tpl, "text", MAX_CONFIRM_TEXT, path)
            actions = tpl.get("actions")
            if isinstance(actions, list) and len(actions) != 2:
                self.add(f"{path}.actions", f"must have exactly 2 items (got {len(actions)})")
            self._template_actions(tpl, path, 0, 99)
        elif kind == "carousel":
            columns = tpl.get("columns")
            if not isinstance(columns, list):
                return
            if not columns or len(columns) > MAX_CAROUSEL_COLUMNS:
                self.add(
                    f"{path}.columns",
                    f"must have 1 to {MAX_CAROUSEL_COLUMNS} items (got {len(columns)})",
                )
            counts = set()
            for index, col in enumerate(columns):
                cpath = f"{path}.columns[{index}]"
                if not isinstance(col, dict):
                    continue
                self.https_url(col, "thumbnailImageUrl", cpath)
                self.max_graphemes(col, "title", MAX_CAROUSEL_TITLE, cpath)
                has_extra = bool(col.get("title")) or bool(col.get("thumbnailImageUrl"))
                limit = MAX_CAROUSEL_TEXT_WITH_TITLE_OR_IMAGE if has_extra else MAX_CAROUSEL_TEXT
                if isinstance(col.get("text"), str) and grapheme_len(col["text"]) > limit:
                    why = " when a title or thumbnail image is set" if has_extra else ""
                    got = grapheme_len(col["text"])
                    self.add(
                        f"{cpath}.text", f"must be at most {limit} characters{why} (got {got})"
                    )
                self._template_actions(col, cpath, 1, MAX_CAROUSEL_ACTIONS)
                if isinstance(col.get("actions"), list):
                    counts.add(len(col["actions"]))
                if "defaultAction" in col:
                    self.action(col["defaultAction"], f"{cpath}.defaultAction", "default_action")
            if len(counts) > 1:
                self.add(f"{path}.columns", "every column must have the same number of actions")
        elif kind == "image_carousel":
            columns = tpl.get("columns")
            if not isinstance(columns, list):
                return
            if not columns or len(columns) > MAX_CAROUSEL_COLUMNS:
                self.add(
                    f"{path}.columns",
                    f"must have 1 to {MAX_CAROUSEL_COLUMNS} items (got {len(columns)})",
                )
            for index, col in enumerate(columns):
                cpath = f"{path}.columns[{index}]"
                if isinstance(col, dict):
                    self.https_url(col, "imageUrl", cpath)
                    self.action(col.get("action"), f"{cpath}.action", "image_carousel")

    def _template_actions(self, obj: dict[str, Any], path: str, low: int, high: int) -> None:
        actions = obj.get("actions")
        if not isinstance(actions, list):
            return
        if len(actions) < low or len(actions) > high:
            self.add(f"{path}.actions", f"must have {low} to {high} items (got {len(actions)})")
        for index, action in enumerate(actions):
            self.action(action, f"{path}.actions[{index}]", "template")

    # flex
    def flex_container(self, container: dict[str, Any], path: str) -> None:
        kind = container.get("type")
        if kind == "bubble":
            size = _json_size(container)
            if size > MAX_FLEX_BUBBLE_BYTES:
                self.add(path, f"bubble JSON must be at most 30 KB (got {size} bytes)")
            self.flex_bubble(container, path)
        elif kind == "carousel":
            size = _json_size(container)
            if size > MAX_FLEX_CAROUSEL_BYTES:
                self.add(path, f"carousel JSON must be at most 50 KB (got {size} bytes)")
            bubbles = container.get("contents")
            if not isinstance(bubbles, list):
                return
            if not bubbles or len(bubbles) > MAX_FLEX_CAROUSEL_BUBBLES:
                self.add(
                    f"{path}.contents",
                    f"must have 1 to {MAX_FLEX_CAROUSEL_BUBBLES} bubbles (got {len(bubbles)})",
                )
            sizes = set()
            for index, bubble in enumerate(bubbles):
                if isinstance(bubble, dict):
                    bsize = _json_size(bubble)
                    if bsize > MAX_FLEX_BUBBLE_BYTES:
                        self.add(
                            f"{path}.contents[{index}]",
                            f"bubble JSON must be at most 30 KB (got {bsize} bytes)",
                        )
                    self.flex_bubble(bubble, f"{path}.contents[{index}]")
                    sizes.add(bubble.get("size", "mega"))
            if len(sizes) > 1:
                self.add(f"{path}.contents", "every bubble in a carousel must have the same size")

    def flex_bubble(self, bubble: dict[str, Any], path: str) -> None:
        for key in ("header", "hero", "body", "footer"):
            if isinstance(bubble.get(key), dict):
                self.flex_component(bubble[key], f"{path}.{key}")
        if "action" in bubble:
            self.action(bubble["action"], f"{path}.action", "flex")

    def flex_component(self, comp: dict[str, Any], path: str) -> None:
        kind = comp.get("type")
        if kind == "button":
            self.action(comp.get("action"), f"{path}.action", "flex_button")
        elif "action" in comp:
            self.action(comp["action"], f"{path}.action", "flex")
        if kind in ("image", "icon"):
            self.https_url(comp, "url", path)
        elif kind == "video":
            self.https_url(comp, "url", path)
            self.https_url(comp, "previewUrl", path)
            if isinstance(comp.get("altContent"), dict):
                self.flex_component(comp["altContent"], f"{path}.altContent")
        elif kind == "text":
            spans = comp.get("contents")
            if not comp.get("text") and not (isinstance(spans, list) and spans):
                self.add(f"{path}.text", "must be specified (or give non-empty contents spans)")
        elif kind == "span":
            self.required_str(comp, "text", path)
        if kind in ("box", "text"):
            children = comp.get("contents")
            if isinstance(children, list):
                for index, child in enumerate(children):
                    if isinstance(child, dict):
                        self.flex_component(child, f"{path}.contents[{index}]")

    # other request bodies
    def multicast_to(self, body: dict[str, Any]) -> None:
        to = body.get("to")
        if not isinstance(to, list):
            return
        if all(isinstance(t, str) and t and t[0] not in "CR" for t in to):
            return
        for index, target in enumerate(to):
            if isinstance(target, str) and target[:1] in ("C", "R"):
                self.add(
                    f"to[{index}]",
                    f"must be a user ID; multicast cannot send to groups or rooms (got {target!r})",
                )
            elif isinstance(target, str) and not target:
                self.add(f"to[{index}]", "must not be empty")

    def push_to(self, body: dict[str, Any]) -> None:
        if body.get("to") == "":
            self.add("to", "must not be empty")

    def loading(self, body: dict[str, Any]) -> None:
        seconds = body.get("loadingSeconds")
        if isinstance(seconds, int) and seconds % 5:
            self.add("loadingSeconds", f"must be a multiple of 5 (got {seconds})")
        chat = body.get("chatId")
        if isinstance(chat, str) and chat[:1] in ("C", "R"):
            self.add(
                "chatId", "the loading animation can only be shown in one-on-one chats (user IDs)"
            )

    def rich_menu(self, body: dict[str, Any]) -> None:
        for key in ("size", "selected", "name", "chatBarText", "areas"):
            if key not in body:
                self.add(key, "must be specified")
        self.max_graphemes(body, "chatBarText", MAX_CHAT_BAR_TEXT, "")
        self.max_graphemes(body, "name", MAX_RICH_MENU_NAME, "")
        size = body.get("size")
        width = height = None
        if isinstance(size, dict):
            width, height = size.get("width"), size.get("height")
            if isinstance(width, int) and not 800 <= width <= 2500:
                self.add("size.width", f"must be between 800 and 2500 (got {width})")
            if isinstance(height, int) and height < 250:
                self.add("size.height", f"must be at least 250 (got {height})")
            if (
                isinstance(width, int)
                and isinstance(height, int)
                and height > 0
                and width / height < 1.45
            ):
                self.add("size", f"width/height must be at least 1.45 (got {width / height:.2f})")
        areas = body.get("areas")
        if isinstance(areas, list):
            if len(areas) > MAX_RICH_MENU_AREAS:
                self.add(
                    "areas", f"must have at most {MAX_RICH_MENU_AREAS} items (got {len(areas)})"
                )
            for index, area in enumerate(areas):
                if not isinstance(area, dict):
                    continue
                apath = f"areas[{index}]"
                if "action" not in area:
                    self.add(f"{apath}.action", "must be specified")
                else:
                    self.action(area["action"], f"{apath}.action", "rich_menu")
                bounds = area.get("bounds")
                if not isinstance(bounds, dict):
                    self.add(f"{apath}.bounds", "must be specified")
                elif isinstance(width, int) and isinstance(height, int):
                    x, y = bounds.get("x", 0), bounds.get("y", 0)
                    w, h = bounds.get("width", 0), bounds.get("height", 0)
                    if all(isinstance(v, int) for v in (x, y, w, h)) and (
                        x + w > width or y + h > height
                    ):
                        self.add(f"{apath}.bounds", "must lie within the rich menu size")


_CTX_NAMES = {
    "quick_reply": "quick reply button",
    "template": "template message",
    "flex_button": "Flex button",
}


def _json_size(obj: Any) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _clean(problems: list[Problem]) -> list[Problem]:
    """Strip leading dots from top-level paths and drop duplicates, keeping order."""
    seen: set[Problem] = set()
    out: list[Problem] = []
    for problem in problems:
        if problem.property.startswith("."):
            problem = Problem(problem.property[1:], problem.message)
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


_EXTRA_CHECKS: dict[str, Callable[[_Checker, dict[str, Any]], None]] = {
    "MulticastRequest": _Checker.multicast_to,
    "PushMessageRequest": _Checker.push_to,
    "ShowLoadingAnimationRequest": _Checker.loading,
    "RichMenuRequest": _Checker.rich_menu,
}


# --- public API -------------------------------------------------------------------


class LineValidator:
    """Validates request bodies; thread-safe, caches one validator per schema."""

    def __init__(self, spec_path: str | Path = SPEC_PATH, strict_properties: bool = True) -> None:
        self.spec = load_spec(str(spec_path))
        self.root = build_json_schema(self.spec, strict_properties=strict_properties)
        for schema in self.root["components"]["schemas"].values():
            known = schema.get("x-known-properties")
            if known is not None:
                known["_set"] = frozenset(known["properties"])
        _compile_fast_paths(self.root)
        _inline_refs(self.root)
        self._validator_class = _make_validator_class(self.root)
        self._validators: dict[str, Any] = {}
        self._lock = threading.Lock()

    def schema_names(self) -> list[str]:
        """Names of all component schemas in the OpenAPI file."""
        return list(self.spec["components"]["schemas"])

    def _validator(self, schema_name: str) -> Any:
        validator = self._validators.get(schema_name)
        if validator is None:
            if schema_name not in self.spec["components"]["schemas"]:
                raise KeyError(f"no schema named {schema_name!r} in the OpenAPI file")
            with self._lock:
                validator = self._validators.get(schema_name)
                if validator is None:
                    schema = self.root["components"]["schemas"][schema_name]
                    validator = self._validator_class(schema, format_checker=_format_checker)
                    self._validators[schema_name] = validator
        return validator

    def schema_problems(self, schema_name: str, body: Any) -> list[Problem]:
        """Problems found by the OpenAPI schema alone."""
        errors = self._validator(schema_name).iter_errors(body)
        return [_error_to_problem(error) for error in errors]

    def limit_problems(self, schema_name: str, body: Any) -> list[Problem]:
        """Problems with LINE's documented limits that the schema does not encode."""
        if not isinstance(body, dict):
            return []
        checker = _Checker()
        if schema_name in MESSAGE_REQUESTS:
            checker.messages(body.get("messages"))
        extra = _EXTRA_CHECKS.get(schema_name)
        if extra is not None:
            extra(checker, body)
        return checker.problems

    def problems(self, schema_name: str, body: Any) -> list[Problem]:
        """All problems (schema first, then limits), de-duplicated."""
        return _clean(
            self.schema_problems(schema_name, body) + self.limit_problems(schema_name, body)
        )

    def validate(self, schema_name: str, body: Any) -> list[str]:
        """Human-readable problems; an empty list means the body is valid."""
        return [str(problem) for problem in self.problems(schema_name, body)]


_default_validators: dict[bool, LineValidator] = {}
_default_lock = threading.Lock()


def get_validator(strict_properties: bool = True) -> LineValidator:
    """Return the shared validator for the vendored OpenAPI file (built once)."""
    validator = _default_validators.get(strict_properties)
    if validator is None:
        with _default_lock:
            validator = _default_validators.get(strict_properties)
            if validator is None:
                validator = LineValidator(strict_properties=strict_properties)
                _default_validators[strict_properties] = validator
    return validator


def validate_body(schema_name: str, body: Any, strict_properties: bool = True) -> list[str]:
    """Validate ``body`` against the named request schema plus LINE's limits."""
    return get_validator(strict_properties).validate(schema_name, body)


def validate_messages(messages: list[dict[str, Any]]) -> list[str]:
    """Validate a list of message objects as LINE's ``validate`` endpoints would."""
    return validate_body("ValidateMessageRequest", {"messages": messages})


def retry_key_problems(endpoint: str, value: str | None) -> list[Problem]:
    """Check an ``X-Line-Retry-Key`` header for the given endpoint name."""
    if value is None:
        return []
    if endpoint not in RETRY_KEY_ENDPOINTS:
        return [
            Problem(
                "X-Line-Retry-Key",
                "is only supported by push, multicast, narrowcast and broadcast "
                f"(not by {endpoint})",
            )
        ]
    if not _UUID_RE.match(value):
        return [
            Problem("X-Line-Retry-Key", f"must be a UUID in hex notation (got {_short(value)})")
        ]
    try:
        uuid.UUID(value)
    except ValueError:
        return [Problem("X-Line-Retry-Key", f"must be a UUID (got {_short(value)})")]
    return []


def validate_retry_key(endpoint: str, value: str | None) -> list[str]:
    """Human-readable retry-key problems (empty = fine)."""
    return [str(problem) for problem in retry_key_problems(endpoint, value)]
