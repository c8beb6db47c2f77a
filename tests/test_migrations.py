"""Migrations: the models and the migration history agree, and the schema goes down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from hotline import migrate
from hotline.db import Base, make_engine


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": migrate.include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    assert "ticket_events" in inspect(eng).get_table_names()
    with eng.begin() as conn:
        migrate.downgrade(connection=conn, revision="base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    assert "tickets" in inspect(eng).get_table_names()
    eng.dispose()


def test_the_job_queue_goes_down_and_up_again(fresh_database: tuple[str, Engine]) -> None:
    """Revision 0011 puts in procrastinate's schema on PostgreSQL (and nothing on SQLite)."""
    url, engine = fresh_database
    queue_tables = {"procrastinate_jobs", "procrastinate_workers", "procrastinate_events"}
    on_pg = url.startswith("postgresql")
    assert (queue_tables <= set(inspect(engine).get_table_names())) is on_pg
    migrate.downgrade(url, revision="0010")
    assert not queue_tables & set(inspect(engine).get_table_names())
    migrate.upgrade(url)
    assert (queue_tables <= set(inspect(engine).get_table_names())) is on_pg


def _ticket_0012(conn: object, phone: str) -> None:
    from sqlalchemy import text

    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO tickets (number, tracking_code, channel, title, content, request_type, urgency, "
            "citizen_phone, no_contact, status, created_at, updated_at, answered_directly, reopen_count, "
            "version, supports, evaluation_excluded) VALUES ('20260101-000001', 'abcd1234', 'phone', '路灯', "
            "'路灯坏了', 'help', 'normal', :phone, 0, 'registered', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 0, 0, 1, 0, 0)"
        ),
        {"phone": phone},
    )


def test_revision_0013_encrypts_the_phones_stored_before_it(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from hotline.privacy.crypto import FERNET_PREFIX
    from hotline.tickets.models import Ticket

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, revision="0012")
    eng = make_engine(url)
    with eng.begin() as conn:
        _ticket_0012(conn, "13812345678")
    # foreign keys enforced on this connection: the rebuild is refused
    with eng.begin() as conn, pytest.raises(RuntimeError, match="hotline init"):
        migrate.upgrade(connection=conn)
    migrate.upgrade(url)  # as `hotline init` does it
    with eng.connect() as conn:
        raw = conn.execute(text("SELECT citizen_phone FROM tickets")).scalar()
    assert str(raw).startswith(FERNET_PREFIX) and "13812345678" not in str(raw)
    with Session(eng) as s:
        assert s.query(Ticket).one().citizen_phone == "13812345678"
    migrate.downgrade(url, revision="0012")  # and back in clear
    with eng.connect() as conn:
        assert conn.execute(text("SELECT citizen_phone FROM tickets")).scalar() == "13812345678"
    eng.dispose()


def test_revision_0015_cuts_articles_again_with_their_notes(tmp_path: Path) -> None:
    """A passage stored before notes existed began with the quoted disclaimer and went on with real
    text; after the upgrade the disclaimer is a note of its own and the text a passage that answers."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    migrate.upgrade(url, revision="0014")
    eng = make_engine(url)
    body = "> 演示用，非真实政策。\n## 申领条件\n在本市居住半年以上的，可以申领居住证。"
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO kb_articles (id, title, body, kind, status, tags, version, created_at, updated_at) "
                "VALUES (1, '居住证', :b, 'procedure', 'published', '[]', 1, '2026-01-01', '2026-01-01')"
            ),
            {"b": body},
        )
        # as the chunker of revision 0014 stored it: the quote at the head of the passage
        conn.execute(
            text(
                "INSERT INTO kb_passages (article_id, ordinal, heading, text) "
                "VALUES (1, 0, '居住证', '> 演示用，非真实政策。在本市居住半年以上的，可以申领居住证。')"
            )
        )
    migrate.upgrade(url)
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT heading, text, role FROM kb_passages ORDER BY ordinal")).all()
    assert [tuple(r) for r in rows] == [
        ("居住证", "演示用，非真实政策。", "note"),
        ("申领条件", "在本市居住半年以上的，可以申领居住证。", "body"),
    ]
    migrate.downgrade(url, revision="0014")
    eng.dispose()
