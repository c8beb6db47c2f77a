"""Message channels, each a plugin: a class named in hotline.plugins (the three below are hotline's
own; a centre's package adds or replaces one through the entry points group `hotline.notify_channels`),
made with the settings. Each delivers one message and returns the provider's id, or raises
DeliveryError (retried later) / PermanentDeliveryError (given up on at once)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

import httpx

from hotline import plugins
from hotline.config import Settings
from hotline.outbox import GiveUp, Retry


class DeliveryError(Retry):
    """Could not send now; try again later."""


class PermanentDeliveryError(DeliveryError, GiveUp):
    """Will never be sent (bad number, refused address); do not retry."""


class Channel(Protocol):
    name: str

    def send(self, *, recipient: str, subject: str, body: str, key: str | None = None) -> str | None: ...


class InAppChannel:
    """Stored notifications users read in the console; delivery is the record itself."""

    name = "in_app"

    def __init__(self, settings: Settings) -> None:
        pass

    def send(self, *, recipient: str, subject: str, body: str, key: str | None = None) -> str | None:
        return None


class SmsHttpChannel:
    """An SMS gateway over HTTP: POST {"to", "text", "sign"} as JSON with a bearer token; a 2xx with
    {"id": …} is accepted; 4xx other than 429 is permanent (the number or text was refused)."""

    name = "sms"

    def __init__(self, settings: Settings) -> None:
        self.url = settings.sms_gateway_url
        self.token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        self.sign = settings.sms_sign
        self.timeout = settings.notify_timeout_seconds

    def send(self, *, recipient: str, subject: str, body: str, key: str | None = None) -> str | None:
        if not self.url:
            raise PermanentDeliveryError("no SMS gateway configured (HOTLINE_SMS_GATEWAY_URL)")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key:
            # the same message sent again (a worker killed after sending, before recording it) carries
            # the same key, so a gateway that honours Idempotency-Key delivers it once
            headers["Idempotency-Key"] = key
        try:
            r = httpx.post(
                self.url,
                json={"to": recipient, "text": body, "sign": self.sign},
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if r.status_code == 429 or r.status_code >= 500:
            raise DeliveryError(f"HTTP {r.status_code}")
        if r.status_code >= 400:
            raise PermanentDeliveryError(f"HTTP {r.status_code}: {r.text[:200]}")
        try:
            return str(r.json().get("id") or "") or None
        except ValueError:
            return None


class SmtpChannel:
    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, *, recipient: str, subject: str, body: str, key: str | None = None) -> str | None:
        s = self.settings
        if not s.smtp_host:
            raise PermanentDeliveryError("no SMTP server configured (HOTLINE_SMTP_HOST)")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = s.smtp_from, recipient, subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.notify_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_user and s.smtp_password:
                    smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise PermanentDeliveryError(f"recipient refused: {refused}")
        return msg.get("Message-ID")


def channels(settings: Settings) -> dict[str, Channel]:
    """Every installed channel by name, made with these settings."""
    return {name: point.load()(settings) for name, point in plugins.points(plugins.NOTIFY_CHANNELS).items()}
