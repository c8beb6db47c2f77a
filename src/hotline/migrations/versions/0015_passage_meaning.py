"""knowledge passages keep their role (body or note: a disclaimer is never an answer) and their sentence
vector, computed when the article is written; a hotspot run's period may be a span of periods
(2018-11..2020-01)

Existing articles are cut into passages again with the roles (the vectors are made by the
`kb_vectors` sweep or `hotline kb embed`). SQLite rebuilds hotspot_runs to widen its period: on a
connection that enforces foreign keys that would delete the topics (ON DELETE CASCADE), so the
revision refuses there when runs exist (`hotline init` migrates on a connection without them).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.kb.chunking import chunk

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "kb_passages", sa.Column("role", sa.String(length=16), server_default="body", nullable=False)
    )
    op.add_column("kb_passages", sa.Column("vector_model", sa.String(length=64), nullable=True))
    op.add_column("kb_passages", sa.Column("vector", sa.LargeBinary(), nullable=True))
    _rechunk()
    _refuse_cascading_rebuild()
    with op.batch_alter_table("hotspot_runs") as batch:
        batch.alter_column("period", existing_type=sa.String(length=16), type_=sa.String(length=32))


def _refuse_cascading_rebuild() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    has_rows = bind.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM hotspot_runs)").scalar()
    if enforced and has_rows:
        raise RuntimeError(
            "修订 0015 需在未启用外键约束的连接上升级 SQLite 数据库：请运行 hotline init / "
            "revision 0015 must upgrade SQLite on a connection without foreign-key enforcement: run `hotline init`"
        )


def _rechunk() -> None:
    """Cut every article again, so a quoted disclaimer becomes a note of its own instead of the head of
    a passage of real text (the chunker of this revision; a FAQ is one passage under its title)."""
    bind = op.get_bind()
    articles = bind.execute(sa.text("SELECT id, title, body, kind FROM kb_articles")).all()
    for article_id, title, body, kind in articles:
        pieces = chunk(body or "")
        bind.execute(sa.text("DELETE FROM kb_passages WHERE article_id = :a"), {"a": article_id})
        for i, piece in enumerate(pieces):
            bind.execute(
                sa.text(
                    "INSERT INTO kb_passages (article_id, ordinal, heading, text, role) "
                    "VALUES (:a, :o, :h, :t, :r)"
                ),
                {
                    "a": article_id,
                    "o": i,
                    "h": title if kind == "faq" else (piece.heading or title),
                    "t": piece.text,
                    "r": "note" if piece.note and kind != "faq" else "body",
                },
            )


def downgrade() -> None:
    _refuse_cascading_rebuild()
    # a span's period does not fit the old column: its runs go (their topics with them)
    op.execute("DELETE FROM hotspot_runs WHERE length(period) > 16")
    with op.batch_alter_table("hotspot_runs") as batch:
        batch.alter_column("period", existing_type=sa.String(length=32), type_=sa.String(length=16))
    with op.batch_alter_table("kb_passages") as batch:
        batch.drop_column("vector")
        batch.drop_column("vector_model")
        batch.drop_column("role")
