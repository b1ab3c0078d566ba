"""SQLite writers of different processes queue on a file lock, and a dead holder frees it."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import make_engine

ROOT = Path(__file__).resolve().parents[1]
HOLDER = """
import sys, time
from sqlalchemy import text
from db.session import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    conn.execute(text("INSERT INTO t VALUES ('child')"))
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
print("done", flush=True)
"""


def _holder(url: str, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout.readline().strip() == "holding"
    return child


def _write(url: str, value: str) -> float:
    engine = make_engine(url)
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": value})
    engine.dispose()
    return time.monotonic() - started


def _rows(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.begin() as conn:
        rows = sorted(conn.execute(text("SELECT v FROM t")).scalars())
    engine.dispose()
    return rows


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
    engine.dispose()
    return url


def test_a_writer_in_another_process_waits_its_turn(tmp_path):
    url = _database(tmp_path)
    child = _holder(url, 0.8)
    lock_file = os.open(tmp_path / "w.db-writer.lock", os.O_RDWR)
    with pytest.raises(BlockingIOError):  # the holder has the file lock, not only SQLite's
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(lock_file)
    waited = _write(url, "parent")  # no "database is locked": it queues behind the child
    assert child.wait(timeout=30) == 0
    assert waited > 0.5
    assert _rows(url) == ["child", "parent"]
    assert (tmp_path / "w.db-writer.lock").exists()


def test_a_killed_holder_frees_the_lock_and_loses_only_its_own_write(tmp_path):
    url = _database(tmp_path)
    child = _holder(url, 60)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert _write(url, "parent") < 5  # not the 60 s the child meant to hold it
    assert _rows(url) == ["parent"]  # its uncommitted insert is gone


def _open_files_under(folder: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder))
        except OSError:
            continue  # the descriptor listing itself, closed meanwhile
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_the_lock_files_are_closed_after_each_write(tmp_path):
    """A long-lived process (a test session, the clock) opens many engines over its life:
    a lock file left open per engine once ran a test process past 1,024 descriptors."""
    url = _database(tmp_path)
    for n in range(20):
        _write(url, f"w{n}")
    assert _rows(url) == sorted(["w" + str(n) for n in range(20)])
    assert _open_files_under(tmp_path) == 0
