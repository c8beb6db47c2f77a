"""The model registry: trained models kept in the database as numbered versions of a kind ("category",
"screening", …), so every API process serves the same one and activation or rollback is one
committed row change. Each kind's own module turns the bytes into its model (dispatch.registry,
screening.model)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.errors import InvalidInput, NotFound
from hotline.nlp.models import ModelVersion

log = logging.getLogger(__name__)
T = TypeVar("T")


def save_artifact(
    session: Session,
    *,
    kind: str,
    method: str,
    blob: bytes,
    source: str,
    n_samples: int,
    metrics: dict[str, Any],
    created_by: str | None,
    label_level: int = 0,
    activate_now: bool = True,
    now: datetime | None = None,
) -> ModelVersion:
    """Store any trained model's bytes as the next version of its kind."""
    version = (
        session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.kind == kind)) or 0
    ) + 1
    row = ModelVersion(
        kind=kind,
        version=version,
        method=method,
        label_level=label_level,
        created_at=now or utcnow(),
        created_by=created_by,
        source=source[:500],
        n_samples=n_samples,
        metrics=metrics,
        artifact=blob,
        sha256=hashlib.sha256(blob).hexdigest(),
        size_bytes=len(blob),
        active=False,
    )
    session.add(row)
    session.flush()
    if activate_now:
        activate(session, version_id=row.id, now=now)
    return row


def artifact(session: Session, row: ModelVersion) -> bytes:
    """A version's bytes, checked against the hash taken when it was stored."""
    blob = session.scalar(select(ModelVersion.artifact).where(ModelVersion.id == row.id))
    if blob is None or hashlib.sha256(blob).hexdigest() != row.sha256:
        raise InvalidInput("model_artifact_corrupt", version=row.version)
    return blob


def list_versions(session: Session, *, kind: str) -> list[ModelVersion]:
    return list(
        session.scalars(
            select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.version.desc())
        )
    )


def get_version(session: Session, *, version_id: int) -> ModelVersion:
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise NotFound("model_not_found", id=version_id)
    return row


def get_by_number(session: Session, *, version: int, kind: str) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version == version)
    )
    if row is None:
        raise NotFound("model_not_found", id=version)
    return row


def activate(session: Session, *, version_id: int, now: datetime | None = None) -> ModelVersion:
    """Make this version the one every process serves."""
    row = get_version(session, version_id=version_id)
    session.execute(update(ModelVersion).where(ModelVersion.kind == row.kind).values(active=False))
    row.active = True
    row.activated_at = now or utcnow()
    session.flush()
    return row


def rollback(session: Session, *, kind: str, now: datetime | None = None) -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    current = active_version(session, kind=kind)
    if current is None:
        raise InvalidInput("model_none_active")
    previous = session.scalar(
        select(ModelVersion)
        .where(
            ModelVersion.kind == kind, ModelVersion.id != current.id, ModelVersion.activated_at.is_not(None)
        )
        .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
        .limit(1)
    )
    if previous is None:
        raise InvalidInput("model_no_previous", version=current.version)
    return activate(session, version_id=previous.id, now=now)


def deactivate(session: Session, *, kind: str) -> None:
    """Serve no stored version of this kind (a packaged default serves, where the kind has one)."""
    session.execute(update(ModelVersion).where(ModelVersion.kind == kind).values(active=False))
    session.flush()


def active_version(session: Session, *, kind: str) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.active.is_(True))
    )


class Served(Generic[T]):
    """What serves for a kind in this process: its active stored version, loaded once per artifact, or
    the packaged model — when none is stored, and when the stored one cannot be used (corrupt, or
    trained on another embedding model), which is logged once and never stops the caller."""

    def __init__(
        self, kind: str, *, load: Callable[[bytes], T], packaged: Callable[[], T], embedding_model: str
    ) -> None:
        self.kind, self._load, self._packaged, self._embedding = kind, load, packaged, embedding_model
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[T, str]] = {}

    def get(self, session: Session | None) -> tuple[T, str]:
        """The model and its name ("v3", or "packaged")."""
        row = active_version(session, kind=self.kind) if session is not None else None
        if row is None:
            return self._packaged(), "packaged"
        with self._lock:
            hit = self._loaded.get(row.sha256)
        if hit is not None:
            return hit
        try:
            model = self._load(artifact(session, row))  # type: ignore[arg-type]
            trained_on = getattr(model, "embedding_model", self._embedding)
            if trained_on != self._embedding:
                raise ValueError(f"trained on {trained_on}, not {self._embedding}")
            served = (model, f"v{row.version}")
        except Exception:
            log.exception("%s v%s cannot serve; the packaged model serves instead", self.kind, row.version)
            served = (self._packaged(), "packaged")
        with self._lock:
            self._loaded.clear()
            self._loaded[row.sha256] = served  # remembered either way: logged once, not on every request
        return served

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()
