"""HTTP API of bulk import (dry run, all-or-nothing) and export of filtered ticket lists."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.bulk import service
from hotline.bulk.schemas import ImportReportOut
from hotline.config import get_settings
from hotline.errors import InvalidInput
from hotline.http.deps import CurrentPrincipal, DbSession, require
from hotline.tickets.enums import Channel
from hotline.tickets.schemas import TicketFilter
from hotline.tickets.states import Status

router = APIRouter(prefix="/api/v1", tags=["import and export"])
Importer = Annotated[Principal, Depends(require(Permission.bulk_transfer))]


@router.post(
    "/import/tickets",
    response_model=ImportReportOut,
    responses={422: {"model": ImportReportOut, "description": "bad rows: nothing was written"}},
)
async def import_tickets(
    db: DbSession,
    principal: Importer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
    mapping: Annotated[str, Form(description="the column-mapping file (YAML), see docs/import.md")],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Import historical tickets. Every bad row is reported; if there is one, nothing is written (422).
    A dry run (the default) only reports."""
    name = Path(file.filename or "upload.csv").name
    data = await file.read(get_settings().max_upload_bytes + 1)
    if len(data) > get_settings().max_upload_bytes:
        raise InvalidInput(
            "kb_file_too_large", path=name, limit_mb=get_settings().max_upload_bytes // 1_000_000
        )
    plan = service.load_mapping(mapping)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        report = service.import_tickets(db, path=path, mapping=plan, principal=principal, dry_run=dry_run)
    if report.errors and not dry_run:
        db.rollback()
        return JSONResponse(ImportReportOut.model_validate(report.as_dict()).model_dump(), status_code=422)
    return JSONResponse(ImportReportOut.model_validate(report.as_dict()).model_dump())


@router.get("/export/tickets.{fmt}")
def export_tickets(
    fmt: str,
    db: DbSession,
    principal: CurrentPrincipal,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    department_id: int | None = None,
    area_id: int | None = None,
    category_code: str | None = None,
    channel: Channel | None = None,
    overdue: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Export the tickets you may see, filtered like the list, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("export_format", fmt=fmt)
    filters = TicketFilter(
        status=status_,
        department_id=department_id,
        area_id=area_id,
        category_code=category_code,
        channel=channel,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        q=q,
    )
    rows = service.export(db, principal=principal, filters=filters)
    headers = {"Content-Disposition": f'attachment; filename="tickets.{fmt}"'}
    if fmt == "xlsx":
        return Response(
            service.export_xlsx(rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=headers,
        )
    return StreamingResponse(service.export_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
