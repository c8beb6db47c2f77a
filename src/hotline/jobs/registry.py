"""Where the domains declare their background work: timed sweeps and queue tasks.

Each domain keeps its own in its `jobs.py` (supervision: the deadline watch; notify: deliveries; …),
declared with `@sweep(...)` here and `@app.task(...)` on the queue's app (jobs.queue). The modules are
named as entry points of the group `hotline.jobs` (pyproject.toml, hotline.plugins), so the scheduler and the worker
find every domain's work — and a centre's plugin can add its own — without a list that imports
everyone."""

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
    """Import every module of the `hotline.jobs` entry points once (declaring their sweeps and tasks)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        for point in plugins.points(plugins.JOBS).values():
            import_module(point.value)
            log.debug("jobs of %s loaded from %s", point.name, point.value)
        _loaded = True


def sweeps() -> list[Sweep]:
    """Every declared sweep that is enabled, in order."""
    load()
    return sorted((s for s in _sweeps.values() if s.enabled()), key=lambda s: (s.order, s.name))
