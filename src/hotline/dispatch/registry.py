"""Model versions: save a trained model into the database, load the active one, activate, roll back."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from datetime import datetime
from typing import Any

import joblib
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.dispatch.classifier import CategoryModel
from hotline.dispatch.models import ModelVersion
from hotline.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

CATEGORY = "category"

_cache_lock = threading.Lock()
_cache: dict[str, CategoryModel] = {}  # by artifact hash
_CACHE_SIZE = 3


def save(
    session: Session,
    *,
    model: CategoryModel,
    label_level: int,
    source: str,
    n_samples: int,
    metrics: dict[str, Any],
    created_by: str | None,
    activate_now: bool = True,
    now: datetime | None = None,
) -> ModelVersion:
    """Store a trained category model as the next version (and activate it unless told not to)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return save_artifact(
        session,
        kind=CATEGORY,
        method=model.method,
        blob=buffer.getvalue(),
        label_level=label_level,
        source=source,
        n_samples=n_samples,
        metrics=metrics,
        created_by=created_by,
        activate_now=activate_now,
        now=now,
    )


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


def list_versions(session: Session, *, kind: str = CATEGORY) -> list[ModelVersion]:
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


def get_by_number(session: Session, *, version: int, kind: str = CATEGORY) -> ModelVersion:
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


def rollback(session: Session, *, kind: str = CATEGORY, now: datetime | None = None) -> ModelVersion:
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


def active_version(session: Session, *, kind: str = CATEGORY) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.active.is_(True))
    )


def load(session: Session, row: ModelVersion) -> CategoryModel:
    """Return the model of a version, from the process cache or unpickled from the database."""
    with _cache_lock:
        cached = _cache.get(row.sha256)
    if cached is not None:
        return cached
    blob = artifact(session, row)
    # the artifact was written by `save` into our own database; it is checked against its hash
    model = joblib.load(io.BytesIO(blob))
    if not isinstance(model, CategoryModel):
        raise InvalidInput("model_artifact_corrupt", version=row.version)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[row.sha256] = model
    return model


def active_model(session: Session, *, kind: str = CATEGORY) -> tuple[ModelVersion, CategoryModel] | None:
    """The active version and its model, or None when no model has been trained yet."""
    row = active_version(session, kind=kind)
    if row is None:
        return None
    return row, load(session, row)


def clear_cache() -> None:
    """Forget loaded models (the next use reads and verifies them from the database again)."""
    with _cache_lock:
        _cache.clear()
