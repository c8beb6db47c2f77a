"""HTTP API of SLA rules and the working calendar."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status

from hotline.categories import service as category_service
from hotline.db import utcnow
from hotline.http.deps import AdminPrincipal, CurrentPrincipal, DbSession
from hotline.sla import service
from hotline.sla.schemas import CalendarDayIn, CalendarDayOut, Deadlines, SlaRuleIn, SlaRuleOut
from hotline.tickets.enums import RequestType, Urgency

router = APIRouter(prefix="/api/v1/sla", tags=["sla"])


@router.get("/rules", response_model=list[SlaRuleOut])
def list_rules(db: DbSession, _: CurrentPrincipal) -> list[SlaRuleOut]:
    """Return the SLA rules."""
    return [SlaRuleOut.model_validate(r) for r in service.list_rules(db)]


@router.post("/rules", response_model=SlaRuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: SlaRuleIn, db: DbSession, _: AdminPrincipal) -> SlaRuleOut:
    """Add an SLA rule; the most specific active rule wins."""
    return SlaRuleOut.model_validate(service.create_rule(db, data=body))


@router.delete("/rules/{rule_id}", response_model=SlaRuleOut)
def deactivate_rule(rule_id: int, db: DbSession, _: AdminPrincipal) -> SlaRuleOut:
    """Switch a rule off (kept for history)."""
    return SlaRuleOut.model_validate(service.deactivate_rule(db, rule_id=rule_id))


@router.get("/calendar", response_model=list[CalendarDayOut])
def list_days(db: DbSession, _: CurrentPrincipal) -> list[CalendarDayOut]:
    """Return the centre's own holiday and make-up working day rows."""
    return [CalendarDayOut.model_validate(d) for d in service.list_calendar_days(db)]


@router.put("/calendar", response_model=CalendarDayOut)
def set_day(body: CalendarDayIn, db: DbSession, _: AdminPrincipal) -> CalendarDayOut:
    """Mark a day as a holiday or a make-up working day (e.g. next year's schedule once published)."""
    return CalendarDayOut.model_validate(service.set_calendar_day(db, data=body))


@router.get("/preview", response_model=Deadlines)
def preview(
    db: DbSession,
    _: CurrentPrincipal,
    request_type: RequestType,
    urgency: Urgency = Urgency.normal,
    category_code: str | None = None,
    start: datetime | None = None,
) -> Deadlines:
    """Return the deadlines a ticket with these fields would get if dispatched at `start` (default now)."""
    category = category_service.get_category(db, code_or_name=category_code) if category_code else None
    return service.deadlines(
        db, request_type=request_type, urgency=urgency, category=category, start=start or utcnow()
    )
