"""The console's account page and the administrator's user actions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from tests.factories import PASSWORD
from tests.web.test_pages import csrf_of, login

NEW = "湖边的柳树又绿了2026"


def test_a_user_changes_their_password_and_is_signed_out_everywhere(client: TestClient, db: Session) -> None:
    token = login(client, "leader")
    page = client.get("/ui/account")
    assert page.status_code == 200 and "修改密码" in page.text and "API 令牌" in page.text
    token = csrf_of(page.text)
    r = client.post(
        "/ui/account/password",
        data={
            "csrf": token,
            "current_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": "other",
        },
    )
    assert "两次输入的新密码不一致" in r.text
    r = client.post(
        "/ui/account/password",
        data={"csrf": token, "current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    assert client.get("/ui/dashboard", follow_redirects=False).status_code == 303
    ok = client.post("/api/v1/auth/token", json={"username": "leader", "password": NEW})
    assert ok.status_code == 200


def test_an_admin_deactivates_and_reactivates_a_user_from_the_console(
    client: TestClient, db: Session
) -> None:
    token = login(client, "admin")
    admin = client.get("/ui/admin")
    assert "停用" in admin.text and "重设密码" in admin.text and "强制下线" in admin.text
    user = db.query(User).filter_by(username="cgj").one()
    r = client.post(f"/ui/admin/users/{user.id}/active", data={"csrf": token, "active": "false"})
    assert "已停用" in r.text
    assert (
        client.post("/api/v1/auth/token", json={"username": "cgj", "password": PASSWORD}).status_code == 401
    )
    r = client.post(f"/ui/admin/users/{user.id}/password", data={"csrf": token, "new_password": "abc"})
    assert "至少需要 10 个字符" in r.text
    r = client.post(f"/ui/admin/users/{user.id}/active", data={"csrf": token, "active": "true"})
    assert (
        client.post("/api/v1/auth/token", json={"username": "cgj", "password": PASSWORD}).status_code == 200
    )
