"""The threads that drain the webhook queue (bot/inbox.drain), in a web worker or `worker`.

A web worker starts INBOX_THREADS of them on its first webhook; each is woken by the
webhook that stored an event and otherwise looks about once a second for events stored
by other processes; wake-ups that came before a drain are all answered by it. Under
gunicorn, the `worker_exit` hook (gunicorn.conf.py) stops the worker's pools, letting each
thread finish its event. `flask --app wsgi worker` runs a pool in the foreground. Any number of
pools, in any processes and hosts on one database, may drain at once (the queue's claim
decides); a pool that dies leaves its current event pending for the others.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from bot import inbox
from bot.state import AppState

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # how often an idle thread looks for events other processes stored
WATCH_SECONDS = 10.0  # how often the first thread checks the backlog (a warning when late)


class Pool:
    """Threads draining the queue; started lazily, woken by the webhook."""

    def __init__(self, state: AppState, threads: int, poll: float = POLL_SECONDS) -> None:
        self.state, self.size, self.poll = state, threads, poll
        self._lock = threading.Lock()
        self._wakeup = threading.Condition()
        self._wakes = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pid = 0
        self._idle = 0  # threads waiting for a wake-up

    def start(self) -> None:
        """Start the threads in this process if not running (a forked child starts its own)."""
        if self.size <= 0 or (self._pid == os.getpid() and not self._stopping.is_set()):
            return
        with self._lock:
            if self._pid == os.getpid() and not self._stopping.is_set():
                return
            self._stopping = threading.Event()
            self._threads = [
                threading.Thread(target=self._run, args=(i,), name=f"inbox-{i}", daemon=True)
                for i in range(self.size)
            ]
            for thread in self._threads:
                thread.start()
            self._pid = os.getpid()

    def wake(self) -> None:
        """An event was stored: start the threads if need be and wake one."""
        if self.size <= 0:
            return
        self.start()
        with self._wakeup:
            self._wakes += 1
            self._wakeup.notify()

    def stop(self, timeout: float = 30.0) -> bool:
        """Let each thread finish its current event, then end; False if one did not in time."""
        self._stopping.set()
        with self._wakeup:
            self._wakeup.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._pid = 0
        return not any(t.is_alive() for t in self._threads)

    def alive(self) -> int:
        """How many of the threads are running."""
        return sum(t.is_alive() for t in self._threads)

    def idle(self) -> int:
        """How many of the threads are waiting for work."""
        with self._wakeup:
            return self._idle

    def _run(self, index: int) -> None:
        stopping, watched = self._stopping, time.monotonic()
        while not stopping.is_set():
            with self._wakeup:
                self._wakes = 0  # this drain answers every wake-up so far
            try:
                inbox.drain(self.state, stop=stopping.is_set)
                if index == 0 and time.monotonic() - watched >= WATCH_SECONDS:
                    watched = time.monotonic()
                    inbox.watch_backlog(self.state, backlog(self.state))
            except Exception as exc:  # the database is away, say: never stop the pool
                log.error("inbox pool: draining failed with %s; trying again", type(exc).__name__)
                stopping.wait(self.poll)
            with self._wakeup:  # drain ended on an empty pick: wait unless woken meanwhile
                if not self._wakes and not stopping.is_set():
                    self._idle += 1
                    self._wakeup.wait(self.poll)
                    self._idle -= 1


def backlog(state: AppState):
    """The queue's backlog now (pending events, the oldest one's age)."""
    from db import webhook_queue

    with state.engine.connect() as conn:
        return webhook_queue.backlog(conn, state.now())


_pools: dict[int, Pool] = {}
_pools_lock = threading.Lock()


def for_state(state: AppState) -> Pool:
    """The web worker's pool for this app state (INBOX_THREADS threads, not yet started)."""
    pool = _pools.get(id(state))
    if pool is None or pool.state is not state:
        with _pools_lock:
            pool = _pools.get(id(state))
            if pool is None or pool.state is not state:
                pool = _pools[id(state)] = Pool(state, state.settings.inbox_threads)
    return pool


def stop_all(timeout: float) -> bool:
    """Stop this process's pools (gunicorn's worker_exit); False if an event outlasted it."""
    deadline = time.monotonic() + timeout
    clean = True
    for pool in list(_pools.values()):
        if pool._pid == os.getpid():
            clean = pool.stop(max(0.1, deadline - time.monotonic())) and clean
    return clean


def wake(state: AppState) -> None:
    """The webhook stored events: wake this process's pool (nothing with INBOX_THREADS=0)."""
    if state.settings.inbox_threads > 0:
        for_state(state).wake()
