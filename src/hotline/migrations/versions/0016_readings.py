"""who read a follow-up answer (the citizen's choice, the machine, a person who confirmed it), with the
machine's confidence and whether an unsatisfied answer is about the department's own work; whether a
ticket's request type was read by the platform rather than said by a person

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("follow_up_tasks", sa.Column("read_by", sa.String(length=16), nullable=True))
    op.add_column("follow_up_tasks", sa.Column("confidence", sa.Double(), nullable=True))
    op.add_column("follow_up_tasks", sa.Column("within_power", sa.Boolean(), nullable=True))
    op.add_column("tickets", sa.Column("request_type_read", sa.Boolean(), nullable=True))
    # answers recorded before: whether the citizen chose or the old word rules read a comment was not
    # kept, so they are counted apart
    op.execute("UPDATE follow_up_tasks SET read_by = 'before' WHERE answered_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("request_type_read")
    with op.batch_alter_table("follow_up_tasks") as batch:
        batch.drop_column("within_power")
        batch.drop_column("confidence")
        batch.drop_column("read_by")
