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


class MatterIn(BaseModel):
    """A matter (事项) of the matter list, by codes and names (the import file's columns)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$", description="e.g. CG-01")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    examples: list[str] = Field(default_factory=list, max_length=50, description="how callers put it")
    keywords: list[str] = Field(default_factory=list, max_length=50)
    category: str | None = Field(
        default=None, max_length=255, description="category code or full name, any level"
    )
    department_code: str | None = Field(default=None, max_length=64, description="the unit that handles it …")
    local_kind: str | None = Field(
        default=None, description="… or the kind of local unit serving the place (属地): street_office, …"
    )
    co_department_codes: list[str] = Field(default_factory=list, max_length=10)
    area_code: str | None = Field(
        default=None, max_length=64, description="where it applies (empty: everywhere)"
    )
    basis: str = Field(
        default="", max_length=4000, description="the 三定方案 / 权责清单 text that makes it that unit's duty"
    )
    demo: bool = Field(default=False, description="the basis is a demo text, not real law")
    active: bool = True


class MatterOut(BaseModel):
    code: str
    name: str
    description: str
    examples: list[str]
    keywords: list[str]
    category: str | None
    department_code: str | None
    department: str | None
    local_kind: str | None
    co_department_codes: list[str]
    area_code: str | None
    basis: str
    demo: bool
    active: bool
    revision: int


class MatterImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    deactivated: int
    version: int | None  # the list's new version (None: nothing changed)


class MatterReviewRow(BaseModel):
    """How a matter's dispatches fared: the 派单异议 review of the matter list."""

    code: str
    name: str
    dispatched: int
    returned: int
    return_share: float | None
    by_department: dict[str, int]  # returns by the department that returned
    reasons: list[str]  # the latest return reasons


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
    """A department the request goes to, with the probability behind it (the first one's calibrated:
    the probability that it is right)."""

    department_id: int
    code: str
    name: str
    confidence: float
    co_department_ids: list[int] = Field(default_factory=list)
    rule_id: int | None = None  # the category routing table's rule, where that decided
    rule: str = ""  # the matter, or the routing table's line, in words
    category_id: int | None = None  # the category it files under (None: the matter names none)
    matter_code: str | None = None


class MatterGuess(BaseModel):
    """The matter (事项) of the matter list the request is about, and why: the closest phrasing, the
    keywords found, and the basis that makes it the unit's duty (a 退单 is argued against it)."""

    matter_id: int
    code: str
    name: str
    probability: float
    similarity: float  # of the request to the matter's closest text (cosine)
    example: str  # that text
    words: list[str] = Field(default_factory=list)
    basis: str = ""
    demo: bool = False  # the basis is a demo text
    category: str | None = None
    local_kind: str | None = None  # 属地: handled by the local unit of this kind


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
    warnings: list[str] = Field(
        default_factory=list,
        description="what the dispatcher should know of this advice (an instruction in the citizen's text)",
    )


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
    matter: MatterGuess | None = None
    catalog_version: int | None = None  # the matter list's version it was made with
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
