"""HTTP API of the ticket lifecycle: one endpoint per action, plus states, transitions, inbox, extensions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.categories import service as category_service
from hotline.errors import referencing
from hotline.http.deps import CurrentPrincipal, DbSession, PageSize, require
from hotline.screening import service as screening_service
from hotline.tickets.api import lang
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketOut
from hotline.tickets.states import STATUSES
from hotline.workflow import duplicates, service
from hotline.workflow import views as workflow_views
from hotline.workflow.enums import DuplicateStatus, ExtensionStatus
from hotline.workflow.schemas import (
    AcceptReturnIn,
    AnswerIn,
    CommentIn,
    ConfidentialIn,
    DispatchIn,
    DuplicateDecisionIn,
    DuplicateDecisionOut,
    DuplicateOut,
    ExtensionDecisionIn,
    ExtensionIn,
    ExtensionOut,
    FollowUpIn,
    HandDownIn,
    HandOffIn,
    InboxItem,
    MergeIn,
    RejectReplyIn,
    ReopenIn,
    ReplyIn,
    ReturnIn,
    ReviewIn,
    StateOut,
    TransitionOut,
)
from hotline.workflow.transitions import TRANSITIONS

router = APIRouter(prefix="/api/v1", tags=["workflow"])
T = "/tickets/{ticket_id}"


@router.get("/workflow/states", response_model=list[StateOut])
def states() -> list[StateOut]:
    """Return every status with its category and labels."""
    return [
        StateOut(
            status=s,
            category=i.category,
            label_zh=i.label_zh,
            label_en=i.label_en,
            pauses_clock=i.pauses_clock,
        )
        for s, i in STATUSES.items()
    ]


@router.get("/workflow/transitions", response_model=list[TransitionOut], response_model_by_alias=True)
def transitions() -> list[TransitionOut]:
    """Return the transition table: action, source statuses, targets, roles."""
    return [
        TransitionOut(
            action=a,
            sources=sorted(t.sources),
            targets=list(t.targets),
            roles=sorted(t.roles),
            by_department=t.by_department,
        )
        for a, t in TRANSITIONS.items()
    ]


@router.get("/workflow/inbox", response_model=list[InboxItem])
def inbox(db: DbSession, principal: CurrentPrincipal) -> list[InboxItem]:
    """Return your department's open assignments, soonest deadline first (承办单位待办)."""
    return [
        InboxItem(
            assignment_id=a.id,
            ticket_id=t.id,
            number=t.number,
            title=t.title,
            role=a.role,
            status=a.status,
            sign_due_at=a.sign_due_at,
            due_at=a.due_at,
            working_hours_left=round(left, 2),
        )
        for a, t, left in service.inbox(db, principal=principal)
    ]


@router.get("/workflow/extensions", response_model=list[ExtensionOut])
def extensions(
    db: DbSession, principal: CurrentPrincipal, status: ExtensionStatus | None = None
) -> list[ExtensionOut]:
    """Return extension requests on tickets you may see."""
    return [
        ExtensionOut.model_validate(e)
        for e in service.list_extensions(db, principal=principal, status=status)
    ]


def _out(db: DbSession, ticket: Ticket, principal: CurrentPrincipal, request: Request) -> TicketOut:
    return workflow_views.detail(db, ticket, principal, lang=lang(request))


@router.post(T + "/answer", response_model=TicketOut)
def answer(
    ticket_id: int, body: AnswerIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Answer directly (直接答复)."""
    ticket = service.answer_directly(
        db,
        ticket_id=ticket_id,
        answer=body.answer,
        principal=principal,
        knowledge_article_id=body.knowledge_article_id,
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/dispatch", response_model=TicketOut)
def dispatch(
    ticket_id: int, body: DispatchIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Dispatch to a lead department and optional co-handlers (派单)."""
    ticket = service.dispatch(
        db,
        ticket_id=ticket_id,
        department_id=body.department_id,
        principal=principal,
        co_department_ids=body.co_department_ids,
        instructions=body.instructions,
        category_id=_category_id(db, body.category_code),
    )
    return _out(db, ticket, principal, request)


def _category_id(db: DbSession, code: str | None) -> int | None:
    if code is None:
        return None
    with referencing():
        return category_service.get_category(db, code_or_name=code).id


@router.post(T + "/sign", response_model=TicketOut)
def sign(ticket_id: int, db: DbSession, principal: CurrentPrincipal, request: Request) -> TicketOut:
    """Sign for your department's assignment (签收)."""
    ticket = service.sign(db, ticket_id=ticket_id, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/hand-down", response_model=TicketOut)
def hand_down(
    ticket_id: int, body: HandDownIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Hand the ticket down to a unit below yours (转办)."""
    ticket = service.hand_down(
        db,
        ticket_id=ticket_id,
        department_id=body.department_id,
        principal=principal,
        instructions=body.instructions,
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/return", response_model=TicketOut)
def return_ticket(
    ticket_id: int, body: ReturnIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Return the ticket as not your department's duty, with reason and basis (退单)."""
    ticket = service.return_ticket(
        db, ticket_id=ticket_id, reason=body.reason, basis=body.basis, principal=principal
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/return/accept", response_model=TicketOut)
def accept_return(
    ticket_id: int, body: AcceptReturnIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Accept a return and re-dispatch (退单审核通过)."""
    ticket = service.accept_return(
        db,
        ticket_id=ticket_id,
        department_id=body.department_id,
        principal=principal,
        co_department_ids=body.co_department_ids,
        instructions=body.instructions,
        comment=body.comment,
        category_id=_category_id(db, body.category_code),
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/return/reject", response_model=TicketOut)
def reject_return(
    ticket_id: int, body: CommentIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Reject a return: the department keeps the ticket (退单驳回)."""
    ticket = service.reject_return(db, ticket_id=ticket_id, comment=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/extensions", response_model=ExtensionOut, status_code=status.HTTP_201_CREATED)
def request_extension(
    ticket_id: int, body: ExtensionIn, db: DbSession, principal: CurrentPrincipal
) -> ExtensionOut:
    """Ask for an extension before the deadline (申请延期)."""
    ext = service.request_extension(
        db, ticket_id=ticket_id, days=body.days, reason=body.reason, principal=principal
    )
    return ExtensionOut.model_validate(ext)


@router.post(T + "/extensions/{extension_id}/decision", response_model=ExtensionOut)
def decide_extension(
    ticket_id: int, extension_id: int, body: ExtensionDecisionIn, db: DbSession, principal: CurrentPrincipal
) -> ExtensionOut:
    """Approve or deny an extension request (延期审批)."""
    ext = service.decide_extension(
        db,
        ticket_id=ticket_id,
        extension_id=extension_id,
        approve=body.approve,
        days=body.days,
        comment=body.comment,
        principal=principal,
    )
    return ExtensionOut.model_validate(ext)


@router.post(T + "/suspend", response_model=TicketOut)
def suspend(
    ticket_id: int, body: CommentIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Pause the clock while waiting for the citizen (挂起)."""
    ticket = service.suspend(db, ticket_id=ticket_id, reason=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/resume", response_model=TicketOut)
def resume(ticket_id: int, db: DbSession, principal: CurrentPrincipal, request: Request) -> TicketOut:
    """Restart the clock; deadlines move back by the paused working time."""
    ticket = service.resume(db, ticket_id=ticket_id, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/reply", response_model=TicketOut)
def reply(
    ticket_id: int, body: ReplyIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Report the result (办结反馈)."""
    ticket = service.reply(db, ticket_id=ticket_id, reply=body.reply, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/review/approve", response_model=TicketOut)
def approve_reply(
    ticket_id: int, body: ReviewIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Approve the reply; the ticket goes to follow-up (审核通过)."""
    ticket = service.approve_reply(db, ticket_id=ticket_id, comment=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/review/reject", response_model=TicketOut)
def reject_reply(
    ticket_id: int, body: RejectReplyIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Send the reply back to the department (审核退回)."""
    ticket = service.reject_reply(db, ticket_id=ticket_id, comment=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/follow-up", response_model=TicketOut)
def follow_up(
    ticket_id: int, body: FollowUpIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Record the citizen's answers at follow-up and close (回访)."""
    ticket = service.record_follow_up(
        db,
        ticket_id=ticket_id,
        resolved=body.resolved,
        satisfaction=body.satisfaction,
        comment=body.comment,
        principal=principal,
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/close", response_model=TicketOut)
def close(
    ticket_id: int, body: CommentIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Close without follow-up (归档)."""
    ticket = service.close(db, ticket_id=ticket_id, comment=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/reopen", response_model=TicketOut)
def reopen(
    ticket_id: int, body: ReopenIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Reopen and dispatch again (重办)."""
    ticket = service.reopen(
        db, ticket_id=ticket_id, reason=body.reason, department_id=body.department_id, principal=principal
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/merge", response_model=TicketOut)
def merge(
    ticket_id: int, body: MergeIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Merge this ticket into a master ticket (并单)."""
    ticket = service.merge(
        db, ticket_id=ticket_id, master_id=body.master_id, comment=body.comment, principal=principal
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/hand-off", response_model=TicketOut)
def hand_off(
    ticket_id: int, body: HandOffIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Record the hand-off of an emergency to 110/119/120/122."""
    ticket = service.hand_off(
        db,
        ticket_id=ticket_id,
        service=body.service,
        reference=body.reference,
        comment=body.comment,
        principal=principal,
    )
    screening_service.settle_on_hand_off(db, ticket=ticket, principal=principal, service=body.service)
    return _out(db, ticket, principal, request)


@router.post(T + "/withdraw", response_model=TicketOut)
def withdraw(
    ticket_id: int, body: CommentIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Withdraw at the citizen's request (撤单)."""
    ticket = service.withdraw(db, ticket_id=ticket_id, reason=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


@router.post(T + "/confidential", response_model=TicketOut)
def confidential(
    ticket_id: int, body: ConfidentialIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Mark the ticket confidential (保密) — never public, whatever the citizen chose — or lift it."""
    ticket = service.set_confidential(
        db, ticket_id=ticket_id, confidential=body.confidential, comment=body.comment, principal=principal
    )
    return _out(db, ticket, principal, request)


@router.post(T + "/comments", response_model=TicketOut)
def comment(
    ticket_id: int, body: CommentIn, db: DbSession, principal: CurrentPrincipal, request: Request
) -> TicketOut:
    """Add a note to the ticket's log (备注)."""
    ticket = service.add_comment(db, ticket_id=ticket_id, comment=body.comment, principal=principal)
    return _out(db, ticket, principal, request)


duplicates_router = APIRouter(prefix="/api/v1", tags=["duplicates"])
Desk = Annotated[Principal, Depends(require(Permission.work_desk))]


@duplicates_router.get("/tickets/{ticket_id}/duplicates", response_model=list[DuplicateOut])
def ticket_duplicates(ticket_id: int, db: DbSession, principal: Desk) -> list[DuplicateOut]:
    """Earlier tickets this one probably repeats, the strongest first."""
    return duplicates.for_ticket(db, ticket_id=ticket_id, principal=principal)


@duplicates_router.get("/duplicates", response_model=list[DuplicateOut])
def duplicate_queue(
    db: DbSession,
    _: Desk,
    limit: PageSize = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DuplicateOut]:
    """Open merge suggestions, strongest first (the dispatcher's 并单 queue)."""
    return duplicates.queue(db, limit=limit, offset=offset)


@duplicates_router.post("/duplicates/{suggestion_id}/decision", response_model=DuplicateDecisionOut)
def decide_duplicate(
    suggestion_id: int, body: DuplicateDecisionIn, db: DbSession, principal: Desk
) -> DuplicateDecisionOut:
    """Merge the ticket into the suggested master, or dismiss the suggestion."""
    c = duplicates.decide(
        db, suggestion_id=suggestion_id, merge=body.merge, principal=principal, comment=body.comment
    )
    return DuplicateDecisionOut(
        id=c.id, status=DuplicateStatus(c.status), ticket_id=c.ticket_id, candidate_id=c.candidate_id
    )
