"""A local SMS gateway over HTTP (POST /sms with a bearer token and {"to", "text", "sign"}), for
testing the SMS channel over real HTTP. Replies are scripted; every accepted message is kept."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeGateway:
    token: str = "gw-secret"
    statuses: deque[int] = field(default_factory=deque)  # scripted statuses; 200 when empty
    messages: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def serve() -> Iterator[FakeGateway]:
    gw = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {gw.token}":
                return self._send(401, {"error": "bad token"})
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            with gw.lock:
                status = gw.statuses.popleft() if gw.statuses else 200
                if status == 200:
                    gw.messages.append(body)
                    return self._send(200, {"id": f"msg-{len(gw.messages)}"})
            self._send(status, {"error": "scripted failure"})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gw.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        server.shutdown()
        server.server_close()
