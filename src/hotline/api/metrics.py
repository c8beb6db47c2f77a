"""Prometheus metrics: requests by route and status with their latency (counted as they happen), and
the state of the work at scrape time — tickets by status, overdue tickets, the triage queue, messages
and webhook deliveries waiting. `GET /metrics`; HOTLINE_METRICS_TOKEN, when set, is required as a
bearer token. Each API process answers for itself (scrape every process, or run one behind each port)."""

from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.api.deps import DbSession
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import Unauthenticated

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "hotline_http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "hotline_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
TICKETS = Gauge("hotline_tickets", "Tickets by status", ["status"], registry=REGISTRY)
OVERDUE = Gauge(
    "hotline_tickets_overdue", "Tickets past their handling deadline with work owed", registry=REGISTRY
)
TRIAGE = Gauge("hotline_triage_queue", "Registered tickets waiting for a dispatcher", registry=REGISTRY)
QUEUE = Gauge("hotline_queue_depth", "Background work waiting", ["queue"], registry=REGISTRY)


class Metrics:
    """Count every HTTP request by its route template (not its raw path) and status, and time it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static") else "unmatched"
            )
            REQUESTS.labels(scope["method"], name, str(status)).inc()
            LATENCY.labels(scope["method"], name).observe(time.perf_counter() - started)


router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, db: DbSession) -> Response:
    token = get_settings().metrics_token
    if token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(sent, token.get_secret_value()):
            raise Unauthenticated("unauthenticated")
    from hotline.jobs import queue
    from hotline.notify.models import Notification
    from hotline.tickets.deadlines import overdue_clause
    from hotline.tickets.models import Ticket
    from hotline.tickets.states import Status
    from hotline.webhooks.models import WebhookDelivery

    counts: dict[str, int] = {
        str(k): int(v)
        for k, v in db.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    }
    for status in Status:
        TICKETS.labels(status.value).set(counts.get(status.value, 0))
    OVERDUE.set(db.scalar(select(func.count()).select_from(Ticket).where(overdue_clause(utcnow()))) or 0)
    TRIAGE.set(counts.get(Status.registered.value, 0))
    QUEUE.labels("notifications").set(
        db.scalar(select(func.count()).select_from(Notification).where(Notification.status == "pending")) or 0
    )
    QUEUE.labels("webhooks").set(
        db.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "pending")
        )
        or 0
    )
    if queue.available(db):  # the job queue: jobs waiting or running (PostgreSQL)
        QUEUE.labels("jobs").set(queue.waiting(db))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
