"""The operations endpoints: liveness, readiness and the Prometheus metrics of one API process.

`GET /metrics` answers with the HTTP counts (http.metrics) and the state of the work at scrape time —
tickets by status, overdue tickets, the triage queue, messages, webhook deliveries and jobs waiting.
HOTLINE_METRICS_TOKEN, when set, is required as a bearer token. Each API process answers for itself
(scrape every process, or run one behind each port)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy.orm import Session, sessionmaker

import hotline
from hotline import db as hotline_db
from hotline.config import get_settings
from hotline.db import not_ready, utcnow
from hotline.errors import Unauthenticated
from hotline.http.deps import DbSession
from hotline.http.metrics import REGISTRY
from hotline.jobs import queue
from hotline.notify import service as notify_service
from hotline.tickets import service as ticket_service
from hotline.tickets.states import Status
from hotline.webhooks import service as webhook_service

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])

TICKETS = Gauge("hotline_tickets", "Tickets by status", ["status"], registry=REGISTRY)
OVERDUE = Gauge(
    "hotline_tickets_overdue", "Tickets past their handling deadline with work owed", registry=REGISTRY
)
TRIAGE = Gauge("hotline_triage_queue", "Registered tickets waiting for a dispatcher", registry=REGISTRY)
QUEUE = Gauge("hotline_queue_depth", "Background work waiting", ["queue"], registry=REGISTRY)


def factory_of(request: Request) -> sessionmaker[Session]:
    """The app's session factory (a test's own, or the configured database's)."""
    return getattr(request.app.state, "session_factory", None) or hotline_db.session_factory()


@router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """Liveness: the process answers (on the event loop: no database, no thread pool)."""
    return {"status": "ok", "version": hotline.__version__}


@router.get("/readyz", responses={503: {"description": "not ready, with the reason"}})
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers, is at this version's schema and can be written to."""
    found = await run_in_threadpool(not_ready, factory_of(request))
    if found is not None:
        log.warning("not ready: %s", found)
        return JSONResponse(  # the reason only: the database's own words may name its host
            {"status": "not_ready", "reason": found.reason}, status_code=503, headers={"Retry-After": "5"}
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, db: DbSession) -> Response:
    """The process's HTTP counts and the state of the work, in Prometheus' text format."""
    token = get_settings().metrics_token
    if token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(sent, token.get_secret_value()):
            raise Unauthenticated("unauthenticated")
    counts = ticket_service.count_by_status(db)
    for status in Status:
        TICKETS.labels(status.value).set(counts.get(status, 0))
    OVERDUE.set(ticket_service.count_overdue(db, now=utcnow()))
    TRIAGE.set(counts.get(Status.registered, 0))
    QUEUE.labels("notifications").set(notify_service.waiting(db))
    QUEUE.labels("webhooks").set(webhook_service.waiting(db))
    if queue.available(db):  # the job queue: jobs waiting or running (PostgreSQL)
        QUEUE.labels("jobs").set(queue.waiting(db))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
