"""HTTP API of screening: flags to review, callers' status and appeals, emergencies waiting, and the
raw and adjusted figures of each department."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.http.deps import DbSession, require
from hotline.nlp import registry
from hotline.screening import model as screening_model
from hotline.screening import service
from hotline.screening.models import CallerStatus, ScreeningFlag
from hotline.tickets.service import get_ticket

router = APIRouter(prefix="/api/v1/screening", tags=["screening"])
Supervisor = Annotated[Principal, Depends(require(Permission.review_screening))]
Admin = Annotated[Principal, Depends(require(Permission.train_screening))]
Staff = Annotated[Principal, Depends(require(Permission.read_screening))]


def _flag(f: ScreeningFlag) -> dict[str, Any]:
    return {
        "id": f.id,
        "ticket_id": f.ticket_id,
        "kind": f.kind,
        "reason": f.reason,
        "details": f.details,
        "referral": f.referral,
        "status": f.status,
        "created_at": f.created_at,
        "reviewed_at": f.reviewed_at,
        "review_comment": f.review_comment,
    }


def _caller(c: CallerStatus) -> dict[str, Any]:
    return {
        "caller_hash": c.caller_hash,
        "level": c.level,
        "reason": c.reason,
        "expires_at": c.expires_at,
        "decided_at": c.decided_at,
        "appeal": c.appeal,
        "appeal_status": c.appeal_status,
        "script": service.SCRIPTS.get(c.level),
    }


@router.get("/flags")
def pending_flags(db: DbSession, _: Supervisor, kind: str | None = None) -> list[dict[str, Any]]:
    """Flags waiting for a person, emergencies first."""
    return [
        _flag(f) | {"number": t.number, "title": t.title} for f, t in service.pending_flags(db, kind=kind)
    ]


@router.get("/tickets/{ticket_id}/flags")
def ticket_flags(ticket_id: int, db: DbSession, principal: Staff) -> list[dict[str, Any]]:
    get_ticket(db, ticket_id=ticket_id, principal=principal)
    return [_flag(f) for f in service.flags_for(db, ticket_id=ticket_id)]


class ReviewIn(BaseModel):
    confirm: bool
    comment: str | None = Field(default=None, max_length=1000)


@router.post("/flags/{flag_id}/review")
def review_flag(flag_id: int, body: ReviewIn, db: DbSession, principal: Supervisor) -> dict[str, Any]:
    """Confirm or dismiss a flag (a confirmed private-domain, out-of-remit or nuisance flag excludes the
    ticket from the departments' evaluation)."""
    return _flag(
        service.review(db, flag_id=flag_id, confirm=body.confirm, comment=body.comment, principal=principal)
    )


class DecisionIn(BaseModel):
    level: str = Field(description="normal | noted | warned | graylist | blacklist")
    reason: str = Field(min_length=2, max_length=1000)
    expires_at: datetime | None = None


@router.get("/callers/{caller_hash}")
def caller(caller_hash: str, db: DbSession, _: Staff) -> dict[str, Any]:
    row = service.active_status(db, caller_hash)
    out: dict[str, Any] = (
        _caller(row) if row else {"caller_hash": caller_hash, "level": "normal", "script": None}
    )
    out["history"] = [
        {"kind": d.kind, "level": d.level, "reason": d.reason, "expires_at": d.expires_at, "at": d.created_at}
        for d in service.history(db, caller_hash=caller_hash)
    ]
    return out


@router.post("/callers/{caller_hash}/decision")
def decide(caller_hash: str, body: DecisionIn, db: DbSession, principal: Supervisor) -> dict[str, Any]:
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


class AppealIn(BaseModel):
    text: str = Field(min_length=2, max_length=2000)


@router.post("/callers/{caller_hash}/appeal")
def appeal(caller_hash: str, body: AppealIn, db: DbSession, _: Staff) -> dict[str, Any]:
    return _caller(service.appeal(db, caller_hash=caller_hash, text=body.text))


class AppealDecisionIn(BaseModel):
    lift: bool
    reason: str = Field(min_length=2, max_length=1000)


@router.post("/callers/{caller_hash}/appeal/decision")
def decide_appeal(
    caller_hash: str, body: AppealDecisionIn, db: DbSession, principal: Supervisor
) -> dict[str, Any]:
    return _caller(
        service.decide_appeal(
            db, caller_hash=caller_hash, lift=body.lift, reason=body.reason, principal=principal
        )
    )


@router.get("/emergencies")
def emergencies(db: DbSession, _: Staff) -> list[dict[str, Any]]:
    """Emergencies not yet handed off (POST /api/v1/tickets/{id}/hand-off) — this list should be empty."""
    return [
        {"ticket_id": t.id, "number": t.number, "title": t.title, "created_at": t.created_at}
        for t in service.unhandled_emergencies(db)
    ]


class CheckIn(BaseModel):
    title: str = Field(default="", max_length=200)
    content: str = Field(min_length=1, max_length=20_000)


@router.post("/check")
def check(body: CheckIn, db: DbSession, _: Staff) -> dict[str, Any]:
    """Screen a text without storing it: the workstation as the operator types, a call's transcript as
    it arrives. An emergency names its service at once."""
    return service.check(db, title=body.title, content=body.content)


@router.get("/rates")
def rates(db: DbSession, _: Supervisor, start: datetime, end: datetime) -> dict[str, Any]:
    """Per kind: requests flagged in the period, their share, and how many people confirmed or dismissed."""
    return service.flag_rates(db, start=start, end=end)


@router.get("/model")
def model_info(db: DbSession, _: Supervisor) -> dict[str, Any]:
    """The screening model that serves (the centre's active version, or the packaged one), its
    thresholds and measured figures, and every stored version."""
    active = registry.active_version(db, kind=screening_model.KIND)
    current = screening_model.current(db)
    return {
        "serving": f"v{active.version}" if active else "packaged",
        "embedding_model": current.embedding_model,
        "thresholds": {k: current.threshold(k) for k in current.kinds},
        "metrics": current.metrics,
        "versions": [
            {
                "id": v.id,
                "version": v.version,
                "active": v.active,
                "created_at": v.created_at,
                "created_by": v.created_by,
                "source": v.source,
                "metrics": v.metrics,
            }
            for v in registry.list_versions(db, kind=screening_model.KIND)
        ],
    }


@router.post("/model/train")
def train(db: DbSession, principal: Admin) -> dict[str, Any]:
    """Retrain the screening model with the centre's review decisions (confirmed flags are positives,
    dismissed ones hard negatives) and its recent ordinary requests; kept inactive if it would miss
    emergencies the packaged model catches."""
    return screening_model.train(db, created_by=principal.name)


@router.get("/fairness")
def fairness(db: DbSession, _: Supervisor, department_id: int | None = None) -> list[dict[str, Any]]:
    """Each department's figures raw and adjusted (without tickets excluded after a confirmed flag)."""
    return service.fairness(db, department_id=department_id)
