"""Rate limits on public endpoints: the limit is kept, the refusal says when to come back, and with
Redis as the store two API processes share one count (a real Redis at 127.0.0.1:6379)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import create_app
from hotline.config import get_settings


@pytest.fixture
def limited() -> Iterator[None]:
    s = get_settings()
    saved = (s.rate_limit_public, s.rate_limit_login, s.rate_limit_storage)
    s.rate_limit_public, s.rate_limit_login = "3/minute", "2/minute"
    yield
    s.rate_limit_public, s.rate_limit_login, s.rate_limit_storage = saved


def test_public_submissions_are_limited_per_client(
    session_maker: sessionmaker[Session], limited: None
) -> None:
    client = TestClient(create_app(session_factory=session_maker))
    body = {"content": "小区路灯坏了，请维修", "request_type": "help"}
    codes = [client.post("/api/v1/public/tickets", json=body).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    r = client.post("/api/v1/public/tickets", json=body, headers={"Accept-Language": "zh-CN"})
    assert (
        r.status_code == 429
        and int(r.headers["retry-after"]) >= 1
        and "请求过于频繁" in r.json()["error"]["message"]
    )
    assert (
        client.post("/api/v1/public/tickets/20990101-000001/track", json={"code": "x"}).status_code == 404
    )  # tracking look-ups have a limit of their own (HOTLINE_RATE_LIMIT_TRACK)


def test_sign_in_attempts_are_limited(session_maker: sessionmaker[Session], limited: None) -> None:
    client = TestClient(create_app(session_factory=session_maker))
    bad = {"username": "operator", "password": "guess"}
    codes = [client.post("/api/v1/auth/token", json=bad).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


# a database of the Redis server per test run (make test runs the SQLite and PostgreSQL suites side by side)
REDIS = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_processes_share_the_count_through_redis(session_maker: sessionmaker[Session], limited: None) -> None:
    get_settings().rate_limit_storage = REDIS
    from limits.storage import storage_from_string

    storage_from_string(REDIS).reset()  # a clean count for this test
    one = TestClient(create_app(session_factory=session_maker))
    two = TestClient(create_app(session_factory=session_maker))
    bad = {"username": f"nobody-{uuid.uuid4().hex[:6]}", "password": "guess"}
    assert one.post("/api/v1/auth/token", json=bad).status_code == 401
    assert two.post("/api/v1/auth/token", json=bad).status_code == 401
    assert one.post("/api/v1/auth/token", json=bad).status_code == 429  # the third try, across both
