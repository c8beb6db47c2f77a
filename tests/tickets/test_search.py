"""The operator's search box: what it finds, and on PostgreSQL that the trigram index of revision 0012
answers it (the query's expression must be the index's, or every search reads the whole table)."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from hotline.tickets import service
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketFilter
from tests.conftest import principal_token
from tests.factories import Actors, make_ticket


def test_search_looks_in_number_title_content_and_address(db: Session, actors: Actors, now: datetime) -> None:
    a = make_ticket(
        db, actors, now=now, title="路灯不亮", content="小区门口路灯坏了", address="金茂湾小区北门"
    )
    b = make_ticket(db, actors, now=now, title="噪音扰民", content="工地夜间施工")
    db.flush()

    def found(q: str) -> set[int]:
        rows, total = service.list_tickets(
            db, principal=actors.dispatcher, filters=TicketFilter(q=q), now=now
        )
        assert total == len(rows)
        return {t.id for t in rows}

    assert a.id in found("金茂湾") and b.id not in found("金茂湾")  # the address
    assert a.id in found("门口路灯") and a.id in found("路灯不亮")  # content, title
    assert b.id in found(b.number) and a.id not in found(b.number)  # the number
    assert not found("完全没有的内容")


def test_postgresql_answers_the_search_from_the_trigram_index(
    db: Session, actors: Actors, now: datetime
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no trigram index: the embedded default reads its (small) table")
    make_ticket(db, actors, now=now, title="路灯不亮", content="小区门口路灯坏了")
    db.flush()
    stmt = service.filtered_select(db, select(Ticket.id), TicketFilter(q="门口路灯"), now)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.execute(text(f"EXPLAIN {sql}")).scalars())
    assert "ix_tickets_search_trgm" in plan, plan


def test_a_common_search_is_counted_up_to_the_cap(
    client: TestClient, db: Session, actors: Actors, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 3)
    for i in range(5):
        make_ticket(db, actors, now=now, title=f"井盖缺失{i}", content="人行道井盖缺失很危险")
    db.commit()
    headers = principal_token(db, actors.dispatcher)
    page = client.get("/api/v1/tickets", params={"q": "井盖缺失", "limit": 2}, headers=headers).json()
    assert (len(page["items"]), page["total"], page["total_capped"]) == (2, 3, True)
    page = client.get("/api/v1/tickets", params={"q": "井盖缺失0"}, headers=headers).json()
    assert (page["total"], page["total_capped"]) == (1, False)
    # without a text search every ticket is counted
    assert client.get("/api/v1/tickets", headers=headers).json()["total_capped"] is False
