"""Request and response bodies of dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hotline.dispatch.enums import Decision
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


class CategoryGuess(BaseModel):
    """A category the request may be about, with the words that pointed to it."""

    category_id: int
    code: str
    name: str  # the full name, 城乡建设/市政设施
    probability: float
    words: list[str] = Field(default_factory=list)
    source: str = "model"  # model | operator (chosen by a person)


class SignalOut(BaseModel):
    """Request type or urgency read from the words (and, for an emergency, screening's reading)."""

    value: str
    confidence: float
    cues: list[str] = Field(default_factory=list)
    service: str | None = None  # an emergency: the service to hand over to (110/119/120/122)


class PlaceGuess(BaseModel):
    area_id: int
    code: str
    name: str
    matched: list[str] = Field(default_factory=list)
    confidence: float
    source: str = "text"  # text (the gazetteer) | operator


class DepartmentGuess(BaseModel):
    """A department the routing table sends the request to, with the probability mass behind it."""

    department_id: int
    code: str
    name: str
    confidence: float
    co_department_ids: list[int] = Field(default_factory=list)
    rule_id: int | None = None
    rule: str = ""  # the routing table's line, in words
    category_id: int


class SecondOpinion(BaseModel):
    """The large model's choice (generated; advice only)."""

    generated: bool = True
    model: str | None = None
    category_id: int
    category: str
    department_id: int | None
    department: str | None
    reason: str
    agrees: bool


class Suggestion(BaseModel):
    """A dispatch suggestion: everything an operator needs to accept or override in one click; stored
    with the ticket as it was made (DispatchSuggestion.payload)."""

    model_version: int | None = None
    model_version_id: int | None = Field(default=None, exclude=True)
    category: list[CategoryGuess] = Field(default_factory=list)
    request_type: SignalOut
    urgency: SignalOut
    location: PlaceGuess | None = None
    departments: list[DepartmentGuess] = Field(default_factory=list)
    confidence: float = 0.0
    decision: Decision
    reason: str = ""
    llm: SecondOpinion | None = None


class TriageItem(BaseModel):
    ticket: TicketSummary
    suggestion: Suggestion | None


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
