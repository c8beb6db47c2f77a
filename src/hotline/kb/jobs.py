"""The knowledge base's timed work: store the sentence vector of passages that have none (written
while the embedding was unavailable, before the upgrade that brought vectors, or by another model)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.jobs.registry import sweep
from hotline.kb import service


@sweep("kb_vectors", order=36)
def kb_vectors(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Embed KB passages that have no vector yet (a batch per run)."""
    return {"embedded": service.embed_passages(session, limit=service.EMBED_BATCH)}
