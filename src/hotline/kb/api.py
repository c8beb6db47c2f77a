"""HTTP API of the knowledge base, search and answers, and the operator/department assistants."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.assist import service as assist
from hotline.categories import service as category_service
from hotline.config import get_settings
from hotline.errors import InvalidInput, referencing
from hotline.http.deps import CurrentPrincipal, DbSession, PageSize, require
from hotline.kb import qa, service
from hotline.kb.enums import ArticleStatus
from hotline.kb.models import Article
from hotline.kb.schemas import (
    AnswerOut,
    ArticleIn,
    ArticleOut,
    ArticleUpdate,
    ArticleVersionOut,
    DraftIn,
    DraftReplyOut,
    HitOut,
    ImportResult,
    IntakeAssistOut,
    QuestionIn,
    TicketSummaryOut,
)
from hotline.org import service as org_service
from hotline.tickets.service import get_ticket

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
assist_router = APIRouter(prefix="/api/v1", tags=["assist"])
public = APIRouter(prefix="/api/v1/public", tags=["public"])

CenterPrincipal = Annotated[Principal, Depends(require(Permission.use_assistance))]


def _out(article: Article) -> ArticleOut:
    return ArticleOut.model_validate(article).model_copy(update={"served": service.is_served(article)})


@router.get("/articles", response_model=list[ArticleOut])
def list_articles(
    db: DbSession,
    _: CurrentPrincipal,
    status_: Annotated[ArticleStatus | None, Query(alias="status")] = None,
    department_id: int | None = None,
    served: bool = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: PageSize = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ArticleOut]:
    """Articles, newest change first; `served=true` for those citizens are answered from now."""
    rows = service.list_articles(
        db, status=status_, department_id=department_id, served_only=served, q=q, limit=limit, offset=offset
    )
    return [_out(a) for a in rows]


@router.post("/articles", response_model=ArticleOut, status_code=status.HTTP_201_CREATED)
def create_article(body: ArticleIn, db: DbSession, principal: CurrentPrincipal) -> ArticleOut:
    """Write an article (departments: for themselves; the centre: for anyone)."""
    with referencing():
        return _out(service.create_article(db, data=body, principal=principal))


@router.get("/articles/{article_id}", response_model=ArticleOut)
def get_article(article_id: int, db: DbSession, _: CurrentPrincipal) -> ArticleOut:
    return _out(service.get_article(db, article_id=article_id))


@router.put("/articles/{article_id}", response_model=ArticleOut)
def update_article(
    article_id: int, body: ArticleUpdate, db: DbSession, principal: CurrentPrincipal
) -> ArticleOut:
    """Save a new version; 409 if someone saved after the version you edited."""
    service.get_article(db, article_id=article_id)
    with referencing():
        return _out(service.update_article(db, article_id=article_id, data=body, principal=principal))


@router.post("/articles/{article_id}/publish", response_model=ArticleOut)
def publish(article_id: int, db: DbSession, principal: CurrentPrincipal) -> ArticleOut:
    return _out(
        service.set_status(db, article_id=article_id, status=ArticleStatus.published, principal=principal)
    )


@router.post("/articles/{article_id}/expire", response_model=ArticleOut)
def expire(article_id: int, db: DbSession, principal: CurrentPrincipal) -> ArticleOut:
    """Withdraw an article: it is never served again (its history stays)."""
    return _out(
        service.set_status(db, article_id=article_id, status=ArticleStatus.expired, principal=principal)
    )


@router.get("/articles/{article_id}/versions", response_model=list[ArticleVersionOut])
def versions(article_id: int, db: DbSession, _: CurrentPrincipal) -> list[ArticleVersionOut]:
    return [ArticleVersionOut.model_validate(v) for v in service.versions(db, article_id=article_id)]


@router.post("/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED)
async def import_file(
    db: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="Markdown, HTML, DOCX, PDF, TXT, or a CSV/XLSX FAQ list")],
    department_code: Annotated[str | None, Form()] = None,
    publish: Annotated[bool, Form()] = False,
    question_column: Annotated[str | None, Form()] = None,
    answer_column: Annotated[str | None, Form()] = None,
) -> ImportResult:
    """Import a document (one article) or an FAQ list (one article per row); a re-import of the same
    file updates its articles as new versions."""
    name = Path(file.filename or "upload").name
    data = await file.read(get_settings().max_upload_bytes + 1)
    if len(data) > get_settings().max_upload_bytes:
        raise InvalidInput(
            "kb_file_too_large", path=name, limit_mb=get_settings().max_upload_bytes // 1_000_000
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with referencing():
            created, updated, articles = service.import_file(
                db,
                path=path,
                principal=principal,
                department_code=department_code,
                publish=publish,
                question_column=question_column,
                answer_column=answer_column,
            )
    return ImportResult(
        created=created,
        updated=updated,
        articles=[{"id": a.id, "title": a.title, "version": a.version} for a in articles],
    )


@router.get("/search", response_model=list[HitOut])
def search(
    db: DbSession,
    _: CenterPrincipal,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[HitOut]:
    """KB passages for a query, best first (only articles served now, only those related to it)."""
    return [_hit(h) for h in qa.search_listing(db, q, k=k)]


@router.post("/ask", response_model=AnswerOut)
def ask(body: QuestionIn, db: DbSession, _: CurrentPrincipal) -> AnswerOut:
    """Answer a question from the KB, with sources (staff)."""
    return qa.answer(db, body.question, use_llm=body.use_llm)


def _hit(h: qa.Hit) -> HitOut:
    out = h.as_dict()
    for key in ("valid_from", "valid_to", "closed_at"):
        if isinstance(out.get(key), datetime):
            out[key] = out[key].isoformat()
    return HitOut.model_validate(out)


@assist_router.post("/assist/intake", response_model=IntakeAssistOut)
def assist_intake(body: DraftIn, db: DbSession, _: CenterPrincipal) -> IntakeAssistOut:
    """While an operator types: the related KB passages, the resolved tickets about the same problem
    with their replies (those of the place and category given first, none of another district), and
    the KB answer if there is one."""
    text = f"{body.title} {body.content}"
    area_id = org_service.area_id(db, code=body.area_code) if body.area_code else None
    category_id = None
    if body.category_code:
        with referencing():  # an unknown code is the caller's mistake: 422 naming it
            category_id = category_service.get_category(db, code_or_name=body.category_code).id
    return IntakeAssistOut(
        passages=[_hit(h) for h in qa.search_listing(db, text, k=3)],
        similar_tickets=[
            _hit(h) for h in qa.similar_tickets(db, text, k=5, area_id=area_id, category_id=category_id)
        ],
        answer=qa.answer(db, text, use_llm=False),
    )


@assist_router.get("/tickets/{ticket_id}/summary", response_model=TicketSummaryOut)
def ticket_summary(
    ticket_id: int, db: DbSession, principal: CurrentPrincipal, llm: bool = True
) -> TicketSummaryOut:
    """The ticket's summary and key fields (who, where, what, when, demand); generated ones are marked."""
    ticket = get_ticket(db, ticket_id=ticket_id, principal=principal)
    return TicketSummaryOut.model_validate(assist.summarize(db, ticket, use_llm=llm))


@assist_router.post("/tickets/{ticket_id}/draft-reply", response_model=DraftReplyOut)
def ticket_draft_reply(
    ticket_id: int, db: DbSession, principal: CurrentPrincipal, llm: bool = True
) -> DraftReplyOut:
    """A draft reply with its policy basis and precedents, for the department to edit and send."""
    ticket = get_ticket(db, ticket_id=ticket_id, principal=principal)
    department_id = (
        principal.department_id if principal.department_id is not None else ticket.lead_department_id
    )
    return DraftReplyOut.model_validate(
        assist.draft_reply(db, ticket, department_id=department_id, use_llm=llm)
    )


@public.post("/ask", response_model=AnswerOut)
def public_ask(body: QuestionIn, db: DbSession) -> AnswerOut:
    """A citizen's question: an answer with its sources, or an honest "not known" and an offer to file a
    request (POST /api/v1/public/tickets)."""
    out = qa.answer(db, body.question, use_llm=body.use_llm)
    # what the checks withheld is for staff: a citizen sees only what passed
    return out.model_copy(update={"checks": None})
