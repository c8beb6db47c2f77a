"""Durability under a crash: the API server is killed with SIGKILL in the middle of a stream of intake
requests. Every ticket acknowledged before the kill is in the database; the requests that got no
answer are sent again (same Idempotency-Key) once the server is back; in the end every request made
exactly one ticket. Runs on the run's database engine (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.models import User
from hotline.tickets.models import Ticket

CLIENTS = 4
REQUESTS = 60  # per client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_SCHEDULER": "off",
        "HOTLINE_ENVIRONMENT": "test",
        "HOTLINE_ANALYTICS_DIR": str(tmp / "analytics"),
    }
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "hotline.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    fresh_database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = fresh_database
    with Session(engine) as s:
        user = s.scalar(select(User).where(User.username == "operator"))
        assert user is not None
        token, _ = accounts_service.issue_token(s, user=user, ttl=None)
        s.commit()
    port = _free_port()
    server = _start(url, port, tmp_path)
    base = f"http://127.0.0.1:{port}"
    acked: dict[str, str] = {}
    unanswered: set[str] = set()
    lock = threading.Lock()

    def body(key: str) -> dict[str, object]:
        return {
            "channel": "phone",
            "content": f"崩溃测试诉求 {key}：小区路灯坏了，请维修。",
            "request_type": "help",
        }

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=5) as http:
            for i in range(REQUESTS):
                key = f"crash-{n}-{i}"
                try:
                    r = http.post("/api/v1/tickets", json=body(key), headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    with lock:
                        unanswered.add(key)
                    continue
                with lock:
                    if r.status_code in (200, 201):
                        acked[key] = r.json()["number"]
                    else:
                        unanswered.add(key)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    while len(acked) < 40:  # kill it once a good part of the stream is through
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    for t in threads:
        t.join()
    assert acked and unanswered, (len(acked), len(unanswered))  # the kill did fall mid-stream
    print(f"\ncrash test: {len(acked)} acknowledged before SIGKILL, {len(unanswered)} unanswered and retried")

    # every acknowledged ticket survived the kill
    with Session(engine) as s:
        stored = dict(s.execute(select(Ticket.idempotency_key, Ticket.number)).all())
    for key, number in acked.items():
        assert stored[f"{_user_id(engine)}:{key}"] == number

    # the server comes back; the unanswered requests are retried with the same key
    server = _start(url, port, tmp_path)
    existed = 0
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            for key in sorted(unanswered):
                r = http.post("/api/v1/tickets", json=body(key), headers={"Idempotency-Key": key})
                assert r.status_code in (200, 201), r.text
                existed += r.status_code == 200  # committed before the kill, never acknowledged
                acked[key] = r.json()["number"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(Ticket))
        keys = s.scalar(select(func.count(func.distinct(Ticket.idempotency_key))))
    assert total == keys == CLIENTS * REQUESTS == len(acked)  # one ticket per request, none lost
    print(
        f"crash test: {existed} of the retried had been stored before the kill; {total} tickets, {keys} keys"
    )


def _user_id(engine: Engine) -> int:
    with Session(engine) as s:
        uid = s.scalar(select(User.id).where(User.username == "operator"))
        assert uid is not None
        return uid
