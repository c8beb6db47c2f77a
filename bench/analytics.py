"""Analytics at city scale: the dashboard's queries on 10 million synthetic tickets.

    python bench/analytics.py                 # 10,000,000 tickets over 36 months (about 3 minutes to generate)
    python bench/analytics.py --rows 1000000  # smaller

How the data is made (DuckDB SQL, seeded, written straight into the analytics store's Parquet layout —
the same files `hotline analytics refresh` writes, read by the same code the API calls):
- volume: 36 months ending 2026-11, growing 1 %/month, with a summer peak and fewer requests on
  weekends (Beijing's 12345 took 31 million contacts in 35 months: this is a third of that);
- categories: the 15 first-level categories of taxonomy.csv; the 7 of the labeled messages in their
  real proportions (85 % of requests), the other 8 sharing 15 %; third-level categories uniform within;
- places: 16 districts (skewed sizes), 20 streets each, 5 communities a street;
- departments: 4 functional departments per category plus one centre per district (30 % of dispatches);
- channels 60 % phone, 15 % web, 15 % app, 5 % SMS, 5 % grid; 25 % answered on the spot;
- each department has its own on-time, satisfaction and speed, so rankings are not flat; 7 % returned,
  3 % reopened, 60 % of finished requests evaluated (80/10/10 satisfied/basic/unsatisfied);
- callers from a skewed pool (repeat callers exist); 25 % of tickets belong to a mined topic whose sizes
  follow a power law; supports heavy-tailed;
- steps: registered, dispatched, processing, replied, follow-up with exponential times scaled per
  department (about 3.8 step rows a ticket); assignments one per dispatch plus one per return;
- calls: as many call records as tickets, 93 % answered, waits exponential (mean 10 s).
Every query runs 15 times on a fresh DuckDB connection (as each API request opens one); p50/p95 ms.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import csv  # noqa: E402

import duckdb  # noqa: E402

from hotline.analytics import bottlenecks, hotspots, rates  # noqa: E402
from hotline.analytics.rates import Filter  # noqa: E402
from hotline.analytics.store import DIMENSIONS, SCHEMAS, Store  # noqa: E402

L1_SHARE = {  # the labeled messages' proportions for 7 categories (85 %), the rest 15 % evenly
    "城乡建设": 1618, "劳动和社会保障": 1562, "教育文体": 1255, "商贸旅游": 967,
    "环境保护": 742, "卫生计生": 700, "交通运输": 501,
}  # fmt: skip


def months_back(end: date, n: int) -> list[date]:
    out, d = [], end.replace(day=1)
    for _ in range(n):
        out.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    return out[::-1]


def dimensions(
    store: Store, con: duckdb.DuckDBPyConnection
) -> tuple[list[tuple[int, float]], dict[int, int]]:
    with (ROOT / "src" / "hotline" / "data" / "taxonomy.csv").open(encoding="utf-8") as fh:
        tax = list(csv.DictReader(fh))
    l1 = list(dict.fromkeys(r["一级分类"] for r in tax))
    cats, l3_count = [], {}
    for i, name in enumerate(l1, 1):
        cats.append((i, name, 1, name))
        children = [r for r in tax if r["一级分类"] == name]
        l3_count[i] = len(children)
        for j, r in enumerate(children):
            cats.append((i * 1000 + j, r["三级分类"], 3, f"{name}/{r['二级分类']}/{r['三级分类']}"))
    known = sum(L1_SHARE.values())
    rest = [n for n in l1 if n not in L1_SHARE]
    shares = [
        (i, 0.85 * L1_SHARE[n] / known if n in L1_SHARE else 0.15 / len(rest)) for i, n in enumerate(l1, 1)
    ]
    kinds = [
        "住建局",
        "人社局",
        "教育局",
        "商务局",
        "生态环境局",
        "卫健委",
        "交通运输局",
        "农业农村局",
        "公安局",
        "民政局",
        "政务服务局",
        "发改委",
        "纪委监委",
        "自然资源局",
        "工信局",
    ]
    deps = [
        (c * 10 + k, f"市{kinds[c - 1]}{'' if k == 0 else f'第{k}处'}", "functional")
        for c in range(1, 16)
        for k in range(4)
    ]
    deps += [(1000 + d, f"第{d}区分中心", "area_center") for d in range(1, 17)]
    areas = [(d, f"第{d}区", "district", f"/0/{d}/") for d in range(1, 17)]
    areas += [
        (d * 100 + s, f"第{d}区{s}街道", "street", f"/0/{d}/{d * 100 + s}/")
        for d in range(1, 17)
        for s in range(20)
    ]
    for name, rows in (("categories", cats), ("departments", deps), ("areas", areas)):
        cols = [f.name for f in DIMENSIONS[name]]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE d AS SELECT * FROM (VALUES {', '.join(str(r) for r in rows)}) t({', '.join(cols)})"
        )
        con.execute(f"COPY d TO '{store.path}/dim_{name}.parquet' (FORMAT parquet)")
    return shares, l3_count


def generate(store: Store, rows: int, months: int, end: date) -> None:
    shutil.rmtree(store.path, ignore_errors=True)
    for t in SCHEMAS:
        (store.path / t).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SELECT setseed(0.12345)")
    shares, l3 = dimensions(store, con)
    cum, edges = 0.0, []
    for cid, share in shares:
        cum += share
        edges.append(f"WHEN rc < {cum:.6f} THEN {cid}")
    l1_case = "CASE " + " ".join(edges) + f" ELSE {shares[-1][0]} END"
    l3_case = (
        "CASE l1 "
        + " ".join(f"WHEN {c} THEN {c * 1000} + CAST(floor(r3 * {n}) AS BIGINT)" for c, n in l3.items())
        + " END"
    )
    weights = [
        (1.01**i) * (1.25 if m.month in (6, 7, 8) else 1.0) for i, m in enumerate(months_back(end, months))
    ]
    offset = 0
    for i, m in enumerate(months_back(end, months)):
        # drawn a little over, since 30 % of weekend draws are dropped (fewer requests on weekends)
        n = int(rows * weights[i] / sum(weights) / (1 - 0.3 * 2 / 7))
        nxt = (m + timedelta(days=32)).replace(day=1)
        days = (nxt - m).days
        mm = m.strftime("%Y-%m")
        age_days = (end - m).days  # open tickets only in the last two months
        topic_base = (i + 1) * 100_000
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE t AS
        WITH b AS (
          SELECT {offset} + i AS ticket_id, random() AS rc, random() AS r3, random() AS rd, random() AS rs,
                 random() AS rch, random() AS rdir, random() AS rret, random() AS rev, random() AS rsat,
                 random() AS rot, random() AS rtop, random() AS rcall, random() AS rsup, random() AS rstat,
                 TIMESTAMP '{m} 00:00:00' - INTERVAL 8 HOUR + to_seconds(CAST(floor(random() * {days} * 86400) AS BIGINT)) AS created_at
          FROM range({n}) r(i)
        ), c AS (
          SELECT *, {l1_case} AS l1,
                 1 + CAST(floor(pow(rd, 1.6) * 16) AS BIGINT) AS district
          FROM b
          WHERE NOT (dayofweek(created_at + INTERVAL 8 HOUR) IN (0, 6) AND rstat < 0.3)
        ), d AS (
          SELECT *, {l3_case} AS category_id,
                 district * 100 + CAST(floor(rs * 20) AS BIGINT) AS street,
                 rdir < 0.25 AS direct,
                 CASE WHEN rret < 0.3 THEN 1000 + district ELSE l1 * 10 + CAST(floor(r3 * 4) AS BIGINT) END AS dept
          FROM c
        )
        SELECT ticket_id, printf('%s-%06d', strftime(created_at + INTERVAL 8 HOUR, '%Y%m%d'), ticket_id % 1000000) AS number,
               '诉求' || CAST(ticket_id % 997 AS VARCHAR) AS title, created_at,
               CAST(created_at + INTERVAL 8 HOUR AS DATE) AS day, '{mm}' AS month,
               CASE WHEN rch < 0.6 THEN 'phone' WHEN rch < 0.75 THEN 'web' WHEN rch < 0.9 THEN 'app' WHEN rch < 0.95 THEN 'sms' ELSE 'grid' END AS channel,
               CASE WHEN rch * 7 % 1 < 0.4 THEN 'complaint' WHEN rch * 7 % 1 < 0.7 THEN 'help' ELSE 'consult' END AS request_type,
               'normal' AS urgency, category_id, l1 AS category_l1_id,
               street * 10 + CAST(floor(rsup * 5) AS BIGINT) AS area_id, district AS district_id, street AS street_id,
               CASE WHEN direct THEN NULL ELSE dept END AS department_id,
               CASE WHEN direct THEN NULL WHEN rret > 0.93 THEN (dept + 1) ELSE dept END AS first_department_id,
               CASE WHEN {age_days} < 60 AND rstat < 0.25 THEN 'processing' ELSE 'closed' END AS status,
               NOT ({age_days} < 60 AND rstat < 0.25) AS closed,
               NOT direct AS dispatched, direct, rtop > 0.98 AS merged,
               CAST(CASE WHEN direct THEN 0 WHEN rret > 0.99 THEN 2 WHEN rret > 0.93 THEN 1 ELSE 0 END AS INTEGER) AS returns,
               CAST(CASE WHEN rev > 0.97 THEN 1 ELSE 0 END AS INTEGER) AS reopens,
               CASE WHEN direct THEN NULL ELSE rret <= 0.93 END AS first_dispatch_ok,
               created_at + INTERVAL 15 DAY AS due_at,
               CASE WHEN direct THEN NULL ELSE created_at + to_seconds(CAST(rot * 20 * 86400 AS BIGINT)) END AS replied_at,
               CASE WHEN direct THEN NULL ELSE rot < 0.55 + (dept % 7) * 0.06 END AS on_time,
               ({age_days} < 60 AND rstat < 0.05) AS overdue,
               NOT direct AND NOT ({age_days} < 60 AND rstat < 0.25) AS finished,
               CASE WHEN rev < 0.6 THEN rsat < 0.88 + (dept % 5) * 0.02 END AS resolved,
               CASE WHEN rev >= 0.6 THEN NULL WHEN rsat < 0.72 + (dept % 5) * 0.04 THEN 'satisfied'
                    WHEN rsat < 0.9 THEN 'basically_satisfied' ELSE 'unsatisfied' END AS satisfaction,
               rtop BETWEEN 0.5 AND 0.51 AS excluded, CAST(NULL AS BIGINT) AS master_id,
               'c' || CAST(floor(pow(rcall, 3) * 3000000) AS VARCHAR) AS caller_hash,
               CAST(CASE WHEN rsup > 0.98 THEN floor(1 / (1.001 - rsup)) ELSE 0 END AS INTEGER) AS supports,
               CASE WHEN rtop < 0.25 THEN {topic_base} + CAST(floor(pow(rtop / 0.25, 2.5) * 3000) AS BIGINT) END AS topic_id
        FROM d
        """)
        con.execute(
            f"COPY (SELECT * FROM t) TO '{store.path}/tickets/{mm}.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 256000)"
        )
        con.execute(f"""
        COPY (
          SELECT ticket_id * 2 + k AS assignment_id, ticket_id, day, month, channel,
                 CASE WHEN k = 0 THEN first_department_id ELSE department_id END AS department_id, 'lead' AS role,
                 category_l1_id, district_id, street_id,
                 CASE WHEN k = 0 AND returns > 0 THEN 'cancelled' WHEN closed THEN 'replied' ELSE 'signed' END AS status,
                 created_at, created_at + INTERVAL 1 HOUR AS signed_at, (ticket_id % 100) < 93 AS signed_in_time,
                 replied_at, on_time AS replied_in_time, k = 0 AND returns > 0 AS returned, excluded
          FROM t, range(2) r(k)
          WHERE dispatched AND (k = 0 OR returns > 0)
        ) TO '{store.path}/assignments/{mm}.parquet' (FORMAT parquet, COMPRESSION zstd)
        """)
        con.execute(f"""
        COPY (
          WITH s AS (
            SELECT t.ticket_id, t.day, t.month, t.department_id, t.category_l1_id, t.district_id, t.created_at, t.closed,
                   x.step, x.pos, -ln(random()) * x.mean * (0.6 + (coalesce(t.department_id, 0) % 9) * 0.1) AS hours
            FROM t, (VALUES ('registered', 0, 0.4), ('dispatched', 1, 2.0), ('processing', 2, 96.0), ('replied', 3, 10.0), ('follow_up', 4, 30.0)) x(step, pos, mean)
            WHERE (t.dispatched OR x.pos = 0)
          )
          SELECT ticket_id, day, month, step, CASE WHEN pos IN (1, 2) THEN department_id END AS department_id,
                 category_l1_id, district_id,
                 created_at + to_seconds(CAST(sum(hours) OVER w * 3600 - hours * 3600 AS BIGINT)) AS entered_at,
                 CASE WHEN NOT closed AND pos = 2 THEN NULL ELSE created_at + to_seconds(CAST(sum(hours) OVER w * 3600 AS BIGINT)) END AS left_at,
                 hours
          FROM s WINDOW w AS (PARTITION BY ticket_id ORDER BY pos)
        ) TO '{store.path}/steps/{mm}.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 256000)
        """)
        con.execute(f"""
        COPY (
          SELECT 'call-' || CAST({offset} + i AS VARCHAR) AS call_id, offered, CAST(offered + INTERVAL 8 HOUR AS DATE) AS day,
                 '{mm}' AS month, CAST(hour(offered + INTERVAL 8 HOUR) AS TINYINT) AS hour,
                 CASE WHEN i % 5 = 0 THEN '方言' ELSE '普通话' END AS queue,
                 ra < 0.93 AS answered, ra < 0.93 AND wait <= 15 AS answered_in_15s,
                 CASE WHEN ra < 0.93 THEN wait END AS wait_seconds
          FROM (SELECT i, random() AS ra, -ln(random()) * 10 AS wait,
                       TIMESTAMP '{m} 00:00:00' - INTERVAL 8 HOUR + to_seconds(CAST(floor(random() * {days} * 86400) AS BIGINT)) AS offered
                FROM range({n}) r(i))
        ) TO '{store.path}/calls/{mm}.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 256000)
        """)
        con.execute(f"""
        COPY (SELECT DISTINCT topic_id AS id, '热点' || CAST(topic_id AS VARCHAR) AS title, '关键词' AS keywords,
                     '第' || CAST(district_id AS VARCHAR) || '区' AS place, category_l1_id AS category_id
              FROM t WHERE topic_id IS NOT NULL) TO '{store.path}/topics_{mm}.parquet' (FORMAT parquet)
        """)
        offset += n
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{store.path}/topics_*.parquet')) TO '{store.path}/dim_topics.parquet' (FORMAT parquet)"
    )
    for f in store.path.glob("topics_*.parquet"):
        f.unlink()
    store.save_state({"refreshed_at": "2026-11-27T00:00:00", "last_event_id": 0})


def timed(label: str, fn, reps: int = 15) -> None:  # type: ignore[no-untyped-def]
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    rows = len(out) if isinstance(out, list) else len(out.get("items", out)) if isinstance(out, dict) else 1
    print(f"  {label:58} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({rows} rows)")


def refresh_rate(url: str) -> None:
    """Facts taken from a real database: the real messages (hotspot + replies files, 7,142 tickets)
    imported with the bulk importer, then a full refresh — the rate at which months are re-taken."""
    import os

    os.environ["HOTLINE_DATABASE_URL"] = url
    os.environ.setdefault("HOTLINE_ENVIRONMENT", "test")
    from hotline import db as hotline_db
    from hotline.config import get_settings

    get_settings.cache_clear()
    hotline_db.reset_engine()
    import hotline.models  # noqa: F401
    from hotline import migrate
    from hotline.accounts.principal import SYSTEM
    from hotline.analytics import facts
    from hotline.bootstrap import bootstrap
    from hotline.bulk import service as bulk
    from hotline.db import session_scope

    migrate.upgrade(url)
    with session_scope() as s:
        bootstrap(s)
        for name in ("messages_hotspot", "messages_replies"):
            mapping = bulk.load_mapping(
                (ROOT / "docs" / "import" / f"{name}.yaml").read_text(encoding="utf-8")
            )
            bulk.import_tickets(
                s,
                path=ROOT.parent / "shared" / "data" / f"{name}.csv",
                mapping=mapping,
                principal=SYSTEM,
                dry_run=False,
            )
    with session_scope() as s:
        store = Store(Path(tempfile.mkdtemp(prefix="hotline-bench-refresh-")))
        r = facts.refresh(s, store, full=True)
        again = facts.refresh(s, store)
    print(
        f"refresh from {url.split('@')[-1].split('?')[0]}: {r.tickets} tickets, {r.steps} steps over {len(r.months)} months "
        f"in {r.seconds:.1f} s = {r.tickets / r.seconds:.0f} tickets/s; an incremental refresh with nothing changed {again.seconds * 1000:.0f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "hotline-bench-analytics"))
    ap.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    ap.add_argument("--refresh-url", help="also time a full refresh from this (emptied) database")
    args = ap.parse_args()
    if args.refresh_url:
        refresh_rate(args.refresh_url)
    store = Store(args.dir)
    end = date(2026, 11, 1)
    if not (args.reuse and store.months()):
        t0 = time.perf_counter()
        generate(store, args.rows, args.months, end)
        print(f"generated in {time.perf_counter() - t0:.0f} s")
    con = store.connect()
    counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SCHEMAS}  # type: ignore[index]
    size = sum(f.stat().st_size for f in store.path.rglob("*.parquet"))
    print(f"store: {counts} · {size / 2**20:.0f} MiB of Parquet in {len(store.months())} months")
    month = Filter(date(2026, 10, 1), date(2026, 11, 1))
    year = Filter(date(2025, 11, 1), date(2026, 11, 1))
    c = store.connect
    print("dashboard queries (fresh connection each, as the API does):")
    timed("rates summary, one month (+ previous month)", lambda: rates.summary(c(), month))
    timed("rates summary, a whole year (+ previous year)", lambda: rates.summary(c(), year))
    timed(
        "satisfaction by department × month, 12 months",
        lambda: rates.compute(c(), "satisfaction", year, by="department", period="month"),
    )
    timed("volume by district × day, 12 months", lambda: rates.volume(c(), year, by="district", period="day"))
    timed("department ranking (composite of 4 rates), one month", lambda: rates.ranking(c(), month))
    timed("top 20 hotspots of a month (heat index)", lambda: hotspots.top(c(), month))
    timed("top 20 hotspots of a year", lambda: hotspots.top(c(), year))
    timed("bottleneck steps (median, p90), one month", lambda: bottlenecks.steps(c(), month))
    timed("bottleneck steps by department, one month", lambda: bottlenecks.steps(c(), month, by="department"))
    timed("bottleneck units (returned/overdue/late), one month", lambda: bottlenecks.units(c(), month))
    timed(
        "drill-down: late tickets of one department, 1st page",
        lambda: rates.drilldown(
            c(), "on_time", Filter(month.start, month.end, {"department": 11}), part="rest"
        ),
    )
    timed("emerging issues: last 7 days vs 8 weeks", lambda: hotspots.emerging(c(), end=date(2026, 10, 31)))
    timed("repeat callers and places, one month", lambda: hotspots.repeats(c(), month))
    from hotline.analytics import report

    t0 = time.perf_counter()
    built = report.build(c(), period="2026-10")
    t1 = time.perf_counter()
    pdf = report.to_pdf(built)
    t2 = time.perf_counter()
    print(
        f"  the month's report: figures and charts {1000 * (t1 - t0):.0f} ms, PDF {1000 * (t2 - t1):.0f} ms ({len(pdf) // 1024} KiB)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    made = "" if args.reuse else " (generation included)"
    print(f"peak memory of this process{made}: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
