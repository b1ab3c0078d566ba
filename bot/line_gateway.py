"""The only code that talks to LINE: replies once, retries pushes under one retry key."""

from __future__ import annotations

import functools
import logging
import os
import random
import time
from dataclasses import dataclass

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)
from linebot.v3.messaging.models.message import Message

from bot.config import Settings
from bot.demo_data import is_demo_user
from bot.metrics import count_line_call
from db.outbox import retry_key
from messages import limits
from messages.postback import ascii_int

log = logging.getLogger(__name__)
MONTHLY_LIMIT = "monthly limit"


class _Json:
    """A request body already in LINE's JSON shape (its messages fitted): sent as it is."""

    __slots__ = ("body",)

    def __init__(self, body: dict) -> None:
        self.body = body


class _ApiClient(ApiClient):
    """The SDK's client; a body we built as LINE's JSON is not converted a second time.

    Messages are SDK models when built, and fitted to LINE's limits as JSON once
    (messages/limits.py). The SDK would otherwise re-validate and re-walk every nested field.
    """

    def sanitize_for_serialization(self, obj):
        if isinstance(obj, _Json):
            return obj.body
        return super().sanitize_for_serialization(obj)


@dataclass(frozen=True)
class SendResult:
    """How a send ended: sent, duplicate (409: already accepted), failed, monthly_limit."""

    status: str
    request_id: str | None = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """Sent, or already accepted under this retry key."""
        return self.status in {"sent", "duplicate"}


# We read the status and headers, never the body of a success: the SDK need not parse it.
_STATUS_ONLY = {"_preload_content": False}


def _unchecked(method):
    """An SDK call without pydantic checking its arguments: our request body is LINE's JSON.

    The SDK's methods are wrapped by pydantic's ``validate_arguments``, which keeps the plain
    function as ``raw_function``.
    """
    return functools.partial(method.raw_function, method.__self__)


def _ids(request_id: str | None) -> dict:
    """LINE's request id as a field of the JSON log line (bot/logs.py)."""
    return {"line_request_id": request_id} if request_id else {}


def _header(headers, name: str) -> str | None:
    if not headers:
        return None
    try:
        return headers.get(name)
    except AttributeError:
        return dict(headers).get(name)


def pause(delay: float, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before the next attempt: LINE's Retry-After when it gives one (plus up
    to 10 %), else our backoff with "equal jitter" (between half and all of it), so senders that
    failed together do not retry in step."""
    if retry_after is not None:
        return retry_after + rng.uniform(0, 0.1 * retry_after)
    return rng.uniform(delay / 2, delay)


class LineGateway:
    """One Messaging API client per process, explicit timeouts, retries with backoff.

    A push or multicast gives up after ``deadline`` seconds in all (its outbox entry or batch
    stays pending and the job tries again later), so a retry never holds a request for long.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        deadline: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.deadline = deadline
        self.rng = rng or random.Random()
        self._pid: int | None = None
        self._api: MessagingApi | None = None

    @property
    def api(self) -> MessagingApi:
        """The client for this process, created after fork."""
        if self._api is None or self._pid != os.getpid():
            config = Configuration(
                host=self.settings.line_api_base_url,
                access_token=self.settings.line_channel_access_token,
            )
            # connection set-up may be retried (nothing was sent); reads never are
            config.retries = urllib3.Retry(
                total=2, connect=2, read=0, status=0, other=0, redirect=0
            )
            self._api = MessagingApi(_ApiClient(config))
            self._pid = os.getpid()
        return self._api

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for every call."""
        return self.settings.line_timeout

    # --- replies -------------------------------------------------------------------

    def reply(self, reply_token: str, messages: list[Message | dict]) -> SendResult:
        """Send a reply once. Never retried: a reply token is single-use."""
        fitted = limits.squeeze(limits.fit(messages))
        if not fitted:
            return SendResult("sent")
        request = _Json({"replyToken": reply_token, "messages": fitted})
        result = self._reply_once(request)
        count_line_call("reply", result.status)
        return result

    def _reply_once(self, request) -> SendResult:
        try:
            resp = _unchecked(self.api.reply_message_with_http_info)(
                request, _request_timeout=self.timeout, **_STATUS_ONLY
            )
        except ApiException as exc:
            rid = _header(exc.headers, "x-line-request-id")
            log.warning("reply failed status=%s request_id=%s", exc.status, rid, extra=_ids(rid))
            return SendResult("failed", rid, f"HTTP {exc.status}")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("reply failed: %s", type(exc).__name__)
            return SendResult("failed", None, type(exc).__name__)
        rid = _header(resp.headers, "x-line-request-id")
        log.debug("reply sent status=%s request_id=%s", resp.status_code, rid, extra=_ids(rid))
        return SendResult("sent", rid)

    # --- push and multicast ------------------------------------------------------------

    def push(self, user_id: str, messages: list[Message | dict], key: str) -> SendResult:
        """Push to one user under a retry key stored by the caller before this call."""
        if self._demo_refused([user_id]):
            return SendResult("failed", None, "demo resident: never sent with a LINE channel")
        results = []
        for i, chunk in enumerate(limits.batches(limits.fit(messages))):
            chunk_key = key if i == 0 else retry_key(key, i)
            request = _Json({"to": user_id, "messages": chunk})
            results.append(
                self._send(
                    "push", _unchecked(self.api.push_message_with_http_info), request, chunk_key
                )
            )
            if not results[-1].ok:
                break
        return results[-1]

    def multicast(
        self, user_ids: list[str], messages: list[Message | dict], key: str
    ) -> SendResult:
        """Send the same messages to at most 500 users under one retry key."""
        if not 1 <= len(user_ids) <= 500 or not all(isinstance(u, str) and u for u in user_ids):
            raise ValueError("multicast takes 1 to 500 user ids")
        if self._demo_refused(user_ids):
            user_ids = [u for u in user_ids if not is_demo_user(u)]
            if not user_ids:
                return SendResult("sent", None, "demo residents only: nothing sent")
        fitted = limits.fit(messages)
        if len(fitted) > limits.MAX_MESSAGES:
            raise ValueError("a multicast carries at most 5 messages; split the announcement")
        # Not re-validated by the SDK 500 ids at a time (checked above): that dominated fan-out.
        request = _Json({"to": list(user_ids), "messages": fitted})
        return self._send("multicast", _unchecked(self.api.multicast_with_http_info), request, key)

    def _demo_refused(self, user_ids: list[str]) -> bool:
        """Demo residents (bot/demo_data.py) are never messaged through a real LINE channel."""
        return not self.settings.demo_mode and any(is_demo_user(u) for u in user_ids)

    def _send(self, endpoint: str, call, request, key: str) -> SendResult:
        result = self._attempts(endpoint, call, request, key)
        count_line_call(endpoint, result.status)
        return result

    def _attempts(self, endpoint: str, call, request, key: str) -> SendResult:
        delay = self.backoff
        give_up_at = time.monotonic() + self.deadline
        for attempt in range(1, self.attempts + 1):
            try:
                resp = call(
                    request, x_line_retry_key=key, _request_timeout=self.timeout, **_STATUS_ONLY
                )
            except ApiException as exc:
                rid = _header(exc.headers, "x-line-request-id")
                body = exc.body or ""
                if exc.status == 409:
                    accepted = _header(exc.headers, "x-line-accepted-request-id")
                    log.info("%s duplicate (409) request_id=%s", endpoint, accepted or rid)
                    return SendResult("duplicate", accepted or rid, attempts=attempt)
                if exc.status == 429 and MONTHLY_LIMIT in body.lower():
                    log.warning("%s refused: monthly message limit request_id=%s", endpoint, rid)
                    return SendResult("monthly_limit", rid, "monthly limit reached", attempt)
                if exc.status != 429 and exc.status < 500:
                    log.error("%s failed status=%s request_id=%s", endpoint, exc.status, rid)
                    return SendResult("failed", rid, f"HTTP {exc.status}", attempt)
                retry_after = _header(exc.headers, "retry-after")
                seconds = ascii_int(retry_after or "")
                wait = pause(delay, None if seconds is None else float(seconds), self.rng)
                log.warning(
                    "%s status=%s request_id=%s, retry %d in %.1fs",
                    endpoint,
                    exc.status,
                    rid,
                    attempt,
                    wait,
                )
                error = f"HTTP {exc.status}"
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                wait = pause(delay, None, self.rng)
                error = type(exc).__name__
                log.warning("%s %s, retry %d in %.1fs", endpoint, error, attempt, wait)
            else:
                rid = _header(resp.headers, "x-line-request-id")
                log.info(
                    "%s sent status=%s request_id=%s",
                    endpoint,
                    resp.status_code,
                    rid,
                    extra=_ids(rid),
                )
                return SendResult("sent", rid, attempts=attempt)
            wait = min(wait, self.max_backoff)
            if attempt == self.attempts or time.monotonic() + wait > give_up_at:
                if attempt < self.attempts:
                    log.warning("%s gave up after %d attempts (deadline)", endpoint, attempt)
                return SendResult("retry_exhausted", None, error, attempt)
            time.sleep(wait)
            delay = min(delay * 2, self.max_backoff)
        return SendResult("retry_exhausted", None, error, self.attempts)

    # --- reading -------------------------------------------------------------------

    def _profile(self, user_id: str):
        """The user's LINE profile, or None when it is not available (logged, never raised)."""
        try:
            return self.api.get_profile(user_id, _request_timeout=self.timeout)
        except ApiException as exc:
            log.info("profile unavailable status=%s", exc.status)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("profile lookup failed: %s", type(exc).__name__)
        except ValueError:  # a profile the SDK cannot read
            log.warning("profile unreadable")
        return None

    def profile_language(self, user_id: str) -> str | None:
        """The user's LINE language, or None when the profile is not available."""
        profile = self._profile(user_id)
        return profile.language if profile else None

    def display_name(self, user_id: str) -> str | None:
        """The user's LINE display name (raw, uncleaned), or None when it is not available."""
        profile = self._profile(user_id)
        return profile.display_name if profile else None

    def quota(self) -> tuple[str, int | None, int]:
        """(type, monthly limit or None, used this month) from LINE's quota endpoints."""
        q = self.api.get_message_quota(_request_timeout=self.timeout)
        used = self.api.get_message_quota_consumption(_request_timeout=self.timeout)
        return q.type, (q.value if q.type == "limited" else None), used.total_usage

    # --- rich menu (provisioned by an operator command, never at request time) ----------

    def install_rich_menu(self, menu: dict, png: bytes) -> str:
        """Create a rich menu, upload its image to the data API, make it the default."""
        created = self.api.create_rich_menu(
            RichMenuRequest.from_dict(menu), _request_timeout=self.timeout
        )
        rich_menu_id = created.rich_menu_id
        config = Configuration(
            host=self.settings.line_data_api_base_url,
            access_token=self.settings.line_channel_access_token,
        )
        with ApiClient(config) as client:
            MessagingApiBlob(client).set_rich_menu_image(
                rich_menu_id,
                body=png,
                _headers={"Content-Type": "image/png"},
                _request_timeout=(self.timeout[0], 30.0),
            )
        self.api.set_default_rich_menu(rich_menu_id, _request_timeout=self.timeout)
        log.info("rich menu %s installed as the default", rich_menu_id)
        return rich_menu_id
