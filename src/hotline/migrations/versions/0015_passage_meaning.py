"""knowledge passages keep their role (body or note: a disclaimer is never an answer) and their sentence
vector, computed when the article is written; a hotspot run's period may be a span of periods
(2018-11..2020-01)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_passages") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="body", nullable=False))
        batch.add_column(sa.Column("vector_model", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("vector", sa.LargeBinary(), nullable=True))
    # passages written before: a quoted line (Markdown "> …") is a note
    op.execute("UPDATE kb_passages SET role = 'note' WHERE text LIKE '>%'")
    with op.batch_alter_table("hotspot_runs") as batch:
        batch.alter_column("period", existing_type=sa.String(length=16), type_=sa.String(length=32))


def downgrade() -> None:
    with op.batch_alter_table("hotspot_runs") as batch:
        batch.alter_column("period", existing_type=sa.String(length=32), type_=sa.String(length=16))
    with op.batch_alter_table("kb_passages") as batch:
        batch.drop_column("vector")
        batch.drop_column("vector_model")
        batch.drop_column("role")
