"""Bulk import (every bad row reported, nothing written; dry run; idempotent re-run; XLSX) and export
(filtered, scoped, masked; CSV and XLSX)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM
from hotline.bulk import service
from hotline.demo.seed import demo_path
from hotline.tickets.models import Ticket, TicketEvent
from tests.conftest import principal_token
from tests.factories import Actors

MAPPING = """
columns:
  external_id: 留言编号
  citizen_name: 留言用户
  title: 留言主题
  created_at: 留言时间
  content: 留言详情
  category: 一级分类
defaults: {channel: web, request_type: help}
datetime_formats: ["%Y/%m/%d %H:%M:%S"]
"""


def _count(db: Session) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.channel == "web", Ticket.external_id.is_not(None))
        )
        or 0
    )


def test_real_sample_imports_once(db: Session) -> None:
    mapping = service.load_mapping(MAPPING)
    path = demo_path("demo_messages.csv")
    dry = service.import_tickets(db, path=path, mapping=mapping, principal=SYSTEM, dry_run=True)
    # the sample holds one message twice (same 留言编号): it is imported once
    assert dry.rows == dry.valid == 389 and dry.skipped_existing == 1 and not dry.errors and _count(db) == 0
    report = service.import_tickets(db, path=path, mapping=mapping, principal=SYSTEM)
    assert report.created == 388 and _count(db) == 388
    again = service.import_tickets(db, path=path, mapping=mapping, principal=SYSTEM)
    assert again.created == 0 and again.skipped_existing == 389
    t = db.scalars(select(Ticket).where(Ticket.external_id == "24")).one()
    assert t.status == "closed" and t.created_at.year == 2020 and t.number.startswith("20200106-")
    assert db.scalar(select(TicketEvent.action).where(TicketEvent.ticket_id == t.id)) == "import"


def test_every_bad_row_is_reported_and_nothing_is_written(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "留言编号,留言用户,留言主题,留言时间,留言详情,一级分类\n"
        "1,u1,路灯坏了,2020/1/6 12:09:38,路灯坏了一周,城乡建设\n"
        "2,u2,,2020/1/6 12:09:38,,城乡建设\n"
        "3,u3,噪音,yesterday,夜间施工噪音,城乡建设\n"
        "4,u4,宠物,2020/1/6 12:09:38,狗叫,宠物管理\n"
        "5,u5,正常,2020/1/7 08:00:00,正常的一行,环境保护\n",
        encoding="utf-8",
    )
    report = service.import_tickets(db, path=path, mapping=service.load_mapping(MAPPING), principal=SYSTEM)
    assert [(e.line, e.field) for e in report.errors] == [(3, "content"), (4, "created_at"), (5, "category")]
    assert report.created == 0 and report.valid == 2 and _count(db) == 0


def test_xlsx_and_bad_mappings(db: Session, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["编号", "内容", "时间"])
    ws.append(["x1", "小区垃圾无人清运", "2026-09-01 08:00:00"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    mapping = service.load_mapping(
        "columns: {external_id: 编号, content: 内容, created_at: 时间}\ndefaults: {channel: web}"
    )
    assert service.import_tickets(db, path=path, mapping=mapping, principal=SYSTEM).created == 1
    for text, key in (
        ("columns: {nonsense: x, content: y}", "mapping_fields"),
        ("columns: [1, 2", "mapping_invalid"),
        ("columns: {title: 标题}\nstatus: done", "mapping_invalid"),
    ):
        try:
            service.load_mapping(text)
        except Exception as exc:
            assert getattr(exc, "message_key", None) == key, text
        else:
            raise AssertionError(text)


def test_import_and_export_over_http(client: TestClient, db: Session, actors: Actors, tmp_path: Path) -> None:
    admin, zjj = principal_token(db, actors.admin), principal_token(db, actors.zjj)
    bad = "留言编号,留言用户,留言主题,留言时间,留言详情,一级分类\n9,u,t,never,c,城乡建设\n".encode()
    files = {"file": ("bad.csv", bad, "text/csv")}
    r = client.post(
        "/api/v1/import/tickets", files=files, data={"mapping": MAPPING, "dry_run": "false"}, headers=admin
    )
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["field"] == "created_at"
        and r.json()["written"] is False
    )
    assert (
        client.post("/api/v1/import/tickets", files=files, data={"mapping": MAPPING}, headers=zjj).status_code
        == 403
    )
    good = demo_path("demo_messages.csv").read_bytes()
    r = client.post(
        "/api/v1/import/tickets",
        files={"file": ("m.csv", good, "text/csv")},
        data={"mapping": MAPPING, "dry_run": "false"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["created"] == 388
    r = client.get("/api/v1/export/tickets.csv", params={"channel": "web", "q": "路灯"}, headers=admin)
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('tickets.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单号" and len(rows) > 1 and all("路灯" in (row[8] + row[9]) for row in rows[1:])
    r = client.get("/api/v1/export/tickets.xlsx", params={"channel": "web"}, headers=admin)
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert sheet is not None and sum(1 for _ in sheet.iter_rows()) == 389
    # a department sees only its own tickets (none of the history here), and no phone numbers
    r = client.get("/api/v1/export/tickets.csv", headers=zjj)
    assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1
    assert client.get("/api/v1/export/tickets.pdf", headers=admin).status_code == 422
