"""Screening on intake (flags only — nothing is dropped), the people's review of each flag, callers'
graded status with a logged, appealable, expiring decision, and evaluation fairness."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound
from hotline.nlp import embedding
from hotline.screening import model as screening_model
from hotline.screening import rules
from hotline.screening.enums import AppealStatus, CallerLevel, FlagKind, FlagStatus
from hotline.screening.models import CallerDecision, CallerStatus, ScreeningFlag
from hotline.screening.schemas import (
    CheckOut,
    FairnessOut,
    FindingOut,
    FlagRatesOut,
    KindRate,
    RateRawAdjusted,
    RawAdjusted,
)
from hotline.screening.text import screening_windows
from hotline.tickets import events
from hotline.tickets import service as ticket_service
from hotline.tickets.deadlines import passed_clause
from hotline.tickets.enums import EventKind, Satisfaction, Urgency
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status

log = logging.getLogger(__name__)

REPEATED_LOOKBACK = 20  # a caller's latest tickets compared by meaning
LEVELS = tuple(CallerLevel)
# confirmed flags of these kinds take the ticket out of the departments' evaluation
EXCLUDING = {FlagKind.private_domain, FlagKind.out_of_remit, FlagKind.frequent, FlagKind.repeated_content}
SCRIPTS = {
    "noted": "该来电人近期来电较多，请耐心受理并核实是否为同一诉求。",
    "warned": "请按规范告知：热线资源有限，重复或无理来电会影响其他市民求助；同一诉求已在办理中。",
    "graylist": "该来电人已列入重点关注名单，请转资深坐席受理。",
    "blacklist": "该来电人已被列入限制名单（可申诉、到期自动解除），请按规范告知并记录；如涉及紧急情况必须受理。",
}


def screen_ticket(session: Session, *, ticket: Ticket, now: datetime | None = None) -> list[ScreeningFlag]:
    """Flag a new ticket; never fails the intake (a fault is logged and the ticket is left unflagged)."""
    now = now or utcnow()
    try:
        with session.begin_nested():
            return _screen(session, ticket, now)
    except Exception:
        log.exception("screening failed for ticket %s; left unflagged", ticket.number)
        return []


def _screen(session: Session, ticket: Ticket, now: datetime) -> list[ScreeningFlag]:
    s = get_settings()
    findings = rules.screen_text(ticket.title, ticket.content, model=screening_model.current(session))
    caller = ticket.citizen_phone_hash
    # counted as of the ticket's arrival: screened later (by a job, a sweep), it sees the same history
    at = ticket.created_at or now
    if caller:
        day = (
            session.scalar(
                select(func.count(Ticket.id)).where(
                    Ticket.citizen_phone_hash == caller,
                    Ticket.created_at >= at - timedelta(days=1),
                    Ticket.created_at <= at,
                )
            )
            or 0
        )
        if day > s.frequent_contacts_per_day:
            findings.append(
                rules.Finding(
                    kind="frequent", reason=f"24小时内来电 {day} 次", cues=[], details={"count_24h": day}
                )
            )
        same = _same_request(session, ticket, caller, at)
        if len(same) + 1 >= s.repeated_content_times:
            findings.append(
                rules.Finding(
                    kind="repeated_content",
                    reason=f"30天内同一诉求 {len(same) + 1} 次",
                    cues=[],
                    details={"times_30d": len(same) + 1, "same_as": same[:10]},
                )
            )
        status = active_status(session, caller, now)
        if status is not None and status.level != "normal":
            findings.append(
                rules.Finding(
                    kind="caller_status",
                    reason=f"来电人状态：{status.level}",
                    cues=[],
                    referral=SCRIPTS.get(status.level),
                    details={"level": status.level},
                )
            )
    flags = []
    for f in findings:
        flag = ScreeningFlag(
            ticket_id=ticket.id,
            kind=f.kind,
            reason=f.reason,
            details={"cues": f.cues, **f.details},
            referral=f.referral,
            created_at=now,
        )
        session.add(flag)
        flags.append(flag)
        if f.kind == "emergency" and ticket.urgency != Urgency.emergency:
            ticket.urgency = Urgency.emergency
    session.flush()
    return flags


def _same_request(session: Session, ticket: Ticket, caller: str, at: datetime) -> list[str]:
    """Numbers of this caller's tickets of the last 30 days that say the same: the same text (all of
    them), or the same request in other words among the latest REPEATED_LOOKBACK (cosine of the
    first windows' embeddings ≥ HOTLINE_REPEATED_SIMILARITY)."""
    mine = ticket.content_hash or ticket_service.content_hash(ticket.content)
    recent = (
        Ticket.citizen_phone_hash == caller,
        Ticket.created_at >= at - timedelta(days=30),
        Ticket.created_at <= at,
        Ticket.id != ticket.id,
    )
    same = list(session.scalars(select(Ticket.number).where(*recent, Ticket.content_hash == mine)))
    others = session.execute(
        select(Ticket.number, Ticket.title, Ticket.content)
        .where(*recent, Ticket.content_hash != mine)
        .order_by(Ticket.created_at.desc())
        .limit(REPEATED_LOOKBACK)
    ).all()
    if others:
        first = [next(iter(screening_windows(t, c)), "") for _, t, c in others]
        try:
            vectors = embedding.encode(
                [next(iter(screening_windows(ticket.title, ticket.content)), ""), *first]
            )
        except embedding.EmbeddingUnavailable:
            return same  # the same text still counts; similar wording waits for the model
        sims = vectors[1:] @ vectors[0]
        threshold = get_settings().repeated_similarity
        same += [n for (n, _, _), sim in zip(others, sims, strict=True) if sim >= threshold]
    return same


def flags_for(session: Session, *, ticket_id: int) -> list[ScreeningFlag]:
    return list(
        session.scalars(
            select(ScreeningFlag).where(ScreeningFlag.ticket_id == ticket_id).order_by(ScreeningFlag.id)
        )
    )


def pending_flags(
    session: Session, *, kind: str | None = None, limit: int = 100
) -> list[tuple[ScreeningFlag, Ticket]]:
    stmt = (
        select(ScreeningFlag, Ticket)
        .join(Ticket, Ticket.id == ScreeningFlag.ticket_id)
        .where(ScreeningFlag.status == "pending")
        .order_by((ScreeningFlag.kind == "emergency").desc(), ScreeningFlag.created_at)
        .limit(limit)
    )
    if kind:
        stmt = stmt.where(ScreeningFlag.kind == kind)
    return [(f, t) for f, t in session.execute(stmt).all()]


def review(
    session: Session,
    *,
    flag_id: int,
    confirm: bool,
    comment: str | None,
    principal: Principal,
    now: datetime | None = None,
) -> ScreeningFlag:
    """A person confirms or dismisses a flag; a confirmed private-domain, out-of-remit or nuisance flag
    takes the ticket out of the departments' evaluation (the raw figures keep it)."""
    now = now or utcnow()
    policy.check(principal, Permission.review_screening, "screening_denied")
    flag = session.get(ScreeningFlag, flag_id)
    if flag is None:
        raise NotFound("flag_not_found", id=flag_id)
    if flag.status != "pending":
        raise Conflict("flag_reviewed", id=flag_id)
    ticket = session.get(Ticket, flag.ticket_id)
    assert ticket is not None
    return _decide(session, flag, ticket, confirm=confirm, comment=comment, principal=principal, now=now)


def _decide(
    session: Session,
    flag: ScreeningFlag,
    ticket: Ticket,
    *,
    confirm: bool,
    comment: str | None,
    principal: Principal,
    now: datetime,
    via: str | None = None,
) -> ScreeningFlag:
    """Record a person's decision on a flag, its consequence for the evaluation, and the event."""
    flag.status = FlagStatus.confirmed if confirm else FlagStatus.dismissed
    flag.reviewed_by_id, flag.reviewed_at, flag.review_comment = principal.user_id, now, comment
    if confirm and flag.kind in EXCLUDING:
        ticket.evaluation_excluded = True
        ticket.exclusion_reason = flag.reason
    session.flush()
    events.record(
        session,
        ticket=ticket,
        kind=EventKind.screening_confirmed if confirm else EventKind.screening_dismissed,
        principal=principal,
        comment=comment,
        data={"flag_id": flag.id, "kind": flag.kind, "reason": flag.reason} | ({"by": via} if via else {}),
        now=now,
    )
    return flag


def active_status(session: Session, caller_hash: str, now: datetime | None = None) -> CallerStatus | None:
    now = now or utcnow()
    row = session.get(CallerStatus, caller_hash)
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at <= now and row.level != "normal":
        session.add(
            CallerDecision(
                caller_hash=caller_hash,
                kind="expired",
                level="normal",
                reason=f"{row.level} 到期自动解除",
                expires_at=None,
                created_at=now,
            )
        )
        row.level, row.reason, row.expires_at = CallerLevel.normal, f"{row.level} 已到期", None
    return row


def decide(
    session: Session,
    *,
    caller_hash: str,
    level: str,
    reason: str,
    expires_at: datetime | None,
    principal: Principal,
    now: datetime | None = None,
) -> CallerStatus:
    """Set a caller's level (logged). A graylist or blacklist needs a reason and an expiry."""
    now = now or utcnow()
    policy.check(principal, Permission.review_screening, "screening_denied")
    if level not in LEVELS:
        raise InvalidInput("caller_level", level=level, known=", ".join(LEVELS))
    level = CallerLevel(level)
    if level in ("graylist", "blacklist") and (expires_at is None or expires_at <= now):
        raise InvalidInput("caller_expiry_required", level=level)
    row = session.get(CallerStatus, caller_hash)
    if row is None:
        row = CallerStatus(caller_hash=caller_hash, level=level, reason=reason)
        session.add(row)
    row.level, row.reason, row.expires_at, row.decided_by_id, row.decided_at = (
        level,
        reason,
        expires_at,
        principal.user_id,
        now,
    )
    row.appeal_status = AppealStatus.none if row.appeal_status == AppealStatus.pending else row.appeal_status
    session.add(
        CallerDecision(
            caller_hash=caller_hash,
            kind="decision",
            level=level,
            reason=reason,
            expires_at=expires_at,
            decided_by_id=principal.user_id,
            created_at=now,
        )
    )
    return row


def appeal(session: Session, *, caller_hash: str, text: str, now: datetime | None = None) -> CallerStatus:
    """The caller's appeal (taken by an operator or on the portal); a supervisor decides it."""
    now = now or utcnow()
    row = session.get(CallerStatus, caller_hash)
    if row is None or row.level == "normal":
        raise InvalidInput("caller_no_restriction")
    row.appeal, row.appeal_status = text, AppealStatus.pending
    session.add(
        CallerDecision(
            caller_hash=caller_hash,
            kind="appeal",
            level=row.level,
            reason=text,
            expires_at=row.expires_at,
            created_at=now,
        )
    )
    return row


def decide_appeal(
    session: Session,
    *,
    caller_hash: str,
    lift: bool,
    reason: str,
    principal: Principal,
    now: datetime | None = None,
) -> CallerStatus:
    now = now or utcnow()
    policy.check(principal, Permission.review_screening, "screening_denied")
    row = session.get(CallerStatus, caller_hash)
    if row is None or row.appeal_status != "pending":
        raise InvalidInput("caller_no_appeal")
    row.appeal_status = AppealStatus.lifted if lift else AppealStatus.upheld
    if lift:
        row.level, row.expires_at = CallerLevel.normal, None
    row.reason = reason
    session.add(
        CallerDecision(
            caller_hash=caller_hash,
            kind="appeal_decision",
            level=row.level,
            reason=reason,
            expires_at=row.expires_at,
            decided_by_id=principal.user_id,
            created_at=now,
        )
    )
    return row


def history(session: Session, *, caller_hash: str) -> list[CallerDecision]:
    return list(
        session.scalars(
            select(CallerDecision)
            .where(CallerDecision.caller_hash == caller_hash)
            .order_by(CallerDecision.id)
        )
    )


def unhandled_emergencies(session: Session) -> list[Ticket]:
    """Emergencies not yet handed off or answered: these must never wait in a normal queue."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.urgency == Urgency.emergency.value, Ticket.status == Status.registered.value)
            .order_by(Ticket.created_at)
        )
    )


def fairness(session: Session, *, department_id: int | None = None) -> list[FairnessOut]:
    """Per lead department: tickets, on-time and satisfaction counts, raw and adjusted (without the
    tickets excluded after a confirmed screening flag)."""
    excluded = Ticket.evaluation_excluded.is_(True)
    late = (
        Ticket.closed_at.is_not(None)
        & Ticket.due_at.is_not(None)
        & passed_clause(Ticket.due_at, Ticket.closed_at)
    )
    unsatisfied = Ticket.satisfaction == Satisfaction.unsatisfied.value
    rated = Ticket.satisfaction.is_not(None)
    stmt = (
        select(
            Ticket.lead_department_id,
            func.count(Ticket.id),
            func.sum(case((excluded, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((late & ~excluded, 1), else_=0)),
            func.sum(case((rated, 1), else_=0)),
            func.sum(case((rated & ~excluded, 1), else_=0)),
            func.sum(case((unsatisfied, 1), else_=0)),
            func.sum(case((unsatisfied & ~excluded, 1), else_=0)),
        )
        .where(Ticket.lead_department_id.is_not(None))
        .group_by(Ticket.lead_department_id)
    )
    if department_id is not None:
        stmt = stmt.where(Ticket.lead_department_id == department_id)
    out = []
    for dept, n, ex, late_raw, late_adj, rated_raw, rated_adj, un_raw, un_adj in session.execute(stmt):
        n, ex = int(n), int(ex or 0)
        out.append(
            FairnessOut(
                department_id=dept,
                tickets=RawAdjusted(raw=n, adjusted=n - ex, excluded=ex),
                closed_late=RawAdjusted(raw=int(late_raw or 0), adjusted=int(late_adj or 0)),
                unsatisfied_rate=RateRawAdjusted(
                    raw=round(int(un_raw or 0) / int(rated_raw), 4) if rated_raw else None,
                    adjusted=round(int(un_adj or 0) / int(rated_adj), 4) if rated_adj else None,
                    numerator_raw=int(un_raw or 0),
                    denominator_raw=int(rated_raw or 0),
                    numerator_adjusted=int(un_adj or 0),
                    denominator_adjusted=int(rated_adj or 0),
                ),
            )
        )
    return out


def check(session: Session, *, title: str, content: str) -> CheckOut:
    """Screen a text that is not (yet) a ticket — the workstation while the operator types, a call's
    transcript as it arrives — with the centre's model; nothing is stored."""
    findings = rules.screen_text(title, content, model=screening_model.current(session))
    emergency = next((f for f in findings if f.kind == "emergency"), None)
    return CheckOut(
        emergency=emergency is not None,
        service=emergency.details.get("service") if emergency else None,
        findings=[
            FindingOut(kind=f.kind, reason=f.reason, cues=f.cues, referral=f.referral, details=f.details)
            for f in findings
        ],
    )


def flag_rates(session: Session, *, start: datetime, end: datetime) -> FlagRatesOut:
    """How many requests of a period each kind flagged, and what people decided: the share a person
    must read, and the share confirmed (a kind that is mostly dismissed needs its cues or its
    threshold looked at)."""
    tickets = (
        session.scalar(
            select(func.count(Ticket.id)).where(Ticket.created_at >= start, Ticket.created_at < end)
        )
        or 0
    )
    rows = session.execute(
        select(ScreeningFlag.kind, ScreeningFlag.status, func.count(ScreeningFlag.id))
        .join(Ticket, Ticket.id == ScreeningFlag.ticket_id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(ScreeningFlag.kind, ScreeningFlag.status)
    ).all()
    kinds: dict[FlagKind, KindRate] = {}
    for kind, status, n in rows:
        entry = kinds.setdefault(FlagKind(kind), KindRate())
        setattr(entry, FlagStatus(status).value, getattr(entry, FlagStatus(status).value) + int(n))
        entry.flagged += int(n)
    for entry in kinds.values():
        entry.share = round(entry.flagged / tickets, 5) if tickets else None
        decided = entry.confirmed + entry.dismissed
        entry.confirmed_share = round(entry.confirmed / decided, 4) if decided else None
    return FlagRatesOut(start=start, end=end, tickets=tickets, kinds=kinds)


def settle_on_hand_off(session: Session, *, ticket: Ticket, principal: Principal, service: str) -> None:
    """A hand-off to 110/119/120/122 is a person's confirmation of the emergency flag (and a label the
    model learns from) — also over an earlier dismissal; a ticket handed off without a flag gains a
    confirmed one. Recorded on the ticket like any review."""
    now = utcnow()
    flag = session.scalar(
        select(ScreeningFlag).where(ScreeningFlag.ticket_id == ticket.id, ScreeningFlag.kind == "emergency")
    )
    if flag is None:
        flag = ScreeningFlag(
            ticket_id=ticket.id,
            kind="emergency",
            reason=f"坐席判定为紧急警情，已移交 {service}",
            details={"cues": [], "by": ["person"], "service": service},
            created_at=now,
        )
        session.add(flag)
    elif flag.status == FlagStatus.confirmed:
        return
    _decide(
        session,
        flag,
        ticket,
        confirm=True,
        comment=f"已移交 {service}",
        principal=principal,
        now=now,
        via="hand_off",
    )
