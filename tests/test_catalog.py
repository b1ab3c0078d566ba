"""Every resident-facing word exists in Japanese and English, with the same placeholders."""

from __future__ import annotations

import re
import string

from messages.catalog import CATALOGS, t
from messages.plural import Plural


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_in_both_languages_with_the_same_placeholders():
    ja, en = CATALOGS["ja"], CATALOGS["en"]
    assert ja.keys() == en.keys(), sorted(ja.keys() ^ en.keys())
    for key in ja:
        assert _fields(ja[key]) == _fields(en[key]), key
        assert ja[key].strip() and en[key].strip(), key


def test_button_labels_fit_line_limits():
    for texts in CATALOGS.values():
        for key, value in texts.items():
            if key.startswith(("label.", "menu.")) and key != "menu.intro":
                assert len(value) <= 20, (key, value)


def test_plural_texts_have_both_forms_with_the_same_placeholders():
    plurals = {k: v for k, v in CATALOGS["en"].items() if isinstance(v, Plural)}
    assert "events.card.seats" in plurals and "plan.more" in plurals
    for key, text in plurals.items():
        assert _fields(text.one) == _fields(text), key
        assert text.by in _fields(text), key


def test_english_counts_agree_with_their_nouns():
    assert t("en", "events.card.seats", mode="Online", n=1) == "Online: 1 seat left"
    assert t("en", "events.card.seats", mode="Online", n=2) == "Online: 2 seats left"
    assert t("en", "events.card.seats", mode="Online", n=0) == "Online: 0 seats left"
    assert t("en", "plan.more", n=1) == "There is 1 more target."
    assert t("en", "plan.more", n=3) == "There are 3 more targets."
    assert "1" in t("ja", "events.card.seats", mode="会場", n=1)


COUNTED = re.compile(r"(?<!at most )(?<!the same )\{(n|count|given)\} [a-z]+s\b")
NEVER_ONE = {"opinion.too_long_added"}  # {n} is over the character limit, so never 1


def test_no_english_count_is_left_without_a_singular():
    """A number before a plural noun is a Plural, unless it is a limit (“at most {n} …”)."""
    left = {
        key: text
        for key, text in CATALOGS["en"].items()
        if not isinstance(text, Plural) and COUNTED.search(text) and key not in NEVER_ONE
    }
    assert not left, left
