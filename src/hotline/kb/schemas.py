"""Request and response bodies of the knowledge base and Q&A."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hotline.kb.enums import ArticleKind, ArticleStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200_000)]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = Field(description="Markdown; headings become passage headings")
    kind: ArticleKind = ArticleKind.policy
    status: ArticleStatus = ArticleStatus.draft
    department_code: str | None = Field(
        default=None, max_length=64, description="the owner (defaults to yours)"
    )
    category_code: str | None = Field(default=None, max_length=255)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]] = Field(
        default_factory=list, max_length=20
    )
    note: str | None = Field(default=None, max_length=500, description="what changed, for the history")

    @model_validator(mode="after")
    def _validity(self) -> ArticleIn:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be later than valid_from (失效时间须晚于生效时间)")
        return self


class ArticleUpdate(ArticleIn):
    expected_version: int = Field(ge=1, description="the version you edited; a newer one is a 409")


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    kind: ArticleKind
    status: ArticleStatus
    served: bool = False  # published and inside its validity window now
    department_id: int | None
    category_id: int | None
    valid_from: datetime | None
    valid_to: datetime | None
    source: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    published_at: datetime | None


class ArticleVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    title: str
    body: str
    status: str
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    created_by: str | None
    note: str | None


class ImportResult(BaseModel):
    created: int
    updated: int
    articles: list[dict[str, Any]]


class QuestionIn(BaseModel):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]
    use_llm: bool = Field(default=True, description="use the large model when one is configured")


class Source(BaseModel):
    article_id: int
    title: str
    passage_id: int
    heading: str | None
    text: str
    score: float


class SentenceOut(BaseModel):
    """One sentence of a generated text as the checks judged it."""

    text: str
    kind: str = Field(description="claim | courtesy | placeholder | echo | action")
    supported: bool
    probability: float | None = None
    reasons: list[str] = Field(default_factory=list, description="why it is not supported (Chinese)")


class AnswerChecks(BaseModel):
    """What the checks made of the large model's answer: shown, or withheld and why (for staff)."""

    passed: bool
    reason: str | None = None
    sentences: list[SentenceOut] = Field(default_factory=list)


class AnswerOut(BaseModel):
    answered: bool
    answer: str | None
    sources: list[Source]
    generated: bool = Field(description="written by a large model (editable), not copied from the KB")
    method: str  # extractive | llm | none
    message: str | None = None
    offer_ticket: bool = False
    answerability: float | None = Field(
        default=None, description="probability that the KB answers the question (None: judged by words)"
    )
    checks: AnswerChecks | None = Field(
        default=None,
        description="with a large model configured: whether its answer passed the checks, or why the "
        "answer shown is the KB's own words (or none)",
    )


class DraftIn(BaseModel):
    """What an operator has typed so far."""

    title: str = Field(default="", max_length=200)
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    area_code: str | None = Field(default=None, max_length=64, description="the place, if known")
    category_code: str | None = Field(
        default=None, max_length=255, description="the category (code or full name), if known"
    )


class HitOut(BaseModel):
    """A passage found: a KB article's (article_id, title, text, validity) or a resolved ticket's
    (ticket_id, number, title, reply, closed_at), with how well it matched."""

    model_config = ConfigDict(extra="allow")

    key: int | str  # the passage's or the ticket's id
    score: float
    coverage: float  # share of the query's known words the passage holds
    matched: list[str]


class IntakeAssistOut(BaseModel):
    """While an operator types: KB passages, similar resolved tickets, and an answer if the KB has one."""

    passages: list[HitOut]
    similar_tickets: list[HitOut]
    answer: AnswerOut


class KeyFields(BaseModel):
    who: str | None
    where: str | None
    what: str | None
    when: list[str] | str | None
    demand: str | None


class FieldDisagreement(BaseModel):
    field: str
    generated: Any = None
    shown: Any = None
    reason: str


class GeneratedChecks(BaseModel):
    """What the checks made of a generated text: shown (parts perhaps replaced by 【待填写】), or
    withheld with the reason; the sentences removed and why."""

    passed: bool
    reason: str | None = None
    removed: list[SentenceOut] = Field(default_factory=list)
    sentences: list[SentenceOut] = Field(default_factory=list)


class TicketSummaryOut(BaseModel):
    summary: str
    fields: KeyFields
    generated: bool  # written by the large model (to be checked by a person)
    method: str  # extractive | llm
    model: str | None = None
    editable: bool = True
    extractive_summary: str | None = None
    disagreements: list[FieldDisagreement] = Field(
        default_factory=list,
        description="key fields where the model left out or contradicted the text: the extractive value is shown",
    )
    checks: GeneratedChecks | None = Field(
        default=None, description="with a large model configured: whether its text passed, or why not"
    )


class DraftSource(BaseModel):
    article_id: int
    title: str
    text: str


class Precedent(BaseModel):
    ticket_id: int
    number: str
    title: str
    reply: str | None
    place: str | None = None
    satisfaction: str | None = None


class DraftReplyOut(BaseModel):
    draft: str
    generated: bool
    method: str  # template | llm
    model: str | None = None
    editable: bool = True
    sources: list[DraftSource]
    similar: list[Precedent]
    to_fill: list[str] = Field(
        default_factory=list, description="what the department must still fill in (【待填写：…】)"
    )
    checks: GeneratedChecks | None = Field(
        default=None, description="with a large model configured: whether its draft passed, or why not"
    )
    review: dict[str, Any] | None = Field(
        default=None, description="the reply-quality review of the draft (scores, flags, notes)"
    )
