"""Optional error reports to Sentry (SENTRY_DSN) from every process: web, clock, CLI jobs.

What is sent is an exception's type and stack (file, function, line), never what could hold
a resident's words: no request bodies, cookies, headers, query strings, local variables or
exception messages (a message may quote what someone typed).
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings

_started: str | None = None


def _scrub(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Keep the shape of the error, drop everything that could carry personal data."""
    request = event.get("request")
    if request:
        event["request"] = {k: request[k] for k in ("method",) if k in request}
        url = request.get("url", "")
        event["request"]["url"] = url.split("?", 1)[0]
    for exception in (event.get("exception") or {}).get("values") or []:
        exception["value"] = ""
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            for private in ("vars", "pre_context", "context_line", "post_context"):
                frame.pop(private, None)
    event.pop("user", None)
    event.pop("extra", None)
    if "logentry" in event:  # a logged error: our log lines hold ids and counts only
        event["logentry"].pop("params", None)
    return event


def start(settings: Settings) -> None:
    """Start reporting once per process, when a DSN is set."""
    global _started
    if not settings.sentry_dsn or _started == settings.sentry_dsn:
        return
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        max_request_body_size="never",
        include_local_variables=False,
        # sentry's Event is a TypedDict: at run time the plain dict _scrub edits in place
        before_send=_scrub,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
    )
    _started = settings.sentry_dsn
