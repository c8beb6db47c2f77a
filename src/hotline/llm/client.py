"""A client for any OpenAI-compatible chat completions endpoint (DeepSeek, Qwen via vLLM or Ollama,
…). Configured by HOTLINE_LLM_BASE_URL / _MODEL / _API_KEY; with no base URL it makes no call at all.

Every call is bounded: a timeout, a few retries with backoff on 429/5xx/network errors, a cap on the
completion tokens, and a daily token budget shared by all processes (counted in `llm_calls`). A
failure never breaks the caller's work: `LlmUnavailable` says why, and the caller falls back to the
offline path."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.config import Settings, get_settings
from hotline.db import utcnow
from hotline.llm.enums import LlmCallStatus, LlmVerdict
from hotline.llm.models import LlmCall

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class LlmUnavailable(Exception):
    """No answer from the large model: not configured, over budget, or the endpoint failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    call_id: int | None = None  # its row in llm_calls

    def json(self) -> Any:
        """Parse the reply as JSON (tolerating a ```json fence around it)."""
        text = self.text.strip()
        if text.startswith("```"):
            text = text.strip("`")
            text = text[text.find("\n") + 1 :] if "\n" in text else text
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end < start:
            raise LlmUnavailable("reply is not JSON")
        try:
            return json.loads(text[start : end + 1])
        except json.JSONDecodeError as exc:
            raise LlmUnavailable(f"reply is not JSON: {exc.msg}") from exc


def configured(settings: Settings | None = None) -> bool:
    return bool((settings or get_settings()).llm_base_url)


def tokens_used_today(session: Session, *, now: datetime | None = None) -> int:
    settings = get_settings()
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    total = session.scalar(
        select(func.coalesce(func.sum(LlmCall.prompt_tokens + LlmCall.completion_tokens), 0)).where(
            LlmCall.created_at >= start, LlmCall.created_at < start + timedelta(days=1)
        )
    )
    return int(total or 0)


def chat(
    session: Session,
    *,
    messages: list[dict[str, str]],
    purpose: str,
    max_tokens: int | None = None,
    temperature: float = 0.2,
    json_mode: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Completion:
    """Ask the configured model; record the call; raise LlmUnavailable instead of failing the caller."""
    settings = get_settings()
    if not settings.llm_base_url:
        raise LlmUnavailable("not configured")
    used = tokens_used_today(session)
    if used >= settings.llm_daily_token_budget:
        _record(
            session,
            purpose,
            settings.llm_model,
            LlmCallStatus.refused,
            error=f"daily budget spent ({used} tokens)",
        )
        raise LlmUnavailable("daily token budget spent")
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "messages": messages,
        "temperature": temperature,
        "max_tokens": min(max_tokens or settings.llm_max_tokens, settings.llm_max_tokens),
    }
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    headers = {"Content-Type": "application/json"}
    if settings.llm_api_key:
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    url = settings.llm_base_url.rstrip("/") + "/chat/completions"
    started = time.perf_counter()
    error = "no attempt"
    attempts = 0
    with httpx.Client(timeout=settings.llm_timeout_seconds, transport=transport) as client:
        for attempt in range(settings.llm_max_retries + 1):
            attempts = attempt + 1
            if attempt:
                time.sleep(min(settings.llm_retry_backoff_seconds * 2 ** (attempt - 1), 8.0))
            try:
                response = client.post(url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code in _RETRY_STATUS:
                error = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
                break
            try:
                data = response.json()
                text = data["choices"][0]["message"]["content"] or ""
                usage = data.get("usage") or {}
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                error = f"malformed reply: {exc}"
                break
            latency = int((time.perf_counter() - started) * 1000)
            completion = Completion(
                text=text,
                model=str(data.get("model") or settings.llm_model),
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                latency_ms=latency,
            )
            completion.call_id = _record(
                session,
                purpose,
                completion.model,
                LlmCallStatus.ok,
                completion.prompt_tokens,
                completion.completion_tokens,
                latency,
                attempts,
            )
            return completion
    latency = int((time.perf_counter() - started) * 1000)
    log.warning("LLM call for %s failed after %d attempt(s): %s", purpose, attempts, error)
    _record(
        session,
        purpose,
        settings.llm_model,
        LlmCallStatus.error,
        latency_ms=latency,
        attempts=attempts,
        error=error,
    )
    raise LlmUnavailable(error)


def _record(
    session: Session,
    purpose: str,
    model: str,
    status: LlmCallStatus,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_ms: int = 0,
    attempts: int = 1,
    error: str | None = None,
) -> int:
    # in its own savepoint: a failed log write must not undo the caller's work
    call = LlmCall(
        purpose=purpose,
        model=model,
        status=status,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_ms=latency_ms,
        attempts=attempts,
        error=error,
    )
    with session.begin_nested():
        session.add(call)
    return call.id


def judged(session: Session, completion: Completion, *, passed: bool, reason: str | None = None) -> None:
    """Keep what the checks made of a reply with its call, for the audit of what was shown and why."""
    if completion.call_id is None:
        return
    with session.begin_nested():
        call = session.get(LlmCall, completion.call_id)
        if call is not None:
            call.verdict = LlmVerdict.passed if passed else LlmVerdict.withheld
            call.verdict_reason = (reason or None) and reason[:2000]
