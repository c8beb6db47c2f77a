"""The `hotline` command: a thin shell over the same services the API calls."""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.config import get_settings

app = typer.Typer(help="Hotline 12345 — 政务服务便民热线平台", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations)", no_args_is_help=True)
org_app = typer.Typer(help="Org tree: areas and departments", no_args_is_help=True)
users_app = typer.Typer(help="Users and API tokens", no_args_is_help=True)
model_app = typer.Typer(
    help="Dispatch models: train, evaluate, list, activate, roll back", no_args_is_help=True
)
routing_app = typer.Typer(
    help="The category routing table (派单规则表: where there is no matter list)", no_args_is_help=True
)
matters_app = typer.Typer(
    help="The matter list (派单目录): import, export, list, review of returns", no_args_is_help=True
)
kb_app = typer.Typer(help="Knowledge base (知识库): import, search, ask", no_args_is_help=True)
gazetteer_app = typer.Typer(help="Place names used to locate requests", no_args_is_help=True)
screening_app = typer.Typer(
    help="Screening (甄别): check a text, retrain from review decisions, flag rates", no_args_is_help=True
)
followup_app = typer.Typer(
    help="Follow-up (回访): read an answer, check the reader on your own answers, learn from confirmations",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Keys of personal data at rest: generate, rotate", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(users_app, name="users")
app.add_typer(model_app, name="model")
app.add_typer(routing_app, name="routing")
app.add_typer(matters_app, name="matters")
app.add_typer(gazetteer_app, name="gazetteer")
app.add_typer(kb_app, name="kb")
app.add_typer(keys_app, name="keys")
app.add_typer(screening_app, name="screening")
app.add_typer(followup_app, name="followup")
llm_app = typer.Typer(
    help="The large model (optional): try an engine before switching it on", no_args_is_help=True
)
app.add_typer(llm_app, name="llm")

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.accounts.principal import Principal

log = logging.getLogger(__name__)


class _JsonLines(logging.Formatter):
    """One JSON object a line (HOTLINE_LOG_FORMAT=json), for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def _setup_logging() -> None:
    handler = logging.StreamHandler()
    if os.environ.get("HOTLINE_LOG_FORMAT") == "json":
        handler.setFormatter(_JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("HOTLINE_LOG_LEVEL", "INFO"), handlers=[handler])


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the schema up to date (alembic upgrade)."""
    from hotline import migrate

    _setup_logging()
    migrate.upgrade(get_settings().database_url, revision=revision)
    typer.echo(f"schema at {revision}: {get_settings().database_url.split('@')[-1]}")


@db_app.command("backup")
def db_backup(path: Path) -> None:
    """Back up the whole database to a file (SQLite: online copy; PostgreSQL: pg_dump custom format)."""
    from hotline import backup

    target = backup.backup(get_settings().database_url, path)
    typer.echo(f"backup written: {target} ({target.stat().st_size:,} bytes)")


@db_app.command("restore")
def db_restore(
    path: Path,
    yes: Annotated[bool, typer.Option("--yes", help="replace the database without asking")] = False,
) -> None:
    """Replace the database with a backup (stop API processes and workers first)."""
    from hotline import backup

    if not yes:
        typer.confirm(f"replace the database {get_settings().database_url} with {path}?", abort=True)
    backup.restore(get_settings().database_url, path)
    typer.echo(f"restored from {path}")


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
    # forwarded headers are read by the app itself, only from HOTLINE_TRUSTED_PROXIES (api/clients.py);
    # uvicorn's own handling would believe any client on 127.0.0.1
    uvicorn.run(
        "hotline.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


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
    from hotline.demo.seed import DEMO_PASSWORD, seed_analytics, seed_demo

    _setup_logging()
    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("the demo refuses to run with HOTLINE_ENVIRONMENT=production")
    migrate.upgrade(settings.database_url)
    with session_scope() as session:
        result = seed_demo(session, tickets=tickets)
    with session_scope() as session:
        figures = seed_analytics(session)
    typer.echo(f"demo data ready ({result['tickets']} new tickets) in {settings.database_url}")
    typer.echo(
        f"analytics: {figures['months']} months of facts, {figures['topics']} hotspot topics in {settings.analytics_dir}"
    )
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


@app.command("settings")
def settings_show(
    markdown: Annotated[bool, typer.Option("--markdown", help="the table of docs/settings.md")] = False,
) -> None:
    """Print every setting's value in force (secrets hidden), or with --markdown the documentation of all."""
    from hotline.config import Settings, get_settings, settings_markdown

    if markdown:
        typer.echo(settings_markdown(), nl=False)
        return
    from pydantic import SecretStr
    from sqlalchemy.engine import make_url

    current = get_settings()
    for name in Settings.model_fields:
        value = getattr(current, name)
        if isinstance(value, SecretStr) or name == "secret_key":
            shown = "(set)" if value else "(unset)"
        elif name == "database_url":
            shown = make_url(value).render_as_string(hide_password=True)
        else:
            shown = "" if value is None else str(value)
        typer.echo(f"HOTLINE_{name.upper()}={shown}")


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


def _user_id(session: Session, username: str) -> int:
    from sqlalchemy import select

    from hotline.accounts.models import User

    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise typer.BadParameter(f"no user {username}")
    return int(user_id)


def _cli_admin() -> Principal:
    """The principal the command line acts as (an administrator at the console of the server)."""
    from hotline.accounts.enums import Role
    from hotline.accounts.principal import Principal

    return Principal(user_id=None, role=Role.admin, name="cli")


@users_app.command("password")
def users_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Set a user's password; every token and console session of theirs ends."""
    from hotline.accounts import service
    from hotline.db import session_scope

    with session_scope() as session:
        service.reset_password(session, user_id=_user_id(session, username), new=password, actor=_cli_admin())
    typer.echo(f"password of {username} changed; their tokens and sessions ended")


@users_app.command("deactivate")
def users_deactivate(username: str) -> None:
    """Deactivate a user: they cannot sign in, every token and session of theirs ends."""
    _set_active(username, active=False)


@users_app.command("activate")
def users_activate(username: str) -> None:
    """Reactivate a user (and lift a sign-in lock)."""
    _set_active(username, active=True)


def _set_active(username: str, *, active: bool) -> None:
    from hotline.accounts import service
    from hotline.db import session_scope

    with session_scope() as session:
        service.set_active(session, user_id=_user_id(session, username), active=active, actor=_cli_admin())
    typer.echo(f"{username} {'activated' if active else 'deactivated'}")


@users_app.command("tokens")
def users_tokens(username: str) -> None:
    """List a user's API tokens (id, name, created, expires, revoked)."""
    from hotline.accounts import service
    from hotline.db import session_scope

    with session_scope() as session:
        for t in service.list_tokens(session, user_id=_user_id(session, username)):
            state = "revoked" if t.revoked else "active"
            typer.echo(f"{t.id}\t{t.name}\t{t.created_at:%Y-%m-%d %H:%M}\t{t.expires_at or '-'}\t{state}")


@users_app.command("revoke-token")
def users_revoke_token(username: str, token_id: int) -> None:
    """Revoke one API token of a user (ids from `hotline users tokens`)."""
    from hotline.accounts import service
    from hotline.db import session_scope

    with session_scope() as session:
        service.revoke_token_by_id(
            session,
            user_id=_user_id(session, username),
            token_id=token_id,
            actor=_cli_admin(),
        )
    typer.echo(f"token {token_id} of {username} revoked")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new data key (put it in front of HOTLINE_DATA_KEYS, then run `hotline keys rotate`)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate(
    blind_index: Annotated[
        bool, typer.Option("--blind-index", help="also recompute caller hashes with HOTLINE_BLIND_INDEX_KEY")
    ] = False,
) -> None:
    """Re-encrypt every stored phone and ID number with the newest key of HOTLINE_DATA_KEYS."""
    from hotline.db import session_scope
    from hotline.privacy import flows as keys

    with session_scope() as session:
        counts = keys.rotate(session)
        if blind_index:
            counts |= {f"rehashed {k}": v for k, v in keys.rehash(session).items()}
    typer.echo(json.dumps(counts, ensure_ascii=False))


TextColumns = Annotated[
    list[str] | None,
    typer.Option("--text-column", help="column(s) holding the text, joined in order (repeatable)"),
]
LabelColumn = Annotated[str, typer.Option(help="column holding the label (category name or full path)")]


@model_app.command("train")
def model_train(
    file: Annotated[
        Path | None, typer.Argument(help="labeled CSV/XLSX; omit to train from the centre's tickets")
    ] = None,
    text_column: TextColumns = None,
    label_column: LabelColumn = "一级分类",
    level: Annotated[int, typer.Option(help="category level to predict when training from tickets")] = 1,
    method: Annotated[
        str, typer.Option(help="tfidf-svm (default, best measured), tfidf-logreg, tfidf-nb")
    ] = "tfidf-svm",
    folds: Annotated[
        int, typer.Option(help="cross-validation folds reported before the final fit (0: none)")
    ] = 5,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="serve the new version at once")
    ] = True,
    limit: Annotated[int | None, typer.Option(help="use only the first N rows")] = None,
) -> None:
    """Train a category model, print cross-validated figures, and store it as the next version."""
    from hotline.db import session_scope
    from hotline.dispatch import datasets, training

    _setup_logging()
    with session_scope() as session:
        if file is not None:
            examples = datasets.read_file(
                file, text_columns=text_column or ["text"], label_column=label_column, limit=limit
            )
        else:
            examples = datasets.from_tickets(session, level=level)
        typer.echo(
            f"training on {len(examples)} examples from {examples.source} ({examples.skipped} skipped)…"
        )
        result = training.train_and_register(
            session,
            examples,
            method=method,
            level=level,
            folds=folds,
            created_by=os.environ.get("USER"),
            activate=activate,
            n_jobs=min(2, os.cpu_count() or 1),
        )
        if result.evaluation is not None:
            typer.echo(f"{folds}-fold cross-validation:")
            typer.echo(training.format_evaluation(result.evaluation))
        if result.dropped_labels:
            typer.echo(
                f"left out (fewer than {training.MIN_PER_CLASS} examples): {', '.join(result.dropped_labels)}"
            )
        if result.unknown_labels:
            typer.echo(
                f"warning: labels not in the category tree are never suggested: {', '.join(result.unknown_labels)}"
            )
        v = result.version
        typer.echo(
            f"model version {v.version} ({v.method}, {v.size_bytes / 1e6:.1f} MB, {result.seconds:.0f} s)"
            + (" is active" if v.active else " stored, not active")
        )


@model_app.command("evaluate")
def model_evaluate(
    file: Path,
    text_column: TextColumns = None,
    label_column: LabelColumn = "一级分类",
    limit: Annotated[int | None, typer.Option(help="use only the first N rows")] = None,
) -> None:
    """Print accuracy, macro-F1, per-class, reliability and threshold tables of the active model."""
    from hotline.db import session_scope
    from hotline.dispatch import datasets, training

    with session_scope() as session:
        examples = datasets.read_file(
            file, text_columns=text_column or ["text"], label_column=label_column, limit=limit
        )
        row, ev = training.evaluate_active(session, examples)
        typer.echo(f"model version {row.version} ({row.method}) on {examples.source}:")
        typer.echo(training.format_evaluation(ev))


@model_app.command("list")
def model_list() -> None:
    """List model versions with their cross-validated figures."""
    from hotline.db import session_scope
    from hotline.dispatch.registry import CATEGORY
    from hotline.nlp import registry as model_registry

    with session_scope() as session:
        for v in model_registry.list_versions(session, kind=CATEGORY):
            f1 = v.metrics.get("macro_f1")
            typer.echo(
                f"{'*' if v.active else ' '} v{v.version:<4} {v.method:<13} level {v.label_level}  n={v.n_samples:<6} "
                f"macro-F1={f1 if f1 is not None else '-'}  {v.created_at:%Y-%m-%d %H:%M}  {v.source}"
            )


@model_app.command("activate")
def model_activate(version: int) -> None:
    """Serve this model version from now on (every process picks it up)."""
    from hotline.db import session_scope
    from hotline.dispatch.registry import CATEGORY
    from hotline.nlp import registry as model_registry

    with session_scope() as session:
        row = model_registry.activate(
            session, version_id=model_registry.get_by_number(session, version=version, kind=CATEGORY).id
        )
        typer.echo(f"model version {row.version} is active")


@model_app.command("rollback")
def model_rollback() -> None:
    """Go back to the version that was active before the current one."""
    from hotline.db import session_scope
    from hotline.dispatch.registry import CATEGORY
    from hotline.nlp import registry as model_registry

    with session_scope() as session:
        row = model_registry.rollback(session, kind=CATEGORY)
        typer.echo(f"model version {row.version} is active again")


@routing_app.command("import")
def routing_import(path: Path) -> None:
    """Upsert routing rules from CSV (category, area_code, department_code, local_kind, co_department_codes, priority, note)."""
    from hotline.db import session_scope
    from hotline.dispatch import routing

    with session_scope() as session:
        n = routing.import_rules(session, path=path, actor=os.environ.get("USER"))
        typer.echo(f"{n} routing rules imported")


@routing_app.command("export")
def routing_export() -> None:
    """Print the active routing table as CSV."""
    from hotline.db import session_scope
    from hotline.dispatch import routing

    with session_scope() as session:
        typer.echo(routing.export_rules(session), nl=False)


@matters_app.command("import")
def matters_import(
    path: Path,
    replace: Annotated[
        bool, typer.Option(help="switch off the active matters the file does not name")
    ] = False,
) -> None:
    """Import a matter list (CSV or XLSX, columns in docs/dispatch.md); a bad line refuses the file."""
    from hotline.db import session_scope
    from hotline.dispatch import matters

    with session_scope() as session:
        r = matters.import_file(session, path=path, actor=os.environ.get("USER"), replace=replace)
        typer.echo(
            f"{r.created} created, {r.updated} updated, {r.unchanged} unchanged, {r.deactivated} switched off"
            + (f"; the matter list is now version {r.version}" if r.version else "; nothing changed")
        )


@matters_app.command("export")
def matters_export(
    xlsx: Annotated[
        Path | None, typer.Option(help="write an XLSX file here instead of CSV to stdout")
    ] = None,
) -> None:
    """Print the active matter list as CSV (the import's format), or write it as XLSX."""
    from hotline.db import session_scope
    from hotline.dispatch import matters

    with session_scope() as session:
        if xlsx is not None:
            xlsx.write_bytes(matters.export_xlsx(session))
            typer.echo(f"written {xlsx}")
        else:
            typer.echo(matters.export_csv(session), nl=False)


@matters_app.command("list")
def matters_list(
    q: Annotated[str | None, typer.Argument(help="words in the name or keywords")] = None,
) -> None:
    """The active matters: code, name, who handles it."""
    from hotline.db import session_scope
    from hotline.dispatch import matters

    with session_scope() as session:
        for m in matters.list_matters(session, q=q):
            s = matters.snapshot(session, m)
            unit = s["department"] or f"属地 {s['local_kind']}"
            typer.echo(f"{s['code']:<10} {s['name']:<24} {unit}")


@matters_app.command("learn")
def matters_learn() -> None:
    """Train the department model on the settled history now (the worker does it as history grows)."""
    from hotline.db import session_scope
    from hotline.dispatch import history

    with session_scope() as session:
        result = history.retrain_if_grown(session, force=True)
        if result is None:
            n = history.settled_count(session)
            typer.echo(f"{n} settled tickets: a department model needs at least {history.MIN_HISTORY}")
        else:
            v = result.version
            typer.echo(f"department model v{v.version} trained on {v.n_samples} settled tickets and in use")


@matters_app.command("review")
def matters_review(limit: int = 20) -> None:
    """派单异议: the matters whose dispatches were returned most, by whom and why."""
    from hotline.db import session_scope
    from hotline.dispatch import matters

    with session_scope() as session:
        for r in matters.review(session, limit=limit):
            share = f"{r.return_share:.0%}" if r.return_share is not None else "—"
            by = "、".join(f"{d} {n}" for d, n in r.by_department.items())
            typer.echo(
                f"{r.code:<10} {r.name:<24} {r.dispatched:>5} dispatched {r.returned:>4} returned ({share}) {by}"
            )
            for reason in r.reasons[:3]:
                typer.echo(f"{'':<12}· {reason}")


@gazetteer_app.command("mine")
def gazetteer_mine(
    min_support: Annotated[int, typer.Option(help="tickets that must mention the place")] = 3,
    min_purity: Annotated[float, typer.Option(help="share of those tickets in one area")] = 0.8,
    save: Annotated[
        bool, typer.Option("--save/--dry-run", help="add the places found to the gazetteer")
    ] = False,
) -> None:
    """Find landmarks in past tickets whose area is known, and optionally add them."""
    from sqlalchemy import select

    from hotline.db import session_scope
    from hotline.dispatch import location
    from hotline.dispatch.models import Landmark
    from hotline.tickets.models import Ticket

    with session_scope() as session:
        gaz = location.load_gazetteer(session)
        rows = session.execute(
            select(Ticket.title, Ticket.content, Ticket.address, Ticket.area_id).where(
                Ticket.area_id.is_not(None)
            )
        ).all()
        examples = [(" ".join(x for x in (r[0], r[1], r[2]) if x), int(r[3] or 0)) for r in rows]
        mined = location.mine_landmarks(
            examples, gazetteer=gaz, min_support=min_support, min_purity=min_purity
        )
        for m in mined:
            typer.echo(f"{m.name}\t{gaz.places[m.area_id].name}\t{m.support}\t{m.purity:.2f}")
            if save:
                session.add(Landmark(name=m.name, area_id=m.area_id, kind="mined"))
        typer.echo(
            f"{len(mined)} places found in {len(examples)} tickets" + (", saved" if save else " (dry run)")
        )


@gazetteer_app.command("add")
def gazetteer_add(name: str, area_code: str, kind: str = "landmark") -> None:
    """Add a place name (road, estate, school…) to an area."""
    from hotline.db import session_scope
    from hotline.dispatch import service

    with session_scope() as session:
        row = service.add_landmark(session, name=name, area_code=area_code, kind=kind)
        typer.echo(f"{row.name} → area {row.area_id}")


@kb_app.command("import")
def kb_import(
    paths: Annotated[
        list[Path], typer.Argument(help="Markdown, HTML, DOCX, PDF, TXT files, or CSV/XLSX FAQ lists")
    ],
    department: Annotated[str | None, typer.Option(help="owner department code")] = None,
    publish: Annotated[
        bool, typer.Option("--publish/--draft", help="serve at once, or keep as drafts")
    ] = False,
    question_column: Annotated[str | None, typer.Option(help="FAQ lists: the question column")] = None,
    answer_column: Annotated[str | None, typer.Option(help="FAQ lists: the answer column")] = None,
) -> None:
    """Import files into the knowledge base (a re-import updates the same articles as new versions)."""
    from hotline.accounts.principal import SYSTEM
    from hotline.db import session_scope
    from hotline.kb import service

    with session_scope() as session:
        for path in paths:
            created, updated, articles = service.import_file(
                session,
                path=path,
                principal=SYSTEM,
                department_code=department,
                publish=publish,
                question_column=question_column,
                answer_column=answer_column,
            )
            typer.echo(f"{path.name}: {created} created, {updated} updated ({len(articles)} articles)")


@kb_app.command("search")
def kb_search(query: str, k: int = 5) -> None:
    """Print the best KB passages for a query."""
    from hotline.db import session_scope
    from hotline.kb import qa

    with session_scope() as session:
        for hit in qa.search_listing(session, query, k=k):
            m = hit.doc.meta
            typer.echo(
                f"{hit.score:6.2f}  {hit.coverage:.2f}  《{m['title']}》{m['heading'] or ''}: {m['text'][:80]}"
            )


@kb_app.command("ask")
def kb_ask(question: str, llm: Annotated[bool, typer.Option("--llm/--no-llm")] = True) -> None:
    """Answer a question from the knowledge base, with sources."""
    from hotline.db import session_scope
    from hotline.kb import qa

    with session_scope() as session:
        out = qa.answer(session, question, use_llm=llm)
        typer.echo(out.answer if out.answered else out.message)
        for s in out.sources:
            typer.echo(f"  — 《{s.title}》{s.heading or ''}")
        if out.generated:
            typer.echo("  (由大模型生成，请核对)")


@kb_app.command("check")
def kb_check(
    path: Annotated[
        Path, typer.Argument(help="CSV with columns question, article (empty: the KB cannot answer it)")
    ],
) -> None:
    """Check the KB's answers on questions the centre wrote: retrieval hit@1, answered from the right
    article, wrong answers, questions it cannot answer refused; and each question it got wrong."""
    import csv

    from hotline.db import session_scope
    from hotline.kb import qa

    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "question" not in rows[0]:
        raise typer.BadParameter(
            "需要 question 列（和 article 列）/ a question column (and article) is needed"
        )
    with session_scope() as session:
        result = qa.check(session, [(r["question"], (r.get("article") or "").strip() or None) for r in rows])
    typer.echo(
        f"{result.answerable} 个可答问题 answerable: 检索首位正确 hit@1 {result.retrieval_hit1:.2f}, "
        f"正确作答 answered right {result.answered_right:.2f}; 答错 wrong answers {result.answered_wrong}; "
        f"{result.unanswerable} 个不可答问题 unanswerable: 正确拒答 refused {result.refused_right}/{result.unanswerable}"
    )
    for q in result.questions:
        if not q.right:
            p = "-" if q.answerability is None else f"{q.answerability:.2f}"
            typer.echo(
                f"  ✗ {q.question}  应为 expected《{q.expected or '拒答 refuse'}》"
                f"  实为 got《{q.answered_from or '拒答 refused'}》  可答度 answerability {p}"
            )


@kb_app.command("embed")
def kb_embed() -> None:
    """Store the sentence vector of every KB passage that has none (after an upgrade or a model change)."""
    from hotline.db import session_scope
    from hotline.kb import service

    with session_scope() as session:
        typer.echo(f"{service.embed_passages(session)} passages embedded")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit (cron-style)")] = False,
    interval: Annotated[float | None, typer.Option(help="seconds between passes")] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="jobs run at once (PostgreSQL; default HOTLINE_JOB_CONCURRENCY)")
    ] = None,
) -> None:
    """Run the background work: the timed sweeps (deadline watch, follow-up, notifications) and, on
    PostgreSQL, the job queue (tickets screened and routed after intake). Several may run at once."""
    import asyncio
    import signal
    import threading

    from hotline.db import session_factory
    from hotline.jobs import queue
    from hotline.jobs.scheduler import tick

    _setup_logging()
    settings = get_settings()
    every = interval or settings.scheduler_interval_seconds
    stop = threading.Event()

    def sweeps() -> None:
        while True:
            typer.echo(json.dumps(tick(session_factory()), ensure_ascii=False, default=str))
            if once or stop.wait(every):
                return

    if not settings.database_url.startswith("postgresql"):
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        sweeps()
        return
    thread = threading.Thread(target=sweeps, name="sweeps", daemon=True)
    thread.start()
    jobs_app = queue.make_app()
    # procrastinate handles SIGTERM/SIGINT: it finishes the jobs in hand, then returns
    asyncio.run(
        queue.run_worker(jobs_app, concurrency=concurrency or settings.job_concurrency, wait=not once)
    )
    stop.set()
    thread.join(timeout=60)


import_app = typer.Typer(help="Bulk import of historical tickets", no_args_is_help=True)
cti_app = typer.Typer(help="Call records (CTI)", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(cti_app, name="cti")


@import_app.command("tickets")
def import_tickets(
    path: Path,
    mapping: Annotated[Path, typer.Option(help="column-mapping YAML (see docs/import.md)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--write", help="only report (default), or write")
    ] = True,
) -> None:
    """Import tickets from CSV/XLSX. Every bad row is reported; with any, nothing is written."""
    from hotline.accounts.principal import SYSTEM
    from hotline.bulk import service
    from hotline.db import session_scope

    try:
        plan = service.load_mapping(mapping.read_text(encoding="utf-8"))
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {mapping}: {exc.strerror}") from exc
    with session_scope() as session:
        report = service.import_tickets(session, path=path, mapping=plan, principal=SYSTEM, dry_run=dry_run)
        for e in report.errors[:200]:
            typer.echo(f"line {e.line}: {e.field}: {e.message}")
        done = (
            "dry run: nothing written"
            if dry_run
            else f"{report.created} created, {report.skipped_existing} already imported"
        )
        typer.echo(f"{report.rows} rows, {report.valid} valid, {len(report.errors)} errors; {done}")
        if report.errors:
            session.rollback()
            raise typer.Exit(1)


@cti_app.command("import")
def cti_import(path: Path) -> None:
    """Import call records (CDRs) from CSV: call_id, caller, offered_at, answered_at, ended_at, queue, agent."""
    from hotline.cti import service
    from hotline.db import session_scope

    with session_scope() as session:
        r = service.import_file(session, path)
        typer.echo(f"{r.created} calls created, {r.updated} updated, {r.callbacks} call-back tasks")


analytics_app = typer.Typer(help="Analytics (数据富矿): facts, rates, hotspots", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


@analytics_app.command("refresh")
def analytics_refresh(
    full: Annotated[bool, typer.Option("--full", help="re-take every month")] = False,
) -> None:
    """Bring the analytics store (HOTLINE_ANALYTICS_DIR) up to date with the database."""
    from hotline.analytics import facts
    from hotline.db import session_scope

    with session_scope() as session:
        r = facts.refresh(session, full=full)
    typer.echo(
        f"{len(r.months)} months re-taken ({', '.join(r.months) or '-'}): {r.tickets} tickets, "
        f"{r.assignments} assignments, {r.steps} steps, {r.calls} calls in {r.seconds:.1f} s"
    )


@analytics_app.command("rates")
def analytics_rates(
    period: Annotated[str | None, typer.Option(help="2026-10, 2026-W43, 2026; default: this month")] = None,
    by: Annotated[
        str | None, typer.Option(help="department | district | street | category | channel")
    ] = None,
    rate: Annotated[str | None, typer.Option(help="one rate (with --by); default: all, overall")] = None,
) -> None:
    """Print the rates with numerators and denominators."""
    from hotline.analytics import rates, service
    from hotline.analytics.store import Store

    flt = service.make_filter(period=period)
    con = Store().connect()
    if by:
        for row in rates.compute(con, rate or "satisfaction", flt, by=by):
            typer.echo(
                f"{row['name'] or row['key']}\t{_pct(row['value'])}\t{row['numerator']:g}/{row['denominator']}"
            )
        return
    for row in rates.summary(con, flt):
        change = "" if row["change"] is None else f"\t{row['change'] * 100:+.1f} pp"
        typer.echo(f"{row['zh']}\t{_pct(row['value'])}\t{row['numerator']:g}/{row['denominator']}{change}")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


@analytics_app.command("hotspots")
def analytics_hotspots(
    period: Annotated[
        str,
        typer.Option(help="the period to mine and rank: 2026-10, 2026-W43, 2026, or a span 2018-11..2020-01"),
    ],
    mine: Annotated[bool, typer.Option("--mine/--no-mine", help="mine the topics again first")] = True,
    top: int = 10,
) -> None:
    """Mine the topics of a period (replacing earlier runs of it) and print the hottest."""
    from hotline.analytics import facts, hotspots, service
    from hotline.analytics.store import Store
    from hotline.db import session_scope

    start, end = service.period_range(period)
    with session_scope() as session:
        if mine:
            m = hotspots.mine(session, period=period, start=start, end=end)
            session.commit()
            typer.echo(
                f"{m.tickets} tickets → {m.topics} topics ({m.clustered} tickets in one) in {m.seconds:.1f} s"
            )
        facts.refresh(session)
        for h in hotspots.top(Store().connect(), service.make_filter(period=period), limit=top):
            typer.echo(
                f"{h['heat']:.2f}\t{h['tickets']} 件/{h['people']} 人/{h['supports']} 赞\t{h['title']}"
                f"\t{h['place'] or ''}\t{' '.join(h['keywords'])}"
            )


@app.command("report")
def report_cmd(
    period: Annotated[
        str | None, typer.Option(help="2026-10 (month), 2026-W43 (week); default: last month")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html | pdf | xlsx")] = "html",
    out: Annotated[
        Path | None, typer.Option(help="file to write; default hotline-report-<period>.<format>")
    ] = None,
    narrative: Annotated[bool, typer.Option(help="a paragraph by the large model, if configured")] = False,
) -> None:
    """Write the report for leaders (trends, rates, rankings, hotspots, bottlenecks, notable cases)."""
    from hotline.analytics import facts, report, service
    from hotline.analytics.store import Store
    from hotline.db import session_scope

    period = period or report.default_period()
    if fmt not in report.FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(report.FORMATS)}")
    store = Store()
    with session_scope() as session:
        facts.refresh(session, store)
        built = report.build(
            store.connect(),
            period=period,
            session=session,
            narrative=narrative,
            as_of=str(service.as_of(store)),
        )
        body, _ = report.render(built, fmt)
    target = out or Path(f"hotline-report-{period}.{fmt}")
    target.write_bytes(body)
    typer.echo(f"{target} ({len(body):,} bytes)")


def main() -> None:
    """Entry point of the `hotline` command."""
    import hotline.models  # noqa: F401 - every table mapped before any command touches one
    from hotline.errors import DomainError
    from hotline.i18n import translate

    try:
        app()
    except DomainError as exc:
        typer.echo(translate(exc.message_key, get_settings().default_language, **exc.params), err=True)
        raise SystemExit(2) from exc


@screening_app.command("check")
def screening_check(text: str, title: str = "") -> None:
    """Screen a text with the centre's model and print what it finds (nothing is stored)."""
    from hotline.db import session_scope
    from hotline.screening import service

    with session_scope() as session:
        typer.echo(service.check(session, title=title, content=text).model_dump_json(indent=2))


@screening_app.command("train")
def screening_train(
    packaged: Annotated[
        bool, typer.Option("--packaged", help="only show the packaged model's figures; store nothing")
    ] = False,
) -> None:
    """Retrain the screening model with the centre's review decisions and recent ordinary requests
    (stored as a new version; activated unless it would miss emergencies the packaged model catches)."""
    from hotline.db import session_scope
    from hotline.screening import model

    if packaged:
        typer.echo(json.dumps(model.packaged().metrics, ensure_ascii=False, indent=2))
        return
    with session_scope() as session:
        result = model.train(session, created_by="cli")
    typer.echo(result.model_dump_json(indent=2))
    if not result.active:
        typer.echo(f"the new version was NOT activated: {result.reason}", err=True)


@followup_app.command("read")
def followup_read(text: Annotated[str, typer.Argument(help="a citizen's follow-up answer")]) -> None:
    """How the centre's follow-up reader reads one answer: satisfaction, resolved, work or policy, the
    confidence, the cues, and whether a person would be asked to confirm it."""
    from hotline.db import session_scope
    from hotline.followup import reading

    with session_scope() as session:
        found = reading.read(text, session=session)
    typer.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))


@followup_app.command("check")
def followup_check(
    path: Annotated[
        Path,
        typer.Argument(help="CSV with text, satisfaction, resolved (yes/no/unknown) columns", exists=True),
    ],
) -> None:
    """Audit the follow-up reader on answers the centre labelled itself (docs/supervision-and-follow-up.md)."""
    import csv

    from hotline.db import session_scope
    from hotline.followup import reading

    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    missing = {"text", "satisfaction", "resolved"} - set(rows[0] if rows else {})
    if missing:
        typer.echo(f"缺少列 / missing columns: {', '.join(sorted(missing))}", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        result = reading.check(rows, session=session)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@followup_app.command("learn")
def followup_learn() -> None:
    """Train the centre's follow-up reader on the written answers and every confirmed reading (stored as
    a new version and served at once)."""
    from hotline.db import session_scope
    from hotline.followup import reading

    with session_scope() as session:
        result = reading.train(session, created_by="cli")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@screening_app.command("rollback")
def screening_rollback() -> None:
    """Serve the screening version active before the current one, or the packaged model if there is none."""
    from hotline.db import session_scope
    from hotline.errors import InvalidInput
    from hotline.nlp import registry as model_registry
    from hotline.screening import model

    with session_scope() as session:
        try:
            row = model_registry.rollback(session, kind=model.KIND)
            typer.echo(f"screening model version {row.version} is active again")
        except InvalidInput:
            model_registry.deactivate(session, kind=model.KIND)
            typer.echo("the packaged screening model serves")


@screening_app.command("rates")
def screening_rates(
    days: Annotated[int, typer.Option(help="the last N days")] = 30,
) -> None:
    """Per kind: requests flagged, their share, confirmed and dismissed, over the last N days."""
    from datetime import timedelta

    from hotline.db import session_scope, utcnow
    from hotline.screening import service

    end = utcnow()
    with session_scope() as session:
        out = service.flag_rates(session, start=end - timedelta(days=days), end=end)
    typer.echo(out.model_dump_json(indent=2))


if __name__ == "__main__":
    main()


@llm_app.command("check")
def llm_check(
    base_url: Annotated[
        str | None, typer.Option(help="the engine to try (default: HOTLINE_LLM_BASE_URL)")
    ] = None,
    model: Annotated[str | None, typer.Option(help="its model name (default: HOTLINE_LLM_MODEL)")] = None,
    api_key: Annotated[str | None, typer.Option(help="its API key (default: HOTLINE_LLM_API_KEY)")] = None,
    cases: Annotated[
        Path | None, typer.Option(help="a YAML file of cases (default: the packaged ones)", exists=True)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """Run every large-model path on fixed cases against an engine (answers, summaries, drafts, second
    opinions, injections) in a throw-away demo city, and print faithfulness, refusals, leaks and
    latency (docs/large-model.md). The centre's own database is not touched."""
    from pydantic import SecretStr

    from hotline.assist import harness

    _setup_logging()
    settings = get_settings()
    if base_url:
        settings.llm_base_url = base_url
    if model:
        settings.llm_model = model
    if api_key:
        settings.llm_api_key = SecretStr(api_key)
    if not settings.llm_base_url:
        typer.echo(
            "没有配置大模型：请用 --base-url 或 HOTLINE_LLM_BASE_URL 指定 / no engine configured", err=True
        )
        raise typer.Exit(2)
    report = harness.run(harness.load_cases(cases))
    typer.echo(
        json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else harness.render(report)
    )
