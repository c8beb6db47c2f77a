"""Tables of the models: trained models (the category classifier, the screening model, …), one row a
version; and each ticket's sentence vector, computed once and kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow


class ModelVersion(Base):
    """A trained model. The artifact lives in the database so every API process sees the same one,
    and activation or rollback is one committed row change."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "category" | "screening"
    version: Mapped[int]
    method: Mapped[str] = mapped_column(String(32))
    label_level: Mapped[int]  # category level the model predicts (1 = 一级分类)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(500))  # what it was trained on
    n_samples: Mapped[int]
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artifact: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    active: Mapped[bool] = mapped_column(default=False, index=True)
    activated_at: Mapped[datetime | None]


class TicketVector(Base):
    """A ticket's sentence vector (float16), computed once when it is routed: what the centre's history
    is searched by (dispatch.history), and later knowledge and duplicates."""

    __tablename__ = "ticket_vectors"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
