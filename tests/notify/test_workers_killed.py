"""Two `hotline worker` processes deliver a queue of SMS through a real HTTP gateway; one is killed with
SIGKILL mid-way. Nothing is lost: every message ends up sent (the dead worker's claim expires and the
other worker takes it up). Nothing runs twice in effect: every send carries the message's
Idempotency-Key, so the one message a kill can catch between sending and recording is repeated with
the same key (the gateway delivers it once). On the run's database engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hotline.notify import service as notify
from hotline.notify.models import Notification
from tests.fakes import sms_gateway

MESSAGES = 120


def _worker(url: str, gateway: sms_gateway.FakeGateway, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_ENVIRONMENT": "test",
        "HOTLINE_SMS_GATEWAY_URL": gateway.url,
        "HOTLINE_SMS_GATEWAY_TOKEN": gateway.token,
        "HOTLINE_CLAIM_TIMEOUT_SECONDS": "2",
        "HOTLINE_ANALYTICS_DIR": str(tmp / "analytics"),
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_worker_loses_nothing_and_repeats_nothing(
    fresh_database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = fresh_database
    with Session(engine) as s:
        for i in range(MESSAGES):
            notify.enqueue(
                s,
                channel="sms",
                recipient=f"1390000{i:04d}",
                template="reopened",
                params={"number": f"N{i}", "title": "路灯", "comment": ""},
            )
        s.commit()
        ids = set(s.scalars(select(Notification.id)))
    with sms_gateway.serve() as gateway:
        gateway.delay = 0.03  # each send takes a moment, so the kill falls mid-stream
        a, b = _worker(url, gateway, tmp_path), _worker(url, gateway, tmp_path)
        try:
            deadline = time.monotonic() + 60
            while len(gateway.messages) < 30:
                assert time.monotonic() < deadline, "no delivery started"
                time.sleep(0.02)
            os.kill(a.pid, signal.SIGKILL)
            a.wait()
            while True:
                with Session(engine) as s:
                    left = s.scalar(
                        select(func.count()).select_from(Notification).where(Notification.status != "sent")
                    )
                if left == 0:
                    break
                assert time.monotonic() < deadline + 60, f"{left} messages never sent"
                time.sleep(0.2)
        finally:
            for p in (a, b):
                if p.poll() is None:
                    p.terminate()
                    p.wait(timeout=30)
        keys = Counter(gateway.keys)
    assert set(keys) == {f"notification-{i}" for i in ids}  # every message reached the gateway
    repeated = {k: n for k, n in keys.items() if n > 1}
    assert len(repeated) <= 1, repeated  # only what the kill caught in flight, and with its key
    print(
        f"\nworkers: {MESSAGES} messages, worker killed after {30}+ sends, {len(repeated)} repeated with the same key"
    )
