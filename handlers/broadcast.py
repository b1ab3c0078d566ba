"""Announcements, the public face: what callers import as `handlers.broadcast`.

The work lives in rooms of its own (docs/announcements.md, "where the code lives"):
drafting and the dry run in `broadcast_drafts`, creating / cancelling / resuming /
starting in `broadcast_lifecycle`, the sending decisions in `broadcast_send`, progress and
history in `broadcast_reports`, error codes in `broadcast_errors`; the SQL in
`db/broadcasts_queue.py` and `db/broadcasts_reports.py`; threads, pacing and the
multicast calls in `bot/dispatcher.py` (`send`, `send_due`, `start_due`).
"""

from __future__ import annotations

from db.broadcasts_queue import BATCH_SIZE
from handlers.broadcast_drafts import (
    Draft,
    DryRun,
    draft_of,
    dry_run,
    missing_english,
    prepare,
    resolve_action,
)
from handlers.broadcast_errors import BroadcastError
from handlers.broadcast_lifecycle import (
    DUPLICATE_WINDOW,
    audit,
    cancel,
    create_broadcast,
    find_duplicate,
    resume,
)
from handlers.broadcast_reports import broadcast_status, list_broadcasts, sent_in_period
from handlers.broadcast_send import Claimed, SendReport

__all__ = [
    "BATCH_SIZE",
    "DUPLICATE_WINDOW",
    "BroadcastError",
    "Claimed",
    "Draft",
    "DryRun",
    "SendReport",
    "audit",
    "broadcast_status",
    "cancel",
    "create_broadcast",
    "draft_of",
    "dry_run",
    "find_duplicate",
    "list_broadcasts",
    "missing_english",
    "prepare",
    "resolve_action",
    "resume",
    "sent_in_period",
]
