"""Org tree rules and data access: areas, departments, what serves where, file import."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import InvalidInput, NotFound
from hotline.org.enums import AreaLevel
from hotline.org.models import Area, Department, DepartmentArea
from hotline.org.schemas import AreaIn, DepartmentIn, ImportReport, OrgImport

log = logging.getLogger(__name__)


def get_area(session: Session, *, area_id: int) -> Area:
    """Return an area or raise NotFound."""
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound("area_not_found", id=area_id)
    return area


def get_area_by_code(session: Session, *, code: str) -> Area:
    """Return the area with this code or raise NotFound."""
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound("area_not_found", id=code)
    return area


def get_department(session: Session, *, department_id: int) -> Department:
    """Return a department or raise NotFound."""
    dept = session.get(Department, department_id)
    if dept is None:
        raise NotFound("department_not_found", id=department_id)
    return dept


def get_department_by_code(session: Session, *, code: str) -> Department:
    """Return the department with this code or raise NotFound."""
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound("department_not_found", id=code)
    return dept


def list_areas(
    session: Session,
    *,
    under_id: int | None = None,
    active_only: bool = False,
    levels: Iterable[AreaLevel] | None = None,
) -> list[Area]:
    """Return all areas (or one subtree; the active ones; those of some levels), parents before children."""
    stmt = select(Area).order_by(Area.path)
    if under_id is not None:
        stmt = stmt.where(Area.path.like(get_area(session, area_id=under_id).path + "%"))
    if active_only:
        stmt = stmt.where(Area.active.is_(True))
    if levels is not None:
        stmt = stmt.where(Area.level.in_([level.value for level in levels]))
    return list(session.scalars(stmt))


def area_id(session: Session, *, code: str) -> int | None:
    """The id of the area with this code (None: no such area)."""
    return session.scalar(select(Area.id).where(Area.code == code)) if code else None


def list_departments(
    session: Session, *, kind: str | None = None, active_only: bool = False, by_name: bool = False
) -> list[Department]:
    """Return the departments (of one kind; the active ones), by code or by name."""
    stmt = select(Department).order_by(Department.name if by_name else Department.code)
    if kind:
        stmt = stmt.where(Department.kind == kind)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(session.scalars(stmt))


def department_names(session: Session) -> dict[int, str]:
    """Every department's name by its id."""
    return {i: n for i, n in session.execute(select(Department.id, Department.name)).all()}


def is_within(inner: Area, outer: Area) -> bool:
    """Return whether area `inner` lies in the subtree of `outer` (or is it)."""
    return inner.path.startswith(outer.path)


def department_subtree_ids(session: Session, *, department_id: int) -> set[int]:
    """Return the ids of a department and every unit below it."""
    result = {department_id}
    frontier = [department_id]
    while frontier:
        children = session.scalars(select(Department.id).where(Department.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in result]
        result.update(frontier)
    return result


def departments_serving(session: Session, *, area_id: int) -> list[Department]:
    """Return active departments that serve this area or an area above it, nearest first."""
    area = get_area(session, area_id=area_id)
    ancestor_ids = [int(x) for x in area.path.strip("/").split("/") if x]
    rows = list(
        session.execute(
            select(Department, Area.path)
            .join(DepartmentArea, DepartmentArea.department_id == Department.id)
            .join(Area, Area.id == DepartmentArea.area_id)
            .where(DepartmentArea.area_id.in_(ancestor_ids), Department.active.is_(True))
        ).all()
    )
    rows.sort(key=lambda r: -len(r[1]))
    seen: set[int] = set()
    out = []
    for dept, _ in rows:
        if dept.id not in seen:
            seen.add(dept.id)
            out.append(dept)
    return out


def upsert_area(session: Session, *, data: AreaIn) -> tuple[Area, bool]:
    """Create or update an area by code; return it and whether it was created."""
    parent = get_area_by_code(session, code=data.parent_code) if data.parent_code else None
    if parent is not None and AreaLevel(data.level).depth <= AreaLevel(parent.level).depth:
        raise InvalidInput("area_level_order", code=data.code, level=data.level, parent_level=parent.level)
    if parent is None and data.level != AreaLevel.city:
        raise InvalidInput("area_parent_required", code=data.code)
    area = session.scalar(select(Area).where(Area.code == data.code))
    created = area is None
    if area is None:
        area = Area(code=data.code)
        session.add(area)
    elif parent is not None and parent.path.startswith(area.path):
        raise InvalidInput("area_cycle", code=data.code)
    area.name, area.level, area.parent = data.name, data.level, parent
    session.flush()
    old_path = area.path
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    if not created and old_path != area.path:
        for sub in session.scalars(select(Area).where(Area.path.like(old_path + "%"), Area.id != area.id)):
            sub.path = area.path + sub.path[len(old_path) :]
    session.flush()
    return area, created


def upsert_department(session: Session, *, data: DepartmentIn) -> tuple[Department, bool]:
    """Create or update a department by code, with the areas it serves."""
    area = get_area_by_code(session, code=data.area_code)
    parent = get_department_by_code(session, code=data.parent_code) if data.parent_code else None
    dept = session.scalar(select(Department).where(Department.code == data.code))
    created = dept is None
    if dept is None:
        dept = Department(code=data.code)
        session.add(dept)
    dept.name, dept.kind, dept.area, dept.parent, dept.phone = (
        data.name,
        data.kind,
        area,
        parent,
        data.phone,
    )
    served = [get_area_by_code(session, code=c) for c in (data.serves or [data.area_code])]
    wanted = {a.id for a in served}
    dept.served_areas = [sa for sa in dept.served_areas if sa.area_id in wanted]
    have = {sa.area_id for sa in dept.served_areas}
    dept.served_areas.extend(DepartmentArea(area=a) for a in served if a.id not in have)
    session.flush()
    return dept, created


def import_org(session: Session, *, org: OrgImport) -> ImportReport:
    """Upsert a whole org file; all or nothing (the caller's transaction)."""
    report = ImportReport()
    for area_in in org.areas:
        _, created = upsert_area(session, data=area_in)
        if created:
            report.areas_created += 1
        else:
            report.areas_updated += 1
    for dept_in in org.departments:
        _, created = upsert_department(session, data=dept_in)
        if created:
            report.departments_created += 1
        else:
            report.departments_updated += 1
    log.info("org import: %s", report.model_dump())
    return report


def _flatten_yaml_areas(nodes: Iterable[dict[str, Any]], parent: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        children = node.pop("children", None) or []
        node.setdefault("parent_code", parent)
        out.append(node)
        out.extend(_flatten_yaml_areas(children, node["code"]))
    return out


def parse_org_file(path: Path) -> OrgImport:
    """Read an org file: YAML (nested areas, departments) or CSV (areas or departments by header)."""
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        raise InvalidInput("org_file_format", path=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    try:
        if suffix in {".yaml", ".yml"}:
            raw = yaml.safe_load(text) or {}
            if not isinstance(raw, dict):
                raise InvalidInput("org_file_format", path=str(path))
            raw["areas"] = _flatten_yaml_areas(raw.get("areas") or [], None)
            return OrgImport.model_validate(raw)
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "level" in rows[0]:
            return OrgImport(areas=[AreaIn.model_validate(_blank_to_none(r)) for r in rows])
        depts = []
        for r in rows:
            r = _blank_to_none(r)
            r["serves"] = [s for s in (r.get("serves") or "").split(";") if s]
            depts.append(DepartmentIn.model_validate(r))
        return OrgImport(departments=depts)
    except ValidationError as exc:
        raise InvalidInput("org_file_invalid", path=str(path), errors=str(exc)) from exc


def _blank_to_none(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if v not in ("", None) else None) for k, v in row.items()}
