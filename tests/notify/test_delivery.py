"""Delivery over real protocols: an SMS gateway over HTTP and a real SMTP server (aiosmtpd), with
retries, permanent failures, and no message sent twice by two workers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.config import get_settings
from hotline.notify import service
from hotline.notify.models import Notification
from tests.fakes import sms_gateway

NOTIFY_SETTINGS = (
    "sms_gateway_url",
    "sms_gateway_token",
    "smtp_host",
    "smtp_port",
    "notify_retry_seconds",
    "notify_max_attempts",
)


@pytest.fixture
def gateway() -> Iterator[sms_gateway.FakeGateway]:
    settings = get_settings()
    saved = {k: getattr(settings, k) for k in NOTIFY_SETTINGS}
    with sms_gateway.serve() as gw:
        settings.sms_gateway_url = gw.url
        settings.sms_gateway_token = SecretStr(gw.token)
        yield gw
    for k, v in saved.items():
        setattr(settings, k, v)


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def handle_message(self, message: object) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    settings = get_settings()
    saved = {k: getattr(settings, k) for k in NOTIFY_SETTINGS}
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield inbox
    controller.stop()
    for k, v in saved.items():
        setattr(settings, k, v)


NOW = datetime(2026, 9, 16, 2, 0, tzinfo=UTC)
PARAMS = {"number": "20260916-000001", "title": "路灯不亮", "deadline": "2026-09-16 17:30"}


def test_sms_is_sent_over_http_and_recorded(
    db: Session, session_maker: sessionmaker[Session], gateway: sms_gateway.FakeGateway
) -> None:
    n = service.enqueue(
        db, channel="sms", recipient="13800000001", template="sign_warning", params=PARAMS, now=NOW
    )
    db.commit()
    assert service.deliver_due(session_maker, now=NOW) == {"sent": 1, "retry": 0, "failed": 0}
    assert gateway.messages == [{"to": "13800000001", "text": n.body, "sign": "12345热线"}]
    db.refresh(n)
    assert n.status == "sent" and n.provider_id == "msg-1" and n.attempts == 1
    assert "20260916-000001" in n.body and "签收" in n.body


def test_gateway_errors_are_retried_with_backoff_then_given_up(
    db: Session, session_maker: sessionmaker[Session], gateway: sms_gateway.FakeGateway
) -> None:
    get_settings().notify_max_attempts = 2
    gateway.statuses.extend([503, 503])
    n = service.enqueue(
        db, channel="sms", recipient="13800000002", template="reminder", params=PARAMS, now=NOW
    )
    db.commit()
    assert service.deliver_due(session_maker, now=NOW)["retry"] == 1
    db.refresh(n)
    assert n.status == "pending" and n.next_attempt_at > NOW and "503" in (n.last_error or "")
    assert service.deliver_due(session_maker, now=NOW)["sent"] == 0  # not due yet
    assert service.deliver_due(session_maker, now=NOW + timedelta(hours=1))["failed"] == 1
    db.refresh(n)
    assert n.status == "failed" and n.attempts == 2 and gateway.messages == []


def test_refused_number_fails_at_once_and_unset_channel_never_blocks(
    db: Session, session_maker: sessionmaker[Session], gateway: sms_gateway.FakeGateway
) -> None:
    gateway.statuses.append(400)
    a = service.enqueue(db, channel="sms", recipient="000", template="reminder", params=PARAMS, now=NOW)
    b = service.enqueue(
        db, channel="email", recipient="x@example.org", template="reminder", params=PARAMS, now=NOW
    )
    db.commit()
    assert service.deliver_due(session_maker, now=NOW) == {"sent": 0, "retry": 0, "failed": 2}
    db.refresh(a)
    db.refresh(b)
    assert a.status == b.status == "failed" and "SMTP" in (b.last_error or "")


def test_email_through_a_real_smtp_server(
    db: Session, session_maker: sessionmaker[Session], smtp: Inbox
) -> None:
    service.enqueue(
        db,
        channel="email",
        recipient="zjj@minghu.gov.cn",
        template="overdue",
        params={**PARAMS, "what": "办理"},
        now=NOW,
    )
    db.commit()
    assert service.deliver_due(session_maker, now=NOW)["sent"] == 1
    (msg,) = smtp.messages
    subject = str(make_header(decode_header(msg["Subject"])))  # type: ignore[index]
    assert msg["To"] == "zjj@minghu.gov.cn" and subject == "【12345】工单 20260916-000001 已超期"  # type: ignore[index]


def test_two_workers_never_send_the_same_message_twice(committing_engine: Engine) -> None:
    factory = sessionmaker(committing_engine, expire_on_commit=False)
    with sms_gateway.serve() as gw:
        settings = get_settings()
        saved = (settings.sms_gateway_url, settings.sms_gateway_token)
        settings.sms_gateway_url, settings.sms_gateway_token = gw.url, SecretStr(gw.token)
        try:
            with factory() as s:
                for i in range(40):
                    service.enqueue(
                        s,
                        channel="sms",
                        recipient=f"1380000{i:04d}",
                        template="reminder",
                        params=PARAMS,
                        now=NOW,
                    )
                s.commit()
            barrier = threading.Barrier(2)
            results: list[dict[str, int]] = []

            def work() -> None:
                barrier.wait(timeout=30)
                results.append(service.deliver_due(factory, now=NOW))

            threads = [threading.Thread(target=work) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        finally:
            settings.sms_gateway_url, settings.sms_gateway_token = saved
    assert sum(r["sent"] for r in results) == 40
    recipients = [m["to"] for m in gw.messages]
    assert len(recipients) == len(set(recipients)) == 40
    with factory() as s:
        assert (
            s.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
            == 40
        )
