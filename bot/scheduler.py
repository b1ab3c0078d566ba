"""The clock process: `flask --app wsgi scheduler` runs every job in bot.jobs.JOBS on time.

APScheduler 3.x BlockingScheduler in the town's time zone. The digest's trigger comes from
the schedule staff set in the console and follows changes within a minute. Jobs are safe
to run twice; the digest claims its week in job_runs, so two clocks send it once.
"""

from __future__ import annotations

import contextlib
import logging
import signal
from datetime import datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app

from bot import digest
from bot.jobs import JOBS, Job
from bot.state import AppState

log = logging.getLogger(__name__)
TRIGGERS = {"cron": CronTrigger, "interval": IntervalTrigger, "date": DateTrigger}
SYNC_ID = "_sync"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def trigger_args(job: Job, state: AppState) -> dict:
    """A job's trigger arguments; the digest's come from the staff-set schedule."""
    if job.name == digest.JOB:
        return digest.current_schedule(state).cron()
    return dict(job.trigger_args)


def make_trigger(job: Job, state: AppState, args: dict | None = None) -> BaseTrigger:
    """The APScheduler trigger for a job, in the town's time zone."""
    args = trigger_args(job, state) if args is None else args
    return TRIGGERS[job.trigger](timezone=state.settings.tz, **args)


def next_run(job: Job, state: AppState, now: datetime | None = None) -> datetime | None:
    """When the clock would next run a job (in the town's time zone)."""
    now = (now or state.now()).astimezone(state.settings.tz)
    args = trigger_args(job, state)
    if job.trigger == "interval":  # as the clock would, if it started now
        args["start_date"] = now + IntervalTrigger(**args).interval
    return make_trigger(job, state, args).get_next_fire_time(None, now)


def _runner(state: AppState, job: Job):
    def run() -> None:
        try:
            result = job.run(state)
        except Exception:
            log.exception("job %s failed", job.name)
            return
        log.info("job %s: %s", job.name, result)

    return run


def _sync(state: AppState, scheduler: BaseScheduler, current: dict) -> None:
    """Follow digest schedule changes, and send a digest the clock missed (≤ 1 day late)."""
    if digest.JOB not in JOBS:
        return
    args = trigger_args(JOBS[digest.JOB], state)
    if args != current.get(digest.JOB):
        scheduler.reschedule_job(digest.JOB, trigger=make_trigger(JOBS[digest.JOB], state, args))
        current[digest.JOB] = args
        log.info("digest schedule: %s", args)
    result = digest.run_scheduled(state, catch_up_only=True)
    log.debug("digest check: %s", result)


def build(state: AppState, scheduler_class: type[BaseScheduler] = BlockingScheduler):
    """A scheduler holding every job (not started)."""
    scheduler = scheduler_class(timezone=state.settings.tz, job_defaults=JOB_DEFAULTS)
    current: dict[str, dict] = {}
    for job in JOBS.values():
        current[job.name] = trigger_args(job, state)
        trigger = make_trigger(job, state, current[job.name])
        scheduler.add_job(_runner(state, job), trigger, id=job.name, name=job.name)
    scheduler.add_job(
        _sync,
        IntervalTrigger(minutes=1, timezone=state.settings.tz),
        args=(state, scheduler, current),
        id=SYNC_ID,
        name="follow the digest schedule; catch up a missed digest",
    )
    return scheduler


def background(state: AppState) -> BackgroundScheduler:
    """The same schedule in a background thread (tests, the demo)."""
    return build(state, BackgroundScheduler)


@click.command("scheduler")
def scheduler_command() -> None:
    """The clock process: run every scheduled job on time (Procfile `clock`)."""
    state = current_app.extensions["machikoe"]
    scheduler = build(state)

    def stop(signum, _frame):
        log.info("clock stopping (signal %s)", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    for job in JOBS.values():
        when = next_run(job, state)
        click.echo(f"{job.name:12} next {when:%Y-%m-%d %H:%M %Z}" if when else job.name)
    click.echo(f"clock running in {state.settings.town_tz}; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
