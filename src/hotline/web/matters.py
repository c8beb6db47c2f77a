"""The matter list (派单目录) in the console: every matter by name with who handles it and why, one
matter's form (by its code, never a database id), import and export, and the 派单异议 review — which
matters are returned most, by whom, with what reason. Through the same service as the CLI and API."""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.accounts.policy import Permission
from hotline.dispatch import matters
from hotline.dispatch.schemas import MatterIn
from hotline.errors import DomainError
from hotline.http.deps import DbSession
from hotline.org import service as org_service
from hotline.org.enums import DepartmentKind
from hotline.web.admin import _upload, flash_failure
from hotline.web.render import page
from hotline.web.session import Form, Staff, flash, lang, need

router = APIRouter(prefix="/ui/admin/matters", include_in_schema=False)

LOCAL_KINDS = [k for k in DepartmentKind if k not in (DepartmentKind.functional, DepartmentKind.enterprise)]


def _back(code: str | None = None) -> RedirectResponse:
    return RedirectResponse("/ui/admin/matters" + (f"?code={quote(code)}" if code else ""), status_code=303)


@router.get("", response_class=HTMLResponse)
def matter_page(
    request: Request, db: DbSession, me: Staff, q: str | None = None, code: str | None = None
) -> HTMLResponse:
    need(me, Permission.administer)
    rows = [matters.snapshot(db, m) for m in matters.list_matters(db, q=q or None)]
    review = matters.review(db, limit=20)
    returned = {r.code: r for r in review}
    editing = None
    if code and code != "new":
        try:
            editing = matters.snapshot(db, matters.get(db, code=code))
        except DomainError:
            editing = None
    departments = org_service.list_departments(db)
    areas = org_service.list_areas(db)
    version, _ = matters.current(db)
    current = editing or {}
    keep_units = {current.get("department_code"), *current.get("co_department_codes", [])}
    return page(
        request,
        "matters.html",
        me,
        rows=rows,
        q=q or "",
        code=code,
        editing=editing,
        review=review,
        returned=returned,
        version=version,
        # the matter's own unit, co-handlers and area are always offered, so a save never drops them
        departments=[d for d in departments if d.active or d.code in keep_units],
        department_names={d.code: d.name for d in departments},
        areas=[a for a in areas if a.path.count("/") <= 4 or a.code == current.get("area_code")],
        local_kinds=[k.value for k in LOCAL_KINDS],
    )


@router.post("/import")
async def import_list(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = await _upload(form.get("file"), tmp)
            # the import embeds every changed matter: off the event loop
            report = await run_in_threadpool(
                matters.import_file, db, path=path, actor=me.name, replace=form.get("replace") == "1"
            )
        db.commit()
    except DomainError as exc:
        flash_failure(request, db, exc)
        return _back()
    if lang(request) == "en":
        flash(
            request,
            f"Matter list imported: {report.created} new, {report.updated} changed, "
            f"{report.unchanged} unchanged, {report.deactivated} switched off"
            + (f"; now version {report.version}" if report.version else ""),
        )
    else:
        flash(
            request,
            f"派单目录已导入：新增 {report.created}，修改 {report.updated}，未变 {report.unchanged}，停用 {report.deactivated}"
            + (f"；当前版本 {report.version}" if report.version else ""),
        )
    return _back()


@router.get("/export.csv")
def export_csv(db: DbSession, me: Staff) -> Response:
    need(me, Permission.administer)
    return Response(
        matters.export_csv(db).encode("utf-8-sig"),  # with a BOM: Excel opens it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="matters.csv"'},
    )


@router.get("/export.xlsx")
def export_xlsx(db: DbSession, me: Staff) -> Response:
    need(me, Permission.administer)
    return Response(
        matters.export_xlsx(db),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="matters.xlsx"'},
    )


def _lines(value: object, *separators: str) -> list[str]:
    text = str(value or "")
    for sep in separators:
        text = text.replace(sep, "\n")
    return [x.strip() for x in text.splitlines() if x.strip()]


@router.post("/save")
def save(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    code = str(form.get("code") or "").strip()
    target = str(form.get("target") or "")
    try:
        data = MatterIn(
            code=code,
            name=str(form.get("name") or "").strip(),
            description=str(form.get("description") or "").strip(),
            examples=_lines(form.get("examples")),
            keywords=_lines(form.get("keywords"), "、", "，", ","),
            category=str(form.get("category") or "").strip() or None,
            department_code=target if target and not target.startswith("local:") else None,
            local_kind=target.removeprefix("local:") if target.startswith("local:") else None,
            co_department_codes=[str(c) for c in form.getlist("co_department_codes") if c],
            area_code=str(form.get("area_code") or "") or None,
            basis=str(form.get("basis") or "").strip(),
            demo=form.get("demo") == "1",
            active=form.get("active", "1") == "1",
        )
        matters.save(db, data=data, actor=me.name)
        db.commit()
    except (DomainError, ValidationError) as exc:
        flash_failure(request, db, exc)
        return _back(code or "new")
    flash(request, f"Matter {code} saved" if lang(request) == "en" else f"事项 {code} 已保存")
    return _back(code)


@router.post("/deactivate")
def deactivate(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    code = str(form.get("code") or "")
    try:
        matters.deactivate(db, code=code, actor=me.name)
        db.commit()
    except DomainError as exc:
        flash_failure(request, db, exc)
        return _back(code)
    flash(request, f"Matter {code} switched off" if lang(request) == "en" else f"事项 {code} 已停用")
    return _back()
