"""Admin from the console: users, calendar, SLA rules, routing and org files, KB files, models — each
through the real service, a bad file or value refused with its reason and nothing changed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.models import User
from hotline.demo.seed import demo_path
from hotline.dispatch import routing
from hotline.dispatch.registry import CATEGORY
from hotline.kb.models import Article
from hotline.nlp import registry as model_registry
from hotline.sla.models import CalendarDay, SlaRule
from tests.web.test_pages import login


def flashes(html: str) -> list[str]:
    return re.findall(r'<div class="flash[^"]*" role="[a-z]+">([^<]+)</div>', html)


def test_admin_only(client: TestClient) -> None:
    token = login(client, "dispatcher")
    assert client.get("/ui/admin").status_code == 403
    assert client.post("/ui/admin/users", data={"csrf": token, "username": "x"}).status_code == 403


def test_users_calendar_and_sla(client: TestClient, db: Session) -> None:
    token = login(client, "admin")
    r = client.post(
        "/ui/admin/users",
        data={
            "csrf": token,
            "username": "new_handler",
            "display_name": "新经办人",
            "role": "handler",
            "department_code": "ZJJ",
            "password": "long enough 1",
        },
    )
    assert "用户 new_handler 已创建" in flashes(r.text)
    assert db.scalar(select(User).where(User.username == "new_handler")) is not None
    r = client.post(
        "/ui/admin/users",
        data={"csrf": token, "username": "x y", "display_name": "", "role": "handler", "password": "short"},
    )
    assert any("username" in f for f in flashes(r.text))
    r = client.post(
        "/ui/admin/calendar", data={"csrf": token, "day": "2027-01-01", "is_workday": "0", "name": "元旦"}
    )
    assert "节假日调整已保存" in flashes(r.text)
    assert db.scalar(select(CalendarDay).where(CalendarDay.name == "元旦")) is not None
    r = client.post("/ui/admin/calendar", data={"csrf": token, "day": "someday", "is_workday": "0"})
    assert any("day" in f for f in flashes(r.text))
    rules = len(list(db.scalars(select(SlaRule))))
    r = client.post(
        "/ui/admin/sla",
        data={
            "csrf": token,
            "name": "举报加急",
            "request_type": "report",
            "urgency": "urgent",
            "sign_amount": "1",
            "sign_unit": "working_hours",
            "handle_amount": "3",
            "handle_unit": "working_days",
        },
    )
    assert "时限规则已添加" in flashes(r.text)
    r = client.post(
        "/ui/admin/sla",
        data={
            "csrf": token,
            "name": "坏规则",
            "sign_amount": "-1",
            "sign_unit": "weeks",
            "handle_amount": "1",
            "handle_unit": "working_days",
        },
    )
    assert flashes(r.text) and "sign" in flashes(r.text)[0]
    assert len(list(db.scalars(select(SlaRule)))) == rules + 1


def test_files_are_checked_whole(client: TestClient, db: Session) -> None:
    token = login(client, "admin")
    routing.import_rules(db, path=demo_path("routing.csv"), actor="test")
    db.commit()
    before = routing.export_rules(db)
    bad = "category,area_code,department_code,local_kind,co_department_codes,priority,note\n城乡建设,,NOPE,,,0,坏行\n"
    r = client.post(
        "/ui/admin/routing", data={"csrf": token}, files={"file": ("routing.csv", bad.encode(), "text/csv")}
    )
    assert flashes(r.text) and "NOPE" in flashes(r.text)[0]
    assert routing.export_rules(db) == before  # nothing changed
    exported = client.get("/ui/admin/routing.csv")
    assert exported.status_code == 200 and exported.text.replace("\r\n", "\n") == before.replace("\r\n", "\n")
    r = client.post(
        "/ui/admin/kb",
        data={"csrf": token, "publish": "on"},
        files={"file": ("guide.md", "# 居住证办理\n\n携带身份证到社区办理。".encode(), "text/markdown")},
    )
    assert "知识库：新增 1 篇" in flashes(r.text)[0]
    assert db.scalar(select(Article).where(Article.title == "居住证办理")) is not None
    org = "code,name,level,parent_code\nMH-NEW,新区,district,MH\n"
    r = client.post(
        "/ui/admin/org", data={"csrf": token}, files={"file": ("areas.csv", org.encode(), "text/csv")}
    )
    assert "组织机构已导入" in flashes(r.text)[0]


def test_models_train_evaluate_roll_back(client: TestClient, db: Session) -> None:
    token = login(client, "admin")
    r = client.post("/ui/admin/models/rollback", data={"csrf": token})
    assert flashes(r.text)  # nothing to roll back to: said so
    sample = demo_path("demo_messages.csv").read_bytes()
    form = {
        "csrf": token,
        "source": "file",
        "text_columns": "留言主题,留言详情",
        "label_column": "一级分类",
        "activate": "on",
    }
    r = client.post("/ui/admin/models/train", data=form, files={"file": ("sample.csv", sample, "text/csv")})
    assert "模型 v1 训练完成" in flashes(r.text)[0], flashes(r.text)
    r = client.post("/ui/admin/models/train", data=form, files={"file": ("sample.csv", sample, "text/csv")})
    assert "v2" in flashes(r.text)[0]
    r = client.post(
        "/ui/admin/models/evaluate", data=form, files={"file": ("sample.csv", sample, "text/csv")}
    )
    assert "v2 在 389 条上" in flashes(r.text)[0]
    r = client.post("/ui/admin/models/rollback", data={"csrf": token})
    assert "已回滚到 v1" in flashes(r.text)[0]
    active = model_registry.active_version(db, kind=CATEGORY)
    assert active is not None and active.version == 1
    r = client.post(
        "/ui/admin/models/train",
        data={**form, "label_column": "没有这列"},
        files={"file": ("sample.csv", sample, "text/csv")},
    )
    assert "没有这列" in flashes(r.text)[0]
