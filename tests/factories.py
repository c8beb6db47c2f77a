"""Factories: the test users of the demo city and tickets in any lifecycle state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.enums import Role
from hotline.accounts.models import User
from hotline.accounts.principal import Principal
from hotline.accounts.schemas import UserIn
from hotline.org import service as org_service
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import Channel, RequestType, Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import CitizenIn, TicketCreate
from hotline.tickets.states import Status
from hotline.workflow import service as wf

PASSWORD = "correct horse battery"
USERS = [
    ("operator", Role.operator, None),
    ("dispatcher", Role.dispatcher, None),
    ("admin", Role.admin, None),
    ("leader", Role.leader, None),
    ("zjj", Role.handler, "ZJJ"),  # 住建局
    ("cgj", Role.handler, "CGJ"),  # 城管局
    ("hb_center", Role.area_center, "HB-ZX"),  # 湖滨区分中心
    ("xc_center", Role.area_center, "XC-ZX"),  # 新城区分中心
    ("hb_hx", Role.handler, "HB-HX"),  # 湖心街道 (under 湖滨区分中心)
]


def create_users(session: Session) -> None:
    """Create one user per test role (committed once per run)."""
    for username, role, dept in USERS:
        accounts_service.create_user(
            session,
            data=UserIn(
                username=username, display_name=username, password=PASSWORD, role=role, department_code=dept
            ),
        )


@dataclass
class Actors:
    operator: Principal
    dispatcher: Principal
    admin: Principal
    leader: Principal
    zjj: Principal
    cgj: Principal
    hb_center: Principal
    xc_center: Principal
    hb_hx: Principal

    def dept_id(self, code: str, session: Session) -> int:
        return org_service.get_department_by_code(session, code=code).id


def actors(session: Session) -> Actors:
    found = {}
    for username, _, _ in USERS:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        found[username] = accounts_service.principal_for(user)
    return Actors(**found)


def ticket_data(**overrides: Any) -> TicketCreate:
    """Return a valid intake payload; override any field."""
    fields: dict[str, Any] = {
        "channel": Channel.phone,
        "title": "小区路灯不亮",
        "content": "湖心一社区3栋门口路灯已经坏了一周，晚上出行不安全，请尽快维修。",
        "request_type": RequestType.help,
        "category_code": "城乡建设",
        "citizen": CitizenIn(name="张先生", phone="13812345678"),
        "address": "湖心一社区3栋",
        "area_code": "MH-HB-HX-01",
    }
    fields.update(overrides)
    return TicketCreate(**fields)


def make_ticket(session: Session, a: Actors, *, now: datetime, **overrides: Any) -> Ticket:
    ticket, _ = ticket_service.create_ticket(
        session, data=ticket_data(**overrides), principal=a.operator, now=now
    )
    return ticket


def ticket_in(
    session: Session, a: Actors, status: Status, *, now: datetime, dept: str = "ZJJ", **overrides: Any
) -> Ticket:
    """Return a ticket driven (through the real services) into `status`, lead department `dept`."""
    t = make_ticket(session, a, now=now, **overrides)
    handler = {"ZJJ": a.zjj, "CGJ": a.cgj, "HB-ZX": a.hb_center}[dept]
    dept_id = a.dept_id(dept, session)
    step = now

    def tick() -> datetime:
        nonlocal step
        step += timedelta(minutes=10)
        return step

    if status == Status.registered:
        return t
    if status == Status.handed_off:
        return wf.hand_off(session, ticket_id=t.id, service="119", principal=a.operator, now=tick())
    if status == Status.merged:
        master = make_ticket(session, a, now=now, title="主工单")
        return wf.merge(session, ticket_id=t.id, master_id=master.id, principal=a.operator, now=tick())
    wf.dispatch(session, ticket_id=t.id, department_id=dept_id, principal=a.dispatcher, now=tick())
    if status == Status.dispatched:
        return t
    if status == Status.returned:
        return wf.return_ticket(
            session, ticket_id=t.id, reason="不属于本单位职责", principal=handler, now=tick()
        )
    wf.sign(session, ticket_id=t.id, principal=handler, now=tick())
    if status == Status.processing:
        return t
    if status == Status.waiting_citizen:
        return wf.suspend(session, ticket_id=t.id, reason="请市民补充照片", principal=handler, now=tick())
    wf.reply(
        session, ticket_id=t.id, reply="已于当日派人更换灯泡，路灯恢复正常。", principal=handler, now=tick()
    )
    if status == Status.replied:
        return t
    wf.approve_reply(session, ticket_id=t.id, principal=a.dispatcher, now=tick())
    if status == Status.follow_up:
        return t
    wf.record_follow_up(
        session,
        ticket_id=t.id,
        resolved=True,
        satisfaction=Satisfaction.satisfied,
        principal=a.operator,
        now=tick(),
    )
    assert t.status == Status.closed
    return t
