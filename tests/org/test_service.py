"""Org tree: import from YAML and CSV, subtrees, who serves where, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.errors import InvalidInput, NotFound
from hotline.org import service
from hotline.org.enums import AreaLevel
from hotline.org.schemas import AreaIn, DepartmentIn


def test_demo_city_tree(db: Session) -> None:
    city = service.get_area_by_code(db, code="MH")
    grid = service.get_area_by_code(db, code="MH-HB-HX-01-G2")
    assert grid.level == AreaLevel.grid and service.is_within(grid, city)
    hb = service.get_area_by_code(db, code="MH-HB")
    subtree = service.list_areas(db, under_id=hb.id)
    assert subtree[0].id == hb.id and all(service.is_within(a, hb) for a in subtree)
    assert len(subtree) == 1 + 2 + 4 + 8  # district, streets, communities, grids


def test_departments_serving_nearest_first(db: Session) -> None:
    area = service.get_area_by_code(db, code="MH-HB-HX-01-G1")
    codes = [d.code for d in service.departments_serving(db, area_id=area.id)]
    assert codes.index("HB-HX-01") < codes.index("HB-HX") < codes.index("HB-ZX") < codes.index("ZJJ")
    assert "XC-ZX" not in codes


def test_department_subtree(db: Session) -> None:
    hb = service.get_department_by_code(db, code="HB-ZX")
    below = service.department_subtree_ids(db, department_id=hb.id)
    assert service.get_department_by_code(db, code="HB-HX-02").id in below
    assert service.get_department_by_code(db, code="XC-GX").id not in below


def test_csv_import_and_upsert(db: Session, tmp_path: Path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text(
        "code,name,level,parent_code\nMH-NEW,新区,district,MH\nMH-NEW-1,新区一街道,street,MH-NEW\n",
        encoding="utf-8",
    )
    depts = tmp_path / "departments.csv"
    depts.write_text(
        "code,name,kind,area_code,parent_code,serves\nNEW-ZX,新区分中心,area_center,MH-NEW,,MH-NEW;MH-NEW-1\n",
        encoding="utf-8",
    )
    r1 = service.import_org(db, org=service.parse_org_file(areas))
    r2 = service.import_org(db, org=service.parse_org_file(depts))
    assert (r1.areas_created, r2.departments_created) == (2, 1)
    again = service.import_org(db, org=service.parse_org_file(areas))
    assert (again.areas_created, again.areas_updated) == (0, 2)
    dept = service.get_department_by_code(db, code="NEW-ZX")
    assert len(dept.served_areas) == 2


def test_moving_an_area_moves_its_subtree(db: Session) -> None:
    service.upsert_area(
        db, data=AreaIn(code="MH-HB-HX", name="湖心街道", level=AreaLevel.street, parent_code="MH-XC")
    )
    grid = service.get_area_by_code(db, code="MH-HB-HX-01-G1")
    assert service.is_within(grid, service.get_area_by_code(db, code="MH-XC"))
    assert not service.is_within(grid, service.get_area_by_code(db, code="MH-HB"))


@pytest.mark.parametrize(
    "area",
    [
        AreaIn(
            code="BAD", name="错", level=AreaLevel.district, parent_code="MH-HB-HX"
        ),  # district under a street
        AreaIn(code="ORPHAN", name="孤", level=AreaLevel.street),  # no parent
    ],
)
def test_bad_areas_are_refused(db: Session, area: AreaIn) -> None:
    with pytest.raises(InvalidInput):
        service.upsert_area(db, data=area)


def test_unknown_references_are_refused(db: Session, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        service.upsert_department(db, data=DepartmentIn(code="X", name="X", area_code="NOPE"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("areas:\n  - code: Q\n    level: planet\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        service.parse_org_file(bad)
    with pytest.raises(InvalidInput):
        service.parse_org_file(tmp_path / "org.txt")
