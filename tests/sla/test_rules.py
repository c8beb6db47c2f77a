"""SLA rules as data: the most specific rule wins; centres add holidays the package does not know."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.categories import service as category_service
from hotline.sla import service
from hotline.sla.calendar import Unit
from hotline.sla.schemas import CalendarDayIn, SlaRuleIn
from hotline.tickets.enums import RequestType, Urgency
from tests.conftest import principal_token
from tests.factories import Actors

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 10, 0, tzinfo=SH)  # a Monday


def test_defaults_by_request_type(db: Session) -> None:
    consult = service.deadlines(db, request_type="consult", urgency="normal", category=None, start=START)
    complaint = service.deadlines(db, request_type="complaint", urgency="normal", category=None, start=START)
    assert consult.due_at == datetime(2026, 11, 5, 17, 30, tzinfo=SH)
    assert complaint.due_at == datetime(2026, 11, 19, 17, 30, tzinfo=SH)
    assert consult.sign_due_at == datetime(2026, 11, 2, 12, 0, tzinfo=SH)


def test_urgency_beats_type_and_category_beats_type(db: Session) -> None:
    urgent = service.deadlines(
        db, request_type="complaint", urgency=Urgency.urgent, category=None, start=START
    )
    assert urgent.due_at == datetime(2026, 11, 3, 17, 30, tzinfo=SH)
    safety = category_service.get_category(db, code_or_name="城乡建设/安全生产")
    leaf = category_service.get_category(db, code_or_name="城乡建设/安全生产/安全隐患")
    rule = service.create_rule(
        db,
        data=SlaRuleIn(
            name="安全生产 5日",
            category_code=safety.code,
            sign_amount=1,
            sign_unit=Unit.working_hours,
            handle_amount=5,
            handle_unit=Unit.working_days,
        ),
    )
    got = service.deadlines(
        db, request_type=RequestType.complaint, urgency="normal", category=leaf, start=START
    )
    assert got.rule_id == rule.id and got.due_at == datetime(2026, 11, 9, 17, 30, tzinfo=SH)
    other = category_service.get_category(db, code_or_name="城乡建设/城市建设和市政管理")
    assert (
        service.deadlines(db, request_type="complaint", urgency="normal", category=other, start=START).rule_id
        != rule.id
    )
    service.deactivate_rule(db, rule_id=rule.id)
    assert (
        service.deadlines(db, request_type="complaint", urgency="normal", category=leaf, start=START).rule_id
        != rule.id
    )


def test_centre_calendar_rows_change_deadlines(db: Session) -> None:
    service.set_calendar_day(db, data=CalendarDayIn(day=date(2026, 11, 3), is_workday=False, name="地方假日"))
    got = service.deadlines(db, request_type="consult", urgency="normal", category=None, start=START)
    assert got.due_at == datetime(2026, 11, 6, 17, 30, tzinfo=SH)


def test_admin_edits_rules_and_calendar_over_http(client: TestClient, db: Session, actors: Actors) -> None:
    admin = principal_token(db, actors.admin)
    r = client.put(
        "/api/v1/sla/calendar", json={"day": "2027-01-01", "is_workday": False, "name": "元旦"}, headers=admin
    )
    assert r.status_code == 200
    r = client.post(
        "/api/v1/sla/rules",
        json={
            "name": "bad",
            "sign_amount": 0,
            "sign_unit": "working_hours",
            "handle_amount": 1,
            "handle_unit": "working_days",
        },
        headers=admin,
    )
    assert r.status_code == 422
    op = principal_token(db, actors.operator)
    assert (
        client.put(
            "/api/v1/sla/calendar", json={"day": "2027-01-02", "is_workday": True}, headers=op
        ).status_code
        == 403
    )
    preview = client.get(
        "/api/v1/sla/preview",
        params={"request_type": "consult", "start": "2026-12-30T10:00:00+08:00"},
        headers=op,
    )
    assert preview.status_code == 200
    # 31 Dec, then 1 Jan is the centre's holiday, so 4 and 5 Jan
    assert preview.json()["due_at"] == "2027-01-05T09:30:00Z"
