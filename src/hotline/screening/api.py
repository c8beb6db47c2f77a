"""HTTP API of screening: flags to review, callers' status and appeals, emergencies waiting, and the
raw and adjusted figures of each department."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.http.deps import DbSession, require
from hotline.screening import model as screening_model
from hotline.screening import service
from hotline.screening.enums import AppealStatus, CallerDecisionKind, CallerLevel, FlagKind
from hotline.screening.models import CallerStatus
from hotline.screening.schemas import (
    AppealDecisionIn,
    AppealIn,
    CallerDecisionOut,
    CallerOut,
    CheckIn,
    CheckOut,
    DecisionIn,
    EmergencyOut,
    FairnessOut,
    FlagOut,
    FlagRatesOut,
    ModelInfoOut,
    ReviewIn,
    TrainOut,
)
from hotline.tickets.service import get_ticket

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
Supervisor = Annotated[Principal, Depends(require(Permission.review_screening))]
Admin = Annotated[Principal, Depends(require(Permission.train_screening))]
Staff = Annotated[Principal, Depends(require(Permission.read_screening))]


def _caller(c: CallerStatus) -> CallerOut:
    return CallerOut(
        caller_hash=c.caller_hash,
        level=CallerLevel(c.level),
        reason=c.reason,
        expires_at=c.expires_at,
        decided_at=c.decided_at,
        appeal=c.appeal,
        appeal_status=AppealStatus(c.appeal_status) if c.appeal_status else None,
        script=service.SCRIPTS.get(c.level),
    )


@router.get("/flags", response_model=list[FlagOut])
def pending_flags(db: DbSession, _: Supervisor, kind: FlagKind | None = None) -> list[FlagOut]:
    """Flags waiting for a person, emergencies first."""
    return [
        FlagOut.model_validate(f).model_copy(update={"number": t.number, "title": t.title})
        for f, t in service.pending_flags(db, kind=kind)
    ]


@router.get("/tickets/{ticket_id}/flags", response_model=list[FlagOut])
def ticket_flags(ticket_id: int, db: DbSession, principal: Staff) -> list[FlagOut]:
    """A ticket's flags, each with why and whom to refer the caller to."""
    get_ticket(db, ticket_id=ticket_id, principal=principal)
    return [FlagOut.model_validate(f) for f in service.flags_for(db, ticket_id=ticket_id)]


@router.post("/flags/{flag_id}/review", response_model=FlagOut)
def review_flag(flag_id: int, body: ReviewIn, db: DbSession, principal: Supervisor) -> FlagOut:
    """Confirm or dismiss a flag (a confirmed private-domain, out-of-remit or nuisance flag excludes the
    ticket from the departments' evaluation)."""
    flag = service.review(
        db, flag_id=flag_id, confirm=body.confirm, comment=body.comment, principal=principal
    )
    return FlagOut.model_validate(flag)


@router.get("/callers/{caller_hash}", response_model=CallerOut)
def caller(caller_hash: str, db: DbSession, _: Staff) -> CallerOut:
    """A caller's grade, the script for the operator, and every decision about them."""
    row = service.active_status(db, caller_hash)
    out = _caller(row) if row else CallerOut(caller_hash=caller_hash, level=CallerLevel.normal, script=None)
    out.history = [
        CallerDecisionOut(
            kind=CallerDecisionKind(d.kind),
            level=CallerLevel(d.level),
            reason=d.reason,
            expires_at=d.expires_at,
            at=d.created_at,
        )
        for d in service.history(db, caller_hash=caller_hash)
    ]
    return out


@router.post("/callers/{caller_hash}/decision", response_model=CallerOut)
def decide(caller_hash: str, body: DecisionIn, db: DbSession, principal: Supervisor) -> CallerOut:
    """Set a caller's level; graylist and blacklist need a reason and an expiry; every decision is logged."""
    return _caller(
        service.decide(
            db,
            caller_hash=caller_hash,
            level=body.level,
            reason=body.reason,
            expires_at=body.expires_at,
            principal=principal,
        )
    )


@router.post("/callers/{caller_hash}/appeal", response_model=CallerOut)
def appeal(caller_hash: str, body: AppealIn, db: DbSession, _: Staff) -> CallerOut:
    """Record a caller's appeal against their grade."""
    return _caller(service.appeal(db, caller_hash=caller_hash, text=body.text))


@router.post("/callers/{caller_hash}/appeal/decision", response_model=CallerOut)
def decide_appeal(
    caller_hash: str, body: AppealDecisionIn, db: DbSession, principal: Supervisor
) -> CallerOut:
    """Lift a caller's grade on appeal, or uphold it."""
    return _caller(
        service.decide_appeal(
            db, caller_hash=caller_hash, lift=body.lift, reason=body.reason, principal=principal
        )
    )


@router.get("/emergencies", response_model=list[EmergencyOut])
def emergencies(db: DbSession, _: Staff) -> list[EmergencyOut]:
    """Emergencies not yet handed off (POST /api/v1/tickets/{id}/hand-off) — this list should be empty."""
    return [
        EmergencyOut(ticket_id=t.id, number=t.number, title=t.title, created_at=t.created_at)
        for t in service.unhandled_emergencies(db)
    ]


@router.post("/check", response_model=CheckOut)
def check(body: CheckIn, db: DbSession, _: Staff) -> CheckOut:
    """Screen a text without storing it: the workstation as the operator types, a call's transcript as
    it arrives. An emergency names its service at once."""
    return service.check(db, title=body.title, content=body.content)


@router.get("/rates", response_model=FlagRatesOut)
def rates(db: DbSession, _: Supervisor, start: datetime, end: datetime) -> FlagRatesOut:
    """Per kind: requests flagged in the period, their share, and how many people confirmed or dismissed."""
    return service.flag_rates(db, start=start, end=end)


@router.get("/model", response_model=ModelInfoOut)
def model_info(db: DbSession, _: Supervisor) -> ModelInfoOut:
    """The screening model that serves (the centre's active version, or the packaged one), its
    thresholds and measured figures, and every stored version."""
    return screening_model.info(db)


@router.post("/model/train", response_model=TrainOut)
def train(db: DbSession, principal: Admin) -> TrainOut:
    """Retrain the screening model with the centre's review decisions (confirmed flags are positives,
    dismissed ones hard negatives) and its recent ordinary requests; kept inactive if it would miss
    emergencies the packaged model catches."""
    return screening_model.train(db, created_by=principal.name)


@router.get("/fairness", response_model=list[FairnessOut])
def fairness(db: DbSession, _: Supervisor, department_id: int | None = None) -> list[FairnessOut]:
    """Each department's figures raw and adjusted (without tickets excluded after a confirmed flag)."""
    return service.fairness(db, department_id=department_id)
