"""personal data: citizens' phones (tickets, call records, call-back tasks, notification recipients)
encrypted at rest, an encrypted ID number, the public/confidential choice of a request, server-side
console sessions, sign-in failures per account

Phones stored before this revision are encrypted here with the data key in force (HOTLINE_DATA_KEYS,
or the one derived from HOTLINE_SECRET_KEY); a downgrade writes them back in clear.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.privacy import crypto

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENCRYPTED = [
    ("tickets", "citizen_phone", 32),
    ("call_records", "caller_phone", 32),
    ("callback_tasks", "caller_phone", 32),
    ("notifications", "recipient", 255),
]


def _rewrite(table: str, column: str, change: object) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''")  # noqa: S608 - names from ENCRYPTED
    )
    for row_id, value in rows.fetchall():
        new = change(value)  # type: ignore[operator]
        if new != value:
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                {"v": new, "id": row_id},
            )


def _refuse_cascading_rebuild() -> None:
    """SQLite rebuilds the tickets table to change a column's type; with foreign keys enforced on the
    connection, dropping the old table would delete the rows that reference it (attachments…). The
    hotline CLI (`hotline init`) migrates on a connection of its own without them; refuse otherwise."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    has_rows = bind.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM tickets)").scalar()
    if enforced and has_rows:
        raise RuntimeError(
            "修订 0013 需在未启用外键约束的连接上升级 SQLite 数据库：请运行 hotline init / "
            "revision 0013 must upgrade SQLite on a connection without foreign-key enforcement: run `hotline init`"
        )


def upgrade() -> None:
    _refuse_cascading_rebuild()
    for table, column, _ in ENCRYPTED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.Text(), existing_nullable=column != "recipient")
        _rewrite(table, column, crypto.rotate)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column(
            "idempotency_key", type_=sa.String(length=160), existing_type=sa.String(length=100)
        )
        batch_op.add_column(sa.Column("citizen_id_number", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_sessions_digest")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "account_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_account_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_events_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_events")),
    )
    with op.batch_alter_table("account_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_events_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_events_user_id"))
        batch_op.drop_index(batch_op.f("ix_account_events_at"))
    op.drop_table("account_events")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("confidential")
        batch_op.drop_column("public")
        batch_op.drop_column("citizen_id_number")
        batch_op.alter_column(
            "idempotency_key", type_=sa.String(length=100), existing_type=sa.String(length=160)
        )
    for table, column, length in ENCRYPTED:
        _rewrite(table, column, lambda v: crypto.decrypt(v) or "")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column, type_=sa.String(length=length), existing_nullable=column != "recipient"
            )
