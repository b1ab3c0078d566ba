"""Every resident-facing word exists in Japanese and English, with the same placeholders."""

from __future__ import annotations

import string

from messages.catalog import CATALOGS


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
