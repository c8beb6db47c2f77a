"""The matter list (派单目录) as data: matters (事项) drawn from the departments' 三定方案 and 权责清单,
each naming who handles it and the basis that makes it their duty.

Imported and exported as CSV or XLSX with named columns (a bad line refuses the whole file, naming the
line and the field); edited one matter at a time by its code and names (never database ids). Every
change makes a new revision of the matter and a new version of the list, so a dispatch records what
it was routed by. Each matter's texts (name and description, example phrasings) are kept as sentence
vectors, made when the matter changes, for the matcher (dispatch.matching)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import numpy as np
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hotline.categories.models import Category
from hotline.categories.service import get_category
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch.models import (
    DispatchSuggestion,
    Matter,
    MatterCatalog,
    MatterRevision,
    latest_suggestions,
)
from hotline.dispatch.schemas import MatterIn, MatterReviewRow
from hotline.errors import InvalidInput, NotFound
from hotline.i18n import translate
from hotline.nlp import embedding
from hotline.org import service as org_service
from hotline.org.enums import DepartmentKind
from hotline.org.models import Area, Department
from hotline.spreadsheets import csv_rows, xlsx_row
from hotline.tickets.enums import AssignmentRole
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status

log = logging.getLogger(__name__)

COLUMNS = (
    "code",
    "name",
    "description",
    "examples",
    "keywords",
    "category",
    "department_code",
    "local_kind",
    "co_department_codes",
    "area_code",
    "basis",
    "demo",
)
REQUIRED = ("code", "name")
LIST_SEPARATORS = ("|", "；", ";")  # examples; keywords also by 、 and ，
TRUE = {"1", "true", "yes", "是", "y"}


@dataclass
class MatterImport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    version: int | None = None
    codes: list[str] = field(default_factory=list)


def _split(value: str, separators: Sequence[str]) -> list[str]:
    parts = [value]
    for sep in separators:
        parts = [p for chunk in parts for p in chunk.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def parse_rows(rows: Iterable[dict[str, Any]], *, first_line: int = 2) -> list[MatterIn]:
    """Matters from rows of named columns; the first bad line refuses them all, naming line and field."""
    return [m for _, m in parse_lines(rows, first_line=first_line)]


def parse_lines(rows: Iterable[dict[str, Any]], *, first_line: int = 2) -> list[tuple[int, MatterIn]]:
    """As parse_rows, each matter with the line of the file it came from (blank lines skipped)."""
    out: list[tuple[int, MatterIn]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=first_line):
        values = {k.strip().lower(): ("" if v is None else str(v)).strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue  # a blank line
        for name in REQUIRED:
            if not values.get(name):
                raise InvalidInput(
                    "matter_file_row", line=line, field=name, reason=translate("matter_field_required")
                )
        code = values["code"]
        if code in seen:
            raise InvalidInput(
                "matter_file_row",
                line=line,
                field="code",
                reason=translate("matter_code_repeated", line=seen[code]),
            )
        seen[code] = line
        try:
            out.append(
                (
                    line,
                    MatterIn(
                        code=code,
                        name=values["name"],
                        description=values.get("description", ""),
                        examples=_split(values.get("examples", ""), ("|",)),
                        keywords=_split(values.get("keywords", ""), (*LIST_SEPARATORS, "、", "，", ",")),
                        category=values.get("category") or None,
                        department_code=values.get("department_code") or None,
                        local_kind=values.get("local_kind") or None,
                        co_department_codes=_split(
                            values.get("co_department_codes", ""), (";", "；", ",", "、")
                        ),
                        area_code=values.get("area_code") or None,
                        basis=values.get("basis", ""),
                        demo=values.get("demo", "").lower() in TRUE,
                    ),
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "?"
            raise InvalidInput("matter_file_row", line=line, field=where, reason=first["msg"]) from exc
    return out


def read_file(path: Path) -> list[MatterIn]:
    """Matters from a CSV (UTF-8, a header row) or XLSX (the first sheet, a header row) file."""
    return [m for _, m in read_lines(path)]


def read_lines(path: Path) -> list[tuple[int, MatterIn]]:
    """As read_file, each matter with its line in the file."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                grid = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
            header = [str(h or "").strip().lower() for h in (grid[0] if grid else [])]
            rows: list[dict[str, Any]] = [dict(zip(header, r, strict=False)) for r in grid[1:]]
        elif suffix == ".csv":
            reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            rows = list(reader)
        else:
            raise InvalidInput("matter_file_format", path=path.name)
    except (
        OSError,
        UnicodeDecodeError,
        ValueError,
        KeyError,
        IndexError,
        BadZipFile,
        InvalidFileException,
    ) as exc:
        # (a damaged XLSX is a bad zip, a missing sheet part, or openpyxl's InvalidFileException)
        raise InvalidInput("file_unreadable", path=path.name, reason=str(exc) or type(exc).__name__) from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("matter_file_columns", missing=", ".join(missing), known=", ".join(COLUMNS))
    return parse_lines(rows)


def current_version(session: Session) -> int:
    """The matter list's version in force (0: there is no list yet)."""
    return int(session.scalar(select(func.max(MatterCatalog.version))) or 0)


def current(session: Session) -> tuple[int, str]:
    """The version in force and its digest (0 and "": there is no list yet)."""
    row = session.execute(
        select(MatterCatalog.version, MatterCatalog.digest).order_by(MatterCatalog.version.desc()).limit(1)
    ).first()
    return (int(row.version), row.digest) if row else (0, "")


def _digest(session: Session) -> str:
    """A hash of what the active matters say: two lists with the same version number (a database
    restored, a rolled-back test) are never taken for each other."""
    h = hashlib.sha256()
    for m in session.scalars(select(Matter).where(Matter.active.is_(True)).order_by(Matter.code)):
        h.update(json.dumps(_content(m), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def _content(m: Matter) -> list[Any]:
    return [
        m.code, m.name, m.description, m.examples, m.keywords, m.category_id, m.department_id,
        m.local_kind, m.co_department_ids, m.area_id, m.basis,
    ]  # fmt: skip


def _new_version(session: Session, *, actor: str | None, source: str, now: datetime) -> int:
    version = current_version(session) + 1
    active = session.scalar(select(func.count(Matter.id)).where(Matter.active.is_(True))) or 0
    session.add(
        MatterCatalog(
            version=version,
            created_at=now,
            created_by=actor,
            source=source[:200],
            matters=active,
            digest=_digest(session),
        )
    )
    session.flush()
    return version


def _resolve(session: Session, data: MatterIn) -> dict[str, Any]:
    """The matter's columns from codes and names (a NotFound or InvalidInput names what is wrong)."""
    if (data.department_code is None) == (data.local_kind is None):
        raise InvalidInput("matter_target_required")
    if data.local_kind is not None:
        try:
            DepartmentKind(data.local_kind)
        except ValueError as exc:
            raise InvalidInput(
                "matter_local_kind", kind=data.local_kind, known=", ".join(k.value for k in DepartmentKind)
            ) from exc
    category = get_category(session, code_or_name=data.category) if data.category else None
    dept = (
        org_service.get_department_by_code(session, code=data.department_code)
        if data.department_code
        else None
    )
    area = org_service.get_area_by_code(session, code=data.area_code) if data.area_code else None
    cos = [org_service.get_department_by_code(session, code=c).id for c in data.co_department_codes]
    return {
        "name": data.name,
        "description": data.description,
        "examples": list(data.examples),
        "keywords": list(data.keywords),
        "category_id": category.id if category else None,
        "department_id": dept.id if dept else None,
        "local_kind": data.local_kind,
        "co_department_ids": cos,
        "area_id": area.id if area else None,
        "basis": data.basis,
        "demo": data.demo,
        "active": data.active,
    }


def _apply(
    session: Session, data: MatterIn, *, actor: str | None, now: datetime
) -> tuple[Matter, bool, bool]:
    """Create or update one matter; returns it, whether it is new, whether anything changed."""
    values = _resolve(session, data)
    matter = session.scalar(select(Matter).where(Matter.code == data.code))
    created = matter is None
    if matter is None:
        matter = Matter(code=data.code, revision=0, **values)
        session.add(matter)
    elif all(getattr(matter, k) == v for k, v in values.items()):
        return matter, False, False
    else:
        for k, v in values.items():
            setattr(matter, k, v)
    matter.revision += 1
    matter.updated_at, matter.updated_by = now, actor
    matter.vectors, matter.vector_model = None, None  # made again from the new texts
    session.flush()
    return matter, created, True


def _record(
    session: Session, matters: list[Matter], *, version: int, actor: str | None, now: datetime
) -> None:
    for m in matters:
        session.add(
            MatterRevision(
                matter_id=m.id,
                revision=m.revision,
                catalog_version=version,
                snapshot=snapshot(session, m),
                changed_at=now,
                changed_by=actor,
            )
        )
    try:
        embed(session, matters)
    except embedding.EmbeddingUnavailable as exc:  # made when the matcher next loads the list
        log.warning("matters saved without their vectors: %s", exc)
    session.flush()


def import_matters(
    session: Session,
    *,
    matters: Sequence[MatterIn],
    actor: str | None,
    source: str,
    replace: bool = False,
    now: datetime | None = None,
    lines: Sequence[int] | None = None,
) -> MatterImport:
    """Create or update every matter given, all or nothing (a savepoint: a bad line leaves no trace);
    with `replace`, the active matters the file does not name are switched off. One new version of
    the list."""
    now = now or utcnow()
    with session.begin_nested():
        numbers = list(lines) if lines is not None else list(range(2, len(matters) + 2))
        return _import(
            session, matters=matters, actor=actor, source=source, replace=replace, now=now, lines=numbers
        )


def _import(
    session: Session,
    *,
    matters: Sequence[MatterIn],
    actor: str | None,
    source: str,
    replace: bool,
    now: datetime,
    lines: list[int],
) -> MatterImport:
    report = MatterImport(codes=[m.code for m in matters])
    changed: list[Matter] = []
    for line, data in zip(lines, matters, strict=True):
        try:
            matter, created, did = _apply(session, data, actor=actor, now=now)
        except (NotFound, InvalidInput) as exc:
            reason = translate(exc.message_key, get_settings().default_language, **exc.params)
            raise InvalidInput("matter_file_row", line=line, field=_field_of(exc), reason=reason) from exc
        if did:
            changed.append(matter)
        report.created += created
        report.updated += did and not created
        report.unchanged += not did
    if replace:
        named = set(report.codes)
        for matter in session.scalars(select(Matter).where(Matter.active.is_(True))):
            if matter.code not in named:
                matter.active, matter.revision = False, matter.revision + 1
                matter.updated_at, matter.updated_by = now, actor
                changed.append(matter)
                report.deactivated += 1
    if changed:
        report.version = _new_version(session, actor=actor, source=source, now=now)
        _record(session, changed, version=report.version, actor=actor, now=now)
    return report


def _field_of(exc: NotFound | InvalidInput) -> str:
    return {
        "category_not_found": "category",
        "department_not_found": "department_code/co_department_codes",
        "area_not_found": "area_code",
        "matter_target_required": "department_code/local_kind",
        "matter_local_kind": "local_kind",
    }.get(exc.message_key, "?")


def import_file(session: Session, *, path: Path, actor: str | None, replace: bool = False) -> MatterImport:
    """Import a CSV or XLSX matter list (see docs/dispatch.md)."""
    read = read_lines(path)
    return import_matters(
        session,
        matters=[m for _, m in read],
        lines=[line for line, _ in read],
        actor=actor,
        source=path.name,
        replace=replace,
    )


def save(session: Session, *, data: MatterIn, actor: str | None, now: datetime | None = None) -> Matter:
    """Create or change one matter (by its code); a new version of the list when anything changed."""
    now = now or utcnow()
    matter, _, did = _apply(session, data, actor=actor, now=now)
    if did:
        version = _new_version(session, actor=actor, source=f"{data.code} {data.name}", now=now)
        _record(session, [matter], version=version, actor=actor, now=now)
    return matter


def deactivate(session: Session, *, code: str, actor: str | None, now: datetime | None = None) -> Matter:
    """Switch a matter off (kept, with its history; dispatches stop finding it)."""
    now = now or utcnow()
    matter = get(session, code=code)
    if matter.active:
        matter.active, matter.revision = False, matter.revision + 1
        matter.updated_at, matter.updated_by = now, actor
        version = _new_version(session, actor=actor, source=f"{code} off", now=now)
        _record(session, [matter], version=version, actor=actor, now=now)
    return matter


def get(session: Session, *, code: str) -> Matter:
    matter = session.scalar(select(Matter).where(Matter.code == code))
    if matter is None:
        raise NotFound("matter_not_found", id=code)
    return matter


def list_matters(
    session: Session, *, active_only: bool = True, q: str | None = None, limit: int | None = None
) -> list[Matter]:
    """The matters by code (the active ones; those whose name, description or keywords hold `q`)."""
    stmt = select(Matter).order_by(Matter.code)
    if active_only:
        stmt = stmt.where(Matter.active.is_(True))
    rows = list(session.scalars(stmt))
    if q:
        rows = [m for m in rows if q in m.name or q in m.description or any(q in k for k in m.keywords or [])]
    return rows[:limit] if limit else rows


def snapshot(session: Session, m: Matter) -> dict[str, Any]:
    """The matter in the words of the import file (codes and names, never database ids)."""
    category = session.get(Category, m.category_id) if m.category_id else None
    dept = session.get(Department, m.department_id) if m.department_id else None
    area = session.get(Area, m.area_id) if m.area_id else None
    cos = [d.code for d in (session.get(Department, i) for i in m.co_department_ids or []) if d is not None]
    return {
        "code": m.code,
        "name": m.name,
        "description": m.description,
        "examples": list(m.examples or []),
        "keywords": list(m.keywords or []),
        "category": category.full_name if category else None,
        "department_code": dept.code if dept else None,
        "department": dept.name if dept else None,
        "local_kind": m.local_kind,
        "co_department_codes": cos,
        "area_code": area.code if area else None,
        "basis": m.basis,
        "demo": m.demo,
        "active": m.active,
        "revision": m.revision,
    }


def _cells(session: Session, m: Matter) -> list[Any]:
    s = snapshot(session, m)
    return [
        s["code"],
        s["name"],
        s["description"],
        "|".join(s["examples"]),
        "、".join(s["keywords"]),
        s["category"] or "",
        s["department_code"] or "",
        s["local_kind"] or "",
        ";".join(s["co_department_codes"]),
        s["area_code"] or "",
        s["basis"],
        1 if s["demo"] else 0,
    ]


def export_csv(session: Session) -> str:
    """The active list in the import format (CSV, cells safe for a spreadsheet)."""
    return "".join(csv_rows(COLUMNS, (_cells(session, m) for m in list_matters(session)), bom=False))


def export_xlsx(session: Session) -> bytes:
    """The active list in the import format (XLSX)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "派单目录"
    sheet.append(list(COLUMNS))
    for m in list_matters(session):
        sheet.append(xlsx_row(sheet, _cells(session, m)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the matter's texts as vectors --------------------------------------------------------------------
def texts_of(m: Matter | MatterIn) -> list[str]:
    """What a matter is known by: its name with its description, then each example phrasing."""
    head = f"{m.name}：{m.description}" if m.description else m.name
    return [head, *(m.examples or [])]


def embed(session: Session, matters: Sequence[Matter]) -> int:
    """Make (or make again) the vectors of these matters' texts; returns how many matters."""
    todo = [m for m in matters if m.active]
    if not todo:
        return 0
    texts = [t for m in todo for t in texts_of(m)]
    vectors = embedding.encode(texts, query=True).astype(np.float16)
    start = 0
    for m in todo:
        n = len(texts_of(m))
        m.vectors, m.vector_model = vectors[start : start + n].tobytes(), embedding.MODEL_NAME
        start += n
    return len(todo)


def ensure_vectors(session: Session) -> int:
    """Make the vectors every active matter lacks, or made by another model (after an upgrade)."""
    stale = list(
        session.scalars(
            select(Matter).where(
                Matter.active.is_(True),
                (Matter.vector_model.is_(None)) | (Matter.vector_model != embedding.MODEL_NAME),
            )
        )
    )
    return embed(session, stale)


# -- 派单异议: how each matter's dispatches fared -------------------------------------------------------
def review(session: Session, *, since: datetime | None = None, limit: int = 50) -> list[MatterReviewRow]:
    """For the matter list's review: per matter, the tickets dispatched by it (a lead assignment to the
    unit the ticket's latest suggestion named, by that matter), how many of those the unit returned (退单), by which unit
    and why (the latest reasons) — the most returned first."""
    latest = latest_suggestions()
    stmt = (
        select(
            Matter.code,
            Matter.name,
            Assignment.ticket_id,
            Department.name.label("department"),
            Assignment.returned_at,
            Assignment.return_reason,
            and_(  # the return was overruled: the unit still has the ticket
                Ticket.lead_department_id == Assignment.department_id, Ticket.status != Status.returned
            ).label("kept"),
        )
        .select_from(latest)
        .join(DispatchSuggestion, DispatchSuggestion.id == latest.c.id)
        .join(Matter, Matter.id == DispatchSuggestion.matter_id)
        .join(
            Assignment,
            (Assignment.ticket_id == DispatchSuggestion.ticket_id)
            & (Assignment.role == AssignmentRole.lead)
            & (Assignment.department_id == DispatchSuggestion.department_id),  # sent where it said
        )
        .join(Department, Department.id == Assignment.department_id)
        .join(Ticket, Ticket.id == Assignment.ticket_id)
        .order_by(Assignment.id)
    )
    if since is not None:
        stmt = stmt.where(Assignment.created_at >= since)
    rows: dict[str, dict[str, Any]] = {}
    for r in session.execute(stmt):
        row = rows.setdefault(
            r.code,
            {"code": r.code, "name": r.name, "tickets": set(), "returned": set(), "by": {}, "reasons": []},
        )
        row["tickets"].add(r.ticket_id)
        # a return counts once per ticket, and not when it was overruled (the unit kept the ticket)
        if r.returned_at is not None and not r.kept and r.ticket_id not in row["returned"]:
            row["returned"].add(r.ticket_id)
            row["by"][r.department] = row["by"].get(r.department, 0) + 1
            if r.return_reason:
                row["reasons"].append(r.return_reason)
    out = [
        MatterReviewRow(
            code=r["code"],
            name=r["name"],
            dispatched=len(r["tickets"]),
            returned=len(r["returned"]),
            return_share=round(len(r["returned"]) / len(r["tickets"]), 4) if r["tickets"] else None,
            by_department=r["by"],
            reasons=r["reasons"][-5:][::-1],
        )
        for r in rows.values()
    ]
    out.sort(key=lambda r: (-r.returned, -(r.return_share or 0), r.code))
    return out[:limit]
