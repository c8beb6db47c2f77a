"""Where the domains declare their background work: timed sweeps and queue tasks.

Each domain keeps its own in its `jobs.py` (supervision: the deadline watch; notify: deliveries; …),
declared with `@sweep(...)` here and `@app.task(...)` on the queue's app (jobs.queue). The modules are
named in hotline.plugins (hotline's own, and any a centre's package adds through the entry points
group `hotline.jobs`), so the scheduler and the worker find every domain's work without a list that
imports everyone; a module that cannot be imported is logged and the others run."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from hotline import plugins

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """Work the scheduler runs on every tick."""

    name: str
    run: Callable[..., Any]
    order: int  # lower first: intake before the deadline watch before deliveries
    # False: run(session, now=) in a transaction of its own, committed after; True: run(session_factory,
    # now=) opens (and commits) its own short transactions, e.g. one per message it delivers
    own_sessions: bool = False
    enabled: Callable[[], bool] = lambda: True


_sweeps: dict[str, Sweep] = {}
_loaded = False
_lock = threading.Lock()


def sweep(
    name: str, *, order: int, own_sessions: bool = False, enabled: Callable[[], bool] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a timed sweep (a decorator)."""

    def register(run: Callable[..., Any]) -> Callable[..., Any]:
        _sweeps[name] = Sweep(name, run, order, own_sessions, enabled or (lambda: True))
        return run

    return register


def load() -> None:
    """Import every jobs module once (declaring their sweeps and tasks)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        for point in plugins.points(plugins.JOBS).values():
            try:
                import_module(point.value)
            except Exception:  # one broken plugin does not stop the others' work
                log.exception("jobs of %s (%s) could not be loaded: they do not run", point.name, point.value)
                continue
            log.debug("jobs of %s loaded from %s", point.name, point.value)
        _loaded = True


def sweeps() -> list[Sweep]:
    """Every declared sweep that is enabled, in order."""
    load()
    return sorted((s for s in _sweeps.values() if s.enabled()), key=lambda s: (s.order, s.name))
