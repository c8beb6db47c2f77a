"""Admin actions from the console: the org file, the category routing table, SLA rules, calendar
overrides, knowledge-base files, users, and category models (train, evaluate, activate, roll back).
Each goes through the same service as the CLI and the API; a file is refused as a whole with the
reason (the line, the field) when any part of it is wrong."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from hotline.accounts import service as accounts_service
from hotline.accounts.policy import Permission
from hotline.accounts.schemas import UserIn
from hotline.config import get_settings
from hotline.dispatch import datasets, routing, training
from hotline.dispatch.registry import CATEGORY
from hotline.errors import DomainError, InvalidInput
from hotline.http.deps import DbSession
from hotline.i18n import translate
from hotline.kb import service as kb_service
from hotline.nlp import registry as model_registry
from hotline.org import service as org_service
from hotline.sla import service as sla_service
from hotline.sla.schemas import CalendarDayIn, SlaRuleIn
from hotline.web.session import Form, Staff, flash, lang, need
from hotline.web.views import _validation_message

router = APIRouter(prefix="/ui/admin", include_in_schema=False)


def _done(request: Request, zh: str, en: str) -> Response:
    flash(request, en if lang(request) == "en" else zh)
    return RedirectResponse("/ui/admin", status_code=303)


def flash_failure(request: Request, db: DbSession, exc: Exception) -> None:
    """Undo the failed action and tell why, in the page's language (for the next page shown)."""
    db.rollback()
    if isinstance(exc, DomainError):
        message = translate(exc.message_key, lang(request), **exc.params)
    else:
        message = _validation_message(exc, lang(request))
    flash(request, message, "error")


def _failed(request: Request, db: DbSession, exc: Exception) -> Response:
    flash_failure(request, db, exc)
    return RedirectResponse("/ui/admin", status_code=303)


async def _upload(form_file: object, tmp: str) -> Path:
    if not isinstance(form_file, UploadFile) or not form_file.filename:
        raise InvalidInput("validation_error")
    data = await form_file.read(get_settings().max_upload_bytes + 1)
    if len(data) > get_settings().max_upload_bytes:
        raise InvalidInput(
            "kb_file_too_large",
            path=form_file.filename,
            limit_mb=get_settings().max_upload_bytes // 1_000_000,
        )
    path = Path(tmp) / Path(form_file.filename).name
    path.write_bytes(data)
    return path


async def _labeled(form: FormData) -> datasets.Examples:
    """The labeled examples of an uploaded CSV/XLSX, with the text and label columns the form names."""
    with tempfile.TemporaryDirectory() as tmp:
        path = await _upload(form.get("file"), tmp)
        columns = [c.strip() for c in str(form.get("text_columns") or "").split(",") if c.strip()]
        return datasets.read_file(
            path, text_columns=columns, label_column=str(form.get("label_column") or "")
        )


@router.post("/org")
async def org(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            report = org_service.import_org(
                db, org=org_service.parse_org_file(await _upload(form.get("file"), tmp))
            )
        db.commit()
    except (DomainError, ValidationError) as exc:
        return _failed(request, db, exc)
    return _done(request, f"组织机构已导入：{report}", f"Org file imported: {report}")


@router.post("/routing")
async def routing_import(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            n = routing.import_rules(db, path=await _upload(form.get("file"), tmp), actor=me.name)
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(request, f"派单规则表已导入 {n} 条规则", f"{n} routing rules imported")


@router.get("/routing.csv")
def routing_export(db: DbSession, me: Staff) -> PlainTextResponse:
    need(me, Permission.administer)
    return PlainTextResponse(
        routing.export_rules(db),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="routing.csv"'},
    )


@router.post("/sla")
def sla_rule(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        data = SlaRuleIn(
            name=str(form.get("name") or ""),
            request_type=form.get("request_type") or None,
            urgency=form.get("urgency") or None,
            category_code=str(form.get("category_code") or "") or None,
            sign_amount=float(str(form.get("sign_amount") or 0)),
            sign_unit=str(form.get("sign_unit") or ""),
            handle_amount=float(str(form.get("handle_amount") or 0)),
            handle_unit=str(form.get("handle_unit") or ""),
        )
        sla_service.create_rule(db, data=data)
        db.commit()
    except (DomainError, ValidationError, ValueError) as exc:
        return _failed(request, db, exc)
    return _done(request, "时限规则已添加", "SLA rule added")


@router.post("/sla/{rule_id}/off")
def sla_off(request: Request, db: DbSession, me: Staff, rule_id: int, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        sla_service.deactivate_rule(db, rule_id=rule_id)
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(request, "时限规则已停用", "SLA rule switched off")


@router.post("/calendar")
def calendar(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        sla_service.set_calendar_day(
            db,
            data=CalendarDayIn(
                day=str(form.get("day") or ""),
                is_workday=form.get("is_workday") == "1",
                name=str(form.get("name") or ""),
            ),
        )
        db.commit()
    except (DomainError, ValidationError) as exc:
        return _failed(request, db, exc)
    return _done(request, "节假日调整已保存", "Calendar day saved")


@router.post("/kb")
async def kb_import(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            created, updated, _ = kb_service.import_file(
                db,
                path=await _upload(form.get("file"), tmp),
                principal=me,
                department_code=str(form.get("department_code") or "") or None,
                publish=form.get("publish") == "on",
            )
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(
        request, f"知识库：新增 {created} 篇，更新 {updated} 篇", f"KB: {created} created, {updated} updated"
    )


@router.post("/users")
def user_create(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        user = accounts_service.create_user(
            db,
            data=UserIn(
                username=str(form.get("username") or ""),
                display_name=str(form.get("display_name") or ""),
                password=str(form.get("password") or ""),
                role=str(form.get("role") or ""),
                department_code=str(form.get("department_code") or "") or None,
            ),
        )
        db.commit()
    except (DomainError, ValidationError) as exc:
        return _failed(request, db, exc)
    return _done(request, f"用户 {user.username} 已创建", f"User {user.username} created")


@router.post("/models/train")
async def model_train(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    """Train a new version from an uploaded labeled file, or from the centre's own settled tickets."""
    need(me, Permission.administer)
    try:
        if form.get("source") == "tickets":
            examples = datasets.from_tickets(db)
        else:
            examples = await _labeled(form)
        result = training.train_and_register(
            db, examples, created_by=me.name, activate=form.get("activate") == "on"
        )
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    f1 = result.evaluation.macro_f1 if result.evaluation else None
    return _done(
        request,
        f"模型 v{result.version.version} 训练完成（{result.version.n_samples} 条，宏F1 {f1 if f1 is None else round(f1, 3)}）",
        f"Model v{result.version.version} trained ({result.version.n_samples} rows, macro-F1 {f1 if f1 is None else round(f1, 3)})",
    )


@router.post("/models/evaluate")
async def model_evaluate(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        examples = await _labeled(form)
        row, ev = training.evaluate_active(db, examples)
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(
        request,
        f"v{row.version} 在 {len(examples.texts)} 条上：准确率 {ev.accuracy:.3f}，宏F1 {ev.macro_f1:.3f}",
        f"v{row.version} on {len(examples.texts)} rows: accuracy {ev.accuracy:.3f}, macro-F1 {ev.macro_f1:.3f}",
    )


@router.post("/models/rollback")
def model_rollback(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        row = model_registry.rollback(db, kind=CATEGORY)
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(request, f"已回滚到 v{row.version}", f"Rolled back to v{row.version}")


@router.post("/models/{version_id}")
def model_activate(request: Request, db: DbSession, me: Staff, version_id: int, form: Form) -> Response:
    need(me, Permission.administer)
    try:
        row = model_registry.activate(db, version_id=version_id)
        db.commit()
    except DomainError as exc:
        return _failed(request, db, exc)
    return _done(request, f"已启用 v{row.version}", f"v{row.version} activated")
