"""Dispatch's models in the model registry (nlp.registry): the category model, and the department model
the centre's history teaches (dispatch.history). Store a trained CategoryModel as a version, load the
active one (cached per process, checked against its hash)."""

from __future__ import annotations

import io
import logging
import threading
from datetime import datetime
from typing import Any

import joblib
from sqlalchemy.orm import Session

from hotline.dispatch.classifier import CategoryModel
from hotline.errors import InvalidInput
from hotline.nlp.models import ModelVersion
from hotline.nlp.registry import active_version, artifact, save_artifact

log = logging.getLogger(__name__)

CATEGORY = "category"
DEPARTMENT = "department"  # labels are department codes: where settled tickets were handled

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
    kind: str = CATEGORY,
) -> ModelVersion:
    """Store a trained model as the next version of its kind (and activate it unless told not to)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return save_artifact(
        session,
        kind=kind,
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
