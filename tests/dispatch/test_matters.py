"""The matter list (派单目录) as data: the demo list, import errors that name the line and the field,
CSV and XLSX round trips, versions and revisions, switching a matter off, and the API and CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.demo.seed import demo_path
from hotline.dispatch import matters
from hotline.dispatch.models import Matter, MatterRevision
from hotline.dispatch.schemas import MatterIn
from hotline.errors import InvalidInput
from hotline.i18n import translate
from hotline.org.enums import DepartmentKind
from hotline.org.models import Department
from tests.conftest import principal_token
from tests.factories import Actors

HEADER = "code,name,description,examples,keywords,category,department_code,local_kind,co_department_codes,area_code,basis,demo\n"
LAMP = "T-01,路灯不亮,路灯损坏,路灯坏了|晚上没灯,路灯、灯杆,城乡建设,CGJ,,,,演示依据,1\n"


def _write(tmp_path: Path, body: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _message(exc: pytest.ExceptionInfo[InvalidInput], lang: str = "zh") -> str:
    return translate(exc.value.message_key, lang, **exc.value.params)


def test_the_demo_list_covers_every_demo_department(db: Session, matter_list_ready: int) -> None:
    rows = matters.list_matters(db)
    assert len(rows) >= 80
    handled = {m.department_id for m in rows if m.department_id}
    functional = db.scalars(
        select(Department).where(Department.kind.in_([DepartmentKind.functional, DepartmentKind.enterprise]))
    ).all()
    assert functional and all(d.id in handled for d in functional), [
        d.name for d in functional if d.id not in handled
    ]
    assert any(m.local_kind == DepartmentKind.street_office for m in rows)  # 属地 matters
    assert all(m.basis and m.examples and m.demo for m in rows)  # every basis marked as a demo text


def test_a_bad_line_refuses_the_whole_file_naming_the_line_and_the_field(db: Session, tmp_path: Path) -> None:
    before = db.scalar(select(func.count(Matter.id)))
    bad = LAMP + "T-02,乱停车,违停,车乱停,违停,没有这个分类,GAJ,,,,依据,1\n"
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=_write(tmp_path, bad), actor="test")
    message = _message(exc)
    assert "第 3 行" in message and "category" in message and "整个文件未导入" in message
    assert "Line 3" in _message(exc, "en")
    assert db.scalar(select(func.count(Matter.id))) == before  # not even the good first line
    assert matters.current_version(db) == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("T-03,没人管,描述,例子,词,城乡建设,,,,,依据,1\n", "department_code/local_kind"),  # no unit
        ("T-04,属地,描述,例子,词,城乡建设,,township,,,依据,1\n", "local_kind"),  # no such kind
        ("T-05,协办,描述,例子,词,城乡建设,CGJ,,NOPE,,依据,1\n", "co_department_codes"),
        ("T-06,区域,描述,例子,词,城乡建设,CGJ,,,MH-NOWHERE,依据,1\n", "area_code"),
        (LAMP.replace("路灯不亮", ""), "name"),
        (LAMP + LAMP, "code"),  # the same code twice
    ],
)
def test_each_kind_of_bad_line_names_its_field(db: Session, tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=_write(tmp_path, body), actor="test")
    assert expected in _message(exc), _message(exc)


def test_files_that_are_not_a_matter_list_are_refused(db: Session, tmp_path: Path) -> None:
    other = tmp_path / "m.txt"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=other, actor="test")
    assert "CSV 或 XLSX" in _message(exc)
    no_name = tmp_path / "cols.csv"
    no_name.write_text("code,department_code\nT-1,CGJ\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=no_name, actor="test")
    assert "name" in _message(exc)


def test_csv_and_xlsx_exports_read_back_unchanged(
    db: Session, matter_list_ready: int, tmp_path: Path
) -> None:
    csv_path = tmp_path / "out.csv"
    csv_path.write_text(matters.export_csv(db), encoding="utf-8")
    again = matters.import_file(db, path=csv_path, actor="test")
    assert again.version is None and again.unchanged == len(matters.list_matters(db))
    xlsx_path = tmp_path / "out.xlsx"
    xlsx_path.write_bytes(matters.export_xlsx(db))
    assert matters.read_file(xlsx_path) == matters.read_file(csv_path)
    original = sorted(matters.read_file(demo_path("matters.csv")), key=lambda m: m.code)
    assert matters.read_file(csv_path) == original


def test_an_edit_makes_a_revision_and_a_new_version(db: Session, matter_list_ready: int) -> None:
    snap = matters.snapshot(db, matters.get(db, code="CG-01"))
    lamp = MatterIn.model_validate({k: v for k, v in snap.items() if k in MatterIn.model_fields})
    changed = lamp.model_copy(update={"examples": [*lamp.examples, "小区外面马路上的路灯一闪一闪的"]})
    row = matters.save(db, data=changed, actor="admin")
    assert row.revision == 2 and matters.current_version(db) == matter_list_ready + 1
    kept = db.scalars(
        select(MatterRevision).where(MatterRevision.matter_id == row.id).order_by(MatterRevision.revision)
    ).all()[-1]
    assert kept.catalog_version == matter_list_ready + 1 and kept.changed_by == "admin"
    assert kept.snapshot["department_code"] == "CGJ"  # codes, never database ids
    assert matters.save(db, data=changed, actor="admin").revision == 2  # nothing changed: no revision


def test_a_switched_off_matter_is_not_found_any_more(db: Session, matter_list_ready: int) -> None:
    from hotline.dispatch import service

    text = "我们小区门口的路灯坏了一个星期了，晚上黑乎乎的"
    assert service.suggest(db, title="", content=text).matter.code == "CG-01"  # type: ignore[union-attr]
    matters.deactivate(db, code="CG-01", actor="admin")
    after = service.suggest(db, title="", content=text)
    assert after.matter is None or after.matter.code != "CG-01"
    assert after.catalog_version == matter_list_ready + 1


def test_the_api_lists_edits_imports_and_exports_by_code(
    client: TestClient, db: Session, actors: Actors, matter_list_ready: int
) -> None:
    admin = principal_token(db, actors.admin)
    dispatcher = principal_token(db, actors.dispatcher)
    listed = client.get("/api/v1/dispatch/matters", params={"q": "路灯"}, headers=dispatcher).json()
    assert [m["code"] for m in listed] == ["CG-01"] and listed[0]["department"] == "市城市管理局"
    one = client.get("/api/v1/dispatch/matters/CG-01", headers=dispatcher).json()
    body = {k: one[k] for k in MatterIn.model_fields if k in one}
    body["keywords"] = [*body["keywords"], "路灯杆"]
    assert client.put("/api/v1/dispatch/matters/CG-01", json=body, headers=dispatcher).status_code == 403
    r = client.put("/api/v1/dispatch/matters/CG-01", json=body, headers=admin)
    assert r.status_code == 200 and "路灯杆" in r.json()["keywords"] and r.json()["revision"] == 2
    wrong = client.put("/api/v1/dispatch/matters/CG-02", json=body, headers=admin)
    assert wrong.status_code == 422 and "不一致" in wrong.json()["error"]["message"]
    exported = client.get("/api/v1/dispatch/matters.csv", headers=dispatcher)
    assert exported.status_code == 200 and "CG-01,道路照明设施故障" in exported.text
    xlsx = client.get("/api/v1/dispatch/matters.xlsx", headers=dispatcher)
    assert xlsx.content[:2] == b"PK"
    bad = client.post(
        "/api/v1/dispatch/matters/import",
        files={
            "file": (
                "m.csv",
                (HEADER + "X-1,名称,描述,例子,词,城乡建设,NOPE,,,,依据,1\n").encode(),
                "text/csv",
            )
        },
        headers=admin,
    )
    assert bad.status_code == 422 and "第 2 行" in bad.json()["error"]["message"]
    ok = client.post(
        "/api/v1/dispatch/matters/import",
        files={"file": ("m.csv", (HEADER + LAMP).encode(), "text/csv")},
        headers=admin,
    )
    assert (
        ok.status_code == 200 and ok.json()["created"] == 1 and ok.json()["version"] == matter_list_ready + 2
    )
    gone = client.delete("/api/v1/dispatch/matters/T-01", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert client.get("/api/v1/dispatch/matters/NOPE", headers=dispatcher).status_code == 404


def test_lines_are_counted_as_in_the_file_and_a_damaged_xlsx_is_refused(db: Session, tmp_path: Path) -> None:
    body = LAMP + ",,,,,,,,,,,\n" + "T-02,乱停车,违停,车乱停,违停,没有这个分类,GAJ,,,,依据,1\n"
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=_write(tmp_path, body), actor="test")
    assert "第 4 行" in _message(exc)  # the blank third line still counts
    damaged = tmp_path / "m.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput) as exc:
        matters.import_file(db, path=damaged, actor="test")
    assert "无法读取文件 m.xlsx" in _message(exc)


def test_an_example_may_hold_a_semicolon(db: Session, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "T-01,路灯不亮,路灯损坏,路灯坏了；晚上很黑|灯杆歪了,路灯,城乡建设,CGJ,,,,依据,1\n"
    )
    assert matters.read_file(path)[0].examples == ["路灯坏了；晚上很黑", "灯杆歪了"]
