"""The simulator: a page that plays the LINE app, and the fake Messaging API it talks to.

Enabled in demo mode only (``SIMULATOR_ENABLED=1`` with real LINE credentials stops the app
at start: bot/config.py); otherwise ``/simulator`` is a 404. POSTs need this browser
session's own CSRF token and a same-origin ``Origin`` or ``Referer``; signed events go to
the address this server listens on, never to one taken from ``Host``.

- ``/simulator/line/…`` is a :class:`FakeLineApi` (one per process, in
  ``app.extensions["simulator"]``): in demo mode the gateway's base URL points here, so
  every reply and push is checked against LINE's schema and limits and recorded.
- ``/simulator`` is the chat page; ``/simulator/api/…`` is what it calls. The browser
  never signs anything: it posts ``{user, kind, text|data|params}`` to ``api/send`` and
  the server builds a complete LINE webhook event (webhookEventId, a reply token issued
  by the fake, timestamp, mode, deliveryContext, quoteToken), signs it with the channel
  secret (HMAC-SHA256) and POSTs it to this app's own ``/callback``.

Docs: docs/simulator.md
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import requests
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)
from sqlalchemy import select
from werkzeug.test import Client

from bot.simulator.line_api import FakeLineApi, message_text
from db.models import Resident
from handlers.survey import PREVIEW_ACTION, preview_signature

log = logging.getLogger(__name__)

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

EXTENSION = "simulator"
LINE_PREFIX = "/simulator/line"
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
LANGUAGES = ("ja", "en")
KINDS = ("follow", "unblock", "unfollow", "text", "postback")
MAX_TEXT = 5000  # LINE's limit for a text message a user sends
MAX_DATA = 300
MAX_NAME = 20
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Jobs a person most likely wants to run now, shown first; any other registered job follows.
PREFERRED_JOBS = ("dispatch", "reminders", "digest", "outbox", "inbox")
JOB_LABELS = {
    "dispatch": "予約したお知らせを配信する",
    "reminders": "ワークショップ前日のリマインダーを送る",
    "digest": "職員向けの週次まとめを送る",
    "outbox": "送れていないプッシュを送り直す",
    "inbox": "処理が途中で止まった受信イベントを処理する",
    "expire": "1日止まっている会話を一時停止にする",
    "answers": "操作のない途中のアンケート回答を削除する",
    "retention": "古い受信イベントから利用者IDと時刻を消す",
    "heartbeat": "時計が動いていることを記録する（コンソールの警告が消えます）",
}
DEFAULT_RESIDENTS = (("山田 花子", "ja"), ("Alex Smith", "en"))


def ulid(now_ms: int | None = None) -> str:
    """A ULID-shaped id (26 Crockford base32 characters: 48-bit time, 80 random bits)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    n = (ms & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def sign(body: bytes, secret: str) -> str:
    """The x-line-signature LINE sends: base64(HMAC-SHA256(channel secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Simulator:
    """Per-process simulator state: the fake, the chat timeline and the refusals seen."""

    fake: FakeLineApi
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # reply token → user id
    scanned: int = 0  # requests of the fake already checked for refusals
    clock: Callable[[], float] = time.time  # the app's clock, so the chat shows its times
    menus: dict[str, tuple[dict, bytes]] = field(default_factory=dict)  # rich menu previews

    def __post_init__(self) -> None:
        self.fake.on_delivery = self._delivered

    # --- the timeline ----------------------------------------------------------------

    def add(self, user_id: str, side: str, kind: str, **data: Any) -> dict[str, Any]:
        """Append one entry (side: user|bot|system) and return it."""
        with self.lock:
            entry = {
                "seq": len(self.entries) + 1,
                "user": user_id,
                "side": side,
                "kind": kind,
                "time": self.clock(),
                **data,
            }
            self.entries.append(entry)
            return entry

    def _delivered(self, user_id: str, message: dict[str, Any], endpoint: str) -> None:
        self.add(user_id, "bot", "message", message=message, endpoint=endpoint)

    def since(self, after: int, user_id: str | None = None) -> list[dict[str, Any]]:
        """Entries after a sequence number, for one user or everyone."""
        self.scan()
        with self.lock:
            new = self.entries[max(after, 0) :]
        return [e for e in new if user_id is None or e["user"] == user_id]

    @property
    def last(self) -> int:
        """The sequence number of the newest entry."""
        with self.lock:
            return len(self.entries)

    # --- refusals ----------------------------------------------------------------------

    def scan(self) -> None:
        """Turn every request the fake answered with 4xx/5xx into a refusal (shown in red)."""
        requests_seen = self.fake.requests
        with self.lock:
            start, self.scanned = self.scanned, len(requests_seen)
        for record in requests_seen[start:]:
            if record.status < 400:
                continue
            users = self._recipients(record.json)
            refusal = {
                "seq": 0,
                "time": record.time,
                "method": record.method,
                "path": record.path,
                "endpoint": record.endpoint,
                "status": record.status,
                "problems": list(record.problems),
                "users": users,
            }
            with self.lock:
                refusal["seq"] = len(self.refusals) + 1
                self.refusals.append(refusal)
            for user_id in users:
                self.add(user_id, "system", "refusal", refusal=refusal)

    def _recipients(self, body: Any) -> list[str]:
        if not isinstance(body, dict):
            return []
        if isinstance(body.get("replyToken"), str):
            user = self.tokens.get(body["replyToken"])
            return [user] if user else []
        to = body.get("to")
        if isinstance(to, str):
            return [to]
        if isinstance(to, list):
            return [u for u in to if isinstance(u, str)][:50]
        return []

    def refusals_since(self, after: int) -> list[dict[str, Any]]:
        """Refusals after a sequence number."""
        self.scan()
        with self.lock:
            return self.refusals[max(after, 0) :]

    # --- residents ---------------------------------------------------------------------

    def register(self, user_id: str, name: str, language: str) -> dict[str, Any]:
        """Register (or update) a pretend resident's LINE profile in the fake."""
        return self.fake.add_user(user_id, name, language=language)

    def reply_token(self, user_id: str) -> str:
        """A fresh single-use reply token, issued by the fake for this user."""
        token = self.fake.issue_reply_token(user_id)
        with self.lock:
            self.tokens[token] = user_id
        return token


def install(app: Flask, fake: FakeLineApi | None = None) -> Simulator:
    """Give the app its simulator (a new FakeLineApi unless one is given)."""
    state = app.extensions["machikoe"]
    if fake is None:
        fake = FakeLineApi(
            access_token=state.settings.line_channel_access_token,
            keep_requests=2000,  # the demo runs for days: keep the recent requests only
        )
    simulator = Simulator(fake, clock=lambda: state.now().timestamp())
    app.extensions[EXTENSION] = simulator
    return simulator


def _mount(app: Flask) -> None:
    """Serve the fake under /simulator/line (looked up per request, so tests can swap it)."""
    inner = app.wsgi_app

    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == LINE_PREFIX or path.startswith(LINE_PREFIX + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + LINE_PREFIX
            environ["PATH_INFO"] = path[len(LINE_PREFIX) :] or "/"
            return app.extensions[EXTENSION].fake(environ, start_response)
        return inner(environ, start_response)

    app.wsgi_app = dispatch  # type: ignore[method-assign]  # Flask's way to wrap the WSGI app


def _on_register(setup) -> None:
    install(setup.app)
    _mount(setup.app)


bp.record_once(_on_register)


def _sim() -> Simulator:
    return current_app.extensions[EXTENSION]


def _state():
    return current_app.extensions["machikoe"]


# --- protection -----------------------------------------------------------------------------


CSRF_KEY = "sim_csrf"


def csrf_token() -> str:
    """This browser session's token, sent back with every POST (random, made on first use)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def _same_origin() -> bool:
    """Origin (or, without it, Referer) names this page's own scheme and host; both absent fails."""
    sent = request.headers.get("Origin") or request.headers.get("Referer") or ""
    theirs = urlparse(sent)
    if theirs.scheme not in ("http", "https") or not theirs.netloc:
        return False  # missing, "null" (a sandboxed frame, a file) or not a web origin
    mine = urlparse(request.host_url)
    return (theirs.scheme, theirs.netloc) == (mine.scheme, mine.netloc)


@bp.before_request
def _protect():
    if request.method != "POST":
        return None
    expected = session.get(CSRF_KEY, "")
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return jsonify(error="CSRF token missing or wrong: reload the page"), 403
    if not _same_origin():
        return jsonify(error="cross-origin request refused (no matching Origin or Referer)"), 403
    if not request.is_json:
        return jsonify(error="send JSON"), 415
    return None


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        response = jsonify(error="expected a JSON object")
        response.status_code = 400
        abort(response)
    return body


def _bad(message: str, status: int = 400):
    return jsonify(error=message), status


# --- the page ---------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
def page():
    """The chat page."""
    from bot.jobs import JOBS

    config = {
        "csrf": csrf_token(),
        "preview": request.args.get("preview", "")[:64],
        "jobs": _jobs(JOBS),
        "defaults": [{"name": n, "language": lang} for n, lang in DEFAULT_RESIDENTS],
        "town": _town_name(),
    }
    return render_template("simulator/index.html", config=config)


def _jobs(jobs: dict) -> list[dict[str, str]]:
    names = [n for n in PREFERRED_JOBS if n in jobs] + sorted(
        n for n in jobs if n not in PREFERRED_JOBS
    )
    return [{"name": n, "about": JOB_LABELS.get(n, jobs[n].about)} for n in names]


def _town_name() -> str:
    try:
        from handlers.town import load_town

        with _state().sessions() as s:
            return load_town(s).name
    except Exception:  # the page works before any content is applied
        return ""


# --- residents ---------------------------------------------------------------------------------


def _status(user_ids: list[str]) -> dict[str, str]:
    """new (never followed) | friend | blocked, from the database."""
    if not user_ids:
        return {}
    with _state().sessions() as s:
        rows = s.execute(
            select(Resident.line_user_id, Resident.blocked, Resident.followed_at).where(
                Resident.line_user_id.in_(user_ids)
            )
        ).all()
    known = {
        uid: ("blocked" if blocked else "friend" if followed else "new")
        for uid, blocked, followed in rows
    }
    return {uid: known.get(uid, "new") for uid in user_ids}


def _resident_view(profile: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "id": profile["userId"],
        "name": profile.get("displayName", ""),
        "language": profile.get("language", "ja"),
        "status": status,
    }


@bp.get("/api/residents")
def residents():
    """The pretend residents known to this process, with their friendship status."""
    profiles = list(_sim().fake.profiles.values())
    status = _status([p["userId"] for p in profiles])
    return jsonify(residents=[_resident_view(p, status[p["userId"]]) for p in profiles])


@bp.post("/api/residents")
def add_resident():
    """Add a pretend resident {name, language[, id]} (an id re-registers one after a restart)."""
    body = _body()
    name = str(body.get("name", "")).strip()[:MAX_NAME]
    language = str(body.get("language", "ja"))
    user_id = str(body.get("id") or "U" + secrets.token_hex(16))
    if not name:
        return _bad("名前を入力してください")
    if language not in LANGUAGES:
        return _bad(f"language must be one of {', '.join(LANGUAGES)}")
    if not USER_ID.match(user_id):
        return _bad("id must be U followed by 32 hex digits")
    profile = _sim().register(user_id, name, language)
    return jsonify(resident=_resident_view(profile, _status([user_id])[user_id]))


# --- events -----------------------------------------------------------------------------------


def build_event(sim: Simulator, user_id: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A complete LINE webhook event, as LINE would send it for this action."""
    now_ms = int(_state().now().timestamp() * 1000)
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": now_ms,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": ulid(now_ms),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in ("follow", "unblock"):
        event["type"] = "follow"
        event["replyToken"] = sim.reply_token(user_id)
        event["follow"] = {"isUnblocked": kind == "unblock"}
    elif kind == "text":
        event["type"] = "message"
        event["replyToken"] = sim.reply_token(user_id)
        event["message"] = {
            "id": str(now_ms * 1000 + secrets.randbelow(1000)),
            "type": "text",
            "text": body["text"],
            "quoteToken": secrets.token_urlsafe(24),
        }
    elif kind == "postback":
        event["replyToken"] = sim.reply_token(user_id)
        postback: dict[str, Any] = {"data": body["data"]}
        if body.get("params"):
            postback["params"] = body["params"]
        event["postback"] = postback
    return event


def _check_send(body: dict[str, Any]) -> str | None:
    user_id, kind = body.get("user"), body.get("kind")
    if not isinstance(user_id, str) or user_id not in _sim().fake.profiles:
        return "unknown resident: add them first"
    if kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return f"text must be 1 to {MAX_TEXT} characters"
    if kind == "postback":
        data = body.get("data")
        if not isinstance(data, str) or not 0 < len(data) <= MAX_DATA:
            return f"postback data must be 1 to {MAX_DATA} characters"
        params = body.get("params") or {}
        if not isinstance(params, dict) or not set(params) <= {"date", "time", "datetime"}:
            return "params may hold only date, time or datetime"
        if not all(isinstance(v, str) and len(v) <= 20 for v in params.values()):
            return "params values must be short strings"
    return None


def callback_url(environ: dict) -> str | None:
    """This server's own /callback, from the address the request arrived on (never Host).

    The local end of the connection's socket is where this server listens; a forged
    ``Host:`` header cannot move it. None when there is no real socket (a test client).
    """
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None:
        return None
    try:
        host, port = sock.getsockname()[:2]
    except (OSError, ValueError, TypeError):
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/callback"


def post_callback(payload: bytes) -> tuple[int, str]:
    """POST a signed webhook body to this app's /callback: over HTTP to this same server
    when it is a real one (as LINE would), otherwise (or if that fails) through WSGI."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-line-signature": sign(payload, _state().settings.line_channel_secret),
        "User-Agent": "LineBotWebhook/2.0",
    }
    url = callback_url(request.environ)
    if url is not None:
        try:
            with requests.Session() as http:
                http.trust_env = False  # never through a proxy from the environment
                response = http.post(url, data=payload, headers=headers, timeout=(2, 60))
            return _settled(payload, response.status_code), response.text
        except requests.RequestException as exc:
            log.warning("simulator: %s unreachable (%s); calling the app directly", url, exc)
    # current_app is a LocalProxy, typed as the Flask app it stands for
    client = Client(current_app._get_current_object())  # type: ignore[attr-defined]
    direct = client.post("/callback", data=payload, headers=headers)
    return _settled(payload, direct.status_code), direct.get_data(as_text=True)


def _settled(payload: bytes, status: int) -> int:
    """Wait until the acknowledged events are processed, so the transcript shows replies."""
    from bot import inbox

    if status == 200:
        events = json.loads(payload).get("events", [])
        inbox.settle(_state(), [e["webhookEventId"] for e in events if "webhookEventId" in e])
    return status


@bp.post("/api/send")
def send():
    """The browser did something in the chat: turn it into a signed webhook event."""
    body = _body()
    problem = _check_send(body)
    if problem:
        return _bad(problem)
    sim, user_id, kind = _sim(), body["user"], body["kind"]
    after = sim.last
    if kind == "text":
        sim.add(user_id, "user", "text", text=body["text"])
    elif kind == "postback" and isinstance(body.get("display"), str) and body["display"]:
        sim.add(user_id, "user", "text", text=body["display"][:300])
    elif kind in ("follow", "unblock", "unfollow"):
        sim.add(user_id, "system", kind)
    if kind == "unfollow":
        sim.fake.blocked.add(user_id)
    elif kind in ("follow", "unblock"):
        sim.fake.blocked.discard(user_id)
    event = build_event(sim, user_id, kind, body)
    status, answer = post_callback(_payload(sim, event))
    if status != 200:
        sim.add(user_id, "system", "webhook_error", status=status, detail=answer[:500])
    return jsonify(
        status=status,
        event=event,
        entries=sim.since(after, user_id),
        resident=_status([user_id])[user_id],
    )


@bp.get("/api/messages")
def messages():
    """What happened after ?after=N (for one ?user= or everyone), and refusals after ?refused=N."""
    sim = _sim()
    try:
        after = int(request.args.get("after", "0"))
        refused = int(request.args.get("refused", "0"))
    except ValueError:
        return _bad("after and refused must be integers")
    user_id = request.args.get("user") or None
    entries = sim.since(after, user_id)
    return jsonify(
        entries=entries,
        last=sim.last,
        refusals=sim.refusals_since(refused),
        refused=len(sim.refusals),
    )


# --- jobs -------------------------------------------------------------------------------------


@bp.post("/api/jobs")
def run_job():
    """Run one registered job now and report what it sent."""
    from bot.jobs import JOBS

    name = _body().get("name")
    if name not in JOBS:
        return _bad(f"unknown job; choose from: {', '.join(JOBS)}")
    sim = _sim()
    after = sim.last
    try:
        result = JOBS[name].run(_state())
    except Exception as exc:
        log.exception("simulator: job %s failed", name)
        return jsonify(name=name, ok=False, result=f"{type(exc).__name__}: {exc}", sent=[]), 500
    sent = [
        {
            "user": e["user"],
            "name": sim.fake.profiles.get(e["user"], {}).get("displayName", e["user"][:9]),
            "text": message_text(e["message"])[:200],
        }
        for e in sim.since(after)
        if e["side"] == "bot"
    ]
    return jsonify(name=name, ok=True, result=str(result)[:500], sent=sent)


# --- staff preview of a survey ------------------------------------------------------------------


def preview_data(secret_key: str, user_id: str, survey_id: str) -> str:
    """Postback data ``v=1&a=survey_preview&x=<survey id>.<signature>``."""
    from messages.postback import Postback

    value = f"{survey_id}.{preview_signature(secret_key, user_id, survey_id)}"
    return Postback(action=PREVIEW_ACTION, value=value).encode()


@bp.post("/api/preview")
def preview():
    """Open a survey for a preview resident, even before it opens to residents.

    The simulator sends the resident a signed ``survey_preview`` postback; the survey
    module honours it when the simulator is enabled and the signature checks out.
    """
    from handlers import chat

    body = _body()
    user_id, survey_id = body.get("user"), str(body.get("survey", "")).strip()
    if not isinstance(user_id, str) or user_id not in _sim().fake.profiles:
        return _bad("unknown resident: add them first")
    if not survey_id or len(survey_id) > 64:
        return _bad("survey id is missing or too long")
    if PREVIEW_ACTION not in chat.ACTIONS:
        return _bad(
            "アンケートのプレビューはまだ使えません（survey_preview が登録されていません）", 501
        )
    sim = _sim()
    after = sim.last
    if _status([user_id])[user_id] != "friend":
        sim.fake.blocked.discard(user_id)
        sim.add(user_id, "system", "follow")
        event = build_event(sim, user_id, "follow", {})
        post_callback(_payload(sim, event))
    secret = _state().settings.secret_key
    sim.add(user_id, "system", "preview", survey=survey_id)
    data = preview_data(secret, user_id, survey_id)
    event = build_event(sim, user_id, "postback", {"data": data})
    status, answer = post_callback(_payload(sim, event))
    if status != 200:
        sim.add(user_id, "system", "webhook_error", status=status, detail=answer[:500])
    return jsonify(
        status=status, entries=sim.since(after, user_id), resident=_status([user_id])[user_id]
    )


def _payload(sim: Simulator, event: dict[str, Any]) -> bytes:
    body = {"destination": sim.fake.bot_user_id, "events": [event]}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# --- the rich menu ---------------------------------------------------------------------------


def _rich_menu(user_id: str | None, language: str) -> tuple[str, dict, bytes] | None:
    """(source, menu object, PNG) the LINE app would show this user under the chat.

    A menu installed in the fake (``flask richmenu`` pointed at it) wins: the user's linked
    one, else the default. Otherwise the menu ``flask richmenu`` would install, so the demo
    shows it without that step.
    """
    fake = _sim().fake
    menu_id = fake.user_rich_menus.get(user_id or "") or fake.default_rich_menu
    if menu_id and menu_id in fake.rich_menus and menu_id in fake.rich_menu_images:
        return "line", fake.rich_menus[menu_id], fake.rich_menu_images[menu_id][1]
    from messages.richmenu import menu_image, menu_object

    cache = _sim().menus
    if language not in cache:
        cache[language] = (menu_object(language), menu_image(language))
    menu, png = cache[language]
    return "preview", menu, png


def _menu_language(user_id: str | None) -> str:
    profile = _sim().fake.profiles.get(user_id or "", {})
    if not user_id:
        return "ja"
    with _state().sessions() as s:
        stored = s.scalar(select(Resident.language).where(Resident.line_user_id == user_id))
    return stored or profile.get("language", "ja")


@bp.get("/api/richmenu")
def rich_menu():
    """The rich menu for ?user= (its areas and actions), or null when there is none."""
    user_id = request.args.get("user") or None
    found = _rich_menu(user_id, _menu_language(user_id))
    if found is None:
        return jsonify(menu=None)
    source, menu, _png = found
    return jsonify(source=source, menu=menu)


@bp.get("/richmenu.png")
def rich_menu_image():
    """The rich menu's image for ?user=."""
    user_id = request.args.get("user") or None
    found = _rich_menu(user_id, _menu_language(user_id))
    if found is None:
        abort(404)
    response = current_app.response_class(found[2], mimetype="image/png")
    response.headers["Cache-Control"] = "no-cache"
    return response
