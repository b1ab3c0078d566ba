"""A sender killed with SIGKILL mid-send; a re-run finishes and nobody gets it twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from db.broadcasts import Broadcast, BroadcastBatch
from db.models import Resident
from db.outbox import retry_key
from db.session import transaction
from tests import line

ROOT = Path(__file__).resolve().parents[1]


def _env(settings) -> dict:
    return line.process_env(settings)


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def test_sigkill_mid_send_then_rerun_delivers_exactly_once(app, settings, fake_line):
    state = app.extensions["machikoe"]
    ids = [line.user_id(f"k{i}") for i in range(1600)]  # 4 batches
    now = datetime.now(UTC)
    with transaction(state.sessions) as s:
        s.execute(insert(Resident), [{"line_user_id": u, "created_at": now} for u in ids])

    proc: dict = {}
    killed = threading.Event()
    seen = {"n": 0}

    def kill_after_second_batch(user_id, message, endpoint):
        seen["n"] += 1
        if seen["n"] == 1000 and "p" in proc:  # batch 2 is delivered, its answer not yet sent
            os.kill(proc["p"].pid, signal.SIGKILL)
            killed.set()

    fake_line.on_delivery = kill_after_second_batch
    p = subprocess.Popen(
        _flask("broadcast", "send", "--text", "説明会のお知らせ", "--actor", "crash@town"),
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    proc["p"] = p
    out, _ = p.communicate(timeout=120)
    assert killed.is_set(), out.decode()
    assert p.returncode == -signal.SIGKILL
    fake_line.on_delivery = None

    with state.sessions() as s:
        b_id = s.scalar(select(Broadcast.id))
        assert s.scalar(select(Broadcast.status)) == "sending"
        left = list(s.scalars(select(BroadcastBatch.status).where(BroadcastBatch.status != "sent")))
        assert left  # the killed sender left work behind
    delivered_before = len(fake_line.recipient_counts("multicast"))
    assert 1000 <= delivered_before < 1600

    rerun = subprocess.run(
        _flask("jobs", "run", "dispatch"),
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    counts = fake_line.recipient_counts("multicast")
    assert set(counts) == set(ids) and set(counts.values()) == {1}
    assert fake_line.count("multicast", 409) >= 1  # re-sent under the same key, dropped by LINE
    keys = {r.headers["x-line-retry-key"] for r in fake_line.requests if r.endpoint == "multicast"}
    assert keys == {retry_key("broadcast", b_id, n) for n in range(4)}
    with state.sessions() as s:
        assert s.scalar(select(Broadcast.status)) == "done"
        assert set(s.scalars(select(BroadcastBatch.status))) == {"sent"}
