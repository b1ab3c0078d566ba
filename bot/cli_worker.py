"""`flask --app wsgi worker`: drain the webhook queue in its own process (Procfile `worker`)."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app

from bot.event_pool import Pool

log = logging.getLogger(__name__)


@click.command("worker")
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="drainer threads (each holds one database connection while it works)",
)
@click.option(
    "--poll",
    default=0.25,
    show_default=True,
    type=click.FloatRange(0.05, 10.0),
    help="seconds an idle thread waits before looking for new events (the web stores them)",
)
def worker_command(threads: int, poll: float) -> None:
    """Process webhook events in the background until SIGTERM or Ctrl-C."""
    state = current_app.extensions["machikoe"]
    pool = Pool(state, threads, poll=poll)
    stopped = threading.Event()

    def stop(signum, _frame) -> None:
        log.info("worker stopping (signal %s): finishing the events in hand", signum)
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pool.start()
    click.echo(f"worker draining the webhook queue with {threads} threads; Ctrl-C to stop")
    while not stopped.wait(1.0):
        if pool.alive() < threads:  # never expected: a thread catches everything
            log.error("worker: a drainer thread ended; starting the pool again")
            pool.stop(timeout=5)
            pool.start()
    clean = pool.stop()
    click.echo("worker stopped" if clean else "worker stopped; an event was still running")
