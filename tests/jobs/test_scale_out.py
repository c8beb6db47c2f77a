"""Scale-out on PostgreSQL as production runs it: two API processes take a stream of requests, two
`hotline worker` processes run the jobs those requests defer (screen and route each ticket), and one
worker is SIGKILLed while both are in the middle of jobs. Nothing is lost: the dead worker's jobs are
taken up by the other once its heartbeat stops, and every ticket is routed. Nothing runs twice: no job
finishes twice, and each ticket has one suggestion. (SQLite has no queue: skipped there.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.models import User
from hotline.dispatch.models import DispatchSuggestion
from hotline.tickets.models import Ticket
from tests.test_crash import _free_port

TICKETS = 120
TAKEN_UP = re.compile(r"job (\d+) of a stalled worker is taken up again")
FINISHED = re.compile(r"Job hotline\.process_ticket\[(\d+)\]\(ticket_id=(\d+)\) ended with status: (\w+)")
CONTENTS = [
    "小区门口的路灯坏了一个星期，晚上出行很不安全，请尽快维修。",
    "工地晚上十一点以后还在施工，噪音很大，影响休息。",
    "公司拖欠三个月工资不发，多次讨要无果，请求帮助。",
    "小区垃圾堆放多日无人清运，气味很大。",
    "咨询新生儿医保怎么办理，需要哪些材料。",
    "公交站台的顶棚破损，下雨天无法避雨。",
]


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_ENVIRONMENT": "test",
        "HOTLINE_SCHEDULER": "off",
        "HOTLINE_DISPATCH_ON_INTAKE": "background",
        "HOTLINE_JOB_STALLED_SECONDS": "3",
        "HOTLINE_ANALYTICS_DIR": str(tmp / "analytics"),
        "HOTLINE_LOG_LEVEL": "INFO",
    }


def _api(url: str, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "uvicorn",
            "hotline.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=_env(url, tmp),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker(url: str, tmp: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "worker", "--concurrency", "2", "--interval", "5"],
            env=_env(url, tmp),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def _ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"API on port {port} never became ready")


def _busy_workers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(DISTINCT worker_id) FROM procrastinate_jobs WHERE status = 'doing'")
            )
            or 0
        )


def _open_jobs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
            ).scalar()
            or 0
        )


def _routed(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count(func.distinct(DispatchSuggestion.ticket_id)))) or 0


def test_two_apis_two_workers_one_killed(fresh_database: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = fresh_database
    if not url.startswith("postgresql"):
        pytest.skip("the job queue lives in PostgreSQL; SQLite runs the work in-process")
    with Session(engine) as s:
        operator = s.scalar(select(User).where(User.username == "operator"))
        assert operator is not None
        token, _ = accounts_service.issue_token(s, user=operator, ttl=None)
        s.commit()
    ports = [_free_port(), _free_port()]
    apis = [_api(url, tmp_path, p) for p in ports]
    workers: list[tuple[subprocess.Popen[bytes], Path]] = []
    acknowledged: list[int] = []
    try:
        for p in ports:
            _ready(p)

        def post(client_no: int) -> None:
            base = f"http://127.0.0.1:{ports[client_no % 2]}"
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
                for i in range(client_no, TICKETS, 4):
                    body = {
                        "channel": "web",
                        "title": CONTENTS[i % len(CONTENTS)][:12],
                        "content": CONTENTS[i % len(CONTENTS)],
                        "request_type": "complaint",
                        "citizen": {"phone": f"1390000{i:04d}"},
                    }
                    r = c.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
                    assert r.status_code == 201, r.text
                    acknowledged.append(r.json()["id"])

        clients = [threading.Thread(target=post, args=(n,)) for n in range(4)]
        for t in clients:
            t.start()
        workers = [_worker(url, tmp_path, "a"), _worker(url, tmp_path, "b")]
        deadline = time.monotonic() + 120
        # kill a worker once work is well under way, at a moment both are in the middle of jobs
        while _routed(engine) < TICKETS // 4 or _busy_workers(engine) < 2:
            assert time.monotonic() < deadline, "the two workers never ran jobs at the same time"
            time.sleep(0.005)
        os.kill(workers[0][0].pid, signal.SIGKILL)
        workers[0][0].wait()
        for t in clients:
            t.join()
        assert len(acknowledged) == TICKETS
        while (routed := _routed(engine)) < TICKETS:
            assert time.monotonic() < deadline + 60, f"{TICKETS - routed} tickets never processed"
            time.sleep(0.2)
        # a job whose ticket the killed worker had routed, but which it had not yet marked done, is
        # taken up by the living worker once the dead one's heartbeat is stale: wait for that too
        while (open_jobs := _open_jobs(engine)) > 0:
            assert time.monotonic() < deadline + 90, f"{open_jobs} jobs never finished"
            time.sleep(0.2)
    finally:
        for proc in apis + [w for w, _ in workers]:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)

    with Session(engine) as s:
        tickets = set(s.scalars(select(Ticket.id)))
        per_ticket = Counter(s.scalars(select(DispatchSuggestion.ticket_id)))
        left = s.execute(text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")).all()
    assert tickets == set(acknowledged)
    assert set(per_ticket) == tickets and set(per_ticket.values()) == {1}  # each ticket routed once
    assert left == []  # every job succeeded (successful jobs are deleted), none failed or waiting
    logs = {name: log.read_text() for (_, log), name in zip(workers, "ab", strict=True)}
    finished = [(name, *m.groups()) for name, out in logs.items() for m in FINISHED.finditer(out)]
    assert all(status == "Success" for *_, status in finished)
    assert {int(t) for _, _, t, _ in finished} == tickets  # every ticket's job finished
    taken_up = TAKEN_UP.findall(logs["b"])
    assert taken_up, "the killed worker's jobs were not taken up again"
    # procrastinate logs a job's outcome just before it acknowledges it: a worker killed between the
    # two has that job run again by the other (at least once, by design). Only such a job may finish
    # twice, and its ticket is still routed once (per_ticket above).
    runs = Counter(job for _, job, _, _ in finished)
    twice = {job for job, n in runs.items() if n > 1}
    assert max(runs.values()) <= 2 and twice <= set(taken_up), (twice, taken_up)
    assert all({name for name, j, _, _ in finished if j == job} == {"a", "b"} for job in twice)
    by_b = sum(1 for name, *_ in finished if name == "b")
    print(
        f"\nscale-out: {TICKETS} tickets through 2 API processes and 2 workers; worker a SIGKILLed "
        f"mid-job after finishing {TICKETS - by_b}; b finished {by_b}, of them {len(taken_up)} "
        "taken up from a; every ticket routed once"
    )
