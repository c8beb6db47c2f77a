"""Request and response bodies of analytics."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MineIn(BaseModel):
    period: str = Field(description="2026-10, 2026-W43, …")
