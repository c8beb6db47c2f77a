"""The routing table: the most specific rule wins; local rules find the unit serving the area."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.categories.service import get_category
from hotline.dispatch import routing
from hotline.dispatch.models import RoutingRule
from hotline.dispatch.schemas import RoutingRuleIn
from hotline.errors import InvalidInput
from hotline.org import service as org_service


def _route(db: Session, category: str, area_code: str | None) -> str | None:
    cat = get_category(db, code_or_name=category)
    area_id = org_service.get_area_by_code(db, code=area_code).id if area_code else None
    found = routing.resolve(db, category_id=cat.id, area_id=area_id)
    return found.department_code if found else None


def test_deeper_category_wins(db: Session, routing_table: int) -> None:
    assert routing_table > 20
    assert _route(db, "城乡建设/安全生产/安全隐患", "MH-HB-HX-01") == "ZJJ"
    assert _route(db, "城乡建设/城市建设和市政管理/城管执法", "MH-HB-HX-01") == "CGJ"
    assert _route(db, "城乡建设/城市建设和市政管理/自来水供应", None) == "ZLS"


def test_area_rule_wins_inside_its_area_only(db: Session, routing_table: int) -> None:
    assert _route(db, "城乡建设/安全生产", "MH-QS-LY-02") == "QS-ZX"
    assert _route(db, "城乡建设/安全生产", "MH-XC-GX-01") == "ZJJ"


def test_local_rule_finds_the_street_office_serving_the_area(db: Session, routing_table: int) -> None:
    assert _route(db, "城乡建设/城市建设和市政管理/小区管理", "MH-HB-HX-02") == "HB-HX"
    assert _route(db, "城乡建设/城市建设和市政管理/小区管理", "MH-XC-NY-01") == "XC-NY"
    # with no area known, the local rule cannot apply and the next rule up answers
    assert _route(db, "城乡建设/城市建设和市政管理/小区管理", None) == "CGJ"
    assert _route(db, "民政", "MH-XC-GX-01") == "XC-ZX"
    assert _route(db, "民政", None) is None


def test_co_handlers_come_with_the_rule(db: Session, routing_table: int) -> None:
    cat = get_category(db, code_or_name="城乡建设/城市建设和市政管理/小区管理")
    area = org_service.get_area_by_code(db, code="MH-HB-HX-01")
    found = routing.resolve(db, category_id=cat.id, area_id=area.id)
    assert found is not None
    zjj = org_service.get_department_by_code(db, code="ZJJ")
    assert found.co_department_ids == [zjj.id]
    assert "小区管理" in found.rule and "湖心街道" in found.rule


def test_upsert_replaces_and_deactivate_falls_back(db: Session, routing_table: int) -> None:
    rule = routing.upsert_rule(db, data=RoutingRuleIn(category="环境保护", department_code="CGJ"), actor="t")
    assert _route(db, "环境保护/其他", None) == "CGJ"
    routing.deactivate_rule(db, rule_id=rule.id, actor="t")
    assert _route(db, "环境保护/其他", None) is None


def test_a_rule_needs_exactly_one_target(db: Session) -> None:
    for data in (
        RoutingRuleIn(category="环境保护"),
        RoutingRuleIn(category="环境保护", department_code="STJ", local_kind="street_office"),
    ):
        with pytest.raises(InvalidInput) as err:
            routing.upsert_rule(db, data=data, actor="t")
        assert err.value.message_key == "routing_target_required"


def test_bad_csv_writes_nothing(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "routing.csv"
    path.write_text(
        "category,area_code,department_code\n环境保护,,STJ\n环境保护/其他,,NO-SUCH-DEPT\n", encoding="utf-8"
    )
    before = db.scalar(select(func.count()).select_from(RoutingRule))
    with pytest.raises(InvalidInput) as err, db.begin_nested():
        routing.import_rules(db, path=path, actor="t")
    assert err.value.message_key == "routing_csv_row"
    assert err.value.params["line"] == 3 and "NO-SUCH-DEPT" in err.value.params["reason"]
    assert db.scalar(select(func.count()).select_from(RoutingRule)) == before


def test_export_imports_back_to_the_same_table(db: Session, routing_table: int, tmp_path: Path) -> None:
    exported = routing.export_rules(db)
    path = tmp_path / "again.csv"
    path.write_text(exported, encoding="utf-8")
    count = db.scalar(select(func.count()).select_from(RoutingRule))
    assert routing.import_rules(db, path=path, actor="t") == routing_table
    assert db.scalar(select(func.count()).select_from(RoutingRule)) == count
    assert routing.export_rules(db) == exported
