"""Articles: create, edit (each save a new version), publish, expire; departments keep their own."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.categories import service as category_service
from hotline.db import utcnow
from hotline.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotline.kb import importers, search
from hotline.kb.chunking import chunk
from hotline.kb.enums import ArticleKind, ArticleStatus, PassageRole
from hotline.kb.models import Article, ArticleVersion, Passage
from hotline.kb.schemas import ArticleIn, ArticleUpdate
from hotline.nlp import embedding
from hotline.org import service as org_service


def servable_clause(now: datetime) -> ColumnElement[bool]:
    """Published and inside the validity window: the only articles ever served."""
    return (
        (Article.status == ArticleStatus.published.value)
        & or_(Article.valid_from.is_(None), Article.valid_from <= now)
        & or_(Article.valid_to.is_(None), Article.valid_to > now)
    )


def is_served(article: Article, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        article.status == ArticleStatus.published
        and (article.valid_from is None or article.valid_from <= now)
        and (article.valid_to is None or article.valid_to > now)
    )


def _check_editor(principal: Principal, department_id: int | None) -> None:
    if policy.may(principal, Permission.edit_any_knowledge):
        return
    policy.check(principal, Permission.edit_knowledge, "kb_edit_denied")
    if department_id is None or department_id != principal.department_id:
        raise PermissionDenied("kb_edit_other_department")


def _owner(session: Session, data: ArticleIn, principal: Principal) -> int | None:
    if data.department_code:
        return org_service.get_department_by_code(session, code=data.department_code).id
    return principal.department_id


def get_article(session: Session, *, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("article_not_found", id=article_id)
    return article


def list_articles(
    session: Session,
    *,
    status: ArticleStatus | None = None,
    department_id: int | None = None,
    served_only: bool = False,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[Article]:
    stmt = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if status is not None:
        stmt = stmt.where(Article.status == status.value)
    if department_id is not None:
        stmt = stmt.where(Article.department_id == department_id)
    if served_only:
        stmt = stmt.where(servable_clause(now or utcnow()))
    if q:
        stmt = stmt.where(or_(Article.title.contains(q), Article.body.contains(q)))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def create_article(
    session: Session,
    *,
    data: ArticleIn,
    principal: Principal,
    source: str | None = None,
    now: datetime | None = None,
) -> Article:
    now = now or utcnow()
    department_id = _owner(session, data, principal)
    _check_editor(principal, department_id)
    article = Article(
        title=data.title,
        body=data.body,
        kind=data.kind,
        status=data.status,
        department_id=department_id,
        category_id=_category_id(session, data.category_code),
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        source=source,
        tags=list(data.tags),
        version=1,
        created_at=now,
        updated_at=now,
        updated_by=principal.name,
        published_at=now if data.status == ArticleStatus.published else None,
    )
    session.add(article)
    session.flush()
    _snapshot(session, article, principal, data.note or "创建", now)
    _rebuild_passages(session, article)
    return article


def update_article(
    session: Session,
    *,
    article_id: int,
    data: ArticleUpdate,
    principal: Principal,
    now: datetime | None = None,
) -> Article:
    """Save a new version; refused (409) when someone saved after the version you edited."""
    now = now or utcnow()
    article = get_article(session, article_id=article_id)
    _check_editor(principal, article.department_id)
    if data.expected_version != article.version:
        raise Conflict(
            "article_version_conflict", id=article_id, current=article.version, yours=data.expected_version
        )
    department_id = _owner(session, data, principal) if data.department_code else article.department_id
    if department_id != article.department_id:
        _check_editor(principal, department_id)
    was_published = article.status == ArticleStatus.published
    article.title, article.body, article.kind, article.status = data.title, data.body, data.kind, data.status
    article.department_id = department_id
    article.category_id = _category_id(session, data.category_code)
    article.valid_from, article.valid_to, article.tags = data.valid_from, data.valid_to, list(data.tags)
    article.version += 1
    article.updated_at, article.updated_by = now, principal.name
    if data.status == ArticleStatus.published and not was_published:
        article.published_at = now
    _snapshot(session, article, principal, data.note, now)
    _rebuild_passages(session, article)
    return article


def set_status(
    session: Session,
    *,
    article_id: int,
    status: ArticleStatus,
    principal: Principal,
    note: str | None = None,
    now: datetime | None = None,
) -> Article:
    """Publish or expire an article (a new version in its history)."""
    now = now or utcnow()
    article = get_article(session, article_id=article_id)
    _check_editor(principal, article.department_id)
    if article.status == status:
        return article
    article.status = status
    article.version += 1
    article.updated_at, article.updated_by = now, principal.name
    if status == ArticleStatus.published:
        article.published_at = now
        if article.valid_to is not None and article.valid_to <= now:
            raise InvalidInput("article_already_invalid", id=article_id)
    _snapshot(
        session, article, principal, note or {"published": "发布", "expired": "失效"}.get(status.value), now
    )
    return article


def versions(session: Session, *, article_id: int) -> list[ArticleVersion]:
    get_article(session, article_id=article_id)
    return list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version)
        )
    )


def passages(session: Session, *, article_id: int) -> list[Passage]:
    return list(
        session.scalars(select(Passage).where(Passage.article_id == article_id).order_by(Passage.ordinal))
    )


def import_file(
    session: Session,
    *,
    path: Path,
    principal: Principal,
    department_code: str | None = None,
    publish: bool = False,
    question_column: str | None = None,
    answer_column: str | None = None,
    display_name: str | None = None,
) -> tuple[int, int, list[Article]]:
    """Import a document or FAQ list; an article from the same source (file name, FAQ row) is updated
    in place as a new version. Returns (created, updated, articles)."""
    drafts = importers.read(path, question_column=question_column, answer_column=answer_column)
    created = updated = 0
    out = []
    for draft in drafts:
        source = draft.source if display_name is None else draft.source.replace(path.name, display_name, 1)
        data = ArticleIn(
            title=draft.title,
            body=draft.body,
            kind=draft.kind,
            status=ArticleStatus.published if publish else ArticleStatus.draft,
            department_code=department_code,
            note=f"导入 {source}",
        )
        existing = session.scalar(select(Article).where(Article.source == source))
        if existing is None:
            out.append(create_article(session, data=data, principal=principal, source=source))
            created += 1
        else:
            update = ArticleUpdate(**data.model_dump(), expected_version=existing.version)
            if existing.department_id and not department_code:
                update.department_code = None
            out.append(update_article(session, article_id=existing.id, data=update, principal=principal))
            updated += 1
    return created, updated, out


def _category_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    try:
        return category_service.get_category(session, code_or_name=code).id
    except NotFound as exc:
        raise InvalidInput(exc.message_key, **exc.params) from exc


def _snapshot(
    session: Session, article: Article, principal: Principal, note: str | None, now: datetime
) -> None:
    session.add(
        ArticleVersion(
            article_id=article.id,
            version=article.version,
            title=article.title,
            body=article.body,
            status=article.status,
            valid_from=article.valid_from,
            valid_to=article.valid_to,
            created_at=now,
            created_by=principal.name,
            note=note,
        )
    )


def _rebuild_passages(session: Session, article: Article) -> None:
    session.execute(delete(Passage).where(Passage.article_id == article.id))
    pieces = chunk(article.body)
    if article.kind == ArticleKind.faq:
        # a question and its answer are one passage: the question is what people ask
        pieces = [replace(p, heading=article.title, note=False) for p in pieces]
    rows = [
        Passage(
            article_id=article.id,
            ordinal=i,
            heading=piece.heading or article.title,
            text=piece.text,
            role=PassageRole.note if piece.note else PassageRole.body,
        )
        for i, piece in enumerate(pieces)
    ]
    # the meaning of each passage, computed now (once per save) so that a question costs one embedding
    vectors = search.passage_vectors([(article.title, r.heading, r.text) for r in rows])
    for i, row in enumerate(rows):
        if vectors is not None:
            row.vector, row.vector_model = vectors[i], embedding.MODEL_NAME
        session.add(row)
    session.flush()


EMBED_BATCH = 500  # passages given a vector per sweep


def embed_passages(session: Session, *, limit: int | None = None) -> int:
    """Store the vector of passages that have none from the embedding in use (at most `limit`; the
    notes too, so none is asked again); how many."""
    stmt = (
        select(Passage, Article.title)
        .join(Article, Article.id == Passage.article_id)
        .where(or_(Passage.vector_model.is_(None), Passage.vector_model != embedding.MODEL_NAME))
        .order_by(Passage.id)
    )
    rows = session.execute(stmt.limit(limit) if limit else stmt).all()
    done = 0
    for n in range(0, len(rows), 64):
        batch = rows[n : n + 64]
        vectors = search.passage_vectors([(title, p.heading, p.text) for p, title in batch])
        if vectors is None:
            break
        for (p, _), v in zip(batch, vectors, strict=True):
            p.vector, p.vector_model = v, embedding.MODEL_NAME
            done += 1
    session.flush()
    return done
