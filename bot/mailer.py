"""E-mail through SMTP_URL: plain text + HTML with inline PNG images (Content-ID).

SMTP_URL is `smtp://user:pass@host:port` (STARTTLS when the server offers it; with a user
and password STARTTLS is required, so they never travel unencrypted) or `smtps://…` (TLS
from the start). The sender is `?from=addr` in the URL, else the user
name when it is an address, else `machikoe@<host>`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import cast
from urllib.parse import parse_qs, unquote, urlparse

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The e-mail could not be sent; the message says why (no password in it)."""


@dataclass(frozen=True)
class Smtp:
    """A parsed SMTP_URL."""

    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def parse(cls, url: str) -> Smtp:
        """Read smtp://user:pass@host:port?from=addr (or smtps://)."""
        u = urlparse(url)
        if u.scheme not in {"smtp", "smtps"} or not u.hostname:
            raise MailError("SMTP_URL: expected smtp://user:pass@host:port or smtps://…")
        tls = u.scheme == "smtps"
        user = unquote(u.username) if u.username else None
        password = unquote(u.password) if u.password else None
        sender = (parse_qs(u.query).get("from") or [""])[0]
        if not sender:
            sender = user if user and "@" in user else f"machikoe@{u.hostname}"
        return cls(u.hostname, u.port or (465 if tls else 25), tls, user, password, sender)


def build(
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    images: tuple[tuple[str, bytes], ...] | list[tuple[str, bytes]] = (),
) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + PNGs by cid)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content(text, charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
        # multipart/alternative now: its parts are EmailMessages (text, then html)
        html_part = cast("list[EmailMessage]", msg.get_payload())[1]
        for cid, png in images:
            html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{cid}.png")
    return msg


def send(smtp_url: str, msg: EmailMessage, timeout: float = 30.0) -> None:
    """Send one message; raises MailError on any failure."""
    cfg = Smtp.parse(smtp_url)
    if not msg["From"]:
        msg["From"] = cfg.sender
    try:
        if cfg.tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        with conn:
            conn.ehlo()
            if not cfg.tls and conn.has_extn("starttls"):
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            elif not cfg.tls and cfg.user:  # never send a password in the clear
                log.error(
                    "SMTP %s:%s does not offer STARTTLS: not logging in, mail not sent",
                    cfg.host,
                    cfg.port,
                )
                raise MailError(
                    f"SMTP {cfg.host}:{cfg.port} does not offer STARTTLS; the user name and "
                    "password are never sent unencrypted (use smtps:// or a server with STARTTLS)"
                )
            if cfg.user:
                conn.login(cfg.user, cfg.password or "")
            refused = conn.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}") from exc
    if refused:
        log.warning("SMTP refused %d recipient(s)", len(refused))
    log.info(
        "mail sent to %d recipient(s) via %s:%s", len(msg["To"].split(",")), cfg.host, cfg.port
    )
