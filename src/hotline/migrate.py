"""Alembic driven from code: upgrade, downgrade, current revision, new revisions."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """What autogenerate compares: not the job queue's tables (procrastinate's own schema, put in by
    revision 0011 as its authors wrote it), nor the PostgreSQL-only search index of revision 0012."""
    if type_ == "table" and name is not None and name.startswith("procrastinate_"):
        return False
    return not (type_ == "index" and name == "ix_tickets_search_trgm")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(str(resources.files("hotline") / "migrations"))))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The revision this version of the code needs the database at."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(url: str | None = None, *, revision: str = "head", connection: Connection | None = None) -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(
    url: str | None = None, *, revision: str = "base", connection: Connection | None = None
) -> None:
    """Take the database schema down to `revision`."""
    command.downgrade(alembic_config(url, connection), revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
