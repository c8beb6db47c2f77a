"""Staff accounts: lock-out after failed passwords, sign-in limits that count only failures and are
not fooled by X-Forwarded-For, server-side console sessions that end at sign-out, password change and
deactivation, the password policy, token listing and revocation, and the audit trail of it all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hotline.accounts import service
from hotline.accounts.models import AccountEvent, User, WebSession
from hotline.app import create_app
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import InvalidInput, Unauthenticated
from hotline.http.clients import client_address
from tests.factories import PASSWORD, Actors
from tests.web.test_pages import csrf_of, login


@pytest.fixture
def limited() -> Iterator[None]:
    s = get_settings()
    saved = (s.rate_limit_login, s.rate_limit_storage, s.trusted_proxies)
    s.rate_limit_login, s.rate_limit_storage = "3/minute", "memory://"
    yield
    s.rate_limit_login, s.rate_limit_storage, s.trusted_proxies = saved


def _token(client: TestClient, username: str, password: str = PASSWORD, **headers: str) -> int:
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, headers=headers
    ).status_code


def test_an_account_is_locked_after_five_wrong_passwords(client: TestClient, db: Session) -> None:
    codes = [_token(client, "leader", "wrong password") for _ in range(5)]
    assert codes == [401] * 5
    r = client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD})
    # refused with the same words as a wrong password: a lock tells nobody the name exists
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody-here", "password": PASSWORD})
    assert unknown.json()["error"]["message"] == r.json()["error"]["message"]
    user = db.query(User).filter_by(username="leader").one()
    db.refresh(user)
    assert user.locked_until is not None
    kinds = [e.kind for e in db.query(AccountEvent).filter_by(user_id=user.id)]
    assert kinds.count("login_failed") == 5 and "locked" in kinds
    # once the lock has run out, the right password works again and the count starts afresh
    later = utcnow() + timedelta(minutes=get_settings().login_lockout_minutes + 1)
    assert service.authenticate(db, username="leader", password=PASSWORD, now=later).id == user.id


def test_an_unknown_username_costs_a_password_verification(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing tells nothing: an unknown name is checked against a dummy hash (argon2, as for a real one)."""
    calls: list[str] = []
    real = service.verify_dummy
    monkeypatch.setattr(service, "verify_dummy", lambda p: (calls.append(p), real(p))[1])
    with pytest.raises(Unauthenticated):
        service.authenticate(db, username="nobody-at-all", password="guess")
    assert calls == ["guess"]


def test_successful_sign_ins_are_not_limited(session_maker: sessionmaker[Session], limited: None) -> None:
    """A whole shift behind one address signs in: only failures count towards the limit."""
    client = TestClient(create_app(session_factory=session_maker))
    assert [_token(client, "operator") for _ in range(8)] == [200] * 8
    assert [_token(client, "dispatcher", "wrong one") for _ in range(4)] == [401, 401, 401, 429]


def test_a_forged_forwarded_for_does_not_escape_the_limit(
    session_maker: sessionmaker[Session], limited: None
) -> None:
    """Behind the centre's proxy (10.0.0.7), a client writing a new X-Forwarded-For each time is still
    one client: the proxy appends the address it saw, and only that right-most entry is believed
    (the old rule took the left-most, which the client writes)."""
    get_settings().trusted_proxies = ["10.0.0.7"]
    client = TestClient(create_app(session_factory=session_maker), client=("10.0.0.7", 4000))
    forged = [{"X-Forwarded-For": f"10.9.8.{i}, 198.51.100.23"} for i in range(5)]
    codes = [_token(client, "admin", "wrong one", **h) for h in forged]
    assert codes == [401, 401, 401, 429, 429]
    # another real client behind the same proxy has a count of its own
    assert _token(client, "admin", "wrong one", **{"X-Forwarded-For": "203.0.113.5"}) == 401


def test_ipv6_clients_are_counted_by_their_network() -> None:
    from hotline.http.ratelimit import limit_key

    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert limit_key("::ffff:198.51.100.7") == "198.51.100.7" and limit_key("198.51.100.7") == "198.51.100.7"


def test_a_wrong_current_password_counts_towards_the_lock(client: TestClient, db: Session) -> None:
    """A stolen token cannot be used to guess the real password without limit."""
    token = client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    for _ in range(5):
        r = client.post(
            "/api/v1/me/password",
            json={"current_password": "guess-guess", "new_password": "湖边的柳树又绿了2026"},
            headers=auth,
        )
        assert r.status_code == 422
    assert _token(client, "leader") == 401  # locked: even the right password is refused now


def test_the_client_is_the_right_most_address_not_a_proxy() -> None:
    get_settings().trusted_proxies = ["10.0.0.0/24", "127.0.0.1"]
    try:

        def scope(peer: str, forwarded: str | None) -> dict[str, object]:
            headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
            return {"client": (peer, 5000), "headers": headers}

        assert client_address(scope("10.0.0.7", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"  # forged left part
        assert client_address(scope("10.0.0.7", "203.0.113.9, 10.0.0.3")) == "203.0.113.9"  # two proxies
        assert client_address(scope("198.51.100.4", "1.2.3.4")) == "198.51.100.4"  # not from a proxy
        assert client_address(scope("10.0.0.7", None)) == "10.0.0.7"
    finally:
        get_settings().trusted_proxies = []


def _signed_in(client: TestClient, username: str) -> dict[str, str]:
    login(client, username)
    return dict(client.cookies)


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    client: TestClient, session_maker: sessionmaker[Session]
) -> None:
    cookies = _signed_in(client, "dispatcher")
    thief = TestClient(create_app(session_factory=session_maker), cookies=cookies)
    assert thief.get("/ui/tickets", follow_redirects=False).status_code == 200
    token = csrf_of(client.get("/ui/tickets").text)
    client.post("/ui/logout", data={"csrf": token})
    assert thief.get("/ui/tickets", follow_redirects=False).status_code == 303


def test_a_password_change_ends_every_session_and_token(
    client: TestClient, db: Session, session_maker: sessionmaker[Session]
) -> None:
    cookies = _signed_in(client, "operator")
    other = TestClient(create_app(session_factory=session_maker), cookies=cookies)
    bearer = client.post("/api/v1/auth/token", json={"username": "operator", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {bearer['access_token']}"}
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "蓝色的湖水映着十五的月光"},
        headers=auth,
    )
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert other.get("/ui/tickets", follow_redirects=False).status_code == 303
    assert _token(client, "operator") == 401 and _token(client, "operator", "蓝色的湖水映着十五的月光") == 200


def test_the_password_policy_says_what_is_wrong(db: Session, actors: Actors) -> None:
    assert actors.operator.user_id is not None
    for new, key in (
        ("short1", "password_too_short"),
        ("operator-2026-long", "password_has_username"),
        ("password1234", "password_common"),
        ("1234567890", "password_common"),
    ):
        with pytest.raises(InvalidInput) as caught:
            service.change_password(db, user_id=actors.operator.user_id, current=PASSWORD, new=new)
        assert caught.value.message_key == key


def test_an_admin_deactivates_a_user_and_their_access_ends(
    client: TestClient, db: Session, actors: Actors, session_maker: sessionmaker[Session]
) -> None:
    cookies = _signed_in(client, "zjj")
    theirs = TestClient(create_app(session_factory=session_maker), cookies=cookies)
    token = client.post("/api/v1/auth/token", json={"username": "zjj", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    admin = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}).json()
    admin_auth = {"Authorization": f"Bearer {admin['access_token']}"}
    user_id = actors.zjj.user_id
    listed = client.get(f"/api/v1/users/{user_id}/tokens", headers=admin_auth).json()
    assert listed and not listed[0]["revoked"] and "token_hash" not in listed[0]
    r = client.post(f"/api/v1/users/{user_id}/active", json={"active": False}, headers=admin_auth)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert theirs.get("/ui/inbox", follow_redirects=False).status_code == 303
    assert _token(client, "zjj") == 401
    r = client.post(f"/api/v1/users/{user_id}/active", json={"active": True}, headers=admin_auth)
    assert r.status_code == 200 and _token(client, "zjj") == 200
    # an admin resets a password (policy applies), and revokes one token
    r = client.post(f"/api/v1/users/{user_id}/password", json={"new_password": "123"}, headers=admin_auth)
    assert r.status_code == 422 and "至少" in r.json()["error"]["message"]
    kinds = {e["kind"] for e in client.get("/api/v1/audit/accounts", headers=admin_auth).json()}
    assert {"deactivated", "activated", "sessions_revoked"} <= kinds


def test_one_revokes_ones_own_token(client: TestClient) -> None:
    first = client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD}).json()
    second = client.post("/api/v1/auth/token", json={"username": "leader", "password": PASSWORD}).json()
    a = {"Authorization": f"Bearer {first['access_token']}"}
    b = {"Authorization": f"Bearer {second['access_token']}"}
    mine = client.get("/api/v1/me/tokens", headers=a).json()
    assert len(mine) >= 2
    newest = mine[0]["id"]
    assert client.delete(f"/api/v1/me/tokens/{newest}", headers=a).status_code == 204
    assert (
        client.get("/api/v1/me", headers=b).status_code == 401
        and client.get("/api/v1/me", headers=a).status_code == 200
    )


def test_a_session_idle_too_long_ends(client: TestClient, db: Session) -> None:
    cookies = _signed_in(client, "leader")
    assert cookies
    db.execute(
        update(WebSession).values(
            last_seen_at=utcnow() - timedelta(minutes=get_settings().session_idle_minutes + 1)
        )
    )
    db.commit()
    assert client.get("/ui/dashboard", follow_redirects=False).status_code == 303
