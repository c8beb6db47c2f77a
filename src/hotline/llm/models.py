"""Every call to a large model, for the token budget and for audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.llm.enums import LlmCallStatus, LlmVerdict


class LlmCall(Base):
    __tablename__ = "llm_calls"
    __table_args__ = (Index("ix_llm_calls_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purpose: Mapped[str] = mapped_column(String(32))  # dispatch_second_opinion, answer, summary, draft_reply
    model: Mapped[str] = mapped_column(String(100))
    status: Mapped[LlmCallStatus] = mapped_column(String(16))
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    latency_ms: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(Text)
    # what the platform's checks made of the reply (hotline.llm.checks): passed, or withheld and why;
    # None: not checked (a call that failed, or advice shown as it is, such as a second opinion)
    verdict: Mapped[LlmVerdict | None] = mapped_column(String(16))
    verdict_reason: Mapped[str | None] = mapped_column(Text)
