"""Tables of the knowledge base: articles, their version history, and the passages served."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, utcnow
from hotline.kb.enums import ArticleKind, ArticleStatus, PassageRole


class Article(Base):
    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_status", "status", "valid_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[ArticleKind] = mapped_column(String(16), default=ArticleKind.policy)
    status: Mapped[ArticleStatus] = mapped_column(String(16), default=ArticleStatus.draft)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(500))  # file name or URL it came from
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None]


class ArticleVersion(Base):
    """Every saved state of an article, in order; never changed."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(String(16))
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))


class Passage(Base):
    """A retrievable piece of the current version of an article, under its heading. A note (a quoted
    disclaimer, a remark) is kept with the article but never answers a question. The sentence vector
    (float16, e5 passage) is computed when the article is written."""

    __tablename__ = "kb_passages"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    ordinal: Mapped[int]
    heading: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    role: Mapped[PassageRole] = mapped_column(String(16), default=PassageRole.body, server_default="body")
    vector_model: Mapped[str | None] = mapped_column(String(64))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
