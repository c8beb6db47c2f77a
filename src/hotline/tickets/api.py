"""HTTP API of tickets: intake (staff and public), lists with filters, detail, event log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from hotline.accounts.principal import CITIZEN
from hotline.config import get_settings
from hotline.http.clients import client_address
from hotline.http.deps import AdminPrincipal, CurrentPrincipal, DbSession, LogPageSize, PageSize
from hotline.i18n import pick_language
from hotline.intake import flows as intake
from hotline.publication import service as publication
from hotline.tickets import service, views
from hotline.tickets.enums import Channel, RequestType, Urgency
from hotline.tickets.schemas import (
    ContactViewOut,
    EventOut,
    Page,
    PublicTicketCreate,
    PublicTicketReceipt,
    PublicTicketStatus,
    SupportIn,
    SupportOut,
    TicketCreate,
    TicketFilter,
    TicketOut,
    TicketSummary,
    TrackIn,
)
from hotline.tickets.states import Status, StatusCategory
from hotline.workflow import views as workflow_views

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
public = APIRouter(prefix="/api/v1/public", tags=["public"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]


def lang(request: Request) -> str:
    """Return the language asked for by the request."""
    return pick_language(request.headers.get("accept-language"), get_settings().default_language)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
def create_ticket(
    data: TicketCreate,
    db: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    """Register a request (受理). A repeated Idempotency-Key returns the first ticket with 200."""
    ticket, created = intake.register(db, data=data, principal=principal, idempotency_key=idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    # just registered and not (yet) dispatched: no assignment to look up
    undispatched = created and ticket.status == Status.registered
    return workflow_views.detail(db, ticket, principal, lang=lang(request), undispatched=undispatched)


@router.get("", response_model=Page[TicketSummary])
def list_tickets(
    db: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    status_category: StatusCategory | None = None,
    department_id: int | None = None,
    area_id: int | None = None,
    category_code: str | None = None,
    channel: Channel | None = None,
    request_type: RequestType | None = None,
    urgency: Urgency | None = None,
    overdue: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: PageSize = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[TicketSummary]:
    """List the tickets you may see, newest first, with filters and pagination."""
    filters = TicketFilter(
        status=status_,
        status_category=status_category,
        department_id=department_id,
        area_id=area_id,
        category_code=category_code,
        channel=channel,
        request_type=request_type,
        urgency=urgency,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        q=q,
    )
    rows, total = service.list_tickets(db, principal=principal, filters=filters, limit=limit, offset=offset)
    service.log_contact_view(db, principal=principal, tickets=rows, via="api_list")
    language = lang(request)
    capped = bool(filters.q) and total > service.SEARCH_COUNT_CAP
    return Page[TicketSummary](
        items=[views.summary(t, principal, lang=language) for t in rows],
        total=service.SEARCH_COUNT_CAP if capped else total,
        limit=limit,
        offset=offset,
        total_capped=capped,
    )


@router.get("/by-number/{number}", response_model=TicketOut)
def get_by_number(number: str, db: DbSession, principal: CurrentPrincipal, request: Request) -> TicketOut:
    """Return one ticket by its number."""
    ticket = service.get_ticket_by_number(db, number=number, principal=principal)
    service.log_contact_view(db, principal=principal, tickets=[ticket], via="api_detail")
    return workflow_views.detail(db, ticket, principal, lang=lang(request))


@router.get("/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: int, db: DbSession, principal: CurrentPrincipal, request: Request) -> TicketOut:
    """Return one ticket with its assignments and the actions you may take."""
    ticket = service.get_ticket(db, ticket_id=ticket_id, principal=principal)
    service.log_contact_view(db, principal=principal, tickets=[ticket], via="api_detail")
    return workflow_views.detail(db, ticket, principal, lang=lang(request))


@router.get("/{ticket_id}/events", response_model=list[EventOut])
def list_events(ticket_id: int, db: DbSession, principal: CurrentPrincipal) -> list[EventOut]:
    """Return the ticket's append-only event log."""
    return [
        EventOut.model_validate(e) for e in service.list_events(db, ticket_id=ticket_id, principal=principal)
    ]


@public.post("/tickets", status_code=status.HTTP_201_CREATED, response_model=PublicTicketReceipt)
def submit_public(
    data: PublicTicketCreate,
    db: DbSession,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PublicTicketReceipt:
    """Submit a request as a citizen on the web portal; keep the number and tracking code to follow it."""
    request_in = TicketCreate(channel=Channel.web, **data.model_dump())
    ticket, created = intake.register(
        db,
        data=request_in,
        principal=CITIZEN,
        idempotency_key=idempotency_key,
        client=client_address(request.scope),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return PublicTicketReceipt(
        number=ticket.number,
        tracking_code=ticket.tracking_code,
        status=Status(ticket.status),
        status_label=views.status_label(ticket.status, lang(request)),
    )


@public.post("/tickets/{number}/track", response_model=PublicTicketStatus)
def track_public(number: str, body: TrackIn, db: DbSession, request: Request) -> PublicTicketStatus:
    """Track a request by its number and tracking code (in the body, so the code never lands in an
    access log); shows the approved reply once there is one, personal data redacted."""
    return _tracked(db, request, number, body.code)


@public.get("/tickets/{number}", response_model=PublicTicketStatus)
def track_public_get(
    number: str,
    db: DbSession,
    request: Request,
    code: Annotated[str, Header(alias="X-Tracking-Code", min_length=1, max_length=16)],
) -> PublicTicketStatus:
    """The same as POST …/track, the code in the X-Tracking-Code header (never in the URL)."""
    return _tracked(db, request, number, code)


def _tracked(db: DbSession, request: Request, number: str, code: str) -> PublicTicketStatus:
    ticket = publication.get_public_ticket(db, number=number, tracking_code=code)
    # a merged request (并单) shows the progress of the one it was merged into
    shown, title, reply = publication.public_progress(db, ticket)
    return PublicTicketStatus(
        number=ticket.number,
        title=title,
        status=Status(shown.status),
        status_label=views.status_label(shown.status, lang(request)),
        created_at=ticket.created_at,
        due_at=shown.due_at,
        reply=reply,
        merged_into=shown.number if shown is not ticket else None,
    )


@public.post("/tickets/{number}/supports", response_model=SupportOut)
def support_public(number: str, body: SupportIn, db: DbSession) -> SupportOut:
    """Support (点赞/附议) a request: "me too". One per phone number; counted in the heat of hotspots."""
    ticket, new = publication.support(db, number=number, phone=body.phone)
    return SupportOut(number=ticket.number, supports=ticket.supports, counted=new)


audit = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@audit.get("/contact-views", response_model=list[ContactViewOut])
def contact_views(
    db: DbSession,
    _: AdminPrincipal,
    user_id: int | None = None,
    ticket_id: int | None = None,
    limit: LogPageSize = 200,
) -> list[ContactViewOut]:
    """Who was shown citizens' full contact details (个人信息查看记录), newest first; by user or ticket."""
    rows = service.list_contact_views(db, user_id=user_id, ticket_id=ticket_id, limit=limit)
    return [ContactViewOut.model_validate(v) for v in rows]
