"""Sending announcements: threads, the pacer, sender liveness and the multicast calls.

Beside the gateway (bot/line_gateway.py). The decisions are handlers/broadcast_send.py's
and handlers/broadcast_lifecycle.py's; here each runs in its own committed transaction,
and nothing is requested from LINE before the claim that covers it is committed.

Exactly once (docs/announcements.md): when a broadcast becomes due its recipients are
materialised in one transaction, one batch row per multicast with its retry key
`retry_key("broadcast", id, batch_no)`; a batch left `sending` by a dead sender is sent
again under the same key, and LINE answers 409 for what it already accepted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.state import AppState
from db import broadcasts_queue
from db.broadcasts import Broadcast
from handlers import broadcast_lifecycle, broadcast_send
from handlers.broadcast_drafts import draft_of
from handlers.broadcast_errors import BroadcastError
from handlers.broadcast_send import EMPTY, Claimed, SendReport
from messages.catalog import LANGUAGES
from messages.postback import ascii_int

log = logging.getLogger(__name__)

RATE = 200.0  # LINE: multicast at most 200 requests per second per channel
WORKERS = 8  # concurrent requests, so that round trips do not limit the rate
GROUP = 10  # batches claimed per transaction (fewer claims: measured 1.32 → 1.11 × floor on PG)
HOST = socket.gethostname()
ACTIVE_OWNERS: set[str] = set()  # senders running in this process


class Pacer:
    """At most `rate` requests per second across threads (LINE's multicast limit)."""

    def __init__(self, rate: float = RATE) -> None:
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def wait(self) -> None:
        """Block until this caller's slot."""
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def owner_dead(owner: str | None) -> bool:
    """True when the sender that claimed a batch is certainly gone (this host only)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    pid = ascii_int(pid_text)
    if host != HOST or pid is None:
        return False
    if pid == os.getpid():
        return owner not in ACTIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def start_due(state: AppState, broadcast_id: int, now: datetime) -> bool:
    """A due scheduled broadcast becomes `sending`, its audience materialised (once)."""
    with state.sessions() as s, s.begin():
        return broadcast_lifecycle.begin(s, broadcast_id, now)


class _Run:
    """One sending run of one broadcast: its workers share the report and the progress."""

    def __init__(
        self,
        state: AppState,
        broadcast_id: int,
        messages: dict[str, list[dict]],
        *,
        group: int,
        pacer: Pacer,
        progress: Callable[[int, int], None] | None,
        done: int,
        total: int,
    ) -> None:
        self.state, self.broadcast_id, self.messages = state, broadcast_id, messages
        self.group, self.pacer, self.progress = group, pacer, progress
        self.owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.report = SendReport(broadcast_id)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done, self.total = done, total

    def claim(self) -> list[Claimed] | None:
        with self.state.sessions() as s, s.begin():
            return broadcast_send.claim(
                s, self.broadcast_id, self.owner, self.state.now(), self.group, owner_dead
            )

    def request(self, c: Claimed) -> Any:
        """LINE's answer for one batch (None when this run stopped first, EMPTY for nobody)."""
        if self.stop.is_set():
            return None
        if not c.user_ids:
            return EMPTY
        self.pacer.wait()
        r = self.state.gateway.multicast(c.user_ids, self.messages[c.lang], c.key)
        if not r.ok:
            self.stop.set()  # monthly limit, refusal or LINE down: stop this run
        return r

    def work(self) -> None:
        while not self.stop.is_set():
            claimed = self.claim()
            if not claimed:
                return
            results = [(c, self.request(c)) for c in claimed]
            with self.state.sessions() as s, s.begin():
                paused = broadcast_send.finish(s, self.broadcast_id, results, self.state.now())
            with self.lock:
                self.done += broadcast_send.tally(self.report, results, paused)
                if self.progress:
                    self.progress(self.done, self.total)

    def run(self, workers: int) -> None:
        ACTIVE_OWNERS.add(self.owner)
        try:
            threads = [
                threading.Thread(
                    target=self.work, name=f"broadcast-{self.broadcast_id}-{i}", daemon=True
                )
                for i in range(max(1, workers))
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        finally:
            ACTIVE_OWNERS.discard(self.owner)


def send(
    state: AppState,
    broadcast_id: int,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
    group: int = GROUP,
    pacer: Pacer | None = None,
) -> SendReport:
    """Send what is left of one broadcast (starting it if due); safe to run anywhere, twice."""
    start_due(state, broadcast_id, state.now())
    _ = state.gateway.api  # one client for the process, before the threads share it
    with state.sessions() as s:
        total, done = broadcasts_queue.batch_progress(s, broadcast_id)
        b = s.get(Broadcast, broadcast_id)
        if b is None:
            raise BroadcastError("no_broadcast", id=broadcast_id)
        draft = draft_of(b, s, state.settings.tz)
    if progress:
        progress(done, total)
    messages = {lang: draft.messages(lang) for lang in LANGUAGES}
    run = _Run(
        state,
        broadcast_id,
        messages,
        group=group,
        pacer=pacer or Pacer(),
        progress=progress,
        done=done,
        total=total,
    )
    run.run(workers)
    report = run.report
    with state.sessions() as s, s.begin():
        report.status = broadcast_send.complete(s, broadcast_id, state.now())
    report.stopped = broadcast_send.closing_note(report)
    return report


def send_due(state: AppState, now: datetime | None = None, **options) -> int:
    """Send every broadcast that is due or was interrupted; returns batches sent."""
    now = now or state.now()
    with state.sessions() as s:
        ids = broadcasts_queue.due_ids(s, now)
    return sum(send(state, b_id, **options).batches_sent for b_id in ids)


def send_in_background(state: AppState, broadcast_id: int) -> threading.Thread:
    """Send in a background thread (the dispatch job finishes it if this process stops)."""

    def run() -> None:
        try:
            send(state, broadcast_id)
        except Exception:
            log.exception("broadcast %s: background send failed", broadcast_id)

    thread = threading.Thread(target=run, name=f"broadcast-{broadcast_id}", daemon=True)
    thread.start()
    return thread
