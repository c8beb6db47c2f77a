"""The scheduler: every domain's timed sweeps (declared in its jobs.py, found by jobs.registry) —
intake in background mode, the deadline watch, follow-up, analytics, notification and webhook delivery.

Runs in-process by default (a daemon thread in each API process, HOTLINE_SCHEDULER=inprocess), or as
`hotline worker` beside API processes started with HOTLINE_SCHEDULER=off. Either way several can run
at once: every action is guarded by a unique key or a row claim in the database, so nothing fires twice;
nothing is kept in memory between ticks, so a restart loses nothing."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.config import get_settings
from hotline.db import utcnow
from hotline.jobs import registry

log = logging.getLogger(__name__)


def tick(session_factory: sessionmaker[Session], *, now: datetime | None = None) -> dict[str, Any]:
    """One pass of every domain's sweep (jobs.registry), each in its own transaction; a failing sweep
    does not stop the others. Returns what each did, by name ("error" for one that failed)."""
    now = now or utcnow()
    out: dict[str, Any] = {}
    try:
        declared = registry.sweeps()
    except Exception:
        log.exception("the sweeps could not be loaded (a broken plugin?); next tick tries again")
        return {"sweeps": "error"}
    for job in declared:
        try:
            if job.own_sessions:
                out[job.name] = job.run(session_factory, now=now)
                continue
            with session_factory() as session:
                out[job.name] = job.run(session, now=now)
                session.commit()
        except Exception:
            log.exception("%s sweep failed; next tick tries again", job.name)
            out[job.name] = "error"
    return out


class Scheduler:
    """Runs `tick` every interval in a daemon thread until stopped."""

    def __init__(self, session_factory: sessionmaker[Session], interval: float | None = None) -> None:
        self.session_factory = session_factory
        self.interval = interval or get_settings().scheduler_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hotline-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = tick(self.session_factory)
                log.debug("scheduler tick: %s", result)
            except Exception:  # the thread outlives any one tick
                log.exception("scheduler tick failed; next tick tries again")
            self._stop.wait(self.interval)
