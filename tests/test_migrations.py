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
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
