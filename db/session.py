"""Engine and session factory; SQLite gets WAL, foreign keys and serialised writers."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")
SQLITE_BUSY_SECONDS = 30
# PostgreSQL: end a session idle in a transaction after 60 s; TCP keepalives find a dead peer
PG_CONNECT_ARGS = {
    "options": "-c idle_in_transaction_session_timeout=60000",
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


_HELD_FILE_LOCKS = threading.local()  # .paths: the lock files this thread holds
# Writes that someone is waiting on (a webhook's store before its 200) go before the others.
_URGENT: ContextVar[bool] = ContextVar("urgent_sqlite_write", default=False)


@contextmanager
def urgent_writes() -> Iterator[None]:
    """SQLite: transactions begun inside take the writer lock before waiting background ones.

    The webhook stores its events this way, so LINE's acknowledgement does not queue behind
    the drainers' transactions; on PostgreSQL it changes nothing.
    """
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class _UrgentFirstLock:
    """A lock for the threads of one process where urgent waiters go before the others."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._held = False
        self._urgent_waiting = 0

    def acquire(self, urgent: bool, timeout: float) -> bool:
        with self._free:
            if urgent:
                self._urgent_waiting += 1
            try:
                return (
                    self._free.wait_for(
                        lambda: not self._held and (urgent or not self._urgent_waiting), timeout
                    )
                    and self._take()
                )
            finally:
                if urgent:
                    self._urgent_waiting -= 1

    def _take(self) -> bool:
        self._held = True
        return True

    def release(self) -> None:
        with self._free:
            self._held = False
            self._free.notify_all()


class _ProcessLock:
    """An exclusive ``flock`` on a file beside the database, shared by every process using it.

    The files are opened for each turn and closed with it, so nothing is left open when an
    engine goes away and a forked child never shares a parent's lock. A waiter sleeps in the
    kernel and wakes as soon as the holder lets go; the lock goes with a process that dies.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1

    def acquire(self, urgent: bool = False) -> bool:
        """Take the lock; False (not taken) if this thread holds it through another engine.

        Across processes, urgent writers hold a *gate* file shared while they wait; others
        pass the gate exclusively first, so they do not queue while an urgent one waits.
        """
        held = _HELD_FILE_LOCKS.__dict__.setdefault("paths", set())
        if self.path in held:
            return False  # waiting would be waiting on ourselves: SQLite decides, as before
        gate = os.open(self.path + "-gate", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(gate, fcntl.LOCK_SH if urgent else fcntl.LOCK_EX)
            if not urgent:
                fcntl.flock(gate, fcntl.LOCK_UN)  # passed: no urgent writer was waiting
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                started = time.monotonic()
                fcntl.flock(fd, fcntl.LOCK_EX)
                waited = time.monotonic() - started
                if waited > SQLITE_BUSY_SECONDS:
                    log.warning("waited %.0f s for the SQLite writer lock", waited)
            except BaseException:
                os.close(fd)
                raise
        finally:
            os.close(gate)  # closing gives back a shared hold on the gate
        self.fd = fd
        held.add(self.path)
        return True

    def release(self) -> None:
        _HELD_FILE_LOCKS.paths.discard(self.path)
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)  # closing the file gives the lock back


def _queued_writers(lock_path: str | None) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose writers queue for their turn instead of polling.

    SQLite serialises writers itself, but a connection that finds the database locked polls
    with sleeps of up to 100 ms, so under load a writer can wait long after the database is
    free. Here a writer takes, at BEGIN, a lock shared by the threads of this process, then
    (for a database file) a file lock shared with other processes (gunicorn workers, the
    clock, the CLI), and gives both back once COMMIT or ROLLBACK has finished. SQLite's own
    lock and busy timeout stay underneath for anything that does not queue here.
    """
    lock = _UrgentFirstLock()
    owner: list[int | None] = [None]
    across = _ProcessLock(lock_path) if lock_path else None

    class QueuedWriters(sqlite3.Connection):
        holds_writer_lock = False
        holds_file_lock = False

        def take_writer_lock(self) -> None:
            me = threading.get_ident()
            if self.holds_writer_lock or owner[0] == me:
                return  # a second connection in the same thread: SQLite decides, as before
            urgent = _URGENT.get()
            if not lock.acquire(urgent, timeout=SQLITE_BUSY_SECONDS):
                log.warning("no SQLite writer slot after %ss; trying anyway", SQLITE_BUSY_SECONDS)
                return
            owner[0] = me
            self.holds_writer_lock = True
            if across is not None:
                self.holds_file_lock = across.acquire(urgent)

        def give_writer_lock(self) -> None:
            if self.holds_file_lock and across is not None:
                self.holds_file_lock = False
                across.release()
            if self.holds_writer_lock:
                self.holds_writer_lock = False
                owner[0] = None
                lock.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.give_writer_lock()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.give_writer_lock()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.give_writer_lock()

    return QueuedWriters


def _explain_missing_tables(engine: Engine) -> None:
    """Say plainly what an operator should do when the schema is not there yet."""

    @event.listens_for(engine, "handle_error")
    def _missing(ctx: ExceptionContext) -> None:
        message = str(ctx.original_exception)
        if "no such table" in message or "UndefinedTable" in type(ctx.original_exception).__name__:
            log.error("the database is not migrated: run `flask --app wsgi db upgrade` first")


_DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)


def _no_row_values(engine: Engine) -> None:
    """PostgreSQL's DETAIL line quotes the failing row or key: keep it out of logs."""

    @event.listens_for(engine, "handle_error")
    def _scrub(ctx: ExceptionContext) -> None:
        for exc in (ctx.original_exception, ctx.sqlalchemy_exception):
            if exc is not None and exc.args and "DETAIL:" in str(exc.args[0]):
                exc.args = (_DETAIL.sub("DETAIL:  (values not shown)", str(exc.args[0])),)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine for a database URL, tuned for SQLite or PostgreSQL.

    Statement parameters never reach a log or an exception's text (user ids, residents' words).
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        database = make_url(url).database
        on_disk = database and database != ":memory:" and not database.startswith("file:")
        factory = _queued_writers(f"{database}-writer.lock" if on_disk else None)
        connect_args = {"timeout": SQLITE_BUSY_SECONDS, "factory": factory}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: object) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # One writer at a time, decided at BEGIN: no lock upgrades, no SQLITE_BUSY mid-way.
            dbapi_conn: Any = conn.connection.dbapi_connection  # a QueuedWriters connection
            dbapi_conn.take_writer_lock()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                dbapi_conn.give_writer_lock()
                raise

        _explain_missing_tables(engine)
        return engine
    # No ping before every checkout (a round trip per transaction): a connection found dead
    # invalidates the whole pool, and the webhook runs its transaction once more.
    kwargs.setdefault("pool_recycle", 3600)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    # a host that vanishes mid-transaction must not keep its row locks for hours
    kwargs["connect_args"] = {**PG_CONNECT_ARGS, **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    _explain_missing_tables(engine)
    _no_row_values(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def once_more_if_disconnected(fn: Callable[[], T]) -> T:
    """Run ``fn`` (a whole transaction); if its connection was dead, run it once more.

    After a database restart, pooled connections are dead. SQLAlchemy notices on first use
    and discards every pooled connection, so the second run gets a fresh one.
    """
    try:
        return fn()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection lost; running the transaction again")
        return fn()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
