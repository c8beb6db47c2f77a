"""The composition root: the one place that knows every part. It builds the FastAPI application from
every domain's router, the web console, the operations endpoints, the error handlers and the
middleware, and starts the in-process scheduler. Nothing imports this module but the entry points
(asgi.py, the CLI, tests): routers import their shared base from hotline.http."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import hotline
from hotline import db as hotline_db
from hotline.accounts.api import router as accounts_router
from hotline.analytics.api import router as analytics_router
from hotline.bulk.api import router as bulk_router
from hotline.categories.api import router as categories_router
from hotline.config import get_settings
from hotline.cti.api import router as cti_router
from hotline.db import not_ready
from hotline.dispatch.api import router as dispatch_router
from hotline.dispatch.api import ticket_router as dispatch_ticket_router
from hotline.followup.api import public as followup_public
from hotline.followup.api import router as followup_router
from hotline.http import errors
from hotline.http.metrics import Metrics
from hotline.http.middleware import BodySizeLimit, SecurityHeaders
from hotline.http.ratelimit import RateLimit
from hotline.jobs.scheduler import Scheduler
from hotline.kb.api import assist_router as kb_assist_router
from hotline.kb.api import public as kb_public_router
from hotline.kb.api import router as kb_router
from hotline.notify.api import router as notify_router
from hotline.open311.api import router as open311_router
from hotline.ops import router as ops_router
from hotline.org.api import router as org_router
from hotline.review.api import router as review_router
from hotline.screening.api import router as screening_router
from hotline.sla.api import router as sla_router
from hotline.supervision.api import router as supervision_router
from hotline.tickets.api import audit as audit_router
from hotline.tickets.api import public as public_router
from hotline.tickets.api import router as tickets_router
from hotline.web import app as web
from hotline.webhooks.api import router as webhooks_router
from hotline.workflow.api import duplicates_router
from hotline.workflow.api import router as workflow_router

log = logging.getLogger(__name__)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def create_app(session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    """Return the API application; `session_factory` overrides the configured database."""
    settings = get_settings()

    def factory() -> sessionmaker[Session]:
        return session_factory or hotline_db.session_factory()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # refuse to start on a database that cannot serve (missing, not migrated, read-only), saying
        # what to fix, rather than answer every request with an error
        reason = not_ready(factory())
        if reason is not None:
            log.error("cannot start: %s (HOTLINE_DATABASE_URL=%s)", reason, _safe_url(settings.database_url))
            raise RuntimeError(f"{reason} (HOTLINE_DATABASE_URL={_safe_url(settings.database_url)})")
        scheduler = None
        if settings.scheduler == "inprocess" and settings.environment != "test":
            scheduler = Scheduler(factory())
            scheduler.start()
            log.info("in-process scheduler started (every %.0f s)", scheduler.interval)
        # What is loaded by now (modules, word lists, models) lives as long as the process: move it
        # out of the collector's sight, so full collections walk only request garbage and do not
        # stall requests for a tenth of a second now and then.
        gc.collect()
        gc.freeze()
        yield
        if scheduler is not None:
            scheduler.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Hotline 12345 API",
        version=hotline.__version__,
        description="12345 政务服务便民热线平台 — intake, dispatch, deadlines, supervision, follow-up.",
    )
    app.state.session_factory = session_factory
    errors.install(app, page=web.domain_error_page)
    for router in (
        accounts_router,
        org_router,
        categories_router,
        sla_router,
        tickets_router,
        workflow_router,
        dispatch_router,
        dispatch_ticket_router,
        public_router,
        kb_router,
        kb_assist_router,
        kb_public_router,
        supervision_router,
        followup_router,
        followup_public,
        review_router,
        notify_router,
        screening_router,
        open311_router,
        cti_router,
        webhooks_router,
        bulk_router,
        analytics_router,
        audit_router,
        duplicates_router,
        ops_router,
    ):
        app.include_router(router)

    web.install(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(RateLimit)
    app.add_middleware(Metrics)
    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")
    return app
