"""SLA rules and the centre's calendar: which limits apply to a ticket and when they fall due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.categories import service as category_service
from hotline.categories.models import Category
from hotline.config import get_settings
from hotline.errors import NotFound
from hotline.sla.calendar import Unit, WorkCalendar
from hotline.sla.models import CalendarDay, SlaRule
from hotline.sla.schemas import CalendarDayIn, Deadlines, SlaRuleIn
from hotline.tickets.enums import RequestType, Urgency

log = logging.getLogger(__name__)

# Defaults seen in municipal rules; a centre edits these rows.
DEFAULT_RULES: list[SlaRuleIn] = [
    SlaRuleIn(
        name="咨询 3个工作日",
        request_type=RequestType.consult,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=3,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="求助 3个工作日",
        request_type=RequestType.help,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=3,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="投诉 13个工作日",
        request_type=RequestType.complaint,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=13,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="举报 13个工作日",
        request_type=RequestType.report,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=13,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="建议 13个工作日",
        request_type=RequestType.suggestion,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=13,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="表扬 3个工作日",
        request_type=RequestType.praise,
        sign_amount=2,
        sign_unit=Unit.working_hours,
        handle_amount=3,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="紧急 1个工作日",
        urgency=Urgency.urgent,
        sign_amount=1,
        sign_unit=Unit.working_hours,
        handle_amount=1,
        handle_unit=Unit.working_days,
    ),
    SlaRuleIn(
        name="特急 当日",
        urgency=Urgency.emergency,
        sign_amount=0.5,
        sign_unit=Unit.calendar_hours,
        handle_amount=4,
        handle_unit=Unit.calendar_hours,
    ),
]
FALLBACK = SlaRuleIn(
    name="默认", sign_amount=2, sign_unit=Unit.working_hours, handle_amount=13, handle_unit=Unit.working_days
)


def work_calendar(session: Session) -> WorkCalendar:
    """Return the centre's calendar: settings' hours plus its own holiday and make-up day rows."""
    settings = get_settings()
    overrides = {row.day: row.is_workday for row in session.scalars(select(CalendarDay))}
    return WorkCalendar(
        tz=settings.timezone, work_start=settings.work_start, work_end=settings.work_end, overrides=overrides
    )


def ensure_default_rules(session: Session) -> int:
    """Create the default rules if the centre has none; return how many were created."""
    if session.scalar(select(SlaRule.id).limit(1)) is not None:
        return 0
    for rule in DEFAULT_RULES:
        create_rule(session, data=rule)
    return len(DEFAULT_RULES)


def create_rule(session: Session, *, data: SlaRuleIn) -> SlaRule:
    """Create an SLA rule."""
    category = (
        category_service.get_category(session, code_or_name=data.category_code)
        if data.category_code
        else None
    )
    rule = SlaRule(
        name=data.name,
        request_type=data.request_type,
        urgency=data.urgency,
        category_id=category.id if category else None,
        sign_amount=data.sign_amount,
        sign_unit=data.sign_unit,
        handle_amount=data.handle_amount,
        handle_unit=data.handle_unit,
    )
    session.add(rule)
    session.flush()
    return rule


def deactivate_rule(session: Session, *, rule_id: int) -> SlaRule:
    """Switch a rule off (rules are kept for the history of deadlines they set)."""
    rule = session.get(SlaRule, rule_id)
    if rule is None:
        raise NotFound("sla_rule_not_found", id=rule_id)
    rule.active = False
    session.flush()
    return rule


def list_rules(session: Session) -> list[SlaRule]:
    """Return every SLA rule."""
    return list(session.scalars(select(SlaRule).order_by(SlaRule.id)))


def match_rule(
    session: Session, *, request_type: str, urgency: str, category: Category | None
) -> SlaRule | None:
    """Return the most specific active rule for these fields (urgency > category depth > type)."""
    best: tuple[int, SlaRule] | None = None
    for rule in session.scalars(select(SlaRule).where(SlaRule.active.is_(True))):
        if rule.request_type and rule.request_type != request_type:
            continue
        if rule.urgency and rule.urgency != urgency:
            continue
        score = 0
        if rule.category_id is not None:
            if category is None:
                continue
            rule_cat = session.get(Category, rule.category_id)
            if rule_cat is None or not (category.code + ".").startswith(rule_cat.code + "."):
                continue
            score += 10 * rule_cat.level
        score += 100 if rule.urgency else 0
        score += 1 if rule.request_type else 0
        if best is None or score > best[0] or (score == best[0] and rule.id > best[1].id):
            best = (score, rule)
    return best[1] if best else None


def deadlines(
    session: Session, *, request_type: str, urgency: str, category: Category | None, start: datetime
) -> Deadlines:
    """Return the sign-for and handling deadlines for work that starts at `start`."""
    rule = match_rule(session, request_type=request_type, urgency=urgency, category=category)
    spec = rule or FALLBACK
    cal = work_calendar(session)
    return Deadlines(
        rule_id=rule.id if rule else None,
        sign_due_at=cal.add(start, spec.sign_amount, Unit(spec.sign_unit)).astimezone(UTC),
        due_at=cal.add(start, spec.handle_amount, Unit(spec.handle_unit)).astimezone(UTC),
    )


def set_calendar_day(session: Session, *, data: CalendarDayIn) -> CalendarDay:
    """Mark a day as holiday or make-up working day (overrides the built-in calendar)."""
    row = session.get(CalendarDay, data.day)
    if row is None:
        row = CalendarDay(day=data.day, is_workday=data.is_workday, name=data.name)
        session.add(row)
    else:
        row.is_workday, row.name = data.is_workday, data.name
    session.flush()
    return row


def list_calendar_days(session: Session) -> list[CalendarDay]:
    """Return the centre's calendar overrides."""
    return list(session.scalars(select(CalendarDay).order_by(CalendarDay.day)))
