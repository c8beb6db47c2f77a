"""A real server for browser tests: the application under uvicorn on a free port, on a database of the
module's own (SQLite or PostgreSQL, as the run), with the demo's category model and routing table, and
Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.analytics.store import Store
from hotline.app import create_app
from hotline.demo.seed import setup_dispatch, setup_kb

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Server:
    url: str
    factory: sessionmaker[Session]
    store: Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(committing_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    factory = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with factory() as session:
        setup_dispatch(session)  # the demo routing table and a model trained on the packaged sample
        setup_kb(session)
        session.commit()
    app = create_app(session_factory=factory)
    store = Store(tmp_path_factory.mktemp("analytics"))
    app.state.analytics_store = store
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", factory, store)
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is needed at /usr/bin/chromium (scripts/system-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
