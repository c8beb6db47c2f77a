"""The OpenAI-compatible client against a local server speaking the protocol over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.llm import client
from hotline.llm.client import LlmUnavailable
from hotline.llm.models import LlmCall
from tests.fakes.openai_server import FakeOpenAI, completion

MESSAGES = [{"role": "user", "content": "你好"}]


def _calls(db: Session) -> list[LlmCall]:
    return list(db.scalars(select(LlmCall).order_by(LlmCall.id)))


def test_no_endpoint_no_call(db: Session) -> None:
    assert get_settings().llm_base_url is None
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert err.value.reason == "not configured"
    assert _calls(db) == []


def test_a_reply_is_returned_and_recorded(db: Session, llm: FakeOpenAI) -> None:
    llm.reply(completion('```json\n{"answer": "可以"}\n```', prompt_tokens=50, completion_tokens=7))
    reply = client.chat(db, messages=MESSAGES, purpose="test", max_tokens=10_000, json_mode=True)
    assert reply.json() == {"answer": "可以"}
    assert reply.model == "fake-qwen" and reply.prompt_tokens == 50
    sent = llm.requests[0]
    assert sent["model"] == "qwen2.5-7b-instruct" and sent["messages"] == MESSAGES
    assert sent["max_tokens"] == get_settings().llm_max_tokens  # capped
    assert sent["response_format"] == {"type": "json_object"}
    (call,) = _calls(db)
    assert (call.status, call.prompt_tokens, call.completion_tokens, call.purpose) == ("ok", 50, 7, "test")


def test_retries_on_overload_then_succeeds(db: Session, llm: FakeOpenAI) -> None:
    llm.reply((429, {"error": {"message": "rate limited"}}), (503, "busy"), completion("好"))
    assert client.chat(db, messages=MESSAGES, purpose="test").text == "好"
    assert len(llm.requests) == 3
    assert _calls(db)[-1].attempts == 3


def test_gives_up_after_the_retries_and_says_why(db: Session, llm: FakeOpenAI) -> None:
    get_settings().llm_max_retries = 1
    llm.reply((500, "x"), (502, "y"), completion("too late"))
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert "502" in err.value.reason
    assert len(llm.requests) == 2
    assert _calls(db)[-1].status == "error"


def test_a_wrong_key_is_not_retried(db: Session, llm: FakeOpenAI) -> None:
    llm.api_key = "sk-other"
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert "401" in err.value.reason and llm.requests == []


def test_timeout_is_bounded(db: Session, llm: FakeOpenAI) -> None:
    import time

    get_settings().llm_timeout_seconds = 0.2
    get_settings().llm_max_retries = 0

    def slow(_: dict[str, object]) -> tuple[int, dict[str, object]]:
        time.sleep(0.6)
        return completion("slow")

    llm.reply(slow)
    started = time.perf_counter()
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert "Timeout" in err.value.reason
    assert time.perf_counter() - started < 0.6


def test_daily_budget_is_shared_and_enforced(db: Session, llm: FakeOpenAI) -> None:
    get_settings().llm_daily_token_budget = 100
    llm.reply(completion("一", prompt_tokens=80, completion_tokens=30))
    client.chat(db, messages=MESSAGES, purpose="test")
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert "budget" in err.value.reason
    assert len(llm.requests) == 1
    assert _calls(db)[-1].status == "refused"


def test_malformed_reply_is_an_error_not_a_crash(db: Session, llm: FakeOpenAI) -> None:
    llm.reply((200, {"choices": []}))
    with pytest.raises(LlmUnavailable) as err:
        client.chat(db, messages=MESSAGES, purpose="test")
    assert "malformed" in err.value.reason
