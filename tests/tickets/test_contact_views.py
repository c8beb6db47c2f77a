"""The access log of citizens' contact details: every unmasked phone shown is recorded (who, when,
where, which tickets); masked views are not; the log cannot be changed."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hotline.tickets.models import ContactView
from tests import factories
from tests.conftest import principal_token


def test_views_of_contact_details_are_logged(
    client: TestClient, db: Session, actors: factories.Actors, now: datetime
) -> None:
    t = factories.ticket_in(db, actors, factories.Status.dispatched, now=now, dept="ZJJ")
    db.commit()
    op = principal_token(db, actors.operator)
    assert client.get(f"/api/v1/tickets/{t.id}", headers=op).json()["citizen_phone"] == "13812345678"
    client.get("/api/v1/tickets", headers=op)
    handler = principal_token(db, actors.zjj)
    assert client.get(f"/api/v1/tickets/{t.id}", headers=handler).json()["citizen_phone"] == "138****5678"
    admin = principal_token(db, actors.admin)
    log = client.get("/api/v1/audit/contact-views", params={"ticket_id": t.id}, headers=admin).json()
    assert [(v["via"], v["user_id"]) for v in log] == [
        ("api_list", actors.operator.user_id),
        ("api_detail", actors.operator.user_id),
    ]
    assert client.get("/api/v1/audit/contact-views", headers=op).status_code == 403  # admins read the log


def test_the_log_is_append_only(db: Session, actors: factories.Actors) -> None:
    db.add(
        ContactView(
            user_id=actors.operator.user_id, role="operator", via="api_detail", ticket_ids=[1], count=1
        )
    )
    db.flush()
    row = db.scalar(select(ContactView).order_by(ContactView.id.desc()))
    assert row is not None
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("UPDATE contact_views SET via = 'x' WHERE id = :id"), {"id": row.id})
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("DELETE FROM contact_views WHERE id = :id"), {"id": row.id})
