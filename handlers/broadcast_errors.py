"""Why an announcement cannot be made or changed: a code and its values, no sentence.

The edges say it in their own words: the console from the staff catalog
(`messages/catalog/broadcast_staff.py`, Japanese or English), the CLI with its flags
(`bot/cli_broadcast.py`). `str()` is the catalog's English, for logs and callers that
pass the reason on.
"""

from __future__ import annotations

from datetime import datetime

from messages.broadcast import AnnouncementError
from messages.catalog import t
from messages.text import when


class BroadcastError(ValueError):
    """A broadcast cannot be created or changed; `code` says why, `params` the values."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(self.words("en"))

    @classmethod
    def of(cls, exc: AnnouncementError) -> BroadcastError:
        """The same reason, from the message builder's checks."""
        return cls(exc.code, **exc.params)

    def words(self, lang: str, **overrides: object) -> str:
        """The staff sentence in lang; `overrides` replace values (e.g. a time shown in JST)."""
        values = {**self.params, **overrides}
        sep = t(lang, "broadcast_error.sep")
        for name, value in values.items():
            if isinstance(value, datetime):
                values[name] = when(value, lang)
            elif isinstance(value, (list, tuple)):
                values[name] = sep.join(str(v) for v in value) or t(lang, "broadcast_error.none")
        if "field" in values:
            values["field"] = t(lang, f"broadcast_error.field.{values['field']}")
        if "status" in values:
            values["status"] = t(lang, f"broadcast_status.{values['status']}")
        return t(lang, f"broadcast_error.{self.code}", **values)
