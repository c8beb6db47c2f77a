"""The rates (三率 and the others), by any dimension and period, with their numerators and
denominators, period-over-period change, rankings and the tickets behind every figure.

Every figure is one SQL aggregate over the analytics store (DuckDB over Parquet); definitions are data
(rates.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import duckdb
import yaml

from hotline.accounts import policy
from hotline.accounts.enums import Role
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.errors import InvalidInput, PermissionDenied

Period = Literal["day", "week", "month"]
PERIOD_SQL = {"day": "day", "week": "date_trunc('week', day)::DATE", "month": "month"}


@dataclass(frozen=True)
class RateDef:
    key: str
    zh: str
    en: str
    table: str
    denominator: str
    numerator: str | None = None
    weight: str | None = None
    evaluation: bool = False
    lower_is_better: bool = False


@dataclass(frozen=True)
class DimensionDef:
    key: str
    zh: str
    en: str
    columns: dict[str, str]
    dim: str | None = None


@lru_cache
def _spec() -> dict[str, Any]:
    text = resources.files("hotline.analytics").joinpath("rates.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def definitions() -> dict[str, RateDef]:
    return {k: RateDef(key=k, **v) for k, v in _spec()["rates"].items()}


def dimensions() -> dict[str, DimensionDef]:
    return {k: DimensionDef(key=k, **v) for k, v in _spec()["dimensions"].items()}


@dataclass(frozen=True)
class Scope:
    """What part of the facts a principal may see: all (the centre, leaders) or one unit's."""

    columns: dict[str, int] = field(default_factory=dict)  # e.g. {"district_id": 3}
    calls: bool = True

    def sql(self, prefix: str = "", allowed: set[str] | None = None) -> tuple[list[str], list[Any]]:
        """The WHERE clauses (and their bound values) that keep a query inside the scope; columns a
        table does not have (`allowed` names those it has) are left out."""
        items = [(c, v) for c, v in self.columns.items() if allowed is None or c in allowed]
        return [f"{prefix}{c} = ?" for c, _ in items], [v for _, v in items]

    @staticmethod
    def of(principal: Principal, area_level: str | None = None, area_id: int | None = None) -> Scope:
        if policy.sees_all_figures(principal):
            return Scope()
        if principal.role == Role.area_center and area_id is not None:
            if area_level in ("district", "street"):
                return Scope({f"{area_level}_id": area_id}, calls=False)
            if area_level == "city":
                return Scope()
        if principal.role in policy.DEPARTMENT and principal.department_id is not None:
            return Scope({"department_id": principal.department_id}, calls=False)
        raise PermissionDenied("forbidden")


ALL = Scope()


@dataclass
class Filter:
    """The rows a figure is taken over: a date range (local days, end exclusive) and dimension values."""

    start: date
    end: date
    where: dict[str, Any] = field(default_factory=dict)  # dimension key → value
    basis: Literal["adjusted", "raw"] = "adjusted"

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("analytics_bad_range", start=str(self.start), end=str(self.end))

    def previous(self) -> Filter:
        """The period just before, of the same length (a month before a month)."""
        if self.start.day == 1 and self.end.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            y, m = divmod(self.start.year * 12 + self.start.month - 1 - months, 12)
            return Filter(date(y, m + 1, 1), self.start, dict(self.where), self.basis)
        span = self.end - self.start
        return Filter(self.start - span, self.start, dict(self.where), self.basis)


def _rate(key: str) -> RateDef:
    defs = definitions()
    if key not in defs:
        raise InvalidInput("analytics_unknown_rate", rate=key, known=", ".join(defs))
    return defs[key]


def _column(rate: RateDef, dim: str) -> str:
    dims = dimensions()
    if dim not in dims:
        raise InvalidInput("analytics_unknown_dimension", dimension=dim, known=", ".join(dims))
    col = dims[dim].columns.get(rate.table)
    if col is None:
        raise InvalidInput("analytics_dimension_not_applicable", rate=rate.key, dimension=dim)
    return col


def _numerator(rate: RateDef) -> str:
    if rate.weight:
        weights = get_settings().satisfaction_weights
        cases = " ".join(f"WHEN '{k}' THEN {float(w)!r}" for k, w in weights.items() if k.isidentifier())
        return f"SUM(CASE {rate.weight} {cases} ELSE 0 END)"
    return f"SUM(CASE WHEN {rate.numerator} THEN 1 ELSE 0 END)"


def _where(rate: RateDef, flt: Filter, scope: Scope) -> tuple[list[str], list[Any]]:
    if rate.table == "calls" and not scope.calls:
        raise PermissionDenied("forbidden")
    clauses = ["day >= ?", "day < ?", f"({rate.denominator})"]
    params: list[Any] = [flt.start, flt.end]
    if rate.evaluation and flt.basis == "adjusted":
        clauses.append("NOT excluded")
    for dim, value in flt.where.items():
        clauses.append(f"{_column(rate, dim)} = ?")
        params.append(value)
    if rate.table != "calls":
        more, values = scope.sql()
        clauses += more
        params += values
    return clauses, params


def compute(
    con: duckdb.DuckDBPyConnection,
    rate_key: str,
    flt: Filter,
    *,
    by: str | None = None,
    period: Period | None = None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """One rate over the filter, grouped by a dimension and/or a period: rows of numerator,
    denominator and value (null where the denominator is 0)."""
    return _compute(con, _rate(rate_key), flt, by=by, period=period, scope=scope)


# the volume of tickets received (受理量): every ticket, merged ones included
VOLUME = RateDef("volume", "受理量", "Tickets received", "tickets", "true", "true")


def volume(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    *,
    by: str | None = None,
    period: Period | None = None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """Tickets received over the filter, by a dimension and/or period (the denominator is the count)."""
    return _compute(con, VOLUME, flt, by=by, period=period, scope=scope)


def _compute(
    con: duckdb.DuckDBPyConnection,
    rate: RateDef,
    flt: Filter,
    *,
    by: str | None,
    period: Period | None,
    scope: Scope,
) -> list[dict[str, Any]]:
    clauses, params = _where(rate, flt, scope)
    groups: list[str] = []
    select = []
    if period:
        select.append(f"{PERIOD_SQL[period]} AS period")
        groups.append("period")
    if by:
        select.append(f"{_column(rate, by)} AS key")
        groups.append("key")
    select += [f"{_numerator(rate)} AS numerator", "COUNT(*) AS denominator"]
    sql = f"SELECT {', '.join(select)} FROM {rate.table} WHERE {' AND '.join(clauses)}"
    if groups:
        sql += f" GROUP BY {', '.join(groups)} ORDER BY {', '.join(groups)}"
    rows = con.execute(sql, params).fetchall()
    names = _names(con, by, [r[len(groups) - 1] for r in rows]) if by else {}
    out = []
    for r in rows:
        row: dict[str, Any] = {"rate": rate.key}
        i = 0
        if period:
            row["period"] = str(r[i])
            i += 1
        if by:
            row["key"] = r[i]
            row["name"] = _label(names, r[i])
            i += 1
        num, den = float(r[i] or 0), int(r[i + 1])
        row |= {"numerator": round(num, 4), "denominator": den, "value": round(num / den, 4) if den else None}
        out.append(row)
    if not groups and not out:
        out.append({"rate": rate.key, "numerator": 0, "denominator": 0, "value": None})
    return out


def _label(names: dict[Any, str], key: Any) -> str | None:
    """A unit's name; a unit no longer in the dimension keeps its id (#12) rather than no name."""
    if key is None:
        return None
    return names.get(key) or (key if isinstance(key, str) else f"#{key}")


def _names(con: duckdb.DuckDBPyConnection, by: str, keys: list[Any]) -> dict[Any, str]:
    dim = dimensions()[by].dim
    ids = [k for k in keys if isinstance(k, int)]
    if not dim or not ids:
        return {}
    rows = con.execute(f"SELECT id, name FROM dim_{dim} WHERE id IN (SELECT UNNEST(?))", [ids]).fetchall()
    return dict(rows)


READ_RATES = ("satisfaction", "resolution")  # figures read from the citizen's follow-up answer


def readings(
    con: duckdb.DuckDBPyConnection, flt: Filter, *, scope: Scope = ALL, rate_key: str = "satisfaction"
) -> dict[str, int]:
    """How a follow-up rate's answers were read: chosen by the citizen, read by machine, confirmed by a
    person; and how many answers wait for a person (counted in no rate until confirmed)."""
    rate = _rate(rate_key)
    clauses, params = _where(rate, flt, scope)
    where = " AND ".join(clauses)
    columns = {row[0] for row in con.execute(f"DESCRIBE {rate.table}").fetchall()}
    if "read_by" not in columns:  # every month of the store was written before readings were kept
        total = con.execute(f"SELECT COUNT(*) FROM {rate.table} WHERE {where}", params).fetchone()
        return {
            "citizen": 0,
            "machine": 0,
            "person": 0,
            "before": int(total[0]) if total else 0,
            "to_confirm": 0,
        }
    counted = dict(
        con.execute(
            f"SELECT coalesce(read_by, 'before'), COUNT(*) FROM {rate.table} WHERE {where} GROUP BY 1",
            params,
        ).fetchall()
    )
    waiting_clauses, waiting_params = _where(
        RateDef("waiting", "", "", rate.table, "to_confirm", evaluation=rate.evaluation), flt, scope
    )
    waiting = con.execute(
        f"SELECT COUNT(*) FROM {rate.table} WHERE {' AND '.join(waiting_clauses)}", waiting_params
    ).fetchone()
    out = {k: int(counted.get(k, 0)) for k in ("citizen", "machine", "person")}
    if counted.get("before"):  # facts written before readings were kept (refresh them to tell)
        out["before"] = int(counted["before"])
    out["to_confirm"] = int(waiting[0]) if waiting else 0
    return out


def summary(
    con: duckdb.DuckDBPyConnection, flt: Filter, *, rates: list[str] | None = None, scope: Scope = ALL
) -> list[dict[str, Any]]:
    """Every rate over the filter with the same figure for the period before and the change."""
    prev = flt.previous()
    out = []
    for key in rates or list(definitions()):
        rate = definitions()[key]
        if rate.table == "calls" and not scope.calls:
            continue
        if any(rate.table not in dimensions()[d].columns for d in flt.where if d in dimensions()):
            continue  # e.g. call figures have no department
        now, before = compute(con, key, flt, scope=scope)[0], compute(con, key, prev, scope=scope)[0]
        if key in READ_RATES:
            now = now | {"readings": readings(con, flt, scope=scope, rate_key=key)}
        change = (
            round(now["value"] - before["value"], 4)
            if now["value"] is not None and before["value"] is not None
            else None
        )
        out.append(
            now
            | {
                "zh": rate.zh,
                "en": rate.en,
                "lower_is_better": rate.lower_is_better,
                "previous": before["value"],
                "previous_numerator": before["numerator"],
                "previous_denominator": before["denominator"],
                "change": change,
            }
        )
    return out


def ranking(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    *,
    by: str = "department",
    rate: str | None = None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """Units ranked by one rate, or by the composite score (综合评价) of HOTLINE_RANKING_WEIGHTS.
    A unit with fewer than HOTLINE_RANKING_MIN_DENOMINATOR cases is listed last, unranked."""
    s = get_settings()
    weights = {rate: 1.0} if rate else s.ranking_weights
    for k in weights:
        _rate(k)
    units: dict[Any, dict[str, Any]] = {}
    for key in weights:
        for row in compute(con, key, flt, by=by, scope=scope):
            if row["key"] is None:
                continue
            unit = units.setdefault(row["key"], {"key": row["key"], "name": row["name"], "rates": {}})
            unit["rates"][key] = {k: row[k] for k in ("numerator", "denominator", "value")}
    for unit in units.values():
        parts = [
            (w, unit["rates"][k]["value"])
            for k, w in weights.items()
            if k in unit["rates"]
            and unit["rates"][k]["value"] is not None
            and unit["rates"][k]["denominator"] >= s.ranking_min_denominator
        ]
        total = sum(w for w, _ in parts)
        if rate is None:
            unit["score"] = round(sum(w * v for w, v in parts) / total, 4) if total else None
        else:
            lower = definitions()[rate].lower_is_better
            unit["score"] = parts[0][1] if parts else None
            unit["lower_is_better"] = lower
    lower = bool(rate and definitions()[rate].lower_is_better)
    ranked = sorted(
        (u for u in units.values() if u["score"] is not None),
        key=lambda u: (u["score"] if lower else -u["score"], str(u["name"])),
    )
    for i, u in enumerate(ranked, 1):
        u["rank"] = i
    unranked = sorted((u for u in units.values() if u["score"] is None), key=lambda u: str(u["name"]))
    for u in unranked:
        u["rank"] = None
    return ranked + unranked


def drilldown(
    con: duckdb.DuckDBPyConnection,
    rate_key: str,
    flt: Filter,
    *,
    part: Literal["numerator", "denominator", "rest"] = "denominator",
    period: Period | None = None,
    period_value: str | None = None,
    scope: Scope = ALL,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The rows behind a figure: every row of the denominator, those counted in the numerator, or the
    rest (those that pulled the rate down)."""
    rate = _rate(rate_key)
    clauses, params = _where(rate, flt, scope)
    if period and period_value is not None:
        clauses.append(f"CAST({PERIOD_SQL[period]} AS VARCHAR) = ?")
        params.append(period_value)
    if part != "denominator":
        cond = f"{rate.weight} IS NOT NULL" if rate.weight else rate.numerator
        if rate.weight:
            good = [k for k, w in get_settings().satisfaction_weights.items() if w > 0 and k.isidentifier()]
            cond = f"{rate.weight} IN ({', '.join(repr(k) for k in good) or 'NULL'})"
        clauses.append(f"({cond})" if part == "numerator" else f"NOT coalesce(({cond}), false)")
    where = " AND ".join(clauses)
    total = con.execute(f"SELECT COUNT(*) FROM {rate.table} WHERE {where}", params).fetchone()[0]  # type: ignore[index]
    if rate.table == "calls":
        rows = con.execute(
            f"SELECT call_id, offered_at, answered, wait_seconds, queue FROM calls WHERE {where} "
            "ORDER BY offered_at LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        items = [
            {"call_id": r[0], "offered_at": r[1], "answered": r[2], "wait_seconds": r[3], "queue": r[4]}
            for r in rows
        ]
    else:
        key = "ticket_id"
        sub = f"SELECT DISTINCT {key} FROM {rate.table} WHERE {where}"
        rows = con.execute(
            "SELECT t.ticket_id, t.number, t.title, t.status, t.created_at, t.department_id, d.name "
            f"FROM tickets t LEFT JOIN dim_departments d ON d.id = t.department_id WHERE t.ticket_id IN ({sub}) "
            "ORDER BY t.created_at, t.ticket_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        items = [
            {
                "ticket_id": r[0],
                "number": r[1],
                "title": r[2],
                "status": r[3],
                "created_at": r[4],
                "department_id": r[5],
                "department": r[6],
            }
            for r in rows
        ]
    return {"rate": rate.key, "part": part, "total": int(total), "items": items}


def month_range(month: str) -> tuple[date, date]:
    """The first day of a month (YYYY-MM) and of the next."""
    try:
        y, m = (int(x) for x in month.split("-"))
        start = date(y, m, 1)
    except ValueError as exc:
        raise InvalidInput("analytics_bad_period", period=month) from exc
    return start, (start + timedelta(days=32)).replace(day=1)
