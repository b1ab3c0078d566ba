"""Retry keys: derived from what is sent (not random), so a restart re-sends under the same key."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6a1f3f9e-3d4b-4e3c-9b0e-6d61636869b0")


def retry_key(*parts: object) -> str:
    """A deterministic retry key (a UUID) for the same logical send, e.g. (broadcast, batch)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))
