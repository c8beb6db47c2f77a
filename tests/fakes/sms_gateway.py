"""A local SMS gateway over HTTP (POST /sms with a bearer token and {"to", "text", "sign"}), for
testing the SMS channel over real HTTP. Replies are scripted; every accepted message is kept."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http import JsonHandler, running


@dataclass
class FakeGateway:
    token: str = "gw-secret"
    statuses: deque[int] = field(default_factory=deque)  # scripted statuses; 200 when empty
    messages: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)  # the Idempotency-Key of every accepted send
    delay: float = 0.0  # seconds each send takes
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def serve() -> Iterator[FakeGateway]:
    gw = FakeGateway()

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {gw.token}":
                return self.send_json(401, {"error": "bad token"})
            body = json.loads(self.read_body())
            if gw.delay:
                time.sleep(gw.delay)
            with gw.lock:
                status = gw.statuses.popleft() if gw.statuses else 200
                if status == 200:
                    gw.messages.append(body)
                    gw.keys.append(self.headers.get("Idempotency-Key"))
                    return self.send_json(200, {"id": f"msg-{len(gw.messages)}"})
            self.send_json(status, {"error": "scripted failure"})

    with running(Handler) as base:
        gw.url = f"{base}/sms"
        yield gw
