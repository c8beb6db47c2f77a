"""A database that is silent, missing or read-only: requests get a 503 with Retry-After and a message
within seconds, /healthz keeps answering, /readyz tells the reason, and the server refuses to start
on a database it cannot serve — never a hang, never a bare 500."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from hotline import migrate
from hotline.app import create_app
from hotline.config import get_settings
from hotline.db import make_engine


@pytest.fixture
def silent_postgres() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word (a hung or half-dead database)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql+psycopg://hotline@127.0.0.1:{listener.getsockname()[1]}/hotline"
    stop.set()
    thread.join(timeout=2)
    for c in held:
        c.close()
    listener.close()


@pytest.fixture
def short_timeouts() -> Iterator[None]:
    s = get_settings()
    saved = (s.db_connect_timeout_seconds, s.db_pool_timeout_seconds, s.rate_limit_public)
    s.db_connect_timeout_seconds, s.db_pool_timeout_seconds = 2.0, 2.0
    s.rate_limit_public = "1000/minute"  # many submissions from one address, on purpose
    yield
    s.db_connect_timeout_seconds, s.db_pool_timeout_seconds, s.rate_limit_public = saved


def test_a_silent_database_costs_seconds_and_a_503_while_healthz_answers(
    silent_postgres: str, short_timeouts: None
) -> None:
    engine = make_engine(silent_postgres)
    app = create_app(session_factory=sessionmaker(engine))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the database went silent after the server started (its start-up check would refuse it)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    body = {"content": "小区路灯坏了，请维修", "request_type": "help"}
    try:
        with ThreadPoolExecutor(48) as pool:
            started = time.monotonic()
            futures = [
                pool.submit(httpx.post, f"{base}/api/v1/public/tickets", json=body, timeout=60)
                for _ in range(48)
            ]
            time.sleep(0.5)
            health = httpx.get(f"{base}/healthz", timeout=2)  # while 48 requests wait on the database
            answers = [f.result() for f in futures]
            took = time.monotonic() - started
        assert health.status_code == 200
        assert {r.status_code for r in answers} == {503}
        first = answers[0]
        assert first.headers["retry-after"] and "稍后重试" in first.json()["error"]["message"]
        assert took < 30, f"48 requests against a silent database took {took:.0f} s"
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["status"] == "not_ready"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def test_the_server_refuses_to_start_on_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing.db'}")
    app = create_app(session_factory=sessionmaker(engine))
    with pytest.raises(RuntimeError, match="hotline init"), TestClient(app):
        pass
    engine.dispose()


def test_a_read_only_database_is_not_ready_and_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    migrate.upgrade(f"sqlite:///{path}")
    sqlite3.connect(path).close()
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    app = create_app(session_factory=sessionmaker(engine))
    client = TestClient(app)  # not started: the request path alone
    r = client.get("/readyz")
    assert r.status_code == 503 and "不可写" in r.json()["reason"]
    with pytest.raises(RuntimeError, match="不可写"), TestClient(app):
        pass
    engine.dispose()
