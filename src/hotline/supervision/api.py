"""HTTP API of supervision: cases, and the deadline actions of a ticket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from hotline.db import utcnow
from hotline.errors import referencing
from hotline.http.deps import CurrentPrincipal, DbSession
from hotline.supervision import service, watch
from hotline.supervision.enums import CaseStatus
from hotline.supervision.models import SupervisionCase
from hotline.supervision.schemas import CaseIn, CaseOut, CloseIn, DeadlineActionOut, RespondIn
from hotline.tickets.service import get_ticket

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])


def _out(case: SupervisionCase) -> CaseOut:
    return CaseOut.model_validate(case).model_copy(update={"overdue": service.is_overdue(case, utcnow())})


@router.post("/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def open_case(body: CaseIn, db: DbSession, principal: CurrentPrincipal) -> CaseOut:
    """Open a supervision case (督办) on a department, about a ticket or a matter."""
    with referencing():
        return _out(service.open_case(db, data=body, principal=principal))


@router.get("/cases", response_model=list[CaseOut])
def list_cases(
    db: DbSession,
    principal: CurrentPrincipal,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    overdue: bool = False,
) -> list[CaseOut]:
    """Open and past cases (a department sees its own)."""
    return [_out(c) for c in service.list_cases(db, principal=principal, status=status_, overdue=overdue)]


@router.post("/cases/{case_id}/respond", response_model=CaseOut)
def respond(case_id: int, body: RespondIn, db: DbSession, principal: CurrentPrincipal) -> CaseOut:
    return _out(service.respond(db, case_id=case_id, response=body.response, principal=principal))


@router.post("/cases/{case_id}/close", response_model=CaseOut)
def close(case_id: int, body: CloseIn, db: DbSession, principal: CurrentPrincipal) -> CaseOut:
    return _out(service.close_case(db, case_id=case_id, comment=body.comment, principal=principal))


@router.get("/tickets/{ticket_id}/deadline-actions", response_model=list[DeadlineActionOut])
def deadline_actions(ticket_id: int, db: DbSession, principal: CurrentPrincipal) -> list[DeadlineActionOut]:
    """Warnings, overdue marks, reminders and escalations fired for a ticket."""
    get_ticket(db, ticket_id=ticket_id, principal=principal)
    return [
        DeadlineActionOut(
            kind=a.kind, deadline=a.due_at, at=a.created_at, assignment_id=a.assignment_id, data=a.data
        )
        for a in watch.actions_for(db, ticket_id=ticket_id)
    ]
