"""Import and export of tickets."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts import policy
from hotline.accounts.principal import Principal
from hotline.categories.models import Category
from hotline.db import utcnow
from hotline.dispatch.datasets import read_rows
from hotline.errors import InvalidInput
from hotline.org.models import Area, Department
from hotline.spreadsheets import csv_rows, xlsx_row
from hotline.tickets import events
from hotline.tickets.enums import Channel, EventKind, RequestType
from hotline.tickets.models import ContactView, Ticket
from hotline.tickets.schemas import TicketFilter
from hotline.tickets.service import (
    caller_hash,
    content_hash,
    filtered_select,
    mask_phone,
    next_number,
    visible_clause,
)
from hotline.tickets.states import Status

FIELDS = (
    "external_id",
    "title",
    "content",
    "created_at",
    "category",
    "area_code",
    "address",
    "citizen_name",
    "citizen_phone",
    "channel",
    "request_type",
    "reply",
    "replied_at",
    "supports",
    "citizen_key",  # the citizen's identity other than a phone (portal account, open id): hashed
)


class Mapping(BaseModel):
    """The mapping file: which column holds each field, defaults for the rest, how dates are written."""

    columns: dict[str, str]
    defaults: dict[str, str] = Field(default_factory=dict)
    datetime_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d"]
    )
    timezone: str = "Asia/Shanghai"
    status: str = Field(default="closed", description="closed (history) or registered (to be handled)")


def load_mapping(text: str) -> Mapping:
    try:
        raw = yaml.safe_load(text) or {}
        mapping = Mapping.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidInput("mapping_invalid", reason=str(exc)[:300]) from exc
    unknown = set(mapping.columns) - set(FIELDS)
    if unknown:
        raise InvalidInput("mapping_fields", unknown=", ".join(sorted(unknown)), known=", ".join(FIELDS))
    if "content" not in mapping.columns and "title" not in mapping.columns:
        raise InvalidInput("mapping_fields", unknown="(no content or title column)", known=", ".join(FIELDS))
    if mapping.status not in ("closed", "registered"):
        raise InvalidInput("mapping_invalid", reason="status must be closed or registered")
    return mapping


@dataclass
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    created: int = 0
    skipped_existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "created": self.created,
            "skipped_existing": self.skipped_existing,
            "dry_run": self.dry_run,
            "written": self.created > 0,
            "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in self.errors],
        }


def _parse_time(value: str, mapping: Mapping) -> datetime:
    tz = ZoneInfo(mapping.timezone)
    for fmt in mapping.datetime_formats:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f"不是可识别的时间：{value!r}（格式：{', '.join(mapping.datetime_formats)}）"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def import_tickets(
    session: Session, *, path: Path, mapping: Mapping, principal: Principal, dry_run: bool = False
) -> ImportReport:
    """Validate every row; if any is bad, report them all and write nothing. Otherwise create the
    tickets (a row whose external id was imported before is skipped, so re-running is safe)."""
    rows = read_rows(path)
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    if rows:
        missing = [c for c in mapping.columns.values() if c not in rows[0]]
        if missing:
            raise InvalidInput(
                "dataset_columns", path=path.name, missing=", ".join(missing), found=", ".join(rows[0])
            )
    categories = {c.full_name: c.id for c in session.scalars(select(Category))}
    categories.update({c.code: c.id for c in session.scalars(select(Category))})
    areas = {a.code: a.id for a in session.scalars(select(Area))}
    parsed: list[dict[str, Any]] = []
    for line, raw in enumerate(rows, start=2):
        value: dict[str, Any] = {
            f: str(raw.get(col) if raw.get(col) is not None else "").strip()
            for f, col in mapping.columns.items()
        }
        for f, default in mapping.defaults.items():
            value.setdefault(f, default)
            value[f] = value[f] or default
        errors = _validate(value, mapping, categories, areas)
        for f, message in errors:
            report.errors.append(RowError(line=line, field=f, message=message))
        if not errors:
            parsed.append(value)
    report.valid = len(parsed)
    # rows already imported (same channel and external id), or repeated within the file, are skipped
    fresh: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for value in parsed:
        channel = value.get("channel") or Channel.other.value
        ext = value.get("external_id") or None
        if ext and (
            (channel, ext) in seen
            or session.scalar(select(Ticket.id).where(Ticket.channel == channel, Ticket.external_id == ext))
        ):
            report.skipped_existing += 1
            continue
        if ext:
            seen.add((channel, ext))
        fresh.append(value)
    if report.errors or dry_run:
        return report
    for value in fresh:
        channel = value.get("channel") or Channel.other.value
        ext = value.get("external_id") or None
        created_at = value["created_at_parsed"]
        replied_at = value.get("replied_at_parsed")
        phone = value.get("citizen_phone") or None
        closed = mapping.status == "closed"
        ticket = Ticket(
            number=next_number(session, now=created_at),
            tracking_code=secrets.token_hex(4),
            channel=channel,
            external_id=ext,
            title=(value.get("title") or value["content"][:30])[:200],
            content=value.get("content") or value["title"],
            request_type=value.get("request_type") or RequestType.help.value,
            category_id=categories.get(value.get("category") or ""),
            citizen_name=value.get("citizen_name") or None,
            citizen_phone=phone,
            citizen_phone_hash=caller_hash(phone)
            if phone
            else (caller_hash("key:" + value["citizen_key"]) if value.get("citizen_key") else None),
            content_hash=content_hash(value.get("content") or value["title"]),
            address=value.get("address") or None,
            area_id=areas.get(value.get("area_code") or ""),
            status=Status.closed.value if closed else Status.registered.value,
            created_at=created_at,
            updated_at=replied_at or created_at,
            closed_at=(replied_at or created_at) if closed else None,
            answer=value.get("reply") or None,
            supports=int(value.get("supports") or 0),
        )
        session.add(ticket)
        session.flush()
        events.record(
            session,
            ticket=ticket,
            kind=EventKind.imported,
            principal=principal,
            to_status=ticket.status,
            data={"source": path.name, "external_id": ext},
            now=created_at,
        )
        report.created += 1
    return report


def _validate(
    value: dict[str, Any], mapping: Mapping, categories: dict[str, int], areas: dict[str, int]
) -> list[tuple[str, str]]:
    errors = []
    if not (value.get("content") or value.get("title")):
        errors.append(("content", "内容和标题都为空"))
    if len(value.get("content", "")) > 10_000:
        errors.append(("content", "内容超过 10000 字"))
    if len(value.get("external_id", "")) > 100:
        errors.append(("external_id", "编号超过 100 字符"))
    for f in ("created_at", "replied_at"):
        if value.get(f):
            try:
                value[f + "_parsed"] = _parse_time(value[f], mapping)
            except ValueError as exc:
                errors.append((f, str(exc)))
        elif f == "created_at":
            errors.append(("created_at", "缺少受理时间"))
    if value.get("supports") and not str(value["supports"]).strip().isdigit():
        errors.append(("supports", f"点赞数不是非负整数：{value['supports']}"))
    if value.get("category") and value["category"] not in categories:
        errors.append(("category", f"分类不存在：{value['category']}"))
    if value.get("area_code") and value["area_code"] not in areas:
        errors.append(("area_code", f"区域不存在：{value['area_code']}"))
    if value.get("channel") and value["channel"] not in {c.value for c in Channel}:
        errors.append(("channel", f"未知渠道：{value['channel']}"))
    if value.get("request_type") and value["request_type"] not in {r.value for r in RequestType}:
        errors.append(("request_type", f"未知诉求类型：{value['request_type']}"))
    if (
        value.get("replied_at_parsed")
        and value.get("created_at_parsed")
        and value["replied_at_parsed"] < value["created_at_parsed"]
    ):
        errors.append(("replied_at", "答复时间早于受理时间"))
    return errors


EXPORT_COLUMNS = (
    "工单号",
    "受理时间",
    "渠道",
    "诉求类型",
    "状态",
    "分类",
    "区域",
    "主办单位",
    "标题",
    "内容",
    "市民",
    "电话",
    "办理时限",
    "办结时间",
    "满意度",
)


def export(session: Session, *, principal: Principal, filters: TicketFilter) -> list[list[Any]]:
    """Every row of the export, read at once (the response may stream after the session closes); full
    phone numbers only for a role that may see them, and then the showing is logged."""
    show = policy.may_see_contact(principal)
    rows = list(export_rows(session, principal=principal, filters=filters, show_phone=show))
    if show and rows:
        session.add(
            ContactView(user_id=principal.user_id, role=principal.role.value, via="export", count=len(rows))
        )
    return rows


def export_rows(
    session: Session, *, principal: Principal, filters: TicketFilter, show_phone: bool, limit: int = 100_000
) -> Iterator[list[Any]]:
    """Rows of the filtered list the principal may see (contact masked unless the role may see it)."""
    cats = dict(session.execute(select(Category.id, Category.full_name)).all())
    areas = dict(session.execute(select(Area.id, Area.name)).all())
    depts = dict(session.execute(select(Department.id, Department.name)).all())
    stmt = filtered_select(session, select(Ticket).where(visible_clause(principal)), filters, utcnow())
    for t in session.scalars(
        stmt.order_by(Ticket.created_at, Ticket.id).limit(limit).execution_options(yield_per=1000)
    ):
        yield [
            t.number,
            t.created_at.isoformat(),
            t.channel,
            t.request_type,
            t.status,
            cats.get(t.category_id) if t.category_id else "",
            areas.get(t.area_id) if t.area_id else "",
            depts.get(t.lead_department_id) if t.lead_department_id else "",
            t.title,
            t.content,
            t.citizen_name or "",
            (t.citizen_phone if show_phone else mask_phone(t.citizen_phone)) or "",
            t.due_at.isoformat() if t.due_at else "",
            t.closed_at.isoformat() if t.closed_at else "",
            t.satisfaction or "",
        ]


def export_csv(rows: Iterable[list[Any]]) -> Iterator[str]:
    """The rows as CSV (BOM for Excel), every cell safe to open in a spreadsheet."""
    return csv_rows(EXPORT_COLUMNS, rows)


def export_xlsx(rows: Iterable[list[Any]]) -> bytes:
    """The rows as an XLSX workbook, text always written as text."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(xlsx_row(ws, EXPORT_COLUMNS))
    for row in rows:
        ws.append(xlsx_row(ws, row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
