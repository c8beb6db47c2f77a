"""what the platform's checks made of each large-model reply: shown (passed) or withheld, and why

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("llm_calls", sa.Column("verdict", sa.String(length=16), nullable=True))
    op.add_column("llm_calls", sa.Column("verdict_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.drop_column("verdict_reason")
        batch.drop_column("verdict")
