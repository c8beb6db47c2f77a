"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL via HOTLINE_TEST_DATABASE_URL),
each test inside a transaction that is rolled back, each API request inside its own savepoint."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("HOTLINE_ENVIRONMENT", "test")
# the analytics store of code that does not name its own (the scheduler's tick): out of the work tree
os.environ.setdefault("HOTLINE_ANALYTICS_DIR", tempfile.mkdtemp(prefix="hotline-analytics-"))

from hotline import db as hotline_db
from hotline import migrate
from hotline.accounts import service as accounts_service
from hotline.accounts.principal import Principal
from hotline.app import create_app
from hotline.bootstrap import bootstrap
from hotline.config import get_settings
from hotline.db import make_engine
from hotline.demo.seed import demo_path
from hotline.dispatch import matching
from hotline.dispatch import matters as matter_list_service
from hotline.nlp import embedding
from hotline.org import service as org_service
from tests import factories
from tests.fakes.openai_server import FakeOpenAI, serve

PG_SCHEMA = "hotline_test"


def _database_url(tmp: Path) -> str:
    url = os.environ.get("HOTLINE_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp / 'test.db'}"


def build_database(url: str, schema: str) -> Engine:
    """Return an engine on a freshly migrated database with the taxonomy, default SLA rules, demo city
    and test users. On PostgreSQL the database lives in its own schema, dropped and recreated."""
    if url.startswith("postgresql"):
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        eng = make_engine(url)
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    with Session(eng) as session:
        bootstrap(session)
        org_service.import_org(session, org=org_service.parse_org_file(demo_path("city.yaml")))
        factories.create_users(session)
        session.commit()
    return eng


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The run's shared database; tests see it through a rolled-back transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        eng = build_database(_database_url(Path(tmp)), PG_SCHEMA)
        yield eng
        eng.dispose()


@pytest.fixture(scope="module")
def committing_engine() -> Iterator[Engine]:
    """A database of the module's own for tests that must really commit (concurrency, crash safety),
    so their rows never leak into the shared database."""
    with tempfile.TemporaryDirectory() as tmp:
        eng = build_database(_database_url(Path(tmp)), f"{PG_SCHEMA}_commit")
        yield eng
        eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def session_maker(connection: Connection) -> sessionmaker[Session]:
    """Sessions that share the test's transaction; each commit only releases its own savepoint."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(session_maker: sessionmaker[Session]) -> Iterator[Session]:
    session = session_maker()
    yield session
    session.close()


@pytest.fixture
def client(session_maker: sessionmaker[Session]) -> TestClient:
    return TestClient(create_app(session_factory=session_maker), raise_server_exceptions=False)


@pytest.fixture
def actors(db: Session) -> factories.Actors:
    return factories.actors(db)


@pytest.fixture
def now() -> datetime:
    # a Wednesday morning, local 10:00, before National Day week (for stable deadlines)
    return datetime(2026, 9, 16, 2, 0, tzinfo=UTC)


def principal_token(db: Session, principal: Principal) -> dict[str, str]:
    """Return an Authorization header for a principal's user."""
    assert principal.user_id is not None
    user = accounts_service.get_user(db, user_id=principal.user_id)
    secret, _ = accounts_service.issue_token(db, user=user, ttl=None)
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


LLM_SETTINGS = (
    "llm_base_url",
    "llm_api_key",
    "llm_model",
    "llm_retry_backoff_seconds",
    "llm_timeout_seconds",
    "llm_daily_token_budget",
    "llm_max_retries",
)


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible endpoint over real HTTP, configured as the centre's large model."""
    settings = get_settings()
    saved = {key: getattr(settings, key) for key in LLM_SETTINGS}
    with serve() as fake:
        settings.llm_base_url = fake.url
        settings.llm_api_key = SecretStr(fake.api_key)
        settings.llm_model = "qwen2.5-7b-instruct"
        settings.llm_retry_backoff_seconds = 0.01
        settings.llm_timeout_seconds = 2.0
        yield fake
    for key, value in saved.items():
        setattr(settings, key, value)


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    """A database of the test's own, given by URL (a SQLite file, or a PostgreSQL schema named in the
    URL's search_path), migrated, with the demo city and the test users; HOTLINE_DATABASE_URL points
    to it for the commands under test."""
    pg = os.environ.get("HOTLINE_TEST_DATABASE_URL")
    if pg:
        admin = make_engine(pg)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS hotline_fresh CASCADE"))
            conn.execute(text("CREATE SCHEMA hotline_fresh"))
        admin.dispose()
        url = pg + ("&" if "?" in pg else "?") + "options=-csearch_path%3Dhotline_fresh"
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        bootstrap(s)
        org_service.import_org(s, org=org_service.parse_org_file(demo_path("city.yaml")))
        factories.create_users(s)
        s.commit()
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    get_settings.cache_clear()
    hotline_db.reset_engine()
    yield url, engine
    engine.dispose()
    hotline_db.reset_engine()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def matter_vectors() -> tuple[list[str], np.ndarray]:
    """The demo matters' texts embedded once per run (each test's import then costs nothing)."""
    texts = [
        t
        for data in matter_list_service.read_file(demo_path("matters.csv"))
        for t in matter_list_service.texts_of(data)
    ]
    return texts, embedding.encode(texts, query=True)


@pytest.fixture
def matter_list(db: Session, matter_vectors: tuple[list[str], np.ndarray]) -> int:
    """The demo matter list (派单目录) imported in the test's transaction; its version."""
    embedding.prime(*matter_vectors)
    report = matter_list_service.import_file(db, path=demo_path("matters.csv"), actor="test")
    db.commit()
    matching.clear_cache()
    assert report.version is not None
    return report.version


@pytest.fixture
def damaged_embedding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The sentence embedding pointed at a truncated copy of its weights (a real damaged file); the
    packaged weights again afterwards."""
    damaged = tmp_path / "e5.bin"
    with open(embedding.model_file(), "rb") as fh:
        damaged.write_bytes(fh.read(100_000))
    monkeypatch.setattr(embedding, "MODEL_FILE", str(damaged))
    embedding.reset()
    yield damaged
    monkeypatch.undo()
    embedding.reset()
