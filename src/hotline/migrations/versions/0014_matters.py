"""the matter list (派单目录): matters with their revisions and the list's versions; each ticket's
sentence vector; a suggestion records the matter and the list's version it used

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matter_catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("matters", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_catalog_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_matter_catalog_versions_version")),
    )
    op.create_table(
        "matters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("local_kind", sa.String(length=24), nullable=True),
        sa.Column("co_department_ids", sa.JSON(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("vectors", sa.LargeBinary(), nullable=True),
        sa.Column("vector_model", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_matters_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_matters_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_matters_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matters")),
        sa.UniqueConstraint("code", name=op.f("uq_matters_code")),
    )
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matters_active"), ["active"], unique=False)
    op.create_table(
        "matter_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("changed_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_matter_revisions_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_revisions")),
        sa.UniqueConstraint("matter_id", "revision", name=op.f("uq_matter_revisions_matter_id_revision")),
    )
    with op.batch_alter_table("matter_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matter_revisions_matter_id"), ["matter_id"], unique=False)
    op.create_table(
        "ticket_vectors",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", hotline.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_vectors_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_vectors")),
    )
    # nothing references dispatch_suggestions: SQLite's rebuild of it cascades to no other table
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matter_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("catalog_version", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_dispatch_suggestions_matter_id"), ["matter_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_dispatch_suggestions_matter_id_matters"), "matters", ["matter_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_dispatch_suggestions_matter_id_matters"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_dispatch_suggestions_matter_id"))
        batch_op.drop_column("catalog_version")
        batch_op.drop_column("matter_id")
    op.drop_table("ticket_vectors")
    with op.batch_alter_table("matter_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matter_revisions_matter_id"))
    op.drop_table("matter_revisions")
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matters_active"))
    op.drop_table("matters")
    op.drop_table("matter_catalog_versions")
