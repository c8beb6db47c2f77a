"""Request and response bodies of dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hotline.tickets.schemas import Content, TicketSummary


class RoutingRuleIn(BaseModel):
    category: str = Field(
        min_length=1, max_length=255, description="category code or full name (城乡建设/安全生产)"
    )
    area_code: str | None = Field(default=None, max_length=64, description="empty: every area")
    department_code: str | None = Field(default=None, max_length=64)
    local_kind: str | None = Field(
        default=None, description="or: the local unit of this kind serving the area (属地)"
    )
    co_department_codes: list[str] = Field(default_factory=list, max_length=10)
    priority: int = 0
    active: bool = True
    note: str | None = Field(default=None, max_length=500)


class RoutingRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category_id: int
    area_id: int | None
    department_id: int | None
    local_kind: str | None
    co_department_ids: list[int]
    priority: int
    active: bool
    note: str | None
    updated_at: datetime
    updated_by: str | None
    description: str = ""


class SuggestIn(BaseModel):
    """What an operator has typed so far."""

    title: str = Field(default="", max_length=200)
    content: Content
    address: str | None = Field(default=None, max_length=500)
    area_code: str | None = Field(
        default=None, max_length=64, description="an area the operator already picked"
    )
    category_code: str | None = Field(default=None, max_length=255, description="a category already picked")


class ModelVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    version: int
    method: str
    label_level: int
    created_at: datetime
    created_by: str | None
    source: str
    n_samples: int
    metrics: dict[str, Any]
    sha256: str
    size_bytes: int
    active: bool
    activated_at: datetime | None


class SuggestionOut(BaseModel):
    """A dispatch suggestion: everything an operator needs to accept or override in one click."""

    model_version: int | None
    category: list[dict[str, Any]]
    request_type: dict[str, Any]
    urgency: dict[str, Any]
    location: dict[str, Any] | None
    departments: list[dict[str, Any]]
    confidence: float
    decision: str
    reason: str
    llm: dict[str, Any] | None = None


class TriageItem(BaseModel):
    ticket: TicketSummary
    suggestion: SuggestionOut | None


class AcceptIn(BaseModel):
    choice: int = Field(default=0, ge=0, le=2, description="which of the top-3 departments")
    department_id: int | None = Field(default=None, description="override: dispatch elsewhere")
    category_code: str | None = Field(
        default=None,
        max_length=255,
        description="correct the category (routed through the table unless a department is given)",
    )


class LandmarkIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    area_code: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="landmark", max_length=24)


class LandmarkOut(BaseModel):
    id: int
    name: str
    area_id: int
    kind: str
