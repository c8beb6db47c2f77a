"""analytics

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 01:34:24.336788
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotspot_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("start_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("n_tickets", sa.Integer(), nullable=False),
        sa.Column("n_topics", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_runs")),
    )
    with op.batch_alter_table("hotspot_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotspot_runs_period"), ["period"], unique=False)

    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", hotline.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["tickets.id"], name=op.f("fk_duplicate_candidates_candidate_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_duplicate_candidates_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_duplicate_candidates_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_candidates")),
        sa.UniqueConstraint(
            "ticket_id", "candidate_id", name=op.f("uq_duplicate_candidates_ticket_id_candidate_id")
        ),
    )
    with op.batch_alter_table("duplicate_candidates", schema=None) as batch_op:
        batch_op.create_index("ix_duplicate_candidates_status", ["status", "score"], unique=False)
        batch_op.create_index(batch_op.f("ix_duplicate_candidates_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("supporter_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_supports_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_supports")),
        sa.UniqueConstraint(
            "ticket_id", "supporter_hash", name=op.f("uq_ticket_supports_ticket_id_supporter_hash")
        ),
    )
    with op.batch_alter_table("ticket_supports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_supports_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("example_ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_topics_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_topics_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["example_ticket_id"], ["tickets.id"], name=op.f("fk_topics_example_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["hotspot_runs.id"], name=op.f("fk_topics_run_id_hotspot_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topics_run_id"), ["run_id"], unique=False)

    op.create_table(
        "ticket_topics",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_topics_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_ticket_topics_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_topics")),
    )
    with op.batch_alter_table("ticket_topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_topics_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "ticket_words",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_words_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_words")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supports", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("supports")

    op.drop_table("ticket_words")

    with op.batch_alter_table("ticket_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_topics_topic_id"))

    op.drop_table("ticket_topics")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topics_run_id"))

    op.drop_table("topics")
    with op.batch_alter_table("ticket_supports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_supports_ticket_id"))

    op.drop_table("ticket_supports")
    with op.batch_alter_table("duplicate_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_candidates_ticket_id"))
        batch_op.drop_index("ix_duplicate_candidates_status")

    op.drop_table("duplicate_candidates")
    with op.batch_alter_table("hotspot_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotspot_runs_period"))

    op.drop_table("hotspot_runs")
    # ### end Alembic commands ###
