"""Common phrasings of the menu entries: 「アンケートに答えたい」, "survey", "join a workshop".

A short message asks for a menu entry when it holds one of the entry's words and nothing
around it but particles, wishes and politeness. Anything more (「ワークショップの日程が平日
ばかりで困る」) is not a request for the entry: those are words to keep (handlers/chat.py
offers to send them as an opinion). Pure functions; nothing typed is logged or stored here.
"""

from __future__ import annotations

import re

from messages.text import nfkc
from messages.typed_words import EN_FILLER, JA_FILLER, TERMS

MAX_LENGTH = 40  # longer messages are never taken for a menu request


def normalise(text: str) -> str:
    """NFKC, trimmed, lower case (as handlers/chat.py compares keywords)."""
    return nfkc(text, strip=True, lower=True)


def menu_entry(text: str) -> str | None:
    """The menu entry (its catalog key, `menu.survey`) a short typed request asks for, or None."""
    norm = normalise(text)
    if not norm or len(norm) > MAX_LENGTH:
        return None
    found = None
    for key, terms in TERMS.items():
        term = next((w for w in terms if w in norm and only_filler(norm.replace(w, " ", 1))), None)
        if term is None:
            continue
        if found is not None:
            return None  # two entries asked for at once: neither
        found = key
    return found


def only_filler(rest: str) -> bool:
    """True when what is left holds nothing but filler words, particles and punctuation."""
    words = [w for w in re.split(r"(\W+)", rest) if w.strip() and w not in EN_FILLER]
    left = "".join(words)
    for filler in JA_FILLER:
        left = left.replace(filler, "")
    return not left.strip()
