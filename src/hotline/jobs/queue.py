"""procrastinate on the platform's PostgreSQL database: deferring in the caller's transaction, and
the worker loop that also takes up the jobs of workers that died."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from hotline.config import get_settings

log = logging.getLogger(__name__)

QUEUE = "hotline"

# The app the domains declare their tasks on (in their jobs.py, found by jobs.registry). Its connector never opens a pool: deferring
# runs procrastinate's defer query on the caller's own connection, inside the caller's transaction.
# Workers run a copy of it with a real connector (make_app).
app = procrastinate.App(connector=SyncPsycopgConnector())


def available(session: Session) -> bool:
    """Whether jobs can be deferred here: the queue lives in PostgreSQL only."""
    return session.get_bind().dialect.name == "postgresql"


def defer(session: Session, task: str, *, priority: int = 0, **kwargs: Any) -> int:
    """Defer a job in the session's transaction: it exists if and only if the transaction commits.
    Jobs of higher priority are taken first. Returns the job id."""
    dbapi = session.connection().connection.driver_connection
    job = app.configure_task(task, queue=QUEUE, connection=dbapi, priority=priority).defer(**kwargs)
    return int(job)


def waiting(session: Session) -> int:
    """Jobs not finished yet (waiting or running)."""
    found = session.execute(
        text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
    ).scalar()
    return int(found or 0)


def conninfo(database_url: str) -> str:
    """libpq connection string for the SQLAlchemy URL (driver suffix dropped, options kept)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(database_url: str | None = None) -> procrastinate.App:
    """An app for running workers on the configured database, with every task of the platform."""
    from hotline.jobs import registry

    registry.load()  # the domains' jobs.py declare their tasks on `app`

    url = database_url or get_settings().database_url
    return app.with_connector(procrastinate.PsycopgConnector(conninfo=conninfo(url), min_size=1, max_size=4))


async def _retry_stalled(worker_app: procrastinate.App, every: float, stalled_after: float) -> None:
    """Put back the jobs of workers that stopped sending heartbeats (killed, host lost)."""
    manager = worker_app.job_manager
    while True:
        await asyncio.sleep(every)
        try:
            for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
                log.warning("job %s of a stalled worker is taken up again", job.id)
                await manager.retry_job(job)
        except Exception:
            log.exception("retrying stalled jobs failed; next pass tries again")


async def run_worker(
    worker_app: procrastinate.App,
    *,
    concurrency: int,
    wait: bool = True,
    install_signal_handlers: bool = True,
) -> None:
    """Run jobs until SIGTERM/SIGINT (or, wait=False, until none is left); a job of a worker that
    died is run again by a living one."""
    s = get_settings()
    heartbeat = max(s.job_stalled_seconds / 3, 0.5)
    async with worker_app.open_async():
        retry = asyncio.create_task(_retry_stalled(worker_app, heartbeat, s.job_stalled_seconds))
        try:
            await worker_app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                wait=wait,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=s.job_stalled_seconds,
                delete_jobs="successful",
                install_signal_handlers=install_signal_handlers,
            )
        finally:
            retry.cancel()
