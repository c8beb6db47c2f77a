"""contact views

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 02:49:17.781505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_contact_views_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_views")),
    )
    with op.batch_alter_table("contact_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_views_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_views_user_id"), ["user_id"], unique=False)
    # an access log is append-only in the database itself, as ticket_events is
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION contact_views_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'contact_views is append-only'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER contact_views_no_change BEFORE UPDATE OR DELETE ON contact_views "
            "FOR EACH ROW EXECUTE FUNCTION contact_views_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER contact_views_no_{verb.lower()} BEFORE {verb} ON contact_views "
                "BEGIN SELECT RAISE(ABORT, 'contact_views is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contact_views_no_change ON contact_views")
        op.execute("DROP FUNCTION IF EXISTS contact_views_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS contact_views_no_update")
        op.execute("DROP TRIGGER IF EXISTS contact_views_no_delete")
    with op.batch_alter_table("contact_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_views_user_id"))
        batch_op.drop_index(batch_op.f("ix_contact_views_at"))

    op.drop_table("contact_views")
