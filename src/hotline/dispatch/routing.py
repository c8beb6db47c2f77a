"""The routing table (派单目录): category × area → lead department and co-handlers.

The most specific active rule wins: deeper category first, then deeper area, then priority. A rule
names a department, or a kind of local unit (属地: the street office serving the ticket's area)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.categories.models import Category
from hotline.categories.service import get_category
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch.models import RoutingRule
from hotline.dispatch.schemas import RoutingRuleIn
from hotline.errors import InvalidInput, NotFound
from hotline.i18n import translate
from hotline.org import service as org_service
from hotline.org.enums import DepartmentKind
from hotline.org.models import Area, Department
from hotline.spreadsheets import csv_rows


@dataclass
class Route:
    department_id: int
    department_code: str
    department_name: str
    co_department_ids: list[int]
    rule_id: int
    rule: str  # readable: "城乡建设 × 全市 → 市住房和城乡建设局"


def _ancestor_ids(session: Session, category: Category) -> list[int]:
    """The category and its ancestors, deepest first (found through the parent links)."""
    out = [category.id]
    parent_id = category.parent_id
    while parent_id is not None and parent_id not in out:
        out.append(parent_id)
        parent = session.get(Category, parent_id)  # identity map: no query after the first time
        parent_id = parent.parent_id if parent is not None else None
    return out


def load_rules(session: Session) -> list[RoutingRule]:
    """Every active rule (one query), to resolve several categories against."""
    return list(session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True))))


def _area_ids(area: Area | None) -> list[int]:
    """The area and its ancestors, deepest first."""
    if area is None:
        return []
    return [int(x) for x in reversed(area.path.strip("/").split("/")) if x]


def resolve(
    session: Session, *, category_id: int, area_id: int | None, rules: list[RoutingRule] | None = None
) -> Route | None:
    """Return the department the table sends this category in this area to, or None. `rules` is the
    active table when the caller already loaded it (load_rules)."""
    category = session.get(Category, category_id)
    if category is None:
        return None
    area = session.get(Area, area_id) if area_id is not None else None
    cat_ids = _ancestor_ids(session, category)
    area_ids = _area_ids(area)
    if rules is None:
        rules = list(
            session.scalars(
                select(RoutingRule).where(RoutingRule.active.is_(True), RoutingRule.category_id.in_(cat_ids))
            )
        )
    rules = [r for r in rules if r.category_id in cat_ids]

    def rank(rule: RoutingRule) -> tuple[int, int, int]:
        cat_rank = len(cat_ids) - cat_ids.index(rule.category_id)
        area_rank = 0 if rule.area_id is None else len(area_ids) - area_ids.index(rule.area_id)
        return (cat_rank, area_rank, rule.priority)

    candidates = [r for r in rules if r.area_id is None or r.area_id in area_ids]
    for rule in sorted(candidates, key=rank, reverse=True):
        dept = _target(session, rule, area)
        if dept is not None:
            return Route(
                department_id=dept.id,
                department_code=dept.code,
                department_name=dept.name,
                co_department_ids=list(rule.co_department_ids or []),
                rule_id=rule.id,
                rule=describe(session, rule, dept),
            )
    return None


def _target(session: Session, rule: RoutingRule, area: Area | None) -> Department | None:
    if rule.department_id is not None:
        dept = session.get(Department, rule.department_id)
        return dept if dept is not None and dept.active else None
    if rule.local_kind and area is not None:
        for dept in org_service.departments_serving(session, area_id=area.id):
            if dept.kind == rule.local_kind:
                return dept
    return None


def describe(session: Session, rule: RoutingRule, dept: Department | None = None) -> str:
    category = session.get(Category, rule.category_id)
    area = session.get(Area, rule.area_id) if rule.area_id else None
    if dept is None and rule.department_id is not None:
        dept = session.get(Department, rule.department_id)
    target = dept.name if dept is not None else (f"属地{rule.local_kind}" if rule.local_kind else "?")
    return (
        f"{category.full_name if category else rule.category_id} × {area.name if area else '全域'} → {target}"
    )


def list_rules(session: Session, *, active_only: bool = False, limit: int | None = None) -> list[RoutingRule]:
    """The routing table: every rule by category, or the active ones, the highest priority first."""
    stmt = select(RoutingRule)
    if active_only:
        stmt = stmt.where(RoutingRule.active.is_(True)).order_by(RoutingRule.priority.desc(), RoutingRule.id)
    else:
        stmt = stmt.order_by(RoutingRule.category_id, RoutingRule.id)
    return list(session.scalars(stmt.limit(limit)))


def upsert_rule(
    session: Session, *, data: RoutingRuleIn, actor: str | None, now: datetime | None = None
) -> RoutingRule:
    """Create the rule for (category, area), or replace its target if one exists."""
    category = get_category(session, code_or_name=data.category)
    area = org_service.get_area_by_code(session, code=data.area_code) if data.area_code else None
    dept = (
        org_service.get_department_by_code(session, code=data.department_code)
        if data.department_code
        else None
    )
    if (dept is None) == (data.local_kind is None):
        raise InvalidInput("routing_target_required")
    if data.local_kind is not None:
        DepartmentKind(data.local_kind)
    cos = [org_service.get_department_by_code(session, code=c).id for c in data.co_department_codes]
    rule = session.scalar(
        select(RoutingRule).where(
            RoutingRule.category_id == category.id,
            RoutingRule.area_id.is_(None) if area is None else RoutingRule.area_id == area.id,
        )
    )
    if rule is None:
        rule = RoutingRule(category_id=category.id, area_id=area.id if area else None)
        session.add(rule)
    rule.department_id = dept.id if dept else None
    rule.local_kind = data.local_kind
    rule.co_department_ids = cos
    rule.priority = data.priority
    rule.active = data.active
    rule.note = data.note
    rule.updated_at = now or utcnow()
    rule.updated_by = actor
    session.flush()
    return rule


def deactivate_rule(session: Session, *, rule_id: int, actor: str | None) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("routing_rule_not_found", id=rule_id)
    rule.active = False
    rule.updated_at = utcnow()
    rule.updated_by = actor
    return rule


CSV_COLUMNS = (
    "category",
    "area_code",
    "department_code",
    "local_kind",
    "co_department_codes",
    "priority",
    "note",
)


def parse_routing_csv(text: str) -> list[RoutingRuleIn]:
    """Read a routing table CSV (columns CSV_COLUMNS; co-handlers separated by ';')."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"category"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput("routing_csv_columns", missing=", ".join(sorted(missing)))
    rules = []
    for line, row in enumerate(reader, start=2):
        try:
            rules.append(
                RoutingRuleIn(
                    category=row["category"].strip(),
                    area_code=(row.get("area_code") or "").strip() or None,
                    department_code=(row.get("department_code") or "").strip() or None,
                    local_kind=(row.get("local_kind") or "").strip() or None,
                    co_department_codes=[
                        c for c in (row.get("co_department_codes") or "").split(";") if c.strip()
                    ],
                    priority=int(row.get("priority") or 0),
                    note=(row.get("note") or "").strip() or None,
                )
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInput("routing_csv_row", line=line, reason=str(exc)) from exc
    return rules


def import_rules(session: Session, *, path: Path, actor: str | None) -> int:
    """Upsert every rule of a routing CSV; all or nothing (the caller's transaction)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    rules = parse_routing_csv(text)
    for line, data in enumerate(rules, start=2):
        try:
            upsert_rule(session, data=data, actor=actor)
        except (NotFound, InvalidInput) as exc:
            reason = translate(exc.message_key, get_settings().default_language, **exc.params)
            raise InvalidInput("routing_csv_row", line=line, reason=reason) from exc
    return len(rules)


def export_rules(session: Session) -> str:
    """Write the active routing table as CSV (the import format), cells safe for a spreadsheet."""
    rows: list[list[Any]] = []
    for rule in list_rules(session):
        if not rule.active:
            continue
        category = session.get(Category, rule.category_id)
        area = session.get(Area, rule.area_id) if rule.area_id else None
        dept = session.get(Department, rule.department_id) if rule.department_id else None
        cos = [
            d.code
            for d in session.scalars(
                select(Department).where(Department.id.in_(rule.co_department_ids or []))
            )
        ]
        rows.append(
            [
                category.full_name if category else "",
                area.code if area else "",
                dept.code if dept else "",
                rule.local_kind or "",
                ";".join(cos),
                rule.priority,
                rule.note or "",
            ]
        )
    return "".join(csv_rows(CSV_COLUMNS, rows, bom=False))
