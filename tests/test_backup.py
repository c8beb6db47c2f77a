"""Backup and restore, on the run's database engine (a SQLite file, or a PostgreSQL schema of its own):
back up, change everything the platform changes, restore, and find the database as it was."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotline.cli import app
from hotline.tickets.models import Ticket
from tests import factories

runner = CliRunner()


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in key order."""
    meta = MetaData()
    meta.reflect(bind=engine)
    out = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def test_backup_then_restore_gives_back_the_same_database(
    fresh_database: tuple[str, Engine], tmp_path: Path, now: datetime
) -> None:
    _, engine = fresh_database
    with Session(engine) as s:
        a = factories.actors(s)
        factories.ticket_in(s, a, factories.Status.closed, now=now)
        factories.ticket_in(s, a, factories.Status.processing, now=now)
        s.commit()
    before = snapshot(engine)
    assert len(before["tickets"]) == 2 and len(before["ticket_events"]) > 5
    target = tmp_path / "backup.dump"
    r = runner.invoke(app, ["db", "backup", str(target)])
    assert r.exit_code == 0 and target.stat().st_size > 0, r.output

    with Session(engine) as s:  # life goes on after the backup
        a = factories.actors(s)
        factories.ticket_in(s, a, factories.Status.replied, now=now)
        s.execute(text("UPDATE tickets SET title = 'changed'"))
        s.commit()
    assert snapshot(engine) != before

    engine.dispose()
    r = runner.invoke(app, ["db", "restore", str(target), "--yes"])
    assert r.exit_code == 0, r.output
    assert snapshot(engine) == before
    with Session(engine) as s:  # and it works: the append-only log still refuses changes
        assert s.scalar(select(Ticket.title).limit(1)) != "changed"
        with pytest.raises(Exception, match="append-only"):
            s.execute(text("DELETE FROM ticket_events"))


def test_restore_of_a_missing_or_bad_file_changes_nothing(
    fresh_database: tuple[str, Engine], tmp_path: Path
) -> None:
    _, engine = fresh_database
    before = snapshot(engine)
    r = runner.invoke(app, ["db", "restore", str(tmp_path / "nope.dump"), "--yes"])
    assert r.exit_code != 0
    bad = tmp_path / "bad.dump"
    bad.write_bytes(b"not a backup")
    r = runner.invoke(app, ["db", "restore", str(bad), "--yes"])
    assert r.exit_code != 0
    assert snapshot(engine) == before
