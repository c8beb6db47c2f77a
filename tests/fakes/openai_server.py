"""A local HTTP server that speaks the OpenAI chat completions protocol (POST /v1/chat/completions),
for testing the real client over real HTTP. Replies are scripted per test; every request is kept."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http import JsonHandler, running

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
    # answers every request once the scripted replies are used up (a model's standing behaviour)
    behaviour: Callable[[dict[str, Any]], Reply] | None = None

    def reply(self, *replies: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        self.replies.extend(replies)


@contextmanager
def serve(api_key: str = "sk-test") -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(api_key=api_key)

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                return self.send_json(404, {"error": {"message": "not found"}})
            if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                return self.send_json(
                    401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}}
                )
            try:
                body = json.loads(self.read_body())
            except json.JSONDecodeError:
                return self.send_json(400, {"error": {"message": "invalid json"}})
            if not isinstance(body.get("messages"), list) or "model" not in body:
                return self.send_json(400, {"error": {"message": "model and messages are required"}})
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            if fake.replies:
                scripted = fake.replies.popleft()
            elif fake.behaviour is not None:
                scripted = fake.behaviour
            else:
                scripted = (500, {"error": {"message": "no reply scripted"}})
            status, payload = scripted(body) if callable(scripted) else scripted
            self.send_json(status, payload)

    with running(Handler) as base:
        fake.url = f"{base}/v1"
        yield fake
