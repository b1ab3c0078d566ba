"""gunicorn settings read from the working directory by every gunicorn the Procfile starts.

The access log leaves out query strings: a web answer link carries the resident's invitation
code (``/s/<survey>?code=…``), and nothing a resident typed belongs in a log. Each line ends
with the request id the app also puts in its own log lines (X-Request-Id).
"""

import os

accesslog = os.environ.get("ACCESS_LOG", "-") or None  # ACCESS_LOG= (empty) turns it off
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
graceful_timeout = 30  # seconds a worker has to finish after SIGTERM
POOL_STOP_SECONDS = 20  # below graceful_timeout: the pool's events finish before the kill


def worker_exit(_server, worker):
    """Let the worker's inbox threads finish their events (their replies) before it exits.

    An event they have not taken stays pending for another drainer: nothing is lost.
    """
    from bot import event_pool

    if event_pool.stop_all(POOL_STOP_SECONDS):
        worker.log.info("inbox pool stopped: its events finished")
    else:
        worker.log.warning("inbox pool: an event was still running at exit; it rolls back")


def child_exit(_server, worker):
    """A worker's Prometheus counts stay summed in, its live gauges go (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
