"""Pydantic schemas of tickets: intake, views (contact masked by role), filters, events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AnyUrl, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hotline.tickets.enums import Channel, RequestType, Satisfaction, Urgency
from hotline.tickets.states import Status, StatusCategory

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9\- ]{2,30}$")]
# attachments live in object storage or on the web; never a script or a file on the server
ATTACHMENT_SCHEMES = frozenset({"http", "https", "s3"})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_number(value: str) -> str:
    """A mainland resident ID number (居民身份证号码, GB 11643): 18 characters with a valid check digit."""
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise ValueError("身份证号应为 18 位（最后一位可为 X） / an ID number has 18 characters")
    if _ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11] != value[17]:
        raise ValueError("身份证号校验位不正确，请核对 / the ID number's check digit is wrong")
    return value


IdNumber = Annotated[str, AfterValidator(_id_number)]


def _attachment_url(url: AnyUrl) -> AnyUrl:
    if url.scheme not in ATTACHMENT_SCHEMES:
        raise ValueError(
            f"附件地址须以 http、https 或 s3 开头，不接受 {url.scheme}: / "
            f"attachment URLs must be http, https or s3, not {url.scheme}:"
        )
    return url


class CitizenIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    phone: Phone | None = None
    id_number: IdNumber | None = Field(
        default=None, description="身份证号; stored encrypted, never shown in full"
    )
    no_contact: bool = Field(default=False, description="the citizen asked not to be called back")


class AttachmentIn(BaseModel):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: str = Field(default="application/octet-stream", max_length=100)
    size_bytes: int = Field(ge=0, le=200 * 1024 * 1024)
    url: Annotated[AnyUrl, AfterValidator(_attachment_url)]
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class TicketCreate(BaseModel):
    """A new request (诉求), from any channel."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    title: Text200 | None = Field(default=None, description="defaults to the start of the content")
    content: Content
    request_type: RequestType | None = Field(
        default=None, description="omitted: read from the request by the platform (dispatch.type_reading)"
    )
    category_code: str | None = Field(default=None, max_length=255)
    urgency: Urgency = Urgency.normal
    citizen: CitizenIn = Field(default_factory=CitizenIn)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    area_code: str | None = Field(default=None, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    public: bool = Field(
        default=False,
        description="the citizen agrees to publish the request, redacted (never a 举报): hotline.publication",
    )

    @model_validator(mode="after")
    def _both_coordinates(self) -> TicketCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together (经纬度须同时提供)")
        return self


class PublicTicketCreate(BaseModel):
    """A request submitted by a citizen on the portal."""

    model_config = ConfigDict(extra="forbid")

    title: Text200 | None = None
    content: Content
    request_type: RequestType | None = Field(default=None, description="omitted: read from the request")
    citizen: CitizenIn = Field(default_factory=CitizenIn)
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    area_code: str | None = Field(default=None, max_length=64)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    public: bool = Field(default=False, description="publish the request, redacted (公开)")

    @model_validator(mode="after")
    def _both_coordinates(self) -> PublicTicketCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together (经纬度须同时提供)")
        return self


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size_bytes: int
    url: str


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    department_name: str
    role: str
    status: str
    parent_id: int | None
    created_at: datetime
    sign_due_at: datetime
    due_at: datetime
    signed_at: datetime | None
    replied_at: datetime | None
    reply: str | None
    return_reason: str | None
    return_basis: str | None
    instructions: str | None


class TicketSummary(BaseModel):
    id: int
    number: str
    title: str
    channel: Channel
    request_type: RequestType
    urgency: Urgency
    status: Status
    status_label: str
    status_category: StatusCategory
    category_id: int | None
    category_name: str | None
    area_id: int | None
    area_name: str | None
    lead_department_id: int | None
    citizen_name: str | None
    citizen_phone: str | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool


class TicketOut(TicketSummary):
    content: str
    public: bool  # the citizen agreed to publish it (redacted)
    confidential: bool  # staff marked it 保密: never public
    address: str | None
    latitude: float | None
    longitude: float | None
    external_id: str | None
    no_contact: bool
    dispatched_at: datetime | None
    paused_at: datetime | None
    closed_at: datetime | None
    answered_directly: bool
    answer: str | None
    reopen_count: int
    master_id: int | None
    resolved: bool | None
    satisfaction: Satisfaction | None
    attachments: list[AttachmentOut]
    assignments: list[AssignmentOut]
    allowed_actions: list[str]


class PublicTicketStatus(BaseModel):
    """What a citizen sees of their own ticket: no staff names, no other citizens' data."""

    number: str
    title: str
    status: Status
    status_label: str
    created_at: datetime
    due_at: datetime | None
    reply: str | None
    merged_into: str | None = None  # the master's number: status and reply are the master's


class PublicTicketReceipt(BaseModel):
    number: str
    tracking_code: str
    status: Status
    status_label: str


class TicketFilter(BaseModel):
    status: list[Status] | None = None
    status_category: StatusCategory | None = None
    department_id: int | None = None
    area_id: int | None = None
    category_code: str | None = None
    channel: Channel | None = None
    request_type: RequestType | None = None
    urgency: Urgency | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = Field(default=None, max_length=100)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    total_capped: bool = False  # a text search counted only so far: there are more than `total`


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    actor_id: int | None
    actor_role: str
    action: str
    from_status: str | None
    to_status: str | None
    assignment_id: int | None
    department_id: int | None
    comment: str | None
    data: dict[str, Any]


class TrackIn(BaseModel):
    code: str = Field(min_length=1, max_length=16, description="the tracking code on the receipt")


class SupportIn(BaseModel):
    phone: str = Field(min_length=5, max_length=32, pattern=r"^[0-9+\- ]+$")


class SupportOut(BaseModel):
    number: str
    supports: int  # how many people support the request
    counted: bool  # False: this phone had supported it already


class ContactViewOut(BaseModel):
    """One showing of citizens' full contact details (个人信息查看记录)."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    user_id: int | None
    role: str
    via: str  # api_detail | api_list | web_ticket | export | callbacks
    count: int
    ticket_ids: list[int]
