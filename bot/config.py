"""Settings read once from the environment and validated at start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from messages.text import TOWN_TZ_NAME

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = ROOT / "instance"

# The simulator signs its events with this secret when no LINE channel is configured.
DEMO_CHANNEL_SECRET = "machikoe-simulator-secret"  # noqa: S105 - public by design
DEMO_ACCESS_TOKEN = "machikoe-simulator-token"  # noqa: S105
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from the environment, parsed and checked."""

    line_channel_secret: str = DEMO_CHANNEL_SECRET
    line_channel_access_token: str = DEMO_ACCESS_TOKEN
    line_api_base_url: str = "https://api.line.me"
    line_data_api_base_url: str = "https://api-data.line.me"
    database_url: str = ""
    secret_key: str = ""
    simulator_enabled: bool = False
    smtp_url: str | None = None
    digest_emails: tuple[str, ...] = ()
    town_tz: str = TOWN_TZ_NAME
    demo_mode: bool = True
    max_body_bytes: int = 1_000_000
    line_timeout: tuple[float, float] = (2.0, 5.0)
    public_base_url: str = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL: links residents open
    log_level: str = "INFO"  # LOG_LEVEL: DEBUG also logs every webhook and reply sent
    log_format: str = "text"  # LOG_FORMAT: text (one readable line) or json (one object a line)
    trusted_proxies: int = 0  # TRUSTED_PROXIES: HTTPS proxies in front whose X-Forwarded-* count
    metrics_token: str = ""  # METRICS_TOKEN: a scraper's bearer token for /metrics (off if empty)
    sentry_dsn: str = ""  # SENTRY_DSN: report exceptions to Sentry (off if empty)
    line_add_friend_url: str | None = None  # LINE_ADD_FRIEND_URL: printed on invitation letters
    console_session_max_hours: float = 12.0  # CONSOLE_SESSION_MAX_HOURS: absolute sign-in life
    survey_paused_answers_days: int = 7  # SURVEY_PAUSED_ANSWERS_DAYS: unfinished answers kept
    webhook_event_retention_days: int = 30  # WEBHOOK_EVENT_RETENTION_DAYS: user ids, times kept
    inbox_threads: int = 4  # INBOX_THREADS: webhook-draining threads per web worker (0: none)

    @property
    def tz(self) -> ZoneInfo:
        """The town's time zone."""
        return ZoneInfo(self.town_tz)

    def but(self, **changes) -> Settings:
        """A copy with some fields changed (tests use this)."""
        return replace(self, **changes)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(env: dict) -> str:
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
    return level


def _log_format(env: dict) -> str:
    fmt = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if fmt not in {"text", "json"}:
        raise SettingsError(f"LOG_FORMAT must be text or json, not {fmt!r}")
    return fmt


def _proxies(env: dict) -> int:
    raw = env.get("TRUSTED_PROXIES", "0").strip() or "0"
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 5:
        raise SettingsError(
            f"TRUSTED_PROXIES is how many proxies stand in front of the app (0 to 5), not {raw!r}"
        )
    return int(raw)


def _metrics_token(env: dict) -> str:
    token = env.get("METRICS_TOKEN", "").strip()
    if token and len(token) < 24:
        raise SettingsError("METRICS_TOKEN must be at least 24 characters (a long random string)")
    return token


def _flag(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise SettingsError(f"{name}={raw!r}: use 1/0, true/false, yes/no or on/off")


def _url(env: dict, name: str, default: str) -> str:
    value = env.get(name, default).rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise SettingsError(f"{name}={value!r}: expected an http(s) URL such as {default}")
    return value


def _default_api(env: dict, demo: bool, real: str = "https://api.line.me") -> str:
    """Demo mode talks to the simulator's stand-in for LINE inside this app."""
    if demo:
        return f"http://127.0.0.1:{env.get('PORT', '5000')}/simulator/line"
    return real


def _hours(env: dict, name: str, default: float, most: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= most:
        raise SettingsError(f"{name}={raw!r}: expected a number of hours above 0, at most {most:g}")
    return value


def _days(env: dict, name: str, default: int, least: int, most: int, why: str = "") -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not least <= int(raw) <= most:
        raise SettingsError(f"{name}={raw!r}: expected whole days from {least} to {most}{why}")
    return int(raw)


def _threads(env: dict, name: str, default: int, most: int = 64) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) > most:
        raise SettingsError(f"{name}={raw!r}: expected a whole number of threads from 0 to {most}")
    return int(raw)


def _simulator(env: dict, demo: bool) -> bool:
    """The simulator signs webhooks for any user id: demo mode only, never with a channel."""
    enabled = _flag(env, "SIMULATOR_ENABLED", demo)
    if enabled and not demo:
        raise SettingsError(
            "SIMULATOR_ENABLED is on while LINE_CHANNEL_SECRET/LINE_CHANNEL_ACCESS_TOKEN are set: "
            "the simulator would sign webhooks with the real channel secret for any user. "
            "Unset SIMULATOR_ENABLED (the simulator runs only in demo mode, without LINE "
            "credentials)"
        )
    return enabled


def _local_secret_key() -> str:
    """A key generated once and kept under instance/ for local use."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(env: dict | None = None) -> Settings:
    """Parse the environment (see interfaces.md) into Settings, or raise SettingsError."""
    env = dict(os.environ if env is None else env)
    secret = env.get("LINE_CHANNEL_SECRET", "").strip()
    token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip()
    if bool(secret) != bool(token):
        missing = "LINE_CHANNEL_ACCESS_TOKEN" if secret else "LINE_CHANNEL_SECRET"
        raise SettingsError(
            f"{missing} is not set: give both LINE credentials, or neither for demo mode"
        )
    demo = not secret
    tz = env.get("TOWN_TZ", TOWN_TZ_NAME)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"TOWN_TZ={tz!r} is not a known time zone (e.g. Asia/Tokyo)") from exc
    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        INSTANCE.mkdir(exist_ok=True)
        database_url = f"sqlite:///{INSTANCE / 'machikoe.db'}"
    for scheme in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if database_url.startswith(scheme):  # the installed driver: psycopg2
            database_url = "postgresql+psycopg2://" + database_url[len(scheme) :]
    scheme = database_url.split(":")[0]
    if scheme not in {"sqlite", "postgresql+psycopg2"}:
        raise SettingsError(
            f"DATABASE_URL: SQLite (sqlite:///path) or PostgreSQL (postgresql://…) only, "
            f"not {scheme!r}"
        )
    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if not demo and env.get("FLASK_DEBUG") != "1" and not _flag(env, "MACHIKOE_LOCAL", False):
            raise SettingsError("SECRET_KEY is required in production (a long random string)")
        secret_key = _local_secret_key()
    smtp_url = env.get("SMTP_URL", "").strip() or None
    if smtp_url:
        parsed = urlparse(smtp_url)
        if parsed.scheme not in {"smtp", "smtps"} or not parsed.hostname:
            raise SettingsError("SMTP_URL: expected smtp://user:pass@host:port or smtps://…")
    emails = tuple(e.strip() for e in env.get("DIGEST_EMAILS", "").split(",") if e.strip())
    for email in emails:
        if "@" not in email:
            raise SettingsError(f"DIGEST_EMAILS: {email!r} is not an e-mail address")
    return Settings(
        line_channel_secret=secret or DEMO_CHANNEL_SECRET,
        line_channel_access_token=token or DEMO_ACCESS_TOKEN,
        line_api_base_url=_url(env, "LINE_API_BASE_URL", _default_api(env, demo)),
        line_data_api_base_url=_url(
            env, "LINE_DATA_API_BASE_URL", _default_api(env, demo, "https://api-data.line.me")
        ),
        database_url=database_url,
        secret_key=secret_key,
        simulator_enabled=_simulator(env, demo),
        smtp_url=smtp_url,
        digest_emails=emails,
        town_tz=tz,
        demo_mode=demo,
        public_base_url=_url(env, "PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}"),
        log_level=_log_level(env),
        log_format=_log_format(env),
        trusted_proxies=_proxies(env),
        metrics_token=_metrics_token(env),
        sentry_dsn=(
            _url(env, "SENTRY_DSN", "https://key@sentry.example/1")
            if env.get("SENTRY_DSN", "").strip()
            else ""
        ),
        line_add_friend_url=(
            _url(env, "LINE_ADD_FRIEND_URL", "https://lin.ee/…")
            if env.get("LINE_ADD_FRIEND_URL", "").strip()
            else None
        ),
        console_session_max_hours=_hours(env, "CONSOLE_SESSION_MAX_HOURS", 12.0, 24.0 * 7),
        survey_paused_answers_days=_days(env, "SURVEY_PAUSED_ANSWERS_DAYS", 7, 1, 90),
        webhook_event_retention_days=_days(
            env,
            "WEBHOOK_EVENT_RETENTION_DAYS",
            30,
            8,
            3650,
            " (the weekly digest counts last week's active residents from them)",
        ),
        inbox_threads=_threads(env, "INBOX_THREADS", 4),
    )
