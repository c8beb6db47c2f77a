"""HTTP API of dispatch: live suggestions, the suggestion of a ticket and its one-click acceptance,
the triage queue, the matter list (派单目录) and its review, the category routing table, landmarks and
model versions."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.categories import service as category_service
from hotline.config import get_settings
from hotline.dispatch import matters, routing, service
from hotline.dispatch.models import DispatchSuggestion
from hotline.dispatch.registry import CATEGORY
from hotline.dispatch.schemas import (
    AcceptIn,
    LandmarkIn,
    LandmarkOut,
    MatterImportOut,
    MatterIn,
    MatterOut,
    MatterReviewRow,
    ModelVersionOut,
    RoutingRuleIn,
    RoutingRuleOut,
    SuggestIn,
    Suggestion,
    TriageItem,
)
from hotline.errors import InvalidInput, ServiceUnavailable, referencing
from hotline.http.deps import AdminPrincipal, DbSession, PageSize, require
from hotline.llm.client import LlmUnavailable
from hotline.nlp import registry as model_registry
from hotline.org import service as org_service
from hotline.tickets import views
from hotline.tickets.api import lang
from hotline.tickets.schemas import TicketOut
from hotline.tickets.service import get_ticket
from hotline.workflow import views as workflow_views

router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])
ticket_router = APIRouter(prefix="/api/v1/tickets", tags=["dispatch"])

CenterPrincipal = Annotated[Principal, Depends(require(Permission.use_assistance))]
IntakePrincipal = Annotated[Principal, Depends(require(Permission.work_desk))]


def _out(row: DispatchSuggestion) -> Suggestion:
    return service.suggestion_of(row)


@router.post("/suggest", response_model=Suggestion)
def suggest(body: SuggestIn, db: DbSession, _: CenterPrincipal) -> Suggestion:
    """Suggest category, request type, urgency, area and departments for text being typed."""
    with referencing():
        area_id = org_service.get_area_by_code(db, code=body.area_code).id if body.area_code else None
        category_id = (
            category_service.get_category(db, code_or_name=body.category_code).id
            if body.category_code
            else None
        )
    s = service.suggest(
        db,
        title=body.title,
        content=body.content,
        address=body.address,
        area_id=area_id,
        category_id=category_id,
    )
    return s


@router.get("/triage", response_model=list[TriageItem])
def triage(
    db: DbSession,
    principal: CenterPrincipal,
    request: Request,
    limit: PageSize = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TriageItem]:
    """Registered tickets waiting for a dispatcher: emergencies first, then the least confident."""
    return [
        TriageItem(ticket=views.summary(t, principal, lang=lang(request)), suggestion=_out(s) if s else None)
        for t, s in service.triage_queue(db, limit=limit, offset=offset)
    ]


@ticket_router.get("/{ticket_id}/suggestion", response_model=Suggestion)
def ticket_suggestion(ticket_id: int, db: DbSession, principal: CenterPrincipal) -> Suggestion:
    """The latest dispatch suggestion of a ticket."""
    return _out(service.get_suggestion(db, ticket_id=ticket_id, principal=principal))


@ticket_router.post("/{ticket_id}/suggestion/refresh", response_model=Suggestion)
def refresh_suggestion(ticket_id: int, db: DbSession, principal: IntakePrincipal) -> Suggestion:
    """Suggest again (after the text, area, routing table or model changed)."""
    return _out(service.refresh(db, ticket_id=ticket_id, principal=principal))


@ticket_router.post("/{ticket_id}/suggestion/second-opinion", response_model=Suggestion)
def second_opinion(ticket_id: int, db: DbSession, principal: IntakePrincipal) -> Suggestion:
    """Ask the configured large model for a second opinion (generated, advice only). 503 when no
    model is configured or it cannot answer now; the offline suggestion stands either way."""
    try:
        return _out(service.second_opinion(db, ticket_id=ticket_id, principal=principal))
    except LlmUnavailable as exc:
        raise ServiceUnavailable("llm_unavailable", reason=exc.reason) from exc


@ticket_router.post("/{ticket_id}/suggestion/accept", response_model=TicketOut)
def accept_suggestion(
    ticket_id: int, body: AcceptIn, db: DbSession, principal: IntakePrincipal, request: Request
) -> TicketOut:
    """Dispatch as suggested in one click (or to an override); recorded as accepted or corrected."""
    suggestion = service.get_suggestion(db, ticket_id=ticket_id, principal=principal)
    ticket = get_ticket(db, ticket_id=ticket_id, principal=principal)
    with referencing():
        category_id = (
            category_service.get_category(db, code_or_name=body.category_code).id
            if body.category_code
            else None
        )
    ticket = service.apply(
        db,
        ticket=ticket,
        suggestion=suggestion,
        principal=principal,
        choice=body.choice,
        department_id=body.department_id,
        category_id=category_id,
    )
    return workflow_views.detail(db, ticket, principal, lang=lang(request))


# -- the matter list (派单目录) ------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/matters", response_model=list[MatterOut])
def list_matters(
    db: DbSession,
    _: CenterPrincipal,
    q: Annotated[str | None, Query(max_length=50, description="in the name, description or keywords")] = None,
    include_inactive: bool = False,
) -> list[MatterOut]:
    """The matter list: what each matter is, who handles it and on what basis."""
    rows = matters.list_matters(db, active_only=not include_inactive, q=q)
    return [MatterOut.model_validate(matters.snapshot(db, m)) for m in rows]


@router.get("/matters.csv", response_class=Response)
def export_matters_csv(db: DbSession, _: CenterPrincipal) -> Response:
    """The active matter list as CSV, in the format the import reads."""
    return Response(
        matters.export_csv(db),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="matters.csv"'},
    )


@router.get("/matters.xlsx", response_class=Response)
def export_matters_xlsx(db: DbSession, _: CenterPrincipal) -> Response:
    """The active matter list as XLSX, in the format the import reads."""
    return Response(
        matters.export_xlsx(db),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="matters.xlsx"'},
    )


@router.get("/matters/review", response_model=list[MatterReviewRow])
def review_matters(
    db: DbSession,
    _: CenterPrincipal,
    since: datetime | None = None,
    limit: PageSize = 50,
) -> list[MatterReviewRow]:
    """派单异议 review: the matters whose dispatches were returned most, by which unit and why."""
    return matters.review(db, since=since, limit=limit)


@router.get("/matters/{code}", response_model=MatterOut)
def get_matter(code: str, db: DbSession, _: CenterPrincipal) -> MatterOut:
    return MatterOut.model_validate(matters.snapshot(db, matters.get(db, code=code)))


@router.put("/matters/{code}", response_model=MatterOut)
def put_matter(code: str, body: MatterIn, db: DbSession, principal: AdminPrincipal) -> MatterOut:
    """Create or change a matter (a new version of the list when anything changed)."""
    if body.code != code:
        raise InvalidInput("matter_code_mismatch", path=code, body=body.code)
    with referencing():
        row = matters.save(db, data=body, actor=principal.name)
    return MatterOut.model_validate(matters.snapshot(db, row))


@router.delete("/matters/{code}", response_model=MatterOut)
def delete_matter(code: str, db: DbSession, principal: AdminPrincipal) -> MatterOut:
    """Switch a matter off (kept, with its revisions, for the dispatches that used it)."""
    return MatterOut.model_validate(
        matters.snapshot(db, matters.deactivate(db, code=code, actor=principal.name))
    )


@router.post("/matters/import", response_model=MatterImportOut)
async def import_matters(
    db: DbSession,
    principal: AdminPrincipal,
    file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX with the matter list's columns")],
    replace: Annotated[
        bool, Query(description="switch off the active matters the file does not name")
    ] = False,
) -> MatterImportOut:
    """Import a matter list; a bad line refuses the whole file and names the line and the field."""
    name = Path(file.filename or "matters.csv").name
    limit = get_settings().max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput("kb_file_too_large", path=name, limit_mb=limit // 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        # the import embeds every changed matter: off the event loop
        report = await run_in_threadpool(
            matters.import_file, db, path=path, actor=principal.name, replace=replace
        )
    return MatterImportOut(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        deactivated=report.deactivated,
        version=report.version,
    )


# -- routing table ---------------------------------------------------------------------------------


def _rule_out(db: Any, rule: Any) -> RoutingRuleOut:
    return RoutingRuleOut.model_validate(rule).model_copy(update={"description": routing.describe(db, rule)})


@router.get("/routing", response_model=list[RoutingRuleOut])
def list_routing(db: DbSession, _: CenterPrincipal) -> list[RoutingRuleOut]:
    """The routing table (派单目录)."""
    return [_rule_out(db, r) for r in routing.list_rules(db)]


@router.get("/routing.csv", response_class=Response)
def export_routing(db: DbSession, _: CenterPrincipal) -> Response:
    """The active routing table as CSV, in the format `hotline routing import` reads."""
    return Response(routing.export_rules(db), media_type="text/csv; charset=utf-8")


@router.post("/routing", response_model=RoutingRuleOut, status_code=status.HTTP_201_CREATED)
def put_routing(body: RoutingRuleIn, db: DbSession, principal: AdminPrincipal) -> RoutingRuleOut:
    """Create or replace the rule for a category × area."""
    return _rule_out(db, routing.upsert_rule(db, data=body, actor=principal.name))


@router.delete("/routing/{rule_id}", response_model=RoutingRuleOut)
def delete_routing(rule_id: int, db: DbSession, principal: AdminPrincipal) -> RoutingRuleOut:
    """Switch a rule off (kept for history)."""
    return _rule_out(db, routing.deactivate_rule(db, rule_id=rule_id, actor=principal.name))


# -- gazetteer -------------------------------------------------------------------------------------


@router.get("/landmarks", response_model=list[LandmarkOut])
def list_landmarks(db: DbSession, _: CenterPrincipal) -> list[LandmarkOut]:
    """The centre's landmarks (roads, estates, schools…) used to locate requests."""
    return [
        LandmarkOut(id=x.id, name=x.name, area_id=x.area_id, kind=x.kind) for x in service.list_landmarks(db)
    ]


@router.post("/landmarks", response_model=LandmarkOut, status_code=status.HTTP_201_CREATED)
def add_landmark(body: LandmarkIn, db: DbSession, _: AdminPrincipal) -> LandmarkOut:
    """Add a landmark to the gazetteer."""
    row = service.add_landmark(db, name=body.name, area_code=body.area_code, kind=body.kind)
    return LandmarkOut(id=row.id, name=row.name, area_id=row.area_id, kind=row.kind)


# -- models ----------------------------------------------------------------------------------------


@router.get("/models", response_model=list[ModelVersionOut])
def list_models(db: DbSession, _: CenterPrincipal) -> list[ModelVersionOut]:
    """Trained model versions with their figures; one is active."""
    return [ModelVersionOut.model_validate(r) for r in model_registry.list_versions(db, kind=CATEGORY)]


@router.post("/models/{version}/activate", response_model=ModelVersionOut)
def activate_model(version: int, db: DbSession, _: AdminPrincipal) -> ModelVersionOut:
    """Serve this version from now on, in every process."""
    row = model_registry.get_by_number(db, version=version, kind=CATEGORY)
    return ModelVersionOut.model_validate(model_registry.activate(db, version_id=row.id))


@router.post("/models/rollback", response_model=ModelVersionOut)
def rollback_model(db: DbSession, _: AdminPrincipal) -> ModelVersionOut:
    """Go back to the version that was active before the current one."""
    return ModelVersionOut.model_validate(model_registry.rollback(db, kind=CATEGORY))
