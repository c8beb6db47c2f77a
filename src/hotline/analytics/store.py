"""The analytics store: per-ticket facts as Parquet files, one per table and month, read by DuckDB.

Files are written whole to a temporary name and renamed into place, so any number of API processes
can query while a worker refreshes: a query sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hotline.config import get_settings

TS = pa.timestamp("us")  # naive UTC

SCHEMAS: dict[str, pa.Schema] = {
    # one row per ticket, counted in the month it was received (按受理时间)
    "tickets": pa.schema(
        [
            ("ticket_id", pa.int64()),
            ("number", pa.string()),
            ("title", pa.string()),
            ("created_at", TS),
            ("day", pa.date32()),  # local date
            ("month", pa.string()),  # local YYYY-MM
            ("channel", pa.string()),
            ("request_type", pa.string()),
            ("urgency", pa.string()),
            ("category_id", pa.int64()),
            ("category_l1_id", pa.int64()),
            ("area_id", pa.int64()),
            ("district_id", pa.int64()),
            ("street_id", pa.int64()),
            ("department_id", pa.int64()),  # the lead department now (承办单位)
            ("first_department_id", pa.int64()),  # the lead of the first dispatch
            ("status", pa.string()),
            ("closed", pa.bool_()),
            ("dispatched", pa.bool_()),
            ("direct", pa.bool_()),  # answered on the spot (直接答复)
            ("merged", pa.bool_()),
            ("returns", pa.int32()),
            ("reopens", pa.int32()),
            ("first_dispatch_ok", pa.bool_()),  # null: never dispatched
            ("due_at", TS),
            ("replied_at", TS),
            ("on_time", pa.bool_()),  # null: not replied and not yet due
            ("overdue", pa.bool_()),  # open past its deadline when the facts were taken
            ("finished", pa.bool_()),  # reached the centre's review at least once
            ("resolved", pa.bool_()),
            ("satisfaction", pa.string()),
            ("read_by", pa.string()),  # who read the follow-up answer: citizen | machine | person
            ("to_confirm", pa.bool_()),  # an answer waits for a person to confirm its reading
            ("excluded", pa.bool_()),  # taken out of departments' evaluation by screening
            ("master_id", pa.int64()),
            ("caller_hash", pa.string()),
            ("supports", pa.int32()),
            ("topic_id", pa.int64()),
        ]
    ),
    # one row per assignment (a ticket sent to a department), in the month of its ticket
    "assignments": pa.schema(
        [
            ("assignment_id", pa.int64()),
            ("ticket_id", pa.int64()),
            ("day", pa.date32()),
            ("month", pa.string()),
            ("channel", pa.string()),
            ("department_id", pa.int64()),
            ("role", pa.string()),
            ("category_l1_id", pa.int64()),
            ("district_id", pa.int64()),
            ("street_id", pa.int64()),
            ("status", pa.string()),
            ("created_at", TS),
            ("signed_at", TS),
            ("signed_in_time", pa.bool_()),  # null: pending and not yet due
            ("replied_at", TS),
            ("replied_in_time", pa.bool_()),
            ("returned", pa.bool_()),
            ("excluded", pa.bool_()),
        ]
    ),
    # time spent in each workflow step (status) of each ticket
    "steps": pa.schema(
        [
            ("ticket_id", pa.int64()),
            ("day", pa.date32()),
            ("month", pa.string()),
            ("step", pa.string()),
            ("department_id", pa.int64()),
            ("category_l1_id", pa.int64()),
            ("district_id", pa.int64()),
            ("entered_at", TS),
            ("left_at", TS),  # null: still there
            ("hours", pa.float64()),  # to left_at, or to when the facts were taken
        ]
    ),
    # inbound calls from the call records (CDR), in the month offered
    "calls": pa.schema(
        [
            ("call_id", pa.string()),
            ("offered_at", TS),
            ("day", pa.date32()),
            ("month", pa.string()),
            ("hour", pa.int8()),
            ("queue", pa.string()),
            ("answered", pa.bool_()),
            ("answered_in_15s", pa.bool_()),
            ("wait_seconds", pa.float64()),
        ]
    ),
}

# names of the units the facts refer to, written whole at every refresh
DIMENSIONS: dict[str, pa.Schema] = {
    "departments": pa.schema([("id", pa.int64()), ("name", pa.string()), ("kind", pa.string())]),
    "areas": pa.schema(
        [("id", pa.int64()), ("name", pa.string()), ("level", pa.string()), ("path", pa.string())]
    ),
    "categories": pa.schema(
        [("id", pa.int64()), ("name", pa.string()), ("level", pa.int32()), ("full_name", pa.string())]
    ),
    "topics": pa.schema(
        [
            ("id", pa.int64()),
            ("title", pa.string()),
            ("keywords", pa.string()),
            ("place", pa.string()),
            ("category_id", pa.int64()),
        ]
    ),
}


class Store:
    """A directory of Parquet files: <table>/<YYYY-MM>.parquet and dim_<name>.parquet."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path or get_settings().analytics_dir)

    # -- writing -------------------------------------------------------------------------------------
    def write_month(self, table: str, month: str, data: pa.Table) -> None:
        self._write(self.path / table / f"{month}.parquet", data.cast(SCHEMAS[table]))

    def write_dimension(self, name: str, data: pa.Table) -> None:
        self._write(self.path / f"dim_{name}.parquet", data.cast(DIMENSIONS[name]))

    def _write(self, target: Path, data: pa.Table) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(data, tmp, compression="zstd", row_group_size=256_000)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def months(self, table: str = "tickets") -> list[str]:
        folder = self.path / table
        return sorted(p.stem for p in folder.glob("*.parquet")) if folder.exists() else []

    # -- state ---------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        f = self.path / "state.json"
        return json.loads(f.read_text("utf-8")) if f.exists() else {}

    def save_state(self, state: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False, default=str)
        os.replace(tmp, self.path / "state.json")

    @contextmanager
    def refresh_lock(self) -> Iterator[None]:
        """One refresh at a time on this host (an advisory lock on a file in the store)."""
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # -- reading -------------------------------------------------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with a view per table over its Parquet files."""
        con = duckdb.connect(config={"memory_limit": get_settings().analytics_memory_limit})
        for table, schema in SCHEMAS.items():
            files = sorted((self.path / table).glob("*.parquet")) if (self.path / table).exists() else []
            self._view(con, table, schema, [str(f) for f in files])
        for name, schema in DIMENSIONS.items():
            f = self.path / f"dim_{name}.parquet"
            self._view(con, f"dim_{name}", schema, [str(f)] if f.exists() else [])
        return con

    @staticmethod
    def _view(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema, files: list[str]) -> None:
        if files:
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            # by name: a month written before a column was added reads it as null
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listing}], union_by_name = true)"
            )
        else:
            empty = schema.empty_table()  # noqa: F841 - read by DuckDB by name
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM empty")
