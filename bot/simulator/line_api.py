"""A local fake of the LINE Messaging API, as a plain WSGI app.

:class:`FakeLineApi` answers like ``https://api.line.me`` (and ``api-data``):
it routes by the official OpenAPI file, checks every request body against it
and against LINE's documented limits (:mod:`bot.simulator.line_validate`),
issues and consumes reply tokens, honours ``X-Line-Retry-Key``, counts quota,
rate-limits with token buckets, and can inject faults. Everything it accepted
is recorded for inspection (thread-safe).

:class:`FakeLineServer` serves a fake on ``127.0.0.1`` on a free port in a
daemon thread, for tests and benchmarks. Like LINE, it keeps connections alive
(HTTP/1.1, waitress), so clients reuse them as they would in production::

    with FakeLineServer() as server:
        config = Configuration(host=server.url, access_token="x")
        token = server.fake.issue_reply_token("U" + "0" * 32)
        ...
        assert server.fake.texts_for("U" + "0" * 32) == ["hello"]
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple

from werkzeug.wrappers import Request, Response

from bot.simulator.line_validate import (
    MAX_BODY_BYTES,
    LineValidator,
    Problem,
    get_validator,
    retry_key_problems,
)

log = logging.getLogger(__name__)

__all__ = [
    "Delivery",
    "FakeLineApi",
    "FakeLineServer",
    "RecordedRequest",
    "SendBatch",
    "message_text",
]

# Short endpoint names used by inject()/count()/rate_limits; other operations are
# addressed by their OpenAPI operationId.
ENDPOINT_NAMES: dict[str, str] = {
    "replyMessage": "reply",
    "pushMessage": "push",
    "multicast": "multicast",
    "broadcast": "broadcast",
    "narrowcast": "narrowcast",
    "getNarrowcastProgress": "narrowcast_progress",
    "getProfile": "profile",
    "getFollowers": "followers",
    "getBotInfo": "bot_info",
    "getMessageQuota": "quota",
    "getMessageQuotaConsumption": "quota_consumption",
    "showLoadingAnimation": "loading",
    "markMessagesAsReadByToken": "mark_as_read",
    "validateReply": "validate_reply",
    "validatePush": "validate_push",
    "validateMulticast": "validate_multicast",
    "validateNarrowcast": "validate_narrowcast",
    "validateBroadcast": "validate_broadcast",
}
DEFAULT_RATE_LIMITS: dict[str, float] = {"multicast": 200.0, "loading": 100.0}
DEFAULT_RATE = 2000.0
MAX_RICH_MENU_IMAGE_BYTES = 1024 * 1024

MSG_INVALID_REPLY_TOKEN = "Invalid reply token"  # noqa: S105 - LINE's error text
MSG_RETRY_KEY_ACCEPTED = "The retry key is already accepted"
MSG_MONTHLY_LIMIT = "You have reached your monthly limit."
MSG_TOO_MANY_REQUESTS = "Too Many Requests"
MSG_NOT_FOUND = "Not found"
MSG_UNAUTHORIZED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)


class Delivery(NamedTuple):
    """One message object delivered to one recipient."""

    user_id: str
    message: dict[str, Any]
    endpoint: str
    retry_key: str | None


@dataclass
class SendBatch:
    """One accepted send request (stored once, however many recipients it had)."""

    seq: int
    endpoint: str
    recipients: tuple[str, ...]
    messages: list[dict[str, Any]]
    retry_key: str | None
    request_id: str
    time: float


@dataclass(repr=False)
class RecordedRequest:
    """A request the fake received and how it answered."""

    method: str
    path: str
    endpoint: str
    headers: dict[str, str]
    json: Any
    status: int = 0
    problems: list[str] = field(default_factory=list)
    request_id: str = ""
    query: dict[str, str] = field(default_factory=dict)
    response: Any = None
    time: float = 0.0
    protocol_violation: bool = False

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __str__(self) -> str:
        head = f"{self.method} {self.path} -> {self.status}"
        return head + "".join(f"\n    - {p}" for p in self.problems)

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}: {'; '.join(self.problems)}>"


@dataclass
class _Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    operation_id: str
    endpoint: str
    schema: str | None
    binary_body: bool
    success_status: int
    simple_ok: bool
    n_params: int


@dataclass
class _Fault:
    status: int | None
    body: Any
    timeout: float | None
    deliver: bool
    headers: dict[str, str]


@dataclass
class _Accepted:
    request_id: str
    body: Any
    response: Any


class _Reply(NamedTuple):
    status: int
    body: Any
    headers: dict[str, str]


class _HttpError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        problems: Iterable[Problem] = (),
        violation: bool = False,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)
        self.violation = violation
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        details = [p.as_detail() for p in self.problems if p.property]
        if details:
            body["details"] = details
        body.update(self.extra)
        return body


class _Bucket:
    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _build_routes(spec: dict[str, Any]) -> list[_Operation]:
    schemas = spec["components"]["schemas"]
    routes: list[_Operation] = []
    for template, item in spec["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(template))
        regex = re.compile(f"^{pattern}$")
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            body = op.get("requestBody", {}).get("content", {})
            schema = None
            binary = False
            for content_type, media in body.items():
                ref = media.get("schema", {}).get("$ref", "")
                if content_type == "application/json" and ref:
                    schema = ref.rsplit("/", 1)[-1]
                elif media.get("schema", {}).get("format") == "binary":
                    binary = True
            success = next(
                (int(code) for code in op.get("responses", {}) if str(code).startswith("2")), 200
            )
            simple_ok = True
            response = op.get("responses", {}).get(str(success), {}).get("content", {})
            for media in response.values():
                ref = media.get("schema", {}).get("$ref", "")
                if media.get("schema", {}).get("format") == "binary":
                    simple_ok = False
                if ref and schemas.get(ref.rsplit("/", 1)[-1], {}).get("required"):
                    simple_ok = False
            operation_id: str = op["operationId"]
            routes.append(
                _Operation(
                    method=method.upper(),
                    template=template,
                    regex=regex,
                    operation_id=operation_id,
                    endpoint=ENDPOINT_NAMES.get(operation_id, operation_id),
                    schema=schema,
                    binary_body=binary,
                    success_status=success,
                    simple_ok=simple_ok,
                    n_params=template.count("{"),
                )
            )
    # Literal paths win over templated ones (/richmenu/list before /richmenu/{id}).
    routes.sort(key=lambda r: r.n_params)
    return routes


def _json_response(status: int, body: Any, request_id: str, headers: dict[str, str]) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
    response = Response(data, status=status, mimetype="application/json")
    response.headers["X-Line-Request-Id"] = request_id
    for key, value in headers.items():
        response.headers[key] = value
    return response


class FakeLineApi:
    """WSGI fake of the LINE Messaging API with an inspection API.

    Configuration (plain attributes, change them at any time):

    * ``access_token``: required bearer token, or ``None`` to accept any non-empty one.
    * ``profiles``: ``{user_id: {"displayName": ..., "language": ..., ...}}``;
      also the friend list used by broadcast and ``followers/ids``.
    * ``blocked``: user IDs that blocked the account (nothing is delivered to them,
      sends still answer 200; their profile is 404).
    * ``quota_limit``: monthly message limit (``None`` = type ``none``);
      ``quota_used`` is the month's consumption (settable).
    * ``rate_limits``: requests per second per endpoint name (token bucket);
      endpoints not listed get ``default_rate``.
    * ``reply_token_ttl``: seconds a reply token stays valid (``None`` = forever).
    * ``on_delivery``: optional ``callback(user_id, message, endpoint)``.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        quota_limit: int | None = None,
        rate_limits: dict[str, float] | None = None,
        default_rate: float = DEFAULT_RATE,
        strict_properties: bool = True,
        validator: LineValidator | None = None,
        reply_token_ttl: float | None = None,
        bot_user_id: str = "U" + "f" * 32,
        keep_requests: int | None = None,
    ) -> None:
        self.validator = validator or get_validator(strict_properties)
        self._keep_requests = keep_requests  # None: every request (tests); N: the last N (demo)
        self._config: dict[str, Any] = {
            "access_token": access_token,
            "quota_limit": quota_limit,
            "rate_limits": {**DEFAULT_RATE_LIMITS, **(rate_limits or {})},
            "default_rate": default_rate,
            "reply_token_ttl": reply_token_ttl,
            "bot_user_id": bot_user_id,
        }
        self._apply_config()
        self._routes = _build_routes(self.validator.spec)
        self._aliases = {op.operation_id: op.endpoint for op in self._routes}
        self._endpoint_names = {op.endpoint for op in self._routes}
        self._lock = threading.RLock()
        self._delivered = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._handlers: dict[str, Callable[[_Context], _Reply]] = {
            "replyMessage": self._reply,
            "pushMessage": self._push,
            "multicast": self._multicast,
            "broadcast": self._broadcast,
            "narrowcast": self._narrowcast,
            "getNarrowcastProgress": self._narrowcast_progress,
            "getMessageQuota": self._quota,
            "getMessageQuotaConsumption": self._quota_consumption,
            "getProfile": self._profile,
            "getFollowers": self._followers,
            "getBotInfo": self._bot_info,
            "getNumberOfSentReplyMessages": self._delivery_stats,
            "getNumberOfSentPushMessages": self._delivery_stats,
            "getNumberOfSentMulticastMessages": self._delivery_stats,
            "getNumberOfSentBroadcastMessages": self._delivery_stats,
            "createRichMenu": self._create_rich_menu,
            "getRichMenu": self._get_rich_menu,
            "deleteRichMenu": self._delete_rich_menu,
            "getRichMenuList": self._rich_menu_list,
            "setRichMenuImage": self._set_rich_menu_image,
            "getRichMenuImage": self._get_rich_menu_image,
            "setDefaultRichMenu": self._set_default_rich_menu,
            "getDefaultRichMenuId": self._get_default_rich_menu,
            "cancelDefaultRichMenu": self._cancel_default_rich_menu,
            "linkRichMenuIdToUser": self._link_rich_menu,
            "unlinkRichMenuIdFromUser": self._unlink_rich_menu,
            "getRichMenuIdOfUser": self._get_user_rich_menu,
            "linkRichMenuIdToUsers": self._bulk_link_rich_menu,
            "unlinkRichMenuIdFromUsers": self._bulk_unlink_rich_menu,
            "createRichMenuAlias": self._create_alias,
            "getRichMenuAlias": self._get_alias,
            "updateRichMenuAlias": self._update_alias,
            "deleteRichMenuAlias": self._delete_alias,
            "getRichMenuAliasList": self._alias_list,
        }
        self._reset_state()

    # ------------------------------------------------------------------ state

    def _reset_state(self) -> None:
        self._requests: list[RecordedRequest] | deque[RecordedRequest] = (
            deque(maxlen=self._keep_requests) if self._keep_requests else []
        )
        self._violations: list[RecordedRequest] = []
        self._counts: Counter[tuple[str, int]] = Counter()
        self._batches: list[SendBatch] = []
        self._by_user: dict[str, SendBatch | list[SendBatch]] = {}
        self._reply_tokens: dict[str, tuple[str, float]] = {}
        self._used_reply_tokens: set[str] = set()
        self._accepted_keys: dict[str, _Accepted] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._message_seq = 100_000_000_000_000_000
        self._narrowcasts: dict[str, dict[str, Any]] = {}
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.rich_menu_images: dict[str, tuple[str, bytes]] = {}
        self.default_rich_menu: str | None = None
        self.user_rich_menus: dict[str, str] = {}
        self.rich_menu_aliases: dict[str, str] = {}

    def _apply_config(self) -> None:
        config = self._config
        self.access_token: str | None = config["access_token"]
        self.quota_limit: int | None = config["quota_limit"]
        self.quota_used = 0
        self.rate_limits: dict[str, float] = dict(config["rate_limits"])
        self.default_rate: float = config["default_rate"]
        self.reply_token_ttl: float | None = config["reply_token_ttl"]
        self.bot_user_id: str = config["bot_user_id"]
        self.profiles: dict[str, dict[str, Any]] = {}
        self.blocked: set[str] = set()
        self.on_delivery: Callable[[str, dict[str, Any], str], None] | None = None

    def clear(self) -> None:
        """Forget all traffic and server-side state (deliveries, requests, tokens,
        retry keys, faults, quota used, rich menus); keep the configuration
        (profiles, blocked, limits, access token, callbacks)."""
        with self._lock:
            self._reset_state()
            self.quota_used = 0

    def reset(self) -> None:
        """:meth:`clear`, and restore the constructor's configuration (no profiles,
        nobody blocked, default limits, no ``on_delivery``)."""
        with self._lock:
            self._reset_state()
            self._apply_config()

    def add_user(
        self,
        user_id: str,
        display_name: str = "LINE user",
        *,
        language: str | None = "ja",
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a friend's profile (returned by ``GET /v2/bot/profile``)."""
        profile: dict[str, Any] = {"userId": user_id, "displayName": display_name, **extra}
        if language is not None:
            profile["language"] = language
        with self._lock:
            self.profiles[user_id] = profile
        return profile

    def issue_reply_token(self, user_id: str, token: str | None = None) -> str:
        """Issue a single-use reply token whose replies go to ``user_id``."""
        token = token or secrets.token_hex(16)
        with self._lock:
            self._reply_tokens[token] = (user_id, time.monotonic())
            self._used_reply_tokens.discard(token)
        return token

    def inject(
        self,
        endpoint: str,
        status: int | None = None,
        *,
        count: int = 1,
        body: Any = None,
        timeout: float | None = None,
        deliver: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Make the next ``count`` valid calls to ``endpoint`` fail.

        With ``status`` (e.g. 500, 429, 503) the call is answered with that
        status and ``body`` (default ``{"message": <reason>}``) without delivering
        or accepting the retry key. With ``timeout`` the server sleeps that many
        seconds before answering: ``deliver=True`` accepts and delivers first (so a
        retry with the same key gets 409); ``deliver=False`` delivers nothing and
        then answers ``status`` (default 500).
        """
        if status is None and timeout is None:
            raise ValueError("inject() needs a status or a timeout")
        name = self._canonical(endpoint)
        if timeout is not None and deliver:
            status = None
        elif status is None:
            status = 500
        fault = _Fault(status, body, timeout, deliver, dict(headers or {}))
        with self._lock:
            queue = self._faults.setdefault(name, deque())
            queue.extend(fault for _ in range(count))

    def clear_faults(self) -> None:
        """Drop all pending injected faults."""
        with self._lock:
            self._faults.clear()

    # -------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (the last `keep_requests` when set), in order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def violations(self) -> list[RecordedRequest]:
        """Requests refused for schema, limit or protocol problems (a copy)."""
        with self._lock:
            return list(self._violations)

    def format_violations(self) -> str:
        """A readable report of :attr:`violations` (empty string if none)."""
        return "\n".join(str(v) for v in self.violations)

    def assert_no_violations(self) -> None:
        """Raise ``AssertionError`` listing every refused request, if any."""
        report = self.format_violations()
        if report:
            raise AssertionError("LINE API requests refused by the fake:\n" + report)

    @property
    def batches(self) -> list[SendBatch]:
        """Accepted send requests, in order (compact form of :attr:`deliveries`)."""
        with self._lock:
            return list(self._batches)

    @property
    def deliveries(self) -> list[Delivery]:
        """``(user_id, message, endpoint, retry_key)`` per message per recipient."""
        out: list[Delivery] = []
        for batch in self.batches:
            for user_id in batch.recipients:
                out.extend(
                    Delivery(user_id, m, batch.endpoint, batch.retry_key) for m in batch.messages
                )
        return out

    def batches_for(self, user_id: str) -> list[SendBatch]:
        """Accepted send requests that reached ``user_id``, in order."""
        with self._lock:
            entry = self._by_user.get(user_id)
            if entry is None:
                return []
            return list(entry) if isinstance(entry, list) else [entry]

    def messages_for(self, user_id: str) -> list[dict[str, Any]]:
        """Message objects delivered to ``user_id``, in order."""
        return [m for batch in self.batches_for(user_id) for m in batch.messages]

    def texts_for(self, user_id: str) -> list[str]:
        """Text of text messages, ``altText`` of others, ``[type]`` otherwise."""
        return [message_text(m) for m in self.messages_for(user_id)]

    def wait_for_messages(
        self, user_id: str, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until ``user_id`` has received at least ``count`` messages in total
        (for code that sends from a background worker); returns them all.
        Raises ``TimeoutError`` with what did arrive otherwise."""
        deadline = time.monotonic() + timeout
        with self._delivered:
            while self.delivery_count(user_id) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = self.texts_for(user_id)
                    raise TimeoutError(
                        f"{user_id} received {len(got)} of {count} messages in {timeout}s: {got}"
                    )
                self._delivered.wait(remaining)
        return self.messages_for(user_id)

    def delivery_count(self, user_id: str) -> int:
        """Number of message objects delivered to ``user_id``."""
        return sum(len(batch.messages) for batch in self.batches_for(user_id))

    def recipient_counts(self, endpoint: str | None = None) -> Counter[str]:
        """``Counter`` of user ID -> number of accepted send requests that reached it."""
        name = self._canonical(endpoint) if endpoint else None
        counts: Counter[str] = Counter()
        for batch in self.batches:
            if name is None or batch.endpoint == name:
                counts.update(batch.recipients)
        return counts

    def count(self, endpoint: str, status: int | None = None) -> int:
        """Number of requests received by ``endpoint`` (optionally with ``status``)."""
        name = self._canonical(endpoint)
        with self._lock:
            if status is not None:
                return self._counts[(name, status)]
            return sum(n for (ep, _), n in self._counts.items() if ep == name)

    def accepted_request_id(self, retry_key: str) -> str | None:
        """Request id under which a retry key was accepted, if it was."""
        with self._lock:
            accepted = self._accepted_keys.get(retry_key)
            return accepted.request_id if accepted else None

    @property
    def quota_consumption(self) -> int:
        """Messages counted against the monthly quota so far."""
        return self.quota_used

    def close(self) -> None:
        """Wake any request sleeping in an injected timeout (used on shutdown)."""
        self._wake.set()

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        reply, delay = self._handle(request, request_id)
        if delay:
            self._wake.wait(delay)
        response = _json_response(reply.status, reply.body, request_id, reply.headers)
        return response(environ, start_response)

    def _canonical(self, endpoint: str) -> str:
        if endpoint in self._endpoint_names:
            return endpoint
        if endpoint in self._aliases:
            return self._aliases[endpoint]
        known = ", ".join(sorted(ENDPOINT_NAMES.values()))
        raise ValueError(f"unknown endpoint {endpoint!r} (use an operationId or one of: {known})")

    def _route(self, method: str, path: str) -> tuple[_Operation | None, list[str], bool]:
        path_matched = False
        for op in self._routes:
            match = op.regex.match(path)
            if match is None:
                continue
            path_matched = True
            if op.method == method:
                return op, list(match.groups()), True
        return None, [], path_matched

    def _handle(self, request: Request, request_id: str) -> tuple[_Reply, float]:
        method = request.method.upper()
        path = request.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = RecordedRequest(
            method=method,
            path=path,
            endpoint="",
            headers=headers,
            json=None,
            request_id=request_id,
            query=dict(request.args.items()),
            time=time.time(),
        )
        delay = 0.0
        violation = False
        op: _Operation | None = None
        try:
            op, params, path_matched = self._route(method, path)
            record.endpoint = op.endpoint if op else ""
            self._check_auth(headers)
            if op is None:
                if path_matched:
                    raise _HttpError(405, f"Method not allowed: {method} {path}", violation=True)
                raise _HttpError(
                    404,
                    f"Not found: {method} {path} is not a Messaging API endpoint",
                    violation=True,
                )
            raw = self._read_body(request)
            body = self._parse_body(op, request, raw)
            record.json = body
            self._check_retry_key(op, headers)
            if op.schema is not None:
                problems = self.validator.problems(op.schema, body)
                if problems:
                    is_query = op.endpoint.startswith("validate")
                    raise _HttpError(
                        400,
                        f"The request body has {len(problems)} error(s)",
                        problems,
                        violation=not is_query,
                    )
            fault = self._take_fault(op.endpoint)
            if fault is not None and fault.status is not None and fault.timeout is None:
                reason = _reason(fault.status)
                fault_body = fault.body if fault.body is not None else {"message": reason}
                reply = _Reply(fault.status, fault_body, fault.headers)
                record.problems.append(f"injected {fault.status}")
            elif fault is not None and not fault.deliver:
                delay = fault.timeout or 0.0
                status = fault.status or 500
                reply = _Reply(status, {"message": _reason(status)}, fault.headers)
                record.problems.append(f"injected timeout {delay}s without delivery, then {status}")
            else:
                if fault is not None:
                    delay = fault.timeout or 0.0
                    record.problems.append(f"injected timeout {delay}s after delivery")
                self._check_rate(op.endpoint)
                ctx = _Context(op, params, body, raw, headers, request, request_id, record)
                reply = self._dispatch(ctx)
        except _HttpError as error:
            reply = _Reply(error.status, error.body(), error.headers)
            record.problems.extend(str(p) for p in error.problems)
            if not error.problems:
                record.problems.append(error.message)
            violation = error.violation
        except Exception as exc:  # a bug in the fake must not look like LINE's answer
            log.exception("fake LINE API failed on %s %s", method, path)
            message = f"Internal error in the fake LINE API: {exc!r}"
            reply = _Reply(500, {"message": message}, {})
            record.problems.append(message)
        record.status = reply.status
        record.response = reply.body
        violation = violation or record.protocol_violation
        with self._lock:
            self._requests.append(record)
            self._counts[(record.endpoint or path, reply.status)] += 1
            if violation:
                self._violations.append(record)
        return reply, delay

    # ------------------------------------------------------------ pipeline

    def _check_auth(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _HttpError(401, MSG_UNAUTHORIZED)
        if self.access_token is not None and token != self.access_token:
            raise _HttpError(401, MSG_UNAUTHORIZED)

    def _read_body(self, request: Request) -> bytes:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            request.get_data()  # drain, so keep-alive connections stay usable
            raise _HttpError(
                413,
                "Request Entity Too Large",
                [Problem("", f"request body must be at most 2 MB (got {length} bytes)")],
                violation=True,
            )
        raw = request.get_data()
        if len(raw) > MAX_BODY_BYTES:
            raise _HttpError(
                413,
                "Request Entity Too Large",
                [Problem("", f"request body must be at most 2 MB (got {len(raw)} bytes)")],
                violation=True,
            )
        return raw

    def _parse_body(self, op: _Operation, request: Request, raw: bytes) -> Any:
        if op.schema is None:
            return None
        mimetype = (request.mimetype or "").lower()
        if mimetype != "application/json":
            raise _HttpError(
                415,
                "Unsupported Media Type",
                [Problem("Content-Type", f"must be application/json (got {mimetype or 'none'})")],
                violation=True,
            )
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _HttpError(
                400,
                "The request body could not be parsed as JSON",
                [Problem("", f"invalid JSON: {exc}")],
                violation=True,
            ) from None

    def _check_retry_key(self, op: _Operation, headers: dict[str, str]) -> None:
        key = headers.get("x-line-retry-key")
        if key is None:
            return
        problems = retry_key_problems(op.endpoint, key)
        if problems:
            raise _HttpError(400, str(problems[0]), problems, violation=True)

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(endpoint)
            if queue:
                return queue.popleft()
        return None

    def _check_rate(self, endpoint: str) -> None:
        rate = self.rate_limits.get(endpoint, self.default_rate)
        if not rate:
            return
        with self._lock:
            bucket = self._buckets.get(endpoint)
            if bucket is None or bucket.rate != rate:
                bucket = self._buckets[endpoint] = _Bucket(rate)
            allowed = bucket.take()
        if not allowed:
            raise _HttpError(429, MSG_TOO_MANY_REQUESTS)

    def _dispatch(self, ctx: _Context) -> _Reply:
        handler = self._handlers.get(ctx.op.operation_id)
        if handler is not None:
            return handler(ctx)
        if ctx.op.simple_ok:
            return _Reply(ctx.op.success_status, {}, {})
        raise _HttpError(
            404,
            f"The fake LINE API does not implement {ctx.op.operation_id} "
            f"({ctx.op.method} {ctx.op.template})",
        )

    # ----------------------------------------------------------- deliveries

    def _next_message_ids(self, n: int) -> list[dict[str, str]]:
        with self._lock:
            start = self._message_seq
            self._message_seq += n
        return [{"id": str(start + i), "quoteToken": secrets.token_urlsafe(12)} for i in range(n)]

    def _deliver(
        self,
        endpoint: str,
        recipients: Iterable[str],
        messages: list[dict[str, Any]],
        retry_key: str | None,
        request_id: str,
    ) -> SendBatch:
        """Record a delivery (caller holds the lock); skips blocked recipients."""
        blocked = self.blocked
        delivered = tuple(r for r in recipients if r not in blocked)
        batch = SendBatch(
            seq=len(self._batches),
            endpoint=endpoint,
            recipients=delivered,
            messages=messages,
            retry_key=retry_key,
            request_id=request_id,
            time=time.time(),
        )
        self._batches.append(batch)
        by_user = self._by_user
        for user_id in delivered:
            entry = by_user.get(user_id)
            if entry is None:
                by_user[user_id] = batch
            elif isinstance(entry, list):
                entry.append(batch)
            else:
                by_user[user_id] = [entry, batch]
        self._delivered.notify_all()
        return batch

    def _notify(self, batch: SendBatch) -> None:
        callback = self.on_delivery
        if callback is None:
            return
        for user_id in batch.recipients:
            for message in batch.messages:
                callback(user_id, message, batch.endpoint)

    def _send(
        self,
        ctx: _Context,
        recipients: list[str],
        response: Callable[[], Any],
        *,
        charge: bool = True,
    ) -> _Reply:
        """Shared path of push/multicast/broadcast/narrowcast."""
        key = ctx.headers.get("x-line-retry-key")
        endpoint = ctx.op.endpoint
        with self._lock:
            if key is not None and key in self._accepted_keys:
                accepted = self._accepted_keys[key]
                if accepted.body != ctx.body:
                    problem = (
                        "X-Line-Retry-Key: a retry must repeat the original request exactly "
                        f"(key first accepted as request {accepted.request_id} with another body)"
                    )
                    ctx.record.problems.append(problem)
                    ctx.record.protocol_violation = True
                body = {"message": MSG_RETRY_KEY_ACCEPTED}
                if isinstance(accepted.response, dict) and "sentMessages" in accepted.response:
                    body["sentMessages"] = accepted.response["sentMessages"]
                return _Reply(409, body, {"X-Line-Accepted-Request-Id": accepted.request_id})
            cost = sum(1 for r in recipients if r not in self.blocked) if charge else 0
            if self.quota_limit is not None and self.quota_used + cost > self.quota_limit:
                raise _HttpError(429, MSG_MONTHLY_LIMIT)
            self.quota_used += cost
            batch = self._deliver(endpoint, recipients, ctx.body["messages"], key, ctx.request_id)
            body = response()
            if key is not None:
                self._accepted_keys[key] = _Accepted(ctx.request_id, ctx.body, body)
        self._notify(batch)
        return _Reply(ctx.op.success_status, body, {})

    def _friends(self) -> list[str]:
        with self._lock:
            return [uid for uid in self.profiles if uid not in self.blocked]

    # ------------------------------------------------------------- handlers

    def _reply(self, ctx: _Context) -> _Reply:
        token = ctx.body["replyToken"]
        with self._lock:
            issued = self._reply_tokens.pop(token, None)
            if issued is None:
                why = (
                    "reply token was already used"
                    if token in self._used_reply_tokens
                    else "reply token was not issued by this fake (use fake.issue_reply_token)"
                )
                raise _HttpError(400, MSG_INVALID_REPLY_TOKEN, [Problem("", why)])
            user_id, issued_at = issued
            self._used_reply_tokens.add(token)
            ttl = self.reply_token_ttl
            if ttl is not None and time.monotonic() - issued_at > ttl:
                raise _HttpError(400, MSG_INVALID_REPLY_TOKEN, [Problem("", "reply token expired")])
            batch = self._deliver("reply", [user_id], ctx.body["messages"], None, ctx.request_id)
        sent = self._next_message_ids(len(ctx.body["messages"]))
        self._notify(batch)
        return _Reply(200, {"sentMessages": sent}, {})

    def _push(self, ctx: _Context) -> _Reply:
        n = len(ctx.body["messages"])
        return self._send(
            ctx, [ctx.body["to"]], lambda: {"sentMessages": self._next_message_ids(n)}
        )

    def _multicast(self, ctx: _Context) -> _Reply:
        return self._send(ctx, list(ctx.body["to"]), dict)

    def _broadcast(self, ctx: _Context) -> _Reply:
        return self._send(ctx, self._friends(), dict)

    def _narrowcast(self, ctx: _Context) -> _Reply:
        targeted = "recipient" in ctx.body or "filter" in ctx.body
        recipients = [] if targeted else self._friends()
        reply = self._send(ctx, recipients, dict)
        if reply.status == 202:
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            with self._lock:
                self._narrowcasts[ctx.request_id] = {
                    "phase": "succeeded",
                    "successCount": len([r for r in recipients if r not in self.blocked]),
                    "failureCount": 0,
                    "targetCount": len(recipients),
                    "acceptedTime": now,
                    "completedTime": now,
                }
        return reply

    def _narrowcast_progress(self, ctx: _Context) -> _Reply:
        request_id = ctx.request.args.get("requestId", "")
        with self._lock:
            progress = self._narrowcasts.get(request_id)
        if progress is None:
            raise _HttpError(404, MSG_NOT_FOUND)
        return _Reply(200, dict(progress), {})

    def _quota(self, ctx: _Context) -> _Reply:
        if self.quota_limit is None:
            return _Reply(200, {"type": "none"}, {})
        return _Reply(200, {"type": "limited", "value": self.quota_limit}, {})

    def _quota_consumption(self, ctx: _Context) -> _Reply:
        return _Reply(200, {"totalUsage": self.quota_used}, {})

    def _profile(self, ctx: _Context) -> _Reply:
        user_id = ctx.params[0]
        with self._lock:
            profile = self.profiles.get(user_id)
            if profile is None or user_id in self.blocked:
                raise _HttpError(404, MSG_NOT_FOUND)
            body = {"userId": user_id, **profile}
        body.setdefault("displayName", "")
        return _Reply(200, body, {})

    def _followers(self, ctx: _Context) -> _Reply:
        try:
            limit = int(ctx.request.args.get("limit", 300))
            start = int(ctx.request.args.get("start", 0) or 0)
        except ValueError:
            raise _HttpError(400, "Invalid start or limit", violation=True) from None
        if not 1 <= limit <= 1000:
            raise _HttpError(400, "limit must be between 1 and 1000", violation=True)
        friends = self._friends()
        body: dict[str, Any] = {"userIds": friends[start : start + limit]}
        if start + limit < len(friends):
            body["next"] = str(start + limit)
        return _Reply(200, body, {})

    def _bot_info(self, ctx: _Context) -> _Reply:
        body = {
            "userId": self.bot_user_id,
            "basicId": "@000fake",
            "displayName": "Fake LINE bot",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        return _Reply(200, body, {})

    def _delivery_stats(self, ctx: _Context) -> _Reply:
        kind = ctx.op.template.rsplit("/", 1)[-1]
        date = ctx.request.args.get("date", "")
        if not re.fullmatch(r"\d{8}", date):
            raise _HttpError(
                400, "Invalid date", [Problem("date", "must be yyyyMMdd")], violation=True
            )
        with self._lock:
            total = sum(
                len(b.recipients) * len(b.messages) for b in self._batches if b.endpoint == kind
            )
        return _Reply(200, {"status": "ready", "success": total}, {})

    # rich menus -------------------------------------------------------------

    def _menu_or_404(self, rich_menu_id: str) -> dict[str, Any]:
        menu = self.rich_menus.get(rich_menu_id)
        if menu is None:
            raise _HttpError(404, MSG_NOT_FOUND, [Problem("", f"no rich menu {rich_menu_id!r}")])
        return menu

    def _menu_with_image(self, rich_menu_id: str) -> None:
        self._menu_or_404(rich_menu_id)
        if rich_menu_id not in self.rich_menu_images:
            raise _HttpError(
                400,
                "must upload richmenu image before applying it to user",
                [Problem("", f"rich menu {rich_menu_id} has no image yet")],
                violation=True,
            )

    def _create_rich_menu(self, ctx: _Context) -> _Reply:
        rich_menu_id = "richmenu-" + uuid.uuid4().hex
        with self._lock:
            self.rich_menus[rich_menu_id] = {"richMenuId": rich_menu_id, **ctx.body}
        return _Reply(200, {"richMenuId": rich_menu_id}, {})

    def _get_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            return _Reply(200, dict(self._menu_or_404(ctx.params[0])), {})

    def _delete_rich_menu(self, ctx: _Context) -> _Reply:
        rich_menu_id = ctx.params[0]
        with self._lock:
            self._menu_or_404(rich_menu_id)
            del self.rich_menus[rich_menu_id]
            self.rich_menu_images.pop(rich_menu_id, None)
            if self.default_rich_menu == rich_menu_id:
                self.default_rich_menu = None
            for user_id in [u for u, m in self.user_rich_menus.items() if m == rich_menu_id]:
                del self.user_rich_menus[user_id]
        return _Reply(200, {}, {})

    def _rich_menu_list(self, ctx: _Context) -> _Reply:
        with self._lock:
            return _Reply(200, {"richmenus": [dict(m) for m in self.rich_menus.values()]}, {})

    def _set_rich_menu_image(self, ctx: _Context) -> _Reply:
        rich_menu_id = ctx.params[0]
        mimetype = (ctx.request.mimetype or "").lower()
        if mimetype not in ("image/jpeg", "image/png"):
            raise _HttpError(
                415,
                "Unsupported Media Type",
                [Problem("Content-Type", f"must be image/jpeg or image/png (got {mimetype})")],
                violation=True,
            )
        if len(ctx.raw) > MAX_RICH_MENU_IMAGE_BYTES:
            raise _HttpError(
                413,
                "Request Entity Too Large",
                [Problem("", f"rich menu image must be at most 1 MB (got {len(ctx.raw)} bytes)")],
                violation=True,
            )
        with self._lock:
            self._menu_or_404(rich_menu_id)
            if rich_menu_id in self.rich_menu_images:
                raise _HttpError(
                    400,
                    "An image has already been uploaded to the richmenu",
                    [Problem("", "a rich menu image cannot be replaced; create a new menu")],
                    violation=True,
                )
            self.rich_menu_images[rich_menu_id] = (mimetype, ctx.raw)
        return _Reply(200, {}, {})

    def _get_rich_menu_image(self, ctx: _Context) -> _Reply:
        raise _HttpError(404, "The fake LINE API does not serve rich menu images back")

    def _set_default_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            self._menu_with_image(ctx.params[0])
            self.default_rich_menu = ctx.params[0]
        return _Reply(200, {}, {})

    def _get_default_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            if self.default_rich_menu is None:
                raise _HttpError(404, MSG_NOT_FOUND)
            return _Reply(200, {"richMenuId": self.default_rich_menu}, {})

    def _cancel_default_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            self.default_rich_menu = None
        return _Reply(200, {}, {})

    def _link_rich_menu(self, ctx: _Context) -> _Reply:
        user_id, rich_menu_id = ctx.params
        with self._lock:
            self._menu_with_image(rich_menu_id)
            self.user_rich_menus[user_id] = rich_menu_id
        return _Reply(200, {}, {})

    def _unlink_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            self.user_rich_menus.pop(ctx.params[0], None)
        return _Reply(200, {}, {})

    def _get_user_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            rich_menu_id = self.user_rich_menus.get(ctx.params[0])
        if rich_menu_id is None:
            raise _HttpError(404, MSG_NOT_FOUND)
        return _Reply(200, {"richMenuId": rich_menu_id}, {})

    def _bulk_link_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            self._menu_with_image(ctx.body["richMenuId"])
            for user_id in ctx.body["userIds"]:
                self.user_rich_menus[user_id] = ctx.body["richMenuId"]
        return _Reply(202, {}, {})

    def _bulk_unlink_rich_menu(self, ctx: _Context) -> _Reply:
        with self._lock:
            for user_id in ctx.body["userIds"]:
                self.user_rich_menus.pop(user_id, None)
        return _Reply(202, {}, {})

    def _create_alias(self, ctx: _Context) -> _Reply:
        alias, rich_menu_id = ctx.body["richMenuAliasId"], ctx.body["richMenuId"]
        with self._lock:
            if alias in self.rich_menu_aliases:
                raise _HttpError(400, "conflict richmenu alias id", violation=True)
            self._menu_with_image(rich_menu_id)
            self.rich_menu_aliases[alias] = rich_menu_id
        return _Reply(200, {}, {})

    def _get_alias(self, ctx: _Context) -> _Reply:
        with self._lock:
            rich_menu_id = self.rich_menu_aliases.get(ctx.params[0])
        if rich_menu_id is None:
            raise _HttpError(404, MSG_NOT_FOUND)
        return _Reply(200, {"richMenuAliasId": ctx.params[0], "richMenuId": rich_menu_id}, {})

    def _update_alias(self, ctx: _Context) -> _Reply:
        alias = ctx.params[0]
        with self._lock:
            if alias not in self.rich_menu_aliases:
                raise _HttpError(404, MSG_NOT_FOUND)
            self._menu_with_image(ctx.body["richMenuId"])
            self.rich_menu_aliases[alias] = ctx.body["richMenuId"]
        return _Reply(200, {}, {})

    def _delete_alias(self, ctx: _Context) -> _Reply:
        with self._lock:
            if self.rich_menu_aliases.pop(ctx.params[0], None) is None:
                raise _HttpError(404, MSG_NOT_FOUND)
        return _Reply(200, {}, {})

    def _alias_list(self, ctx: _Context) -> _Reply:
        with self._lock:
            aliases = [
                {"richMenuAliasId": a, "richMenuId": m} for a, m in self.rich_menu_aliases.items()
            ]
        return _Reply(200, {"aliases": aliases}, {})


@dataclass
class _Context:
    op: _Operation
    params: list[str]
    body: Any
    raw: bytes
    headers: dict[str, str]
    request: Request
    request_id: str
    record: RecordedRequest


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def message_text(message: dict[str, Any]) -> str:
    """Text of a text message, ``altText`` of others, else ``[type]``."""
    if message.get("type") in ("text", "textV2") and isinstance(message.get("text"), str):
        return message["text"]
    if isinstance(message.get("altText"), str):
        return message["altText"]
    return f"[{message.get('type')}]"


if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer  # type: ignore[import-untyped]  # no stubs

_THREADS = 24
_CONNECTIONS = 2000


class FakeLineServer:
    """Serve a :class:`FakeLineApi` on 127.0.0.1 (free port) in a daemon thread."""

    def __init__(self, fake: FakeLineApi | None = None, host: str = "127.0.0.1", port: int = 0):
        self.fake = fake if fake is not None else FakeLineApi()
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.crashed: BaseException | None = None  # why the serving loop stopped, if it did

    @property
    def serving(self) -> bool:
        """True while the serving loop runs (a test session checks this before each test)."""
        return self._thread is not None and self._thread.is_alive() and self.crashed is None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("FakeLineServer is not started")
        return f"http://{self.host}:{self._server.effective_port}"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # Looked up per request, so ``server.fake`` can be swapped between tests.
        return self.fake(environ, start_response)

    def _run(self) -> None:
        assert self._server is not None  # start() binds it before the thread runs this
        try:
            self._server.run()
        except (OSError, ValueError) as exc:
            if not self._stopping:  # the loop may trip over a channel closed by stop()
                self.crashed = exc
                raise

    def start(self) -> FakeLineServer:
        """Bind and start serving; returns ``self``."""
        if self._server is not None:
            return self
        from waitress.server import create_server  # tests and benchmarks only (dev requirement)

        # quiet: "task queue depth" under load, "unhandled close event" on stop
        logging.getLogger("waitress").setLevel(logging.ERROR)
        self.fake._wake.clear()
        self._stopping = False
        # Threads for the concurrent senders and for requests held by injected timeouts;
        # room for the idle pooled connections of the many apps a test session creates.
        self._server = create_server(
            self._app,
            host=self.host,
            port=self.port,
            threads=_THREADS,
            connection_limit=_CONNECTIONS,
            asyncore_use_poll=True,  # select() refuses descriptors above 1024
            ident="fake-line-api",
        )
        self._thread = threading.Thread(target=self._run, name="fake-line-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self.fake.close()
        server, self._stopping = self._server, True
        server.task_dispatcher.shutdown(timeout=5)
        while server._map:  # closing every channel and the listener ends the loop
            for channel in list(server._map.values()):
                channel.handle_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeLineServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
