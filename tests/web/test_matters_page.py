"""The matter list in the console: listed by name with its unit and basis, edited by code in a form
whose units and areas are chosen by name, imported and exported, a bad edit or file refused with its
reason and nothing changed, returns reviewed per matter; administrators only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.dispatch import matters
from tests.web.test_admin import flashes
from tests.web.test_pages import login

HEADER = "code,name,description,examples,keywords,category,department_code,local_kind,co_department_codes,area_code,basis,demo\n"


@pytest.fixture
def listed(matter_list: int) -> int:
    return matter_list


def test_administrators_only(client: TestClient) -> None:
    login(client, "dispatcher")
    assert client.get("/ui/admin/matters").status_code == 403


def test_the_list_shows_names_units_and_bases_never_ids(client: TestClient, listed: int) -> None:
    login(client, "admin")
    page = client.get("/ui/admin/matters").text
    assert "道路照明设施故障" in page and "市城市管理局" in page and "属地：街道办事处/乡镇" in page
    assert "《明湖市城市管理局职能配置" in page and "演示" in page
    assert "派单异议复核" in page and "暂无按事项派出后被退回的工单" in page  # the review, empty so far
    found = client.get("/ui/admin/matters", params={"q": "路灯"}).text
    assert "道路照明设施故障" in found and "占道经营" not in found


def test_edit_by_code_in_a_form_and_a_bad_edit_is_refused(
    client: TestClient, db: Session, listed: int
) -> None:
    token = login(client, "admin")
    form = client.get("/ui/admin/matters", params={"code": "CG-01"}).text
    assert 'value="CG-01"' in form and "路灯坏了晚上看不见" in form
    data = {
        "csrf": token,
        "code": "CG-01",
        "name": "道路照明设施故障",
        "description": "路灯不亮、灯杆损坏",
        "examples": "路灯坏了晚上看不见\n小区外面马路上的路灯一闪一闪的",
        "keywords": "路灯、灯杆",
        "category": "城乡建设/城市建设和市政管理/城市公共设施",
        "target": "CGJ",
        "co_department_codes": ["JTJ"],
        "basis": "演示依据",
        "demo": "1",
    }
    r = client.post("/ui/admin/matters/save", data=data)
    assert "事项 CG-01 已保存" in flashes(r.text)
    saved = matters.snapshot(db, matters.get(db, code="CG-01"))
    assert saved["examples"][1] == "小区外面马路上的路灯一闪一闪的" and saved["co_department_codes"] == [
        "JTJ"
    ]
    assert saved["revision"] == 2
    r = client.post("/ui/admin/matters/save", data={**data, "category": "没有这个分类", "name": "改名"})
    assert any("分类" in f for f in flashes(r.text))
    assert matters.get(db, code="CG-01").name == "道路照明设施故障"  # nothing changed
    r = client.post(
        "/ui/admin/matters/save", data={**data, "code": "LOC-99", "target": "local:street_office"}
    )
    assert "事项 LOC-99 已保存" in flashes(r.text)
    assert matters.get(db, code="LOC-99").local_kind == "street_office"
    r = client.post("/ui/admin/matters/deactivate", data={"csrf": token, "code": "LOC-99"})
    assert "事项 LOC-99 已停用" in flashes(r.text)


def test_import_and_export(client: TestClient, db: Session, listed: int) -> None:
    token = login(client, "admin")
    exported = client.get("/ui/admin/matters/export.csv")
    assert exported.status_code == 200 and "CG-01" in exported.content.decode("utf-8-sig")
    assert client.get("/ui/admin/matters/export.xlsx").content[:2] == b"PK"
    bad = HEADER + "X-1,名称,描述,例子,词,城乡建设,NOPE,,,,依据,1\n"
    r = client.post(
        "/ui/admin/matters/import", data={"csrf": token}, files={"file": ("m.csv", bad.encode(), "text/csv")}
    )
    assert any("第 2 行" in f and "整个文件未导入" in f for f in flashes(r.text))
    good = HEADER + "X-1,古树名木保护,古树,老树快死了,古树,城乡建设,CGJ,,,,依据,1\n"
    r = client.post(
        "/ui/admin/matters/import", data={"csrf": token}, files={"file": ("m.csv", good.encode(), "text/csv")}
    )
    assert any("新增 1" in f for f in flashes(r.text))
    assert matters.get(db, code="X-1").name == "古树名木保护"
