"""English plural forms for the message catalogs (Japanese needs none)."""

from __future__ import annotations


class Plural(str):
    """A text with its singular form (CLDR "one"); the text itself is the "other" form.

    ``by`` names the value that counts. Everywhere a plain string is expected it reads as the
    plural form; ``t`` picks ``one`` when that value is 1.
    """

    one: str
    by: str

    def __new__(cls, other: str, *, one: str, by: str = "n") -> Plural:
        text = super().__new__(cls, other)
        text.one, text.by = one, by
        return text

    def form(self, values: dict) -> str:
        """The form for these values."""
        return self.one if values.get(self.by) == 1 else str(self)
