"""Bottlenecks (问题堵点): where tickets stall, come back, run late or are reopened — by workflow step,
department, category or district, with median and p90 times."""

from __future__ import annotations

from typing import Any

import duckdb

from hotline.analytics.rates import ALL, Filter, Scope, _label, _names, dimensions
from hotline.errors import InvalidInput
from hotline.tickets.states import STATUSES, Status

STEP_COLUMNS = {"department": "department_id", "category": "category_l1_id", "district": "district_id"}


def steps(
    con: duckdb.DuckDBPyConnection, flt: Filter, *, by: str | None = None, scope: Scope = ALL
) -> list[dict[str, Any]]:
    """Time spent in each step, slowest (by p90) first: finished passes give median and p90 hours;
    tickets still in the step are counted with the age of the oldest."""
    if by is not None and by not in STEP_COLUMNS:
        raise InvalidInput("analytics_unknown_dimension", dimension=by, known=", ".join(STEP_COLUMNS))
    clauses = ["day >= ?", "day < ?"]
    params: list[Any] = [flt.start, flt.end]
    for dim, value in flt.where.items():
        if dim not in STEP_COLUMNS:
            raise InvalidInput("analytics_unknown_dimension", dimension=dim, known=", ".join(STEP_COLUMNS))
        clauses.append(f"{STEP_COLUMNS[dim]} = ?")
        params.append(value)
    more, more_params = scope.sql(allowed={"department_id", "district_id"})
    clauses += more
    params += more_params
    key = f", {STEP_COLUMNS[by]} AS key" if by else ""
    group = ", key" if by else ""
    sql = (
        f"SELECT step{key}, COUNT(*) AS passes, "
        "COUNT(*) FILTER (WHERE left_at IS NOT NULL) AS finished, "
        "median(hours) FILTER (WHERE left_at IS NOT NULL) AS median_hours, "
        "quantile_cont(hours, 0.9) FILTER (WHERE left_at IS NOT NULL) AS p90_hours, "
        "COUNT(*) FILTER (WHERE left_at IS NULL) AS still_open, "
        "max(hours) FILTER (WHERE left_at IS NULL) AS oldest_open_hours "
        f"FROM steps WHERE {' AND '.join(clauses)} GROUP BY step{group} "
        "ORDER BY p90_hours DESC NULLS LAST, passes DESC"
    )
    rows = con.execute(sql, params).fetchall()
    names = _names(con, by, [r[1] for r in rows]) if by else {}
    out = []
    for r in rows:
        step = r[0]
        info = STATUSES.get(Status(step)) if step in Status.__members__ else None
        row: dict[str, Any] = {"step": step, "step_zh": info.label_zh if info else step}
        i = 1
        if by:
            row |= {"key": r[1], "name": _label(names, r[1]) if r[1] is not None else "热线中心"}
            i = 2
        row |= {
            "passes": r[i],
            "finished": r[i + 1],
            "median_hours": round(r[i + 2], 2) if r[i + 2] is not None else None,
            "p90_hours": round(r[i + 3], 2) if r[i + 3] is not None else None,
            "still_open": r[i + 4],
            "oldest_open_hours": round(r[i + 5], 1) if r[i + 5] is not None else None,
        }
        out.append(row)
    return out


def units(
    con: duckdb.DuckDBPyConnection, flt: Filter, *, by: str = "department", scope: Scope = ALL
) -> list[dict[str, Any]]:
    """Per unit: tickets, returned, overdue (open past the deadline now), late replies, reopened —
    sorted by the share of its tickets that ran into any of these."""
    dims = dimensions()
    if by not in ("department", "district", "street", "category"):
        raise InvalidInput(
            "analytics_unknown_dimension", dimension=by, known="department, district, street, category"
        )
    col = dims[by].columns["tickets"]
    clauses = ["day >= ?", "day < ?", "NOT merged"]
    params: list[Any] = [flt.start, flt.end]
    for dim, value in flt.where.items():
        clauses.append(f"{dims[dim].columns['tickets']} = ?")
        params.append(value)
    more, more_params = scope.sql(allowed={"department_id", "district_id", "street_id"})
    clauses += more
    params += more_params
    sql = (
        f"SELECT {col} AS key, COUNT(*) AS tickets, "
        "COUNT(*) FILTER (WHERE returns > 0) AS returned, "
        "COUNT(*) FILTER (WHERE overdue) AS overdue, "
        "COUNT(*) FILTER (WHERE on_time = false) AS late, "
        "COUNT(*) FILTER (WHERE reopens > 0) AS reopened, "
        "COUNT(*) FILTER (WHERE returns > 0 OR on_time = false OR reopens > 0) AS troubled "
        f"FROM tickets WHERE {' AND '.join(clauses)} AND {col} IS NOT NULL GROUP BY key "
        "ORDER BY troubled * 1.0 / COUNT(*) DESC, tickets DESC"
    )
    rows = con.execute(sql, params).fetchall()
    names = _names(con, by, [r[0] for r in rows])
    return [
        {
            "key": r[0],
            "name": _label(names, r[0]),
            "tickets": r[1],
            "returned": r[2],
            "overdue": r[3],
            "late": r[4],
            "reopened": r[5],
            "troubled": r[6],
            "troubled_share": round(r[6] / r[1], 4) if r[1] else None,
        }
        for r in rows
    ]
