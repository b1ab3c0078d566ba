"""gunicorn settings read from the working directory by every gunicorn the Procfile starts.

The access log leaves out query strings: a web answer link carries the resident's invitation
code (``/s/<survey>?code=…``), and nothing a resident typed belongs in a log. Each line ends
with the request id the app also puts in its own log lines (X-Request-Id).
"""

import os

accesslog = os.environ.get("ACCESS_LOG", "-") or None  # ACCESS_LOG= (empty) turns it off
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'


def child_exit(_server, worker):
    """A worker's Prometheus counts stay summed in, its live gauges go (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
