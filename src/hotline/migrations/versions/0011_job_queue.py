"""job queue: procrastinate 3.10.0's schema (PostgreSQL only; SQLite has no queue)

The schema is the one procrastinate 3.10.0 ships (sql/schema.sql), copied beside this file so the
revision never changes. A later procrastinate release that changes its schema comes with its own
migration scripts (procrastinate/sql/migrations); they go into a new revision.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 05:10:00
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).with_name("0011_procrastinate_3_10_0.sql")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # on the driver's cursor, without parameters: the script's own % signs are not placeholders
    cursor = bind.connection.cursor()
    try:
        cursor.execute(SCHEMA.read_text(encoding="utf-8"))
    finally:
        cursor.close()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in (
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_jobs",
        "procrastinate_workers",
    ):
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    functions = bind.exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE p.proname LIKE 'procrastinate%%' AND n.nspname = current_schema()"
    ).scalars()
    for signature in list(functions):
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for type_ in (
        "procrastinate_job_to_defer_v1",
        "procrastinate_job_event_type",
        "procrastinate_job_status",
    ):
        bind.exec_driver_sql(f"DROP TYPE IF EXISTS {type_} CASCADE")
