"""The `hotline` command: a thin shell over the same services the API calls."""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from hotline.config import get_settings

app = typer.Typer(help="Hotline 12345 — 政务服务便民热线平台", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations)", no_args_is_help=True)
org_app = typer.Typer(help="Org tree: areas and departments", no_args_is_help=True)
users_app = typer.Typer(help="Users and API tokens", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(users_app, name="users")

log = logging.getLogger(__name__)


def _setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("HOTLINE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the schema up to date (alembic upgrade)."""
    from hotline import migrate

    _setup_logging()
    migrate.upgrade(get_settings().database_url, revision=revision)
    typer.echo(f"schema at {revision}: {get_settings().database_url.split('@')[-1]}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="target revision, e.g. base")) -> None:
    """Take the schema down to a revision (destroys data above it)."""
    from hotline import migrate

    migrate.downgrade(get_settings().database_url, revision=revision)


@app.command()
def init() -> None:
    """Upgrade the schema and load the taxonomy and default SLA rules."""
    from hotline import migrate
    from hotline.bootstrap import bootstrap
    from hotline.db import session_scope

    _setup_logging()
    migrate.upgrade(get_settings().database_url)
    with session_scope() as session:
        typer.echo(json.dumps(bootstrap(session), ensure_ascii=False))


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="API processes (PostgreSQL for more than one)")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    _setup_logging()
    uvicorn.run("hotline.api.asgi:app", host=host, port=port, workers=workers, log_level="info")


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    tickets: Annotated[int, typer.Option(help="demo tickets to create on an empty database")] = 300,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="start the API afterwards")] = True,
) -> None:
    """Create the demo city (明湖市) with users and tickets on the configured database, then serve it."""
    from hotline import migrate
    from hotline.db import session_scope
    from hotline.demo.seed import DEMO_PASSWORD, seed_demo

    _setup_logging()
    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("the demo refuses to run with HOTLINE_ENVIRONMENT=production")
    migrate.upgrade(settings.database_url)
    with session_scope() as session:
        result = seed_demo(session, tickets=tickets)
    typer.echo(f"demo data ready ({result['tickets']} new tickets) in {settings.database_url}")
    typer.echo(f"users: admin, operator, dispatcher, leader, hb_center, h_zjj, … password: {DEMO_PASSWORD}")
    if serve_api:
        typer.echo(f"API: http://{host}:{port}/docs")
        serve(host=host, port=port, workers=1)


@org_app.command("import")
def org_import(path: Path) -> None:
    """Import areas and departments from a YAML or CSV file (upsert by code; all or nothing)."""
    from hotline.db import session_scope
    from hotline.org import service

    with session_scope() as session:
        report = service.import_org(session, org=service.parse_org_file(path))
    typer.echo(report.model_dump_json())


@app.command("categories")
def categories_import(
    path: Path,
    columns: Annotated[
        str, typer.Option(help="comma-separated level columns")
    ] = "一级分类,二级分类,三级分类",
) -> None:
    """Import a category tree from a CSV with one column per level."""
    from hotline.categories import service
    from hotline.db import session_scope

    with session_scope() as session:
        created = service.import_taxonomy(session, path=path, level_columns=columns.split(","))
    typer.echo(f"{created} categories created")


@users_app.command("create")
def users_create(
    username: str,
    role: str,
    display_name: Annotated[str | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option(help="department code, for handler/area_center")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create a user."""
    from hotline.accounts import service
    from hotline.accounts.enums import Role
    from hotline.accounts.schemas import UserIn
    from hotline.db import session_scope

    with session_scope() as session:
        user = service.create_user(
            session,
            data=UserIn(
                username=username,
                display_name=display_name or username,
                password=password,
                role=Role(role),
                department_code=department,
            ),
        )
        typer.echo(f"user {user.username} ({user.role}) created")


@users_app.command("token")
def users_token(username: str, days: int = 365, name: str = "integration") -> None:
    """Issue an API token for a user (for integrations); printed once."""
    from sqlalchemy import select

    from hotline.accounts import service
    from hotline.accounts.models import User
    from hotline.db import session_scope

    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise typer.BadParameter(f"no user {username}")
        secret, _ = service.issue_token(session, user=user, ttl=timedelta(days=days), name=name)
    typer.echo(secret)


def main() -> None:
    """Entry point of the `hotline` command."""
    from hotline.errors import DomainError
    from hotline.i18n import translate

    try:
        app()
    except DomainError as exc:
        typer.echo(translate(exc.message_key, get_settings().default_language, **exc.params), err=True)
        raise SystemExit(2) from exc
