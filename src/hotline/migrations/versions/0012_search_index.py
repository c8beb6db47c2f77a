"""search index: a trigram index on what the operator's search box looks in (PostgreSQL only)

The expression is the one hotline.tickets.service.search_text() builds; PostgreSQL uses the index only
when the query's expression is the same. pg_trgm is a trusted extension (PostgreSQL 13+): a database
owner may create it. Where it cannot be created the index is left out and searches read the table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 05:20:00
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

EXPRESSION = "(number || ' ' || title || ' ' || content || ' ' || COALESCE(address, ''))"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    ).scalar()
    if schema is None:
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        except DBAPIError as exc:
            log.warning("pg_trgm not available (%s): ticket search reads the table", exc.orig)
            return
        schema = "public"
    bind.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS ix_tickets_search_trgm ON tickets USING gin ({EXPRESSION} {schema}.gin_trgm_ops)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql("DROP INDEX IF EXISTS ix_tickets_search_trgm")
