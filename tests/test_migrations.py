"""Migrations: the models and the migration history agree, and the schema goes down and up again."""

from __future__ import annotations

from pathlib import Path

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
