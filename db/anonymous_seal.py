"""Sealing anonymous answers while they wait in the pool: AES-256-GCM under a key derived
(HKDF-SHA256) from the app's SECRET_KEY, padded so every sealed value of a survey has the same
length (`sealed_size`). The pool itself is db/anonymous_pool.py; docs/security.md explains
the model.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.survey_models import DIMENSIONS, Survey

_INFO = b"machikoe/anonymous-answers/v1"
_PREFIX = 4  # bytes of the plaintext's length, before it and its padding
_STEP = 256  # padded sizes are multiples of this
_configured: dict[str, str] = {}


class PoolRow(Protocol):
    """A pool row as sealed (a PendingAnswer, or a plain row of its columns)."""

    @property
    def survey_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def sealed(self) -> bytes: ...


def configure(secret_key: str) -> None:
    """Remember the app's SECRET_KEY for callers that do not pass one (set by create_app)."""
    _configured["secret"] = secret_key


def _key(secret: str | None) -> bytes:
    secret = secret or _configured.get("secret")
    if not secret:
        raise RuntimeError("anonymous answers need the app's SECRET_KEY (create_app sets it)")
    return _derive(secret)


@functools.lru_cache(maxsize=4)
def _derive(secret: str) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return kdf.derive(secret.encode())


def _aad(survey_id: str, channel: str, profile: Mapping[str, str | None]) -> bytes:
    """What the seal binds the answers to: their survey, channel and group."""
    return json.dumps([survey_id, channel, *(profile.get(d) for d in DIMENSIONS)]).encode()


def sealed_size(survey: Survey) -> int:
    """The padded plaintext size of every payload of a survey, from its own limits: the
    longest answer each question allows (a text at 6 bytes per character, JSON's worst)."""
    most = 64  # {"v": version, "a": {}} with room to spare
    for q in survey.questions:
        most += len(json.dumps(q["id"], ensure_ascii=False).encode()) + 8
        if q["type"] in ("single", "multi"):
            most += sum(
                len(json.dumps(c["value"], ensure_ascii=False).encode()) + 2 for c in q["choices"]
            )
        elif q["type"] == "scale":
            most += 48
        else:
            most += 6 * int(q.get("max_length") or 2000) + 4
    return -(-(most + _PREFIX) // _STEP) * _STEP


def _pad(data: bytes, size: int) -> bytes:
    """A length prefix, the data, zeros up to `size` (or the next 4096 if it does not fit)."""
    need = _PREFIX + len(data)
    if need > size:  # cannot happen for answers within the limits; still never truncate
        size = -(-need // 4096) * 4096
    return len(data).to_bytes(_PREFIX, "big") + data + bytes(size - need)


def _unpad(padded: bytes) -> bytes:
    n = int.from_bytes(padded[:_PREFIX], "big")
    if n > len(padded) - _PREFIX:
        raise ValueError("bad padding in a sealed anonymous answer")
    return padded[_PREFIX : _PREFIX + n]


def seal(
    secret: str | None,
    survey_id: str,
    channel: str,
    profile: Mapping[str, str | None],
    payload: Mapping[str, Any],
    size: int = 0,
) -> bytes:
    """Encrypt a payload for the pool (AES-256-GCM, random nonce), padded to `size` bytes so
    every sealed value of a survey has the same length."""
    nonce = os.urandom(12)
    data = _pad(json.dumps(payload, ensure_ascii=False).encode(), size)
    return nonce + AESGCM(_key(secret)).encrypt(nonce, data, _aad(survey_id, channel, profile))


def unseal(secret: str | None, row: PoolRow) -> dict[str, Any]:
    """Decrypt a pool row's payload ({"v": version, "a": answers}); InvalidTag without the key."""
    aad = _aad(row.survey_id, row.channel, profile_of(row))
    data = AESGCM(_key(secret)).decrypt(row.sealed[:12], row.sealed[12:], aad)
    payload: dict[str, Any] = json.loads(_unpad(data))
    return payload


def profile_of(row: PoolRow) -> dict[str, str | None]:
    """A pool row's group (age band, district, residency)."""
    return {d: getattr(row, d) for d in DIMENSIONS}
