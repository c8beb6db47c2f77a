"""Login, tokens, password hashing, user creation rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.accounts import service
from hotline.accounts.enums import Role
from hotline.accounts.schemas import UserIn
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, Unauthenticated
from tests.factories import PASSWORD, Actors


def test_login_returns_a_working_token(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["user"]["role"] == "dispatcher"
    token = r.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "dispatcher"


def test_wrong_password_is_401_with_a_message(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["message"].startswith("用户名或密码错误")


def test_passwords_are_argon2_hashed(db: Session, actors: Actors) -> None:
    user = service.get_user(db, user_id=actors.operator.user_id or 0)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_expired_and_revoked_tokens_are_refused(db: Session, actors: Actors) -> None:
    user = service.get_user(db, user_id=actors.operator.user_id or 0)
    secret, _ = service.issue_token(db, user=user, ttl=timedelta(hours=1), now=utcnow() - timedelta(hours=2))
    with pytest.raises(Unauthenticated):
        service.principal_from_token(db, token=secret)
    live, _ = service.issue_token(db, user=user, ttl=timedelta(hours=1))
    assert service.principal_from_token(db, token=live).role == Role.operator
    service.revoke_token(db, token=live)
    with pytest.raises(Unauthenticated):
        service.principal_from_token(db, token=live)


def test_deactivated_user_loses_access(db: Session, actors: Actors) -> None:
    user = service.get_user(db, user_id=actors.leader.user_id or 0)
    secret, _ = service.issue_token(db, user=user, ttl=None)
    user.active = False
    with pytest.raises(Unauthenticated):
        service.principal_from_token(db, token=secret)
    with pytest.raises(Unauthenticated):
        service.authenticate(db, username=user.username, password=PASSWORD)


def test_user_rules(db: Session) -> None:
    with pytest.raises(InvalidInput):  # a handler needs a department
        service.create_user(
            db, data=UserIn(username="h1", display_name="h", password="x" * 8, role=Role.handler)
        )
    with pytest.raises(InvalidInput):
        service.create_user(
            db, data=UserIn(username="s1", display_name="s", password="x" * 8, role=Role.system)
        )
    with pytest.raises(Conflict):
        service.create_user(
            db, data=UserIn(username="operator", display_name="o", password="x" * 8, role=Role.operator)
        )


def test_area_centre_principal_carries_its_area(actors: Actors) -> None:
    assert actors.hb_center.area_path and actors.hb_center.department_id
    assert actors.hb_center.area_path != actors.xc_center.area_path
