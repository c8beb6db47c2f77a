"""The category tree loaded from the real taxonomy file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.categories import service
from hotline.demo.seed import demo_path
from hotline.errors import InvalidInput


def test_taxonomy_loaded_with_three_levels(db: Session) -> None:
    with demo_path("taxonomy.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    first = {r["一级分类"] for r in rows}
    assert {c.name for c in service.list_categories(db, level=1)} == first
    leaf = service.get_category(db, code_or_name="城乡建设/安全生产/事故处理")
    assert leaf.level == 3 and leaf.code.count(".") == 2
    parent = service.get_category(db, code_or_name=leaf.code.rsplit(".", 1)[0])
    assert parent.full_name == "城乡建设/安全生产" and leaf.parent_id == parent.id


def test_reimport_creates_nothing_and_keeps_codes(db: Session) -> None:
    before = {c.full_name: c.code for c in service.list_categories(db)}
    assert service.import_taxonomy(db) == 0
    assert {c.full_name: c.code for c in service.list_categories(db)} == before


def test_custom_columns_and_missing_columns(db: Session, tmp_path: Path) -> None:
    f = tmp_path / "cats.csv"
    f.write_text("L1,L2\n城乡建设,新二级\n新一级,子类\n", encoding="utf-8")
    assert service.import_taxonomy(db, path=f, level_columns=["L1", "L2"]) == 3
    assert service.get_category(db, code_or_name="新一级/子类").level == 2
    with pytest.raises(InvalidInput):
        service.import_taxonomy(db, path=f)
