"""The postback codec: compact, typed, at most 300 characters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_DATA = 300
VERSION = "1"


@dataclass(frozen=True)
class Postback:
    """What a button means: flow, the step it was shown at, an action and a value."""

    action: str
    value: str = ""
    flow: str = ""
    step: int | None = None

    def encode(self) -> str:
        """The postback data string; raises ValueError if LINE would refuse it."""
        fields = {"v": VERSION, "a": self.action}
        if self.flow:
            fields["f"] = self.flow
        if self.step is not None:
            fields["n"] = str(self.step)
        if self.value:
            fields["x"] = self.value
        data = urlencode(fields)
        if len(data) > MAX_DATA:
            raise ValueError(f"postback data is {len(data)} characters; LINE allows {MAX_DATA}")
        return data


def ascii_int(text: object, digits: int = 9, signed: bool = False) -> int | None:
    """The whole number written in ASCII 0-9 (at most `digits` of them), else None.

    `str.isdigit` also accepts ² and ①, which `int` then refuses; this never raises.
    """
    if not isinstance(text, str):
        return None
    body = text[1:] if signed and text.startswith("-") else text
    if not 0 < len(body) <= digits or not body.isascii() or not body.isdigit():
        return None
    return int(text)


def decode(data: str | None) -> Postback | None:
    """Parse postback data; None for anything that is not ours (never raises)."""
    if not data or len(data) > MAX_DATA:
        return None
    try:
        fields = dict(parse_qsl(data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    if fields.get("v") != VERSION or not fields.get("a"):
        return None
    step = fields.get("n")
    if step is not None and ascii_int(step) is None:
        return None
    return Postback(
        action=fields["a"],
        value=fields.get("x", ""),
        flow=fields.get("f", ""),
        step=ascii_int(step) if step is not None else None,
    )
