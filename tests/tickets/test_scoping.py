"""Who sees and acts on what: departments only their own assignments, area centres only their area,
contact details masked for roles that may not see them — through every ticket endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.tickets import service as ticket_service
from hotline.tickets.schemas import TicketFilter
from hotline.tickets.states import Status
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket, ticket_in

TICKET_ACTIONS = [
    ("post", "sign", None),
    ("post", "reply", {"reply": "已处理"}),
    ("post", "return", {"reason": "非本单位职责"}),
    ("post", "hand-down", {"department_id": 1}),
    ("post", "extensions", {"days": 1, "reason": "需要时间"}),
    ("post", "suspend", {"comment": "等材料"}),
    ("post", "resume", None),
    ("post", "comments", {"comment": "看看"}),
]


@pytest.fixture
def cgj_ticket(db: Session, actors: Actors, now: datetime) -> int:
    t = ticket_in(db, actors, Status.processing, now=now, dept="CGJ")
    db.commit()
    return t.id


def test_handler_of_another_department_can_neither_read_nor_act(
    client: TestClient, db: Session, actors: Actors, cgj_ticket: int
) -> None:
    zjj = principal_token(db, actors.zjj)
    for path in (f"/api/v1/tickets/{cgj_ticket}", f"/api/v1/tickets/{cgj_ticket}/events"):
        r = client.get(path, headers=zjj)
        assert r.status_code == 404, path
    number = db.get(ticket_service.Ticket, cgj_ticket).number  # type: ignore[union-attr]
    assert client.get(f"/api/v1/tickets/by-number/{number}", headers=zjj).status_code == 404
    listed = client.get("/api/v1/tickets", headers=zjj, params={"limit": 200}).json()["items"]
    assert cgj_ticket not in [t["id"] for t in listed]
    for method, action, body in TICKET_ACTIONS:
        r = client.request(method, f"/api/v1/tickets/{cgj_ticket}/{action}", json=body, headers=zjj)
        assert r.status_code == 404, (action, r.text)
    # and the owner can
    cgj = principal_token(db, actors.cgj)
    assert client.get(f"/api/v1/tickets/{cgj_ticket}", headers=cgj).status_code == 200


def test_department_sees_only_tickets_assigned_to_it(db: Session, actors: Actors, now: datetime) -> None:
    mine = ticket_in(db, actors, Status.dispatched, now=now, dept="ZJJ")
    theirs = ticket_in(db, actors, Status.dispatched, now=now, dept="CGJ")
    unassigned = make_ticket(db, actors, now=now)
    rows, total = ticket_service.list_tickets(db, principal=actors.zjj, filters=TicketFilter(), limit=200)
    ids = {t.id for t in rows}
    assert mine.id in ids and theirs.id not in ids and unassigned.id not in ids
    assert total == len(rows)


def test_area_centre_sees_its_area_only(db: Session, actors: Actors, now: datetime) -> None:
    in_hb = make_ticket(db, actors, now=now, area_code="MH-HB-DQ-02-G1")
    in_xc = make_ticket(db, actors, now=now, area_code="MH-XC-GX-01")
    hb_ids = {
        t.id
        for t in ticket_service.list_tickets(
            db, principal=actors.hb_center, filters=TicketFilter(), limit=200
        )[0]
    }
    xc_ids = {
        t.id
        for t in ticket_service.list_tickets(
            db, principal=actors.xc_center, filters=TicketFilter(), limit=200
        )[0]
    }
    assert in_hb.id in hb_ids and in_xc.id not in hb_ids
    assert in_xc.id in xc_ids and in_hb.id not in xc_ids


def test_phone_masked_for_roles_that_may_not_see_it(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.processing, now=now)
    db.commit()
    seen = {}
    for name in ("operator", "dispatcher", "leader", "zjj"):
        r = client.get(f"/api/v1/tickets/{t.id}", headers=principal_token(db, getattr(actors, name)))
        assert r.status_code == 200
        seen[name] = r.json()["citizen_phone"]
        listed = client.get(
            "/api/v1/tickets", headers=principal_token(db, getattr(actors, name)), params={"q": t.number}
        ).json()["items"]
        assert listed[0]["citizen_phone"] == seen[name]
    assert seen["operator"] == seen["dispatcher"] == "13812345678"
    assert seen["leader"] == seen["zjj"] == "138****5678"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+86 138 1234 5678", "+86*******5678"), ("110", "***"), (None, None)],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert ticket_service.mask_phone(phone) == masked


def test_admin_endpoints_refuse_other_roles(client: TestClient, db: Session, actors: Actors) -> None:
    body = {"code": "NEW", "name": "新部门", "area_code": "MH"}
    for name in ("operator", "dispatcher", "leader", "zjj"):
        r = client.post("/api/v1/departments", json=body, headers=principal_token(db, getattr(actors, name)))
        assert r.status_code == 403, name
    r = client.post("/api/v1/departments", json=body, headers=principal_token(db, actors.admin))
    assert r.status_code == 200 and r.json()["code"] == "NEW"


def test_filters(db: Session, actors: Actors, now: datetime) -> None:
    a = ticket_in(db, actors, Status.processing, now=now - timedelta(days=20))  # long overdue
    b = ticket_in(db, actors, Status.dispatched, now=now, dept="CGJ")
    c = make_ticket(
        db, actors, now=now, title="噪音扰民 50%折扣", category_code="环境保护", area_code="MH-XC-GX-01"
    )

    def ids(**f: object) -> set[int]:
        return {
            t.id
            for t in ticket_service.list_tickets(
                db, principal=actors.dispatcher, filters=TicketFilter(**f), limit=200, now=now
            )[0]
        }

    assert a.id in ids(overdue=True) and b.id not in ids(overdue=True) and c.id not in ids(overdue=True)
    assert b.id in ids(overdue=False)
    assert ids(status=[Status.dispatched]) >= {b.id} and a.id not in ids(status=[Status.dispatched])
    assert c.id in ids(status_category="open") and a.id in ids(status_category="processing")
    assert b.id in ids(department_id=actors.dept_id("CGJ", db)) and a.id not in ids(
        department_id=actors.dept_id("CGJ", db)
    )
    hb = ticket_service.org_service.get_area_by_code(db, code="MH-HB")
    assert a.id in ids(area_id=hb.id) and c.id not in ids(area_id=hb.id)
    assert c.id in ids(category_code="环境保护") and a.id not in ids(category_code="环境保护")
    assert a.id in ids(category_code="城乡建设")
    assert c.id in ids(q="50%折扣") and a.id not in ids(q="50%")
    assert a.id in ids(created_to=now - timedelta(days=10)) and c.id not in ids(
        created_to=now - timedelta(days=10)
    )
    assert c.id in ids(created_from=now - timedelta(minutes=1))


def test_pagination(client: TestClient, db: Session, actors: Actors, now: datetime) -> None:
    for i in range(5):
        make_ticket(db, actors, now=now + timedelta(minutes=i), title=f"分页{i}")
    db.commit()
    headers = principal_token(db, actors.dispatcher)
    page1 = client.get("/api/v1/tickets", params={"q": "分页", "limit": 2}, headers=headers).json()
    page3 = client.get(
        "/api/v1/tickets", params={"q": "分页", "limit": 2, "offset": 4}, headers=headers
    ).json()
    assert page1["total"] == 5 and [t["title"] for t in page1["items"]] == ["分页4", "分页3"]
    assert [t["title"] for t in page3["items"]] == ["分页0"]
    assert client.get("/api/v1/tickets", params={"limit": 1000}, headers=headers).status_code == 422
