"""A local HTTP server that speaks the OpenAI chat completions protocol (POST /v1/chat/completions),
for testing the real client over real HTTP. Replies are scripted per test; every request is kept."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any] | str]


def completion(
    content: str, *, model: str = "fake-qwen", prompt_tokens: int = 120, completion_tokens: int = 30
) -> Reply:
    """A 200 reply in the protocol's shape."""
    return 200, {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@dataclass
class FakeOpenAI:
    api_key: str = "sk-test"
    replies: deque[Reply | Callable[[dict[str, Any]], Reply]] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def reply(self, *replies: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        self.replies.extend(replies)


@contextmanager
def serve(api_key: str = "sk-test") -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(api_key=api_key)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                return self._send(404, {"error": {"message": "not found"}})
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                return self._send(
                    401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}}
                )
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length))
            except json.JSONDecodeError:
                return self._send(400, {"error": {"message": "invalid json"}})
            if not isinstance(body.get("messages"), list) or "model" not in body:
                return self._send(400, {"error": {"message": "model and messages are required"}})
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            scripted = (
                fake.replies.popleft() if fake.replies else (500, {"error": {"message": "no reply scripted"}})
            )
            status, payload = scripted(body) if callable(scripted) else scripted
            self._send(status, payload)

        def _send(self, status: int, payload: dict[str, Any] | str) -> None:
            data = (
                payload.encode()
                if isinstance(payload, str)
                else json.dumps(payload, ensure_ascii=False).encode()
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
