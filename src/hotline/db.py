"""Database engine, sessions, the declarative base and portable column types."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table, with constraint names Alembic can batch-alter on SQLite."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def upsert_insert(dialect: str) -> Any:
    """The dialect's INSERT construct that has ON CONFLICT (PostgreSQL's or SQLite's)."""
    return pg_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy, not the driver, open transactions (see _begin_immediate)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # A deferred transaction that reads and then writes cannot wait for the write lock: SQLite
            # answers "database is locked" at once. Taking the lock at BEGIN makes transactions queue on
            # the busy timeout instead. The price: on SQLite, transactions run one at a time (fine for the
            # embedded single-machine default; production runs on PostgreSQL).
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    from hotline.config import get_settings

    s = get_settings()
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # a database that does not answer must cost a request seconds, not minutes: waiting for a pooled
    # connection, connecting, and (server side) a statement all have a limit
    kwargs.setdefault("pool_timeout", s.db_pool_timeout_seconds)
    if url.startswith("postgresql"):
        given = dict(kwargs.pop("connect_args", {}))
        # options given in the URL or by the caller (a search_path, say) are kept beside ours
        from_url = make_url(url).query.get("options")
        options = " ".join(
            str(o)
            for o in (
                from_url,
                given.get("options"),
                f"-c statement_timeout={int(s.db_statement_timeout_seconds * 1000)}",
            )
            if o
        )
        kwargs["connect_args"] = {
            # libpq's connect_timeout is whole seconds, at least 2
            "connect_timeout": max(2, round(s.db_connect_timeout_seconds)),
            **given,
            "options": options,
        }
    return create_engine(url, **kwargs)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """Return the process-wide engine for the configured database URL."""
    global _engine, _factory
    if _engine is None:
        from hotline.config import get_settings

        _engine = make_engine(get_settings().database_url)
        _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def session_factory() -> sessionmaker[Session]:
    """Return the process-wide session factory."""
    get_engine()
    assert _factory is not None
    return _factory


def reset_engine() -> None:
    """Forget the process-wide engine (after settings change, e.g. in the CLI or tests)."""
    global _engine, _factory
    if _engine is not None:
        _engine.dispose()
    _engine = None
    _factory = None


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work for jobs and the CLI: commit on success, roll back on error."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass(frozen=True)
class NotReady:
    """Why the database cannot serve: `reason` says what to fix (for anyone), `detail` is the
    database's own words (they may name its host and user: for the logs and the operator only)."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def not_ready(factory: sessionmaker[Session]) -> NotReady | None:
    """Why the database cannot serve requests (None: it can): it does not answer, it has not been
    migrated to this version's schema, or it cannot be written to (a read-only file or server). The
    write probe changes nothing and is rolled back."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from hotline import migrate

    unwritable = (
        "数据库不可写（只读文件、目录无写权限或只读服务器），请检查 HOTLINE_DATABASE_URL 指向的文件或服务器 / "
        "the database cannot be written to"
    )
    try:
        with factory() as session:
            try:
                version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except DBAPIError as exc:
                if "readonly" in str(exc.orig).lower() or "read-only" in str(exc.orig).lower():
                    return NotReady(unwritable, str(exc.orig))  # SQLite takes the write lock at BEGIN
                return NotReady(
                    "数据库未初始化或无法读取（请先运行 hotline init） / not initialised or unreadable",
                    str(exc.orig),
                )
            head = migrate.head_revision()
            if version != head:
                return NotReady(
                    f"数据库结构版本为 {version}，本程序需要 {head}（请运行 hotline init 升级） / "
                    f"schema at revision {version}, this version needs {head}: run hotline init"
                )
            try:
                session.execute(text("UPDATE alembic_version SET version_num = version_num"))
            except DBAPIError as exc:
                return NotReady(unwritable, str(exc.orig))
            finally:
                session.rollback()
    except (DBAPIError, PoolTimeout) as exc:
        return NotReady("数据库无法连接 / the database does not answer", str(getattr(exc, "orig", exc)))
    return None
