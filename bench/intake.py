"""Load test of the front door and the operator's search, through the HTTP API on loopback.

Starts `hotline serve`'s ASGI app under uvicorn with several worker processes on a scratch database (a
scratch schema `hotline_bench` in PostgreSQL, or a temp SQLite file), as production runs it: the API
processes only store requests (HOTLINE_DISPATCH_ON_INTAKE=background, HOTLINE_SCHEDULER=off), and the
jobs they defer (screen and route each ticket) are run by `hotline worker` processes.

1. Intake: wrk (C, so the load generator takes little of the machine's CPU) posts real citizen messages
   (../shared/data/messages_raw_sample.csv) as new tickets over N keep-alive connections for D seconds,
   each request with its own Idempotency-Key. Prints throughput, p50/p95/p99 latency, errors, server
   peak memory, and checks every acknowledged ticket is in the database exactly once.
2. Search: wrk asks GET /api/v1/tickets?q=… with phrases an operator types (3–8 characters cut from
   the messages' titles, and ticket numbers) over a year of history: --preload closed tickets (default
   200,000; PostgreSQL) made from the 4,326 real messages of messages_hotspot.csv, plus step 1's;
   vacuumed and analyzed, as autovacuum would have.
3. Jobs: starts --job-workers `hotline worker` processes and times how long they take to screen and
   route the backlog step 1 left.

    python bench/intake.py                       # PostgreSQL, 2 API processes, 16 connections, 20 s
    python bench/intake.py --db sqlite --api-processes 1 --dispatch sync
    python bench/intake.py --job-workers 2       # also drain the backlog with two workers

Needs wrk (Debian package `wrk`); without it falls back to a Python client (which competes with the
server for the CPU, so figures are lower)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "messages_raw_sample.csv"
HISTORY = ROOT.parent / "shared" / "data" / "messages_hotspot.csv"
PG_SCHEMA = "hotline_bench"

WRK_INTAKE = r"""
bodies = dofile(os.getenv("BENCH_BODIES"))
local counter, prefix, out = 0, "", nil
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  prefix = os.getenv("BENCH_RUN") .. "-" .. tostring(tid)  -- keys unique across runs
  out = io.open(os.getenv("BENCH_OUT") .. "/numbers-" .. tid .. ".txt", "w")
end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/tickets", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Idempotency-Key"] = prefix .. "-" .. counter}, bodies[(counter % #bodies) + 1])
end
response = function(status, headers, body)
  if status == 201 then
    out:write(body:match('"number":"([^"]+)"'), "\n")
  else  -- a 200 would be a replay: none is expected, every key is new
    out:write("status-", status, "\n")
  end
  out:flush()
end
"""

WRK_SEARCH = r"""
paths = dofile(os.getenv("BENCH_PATHS"))
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1],
    {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")})
end
"""

WRK_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_messages(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        sys.exit(f"data file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        {"title": r["留言主题"][:200], "content": (r["留言详情"] or r["留言主题"])[:10_000]} for r in rows
    ]


def ticket_body(msg: dict[str, str], i: int) -> dict[str, Any]:
    return {
        "channel": "phone",
        "title": msg["title"],
        "content": msg["content"],
        "request_type": "help",
        "citizen": {"phone": f"139{i:08d}"},
    }


def prepare_database(kind: str, pg_url: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    eng = create_engine(pg_url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    eng.dispose()
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options=-csearch_path%3D{PG_SCHEMA}"


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children, in MiB (Linux)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def lua_strings(values: list[str]) -> str:
    return "return {\n" + "\n".join(f"[==[{v}]==]," for v in values) + "\n}\n"


def run_wrk(script: str, base: str, env: dict[str, str], connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + WRK_DONE)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                fh.name,
                base,
            ],
            env=os.environ | env | {"BENCH_RUN": uuid.uuid4().hex},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(fh.name)
    if os.environ.get("BENCH_DEBUG"):
        print(out)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    result: dict[str, Any] = json.loads(line[6:])
    result["throughput"] = result["requests"] / result["seconds"]
    return result


async def python_client(
    base: str, token: str, bodies: list[dict[str, Any]], connections: int, seconds: float
) -> tuple[dict[str, Any], list[str]]:
    """Fallback without wrk: an httpx client on this machine's CPU (lower figures)."""
    latencies: list[float] = []
    numbers: list[str] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:

        async def worker(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.post(
                    "/api/v1/tickets",
                    json=bodies[i % len(bodies)],
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 201:
                    numbers.append(r.json()["number"])
                else:
                    errors += 1
                i += connections

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    result = {
        "requests": len(latencies),
        "seconds": elapsed,
        "throughput": len(latencies) / elapsed,
        "p50_ms": q[49],
        "p95_ms": q[94],
        "p99_ms": q[98],
        "max_ms": max(latencies),
        "non_2xx": errors,
        "socket_errors": 0,
    }
    return result, numbers


def show(name: str, r: dict[str, Any]) -> None:
    print(
        f"  {name:<22} {r['throughput']:7.0f} req/s   p50 {r['p50_ms']:6.1f}   p95 {r['p95_ms']:6.1f}   "
        f"p99 {r['p99_ms']:6.1f}   max {r['max_ms']:7.1f} ms   errors {r['non_2xx'] + r['socket_errors']}"
        f"   ({r['requests']} requests)"
    )


def search_paths(messages: list[dict[str, str]], numbers: list[str], rng: random.Random) -> list[str]:
    """What operators type: a place or problem cut from a title (3–8 characters), or a ticket number."""
    from urllib.parse import quote

    phrases = []
    for msg in rng.sample(messages, min(400, len(messages))):
        title = "".join(ch for ch in msg["title"] if ch.strip() and ch not in "，。、！？：；（）()")
        if len(title) >= 3:
            size = rng.randint(3, min(8, len(title)))
            start = rng.randint(0, len(title) - size)
            phrases.append(title[start : start + size])
    phrases += rng.sample(numbers, min(100, len(numbers)))
    rng.shuffle(phrases)
    return [f"/api/v1/tickets?q={quote(p)}&limit=20" for p in phrases]


def preload(url: str, n: int) -> None:
    """A year of closed tickets in one INSERT … SELECT, texts cycling through the real messages."""
    with HISTORY.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(r["留言主题"][:200], r["留言详情"] or r["留言主题"]) for r in csv.DictReader(fh)]
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE history (rn int, title text, content text)"))
        conn.execute(
            text("INSERT INTO history VALUES (:rn, :title, :content)"),
            [{"rn": i, "title": t, "content": c} for i, (t, c) in enumerate(rows)],
        )
        conn.execute(
            text(
                "INSERT INTO tickets (number, tracking_code, channel, title, content, request_type, urgency,"
                " no_contact, status, created_at, updated_at, answered_directly, reopen_count, version)"
                " SELECT 'H' || lpad(g::text, 9, '0'), substr(md5(g::text), 1, 8), 'web', h.title,"
                " h.content, 'complaint', 'normal', false, 'closed', now() - (g % 365) * interval '1 day',"
                " now(), false, 0, 1 FROM generate_series(1, :n) g JOIN history h ON h.rn = g % :m"
            ),
            {"n": n, "m": len(rows)},
        )
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text("VACUUM ANALYZE tickets")
        )  # as autovacuum would have: stats, and the GIN pending list merged
    eng.dispose()


def count_jobs(url: str) -> int:
    from sqlalchemy.orm import Session

    from hotline.jobs import queue

    eng = create_engine(url)
    with Session(eng) as session:
        n = queue.waiting(session)
    eng.dispose()
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get("HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    ap.add_argument("--api-processes", type=int, default=None, help="default: 2 on PostgreSQL, 1 on SQLite")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of each measured run")
    ap.add_argument("--dispatch", choices=["background", "sync"], default="background")
    ap.add_argument(
        "--job-workers", type=int, default=0, help="then drain the backlog with this many workers"
    )
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument(
        "--preload", type=int, default=200_000, help="history tickets for the search (PostgreSQL)"
    )
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    processes = args.api_processes or (1 if args.db == "sqlite" else 2)
    messages = load_messages(args.data)
    rng = random.Random(7)
    bodies = [ticket_body(m, i) for i, m in enumerate(rng.sample(messages, min(1000, len(messages))))]
    hotline = str(Path(sys.executable).with_name("hotline"))
    use_wrk = shutil.which("wrk") is not None

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = prepare_database(args.db, args.pg_url, tmp)
        env = os.environ | {
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_LOG_LEVEL": "WARNING",
            "HOTLINE_ENVIRONMENT": "development",
            "HOTLINE_SCHEDULER": "off",
            "HOTLINE_DISPATCH_ON_INTAKE": args.dispatch,
            "HOTLINE_ANALYTICS_DIR": str(tmp / "analytics"),
        }
        subprocess.run(
            [hotline, "demo", "--no-serve", "--tickets", "0"], env=env, check=True, capture_output=True
        )
        token = subprocess.run(
            [hotline, "users", "token", "operator"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        port = free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "hotline.asgi:app", "--port", str(port)),
                *("--workers", str(processes), "--log-level", "warning", "--no-access-log"),
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        bodies_file = tmp / "bodies.lua"
        bodies_file.write_text(
            lua_strings([json.dumps(b, ensure_ascii=False) for b in bodies]), encoding="utf-8"
        )
        out_dir = tmp / "numbers"
        out_dir.mkdir()
        wrk_env = {
            "BENCH_TOKEN": token,
            "BENCH_BODIES": str(bodies_file),
            "BENCH_OUT": str(out_dir),
            "BENCH_PATHS": str(tmp / "paths.lua"),
        }
        results: dict[str, dict[str, Any]] = {}
        try:
            for _ in range(150):
                try:
                    if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            if use_wrk:
                run_wrk(WRK_INTAKE, base, wrk_env, args.connections, 3)  # warm-up
                for f in out_dir.iterdir():
                    f.unlink()
                results["intake"] = run_wrk(WRK_INTAKE, base, wrk_env, args.connections, args.duration)
                lines = [n for f in sorted(out_dir.iterdir()) for n in f.read_text().split()]
                acked = [n for n in lines if not n.startswith("status-")]
                results["intake"]["not_201"] = len(lines) - len(acked)
            else:
                asyncio.run(python_client(base, token, bodies, args.connections, 3))
                results["intake"], acked = asyncio.run(
                    python_client(base, token, bodies, args.connections, args.duration)
                )
            if not args.no_search and use_wrk:
                if args.db == "postgresql" and args.preload:
                    preload(url, args.preload)
                (tmp / "paths.lua").write_text(
                    lua_strings(search_paths(messages, acked, rng)), encoding="utf-8"
                )
                run_wrk(WRK_SEARCH, base, wrk_env, args.connections, 2)
                results["search"] = run_wrk(WRK_SEARCH, base, wrk_env, args.connections, args.duration / 2)
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)

        eng = create_engine(url)
        with eng.connect() as conn:
            stored = {r[0] for r in conn.execute(text("SELECT number FROM tickets"))}
            total = conn.scalar(text("SELECT count(*) FROM tickets"))
        eng.dispose()

        drained = None
        if args.job_workers and args.db == "postgresql" and args.dispatch == "background":
            backlog = count_jobs(url)
            t0 = time.perf_counter()
            workers = [
                subprocess.Popen([hotline, "worker", "--interval", "60"], env=env, stdout=subprocess.DEVNULL)
                for _ in range(args.job_workers)
            ]
            try:
                while count_jobs(url):
                    time.sleep(0.5)
                drained = (backlog, time.perf_counter() - t0)
            finally:
                for w in workers:
                    w.terminate()
                    w.wait(timeout=60)

        if args.db == "postgresql":
            eng = create_engine(args.pg_url)
            with eng.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            eng.dispose()

    client = "wrk" if use_wrk else "python httpx (no wrk: figures lower)"
    print(
        f"intake benchmark — {args.db}, {processes} API process(es), dispatch {args.dispatch}, "
        f"{args.connections} connections, {args.duration:.0f} s, client {client}"
    )
    show("ticket creation", results["intake"])
    if results["intake"].get("not_201"):
        print(f"  answers other than 201 Created: {results['intake']['not_201']}")
    if "search" in results:
        show(f"search ({total:,} tickets)", results["search"])
    print(f"  server peak RSS        {rss:.0f} MiB (all API processes)")
    missing = [n for n in acked if n not in stored]
    print(
        f"  acknowledged, all stored once: {not missing and len(set(acked)) == len(acked)} "
        f"({len(acked)} acknowledged, {len(missing)} missing, {len(acked) - len(set(acked))} twice)"
    )
    if drained:
        backlog, seconds = drained
        print(
            f"  jobs: {backlog} tickets screened and routed by {args.job_workers} worker(s) in {seconds:.0f} s "
            f"({backlog / seconds:.0f} tickets/s; model loading included)"
        )


if __name__ == "__main__":
    main()
