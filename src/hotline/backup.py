"""Backup and restore of the whole database: SQLite through its online backup API (a consistent copy
while the platform runs), PostgreSQL through pg_dump/pg_restore (custom format, one transaction).
A schema named in the URL's search_path (…?options=-csearch_path%3Dname) is backed up alone."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import make_url

from hotline.errors import InvalidInput, ServiceUnavailable


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput("backup_sqlite_memory")
    return database


def _pg(url: str) -> tuple[str, list[str]]:
    """A libpq URL without the driver and the schema option, and pg_* arguments for the schema."""
    u = make_url(url)
    options = unquote(str(u.query.get("options", "")))
    m = re.search(r"search_path=([A-Za-z0-9_]+)", options)
    plain = u.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), (["--schema", m.group(1)] if m else [])


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceUnavailable("backup_tool_missing", tool=name)
    return found


def _sqlite_copy(source: str, target: str) -> None:
    """Copy one SQLite database into another with the online backup API (consistent while in use)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def backup(url: str, target: Path) -> Path:
    """Write a backup of the database at `url` to `target` (a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        _sqlite_copy(_sqlite_path(url), str(target))
        return target
    conn, schema = _pg(url)
    subprocess.run(  # noqa: S603 - fixed program, arguments from settings
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *schema, conn],
        check=True,
        capture_output=True,
        env={**os.environ},
    )
    return target


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup in `source` (stop the platform first)."""
    if not source.exists():
        raise InvalidInput("backup_missing", path=str(source))
    if url.startswith("sqlite"):
        _sqlite_copy(str(source), _sqlite_path(url))
        return
    conn, schema = _pg(url)
    done = subprocess.run(  # noqa: S603
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            conn,
            *schema,
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise InvalidInput("backup_restore_failed", detail=done.stderr.strip()[-500:])
