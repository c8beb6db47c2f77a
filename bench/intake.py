"""Ticket intake through the HTTP API: throughput and latency on SQLite or PostgreSQL.

Starts `hotline serve` as a separate process on a scratch database (a temp SQLite file, or a scratch
schema `hotline_bench` in PostgreSQL), logs in as an operator, then posts real citizen messages from
../shared/data/messages_raw_sample.csv as new tickets with a fixed number of concurrent clients, each
with its own Idempotency-Key. Prints throughput, latency percentiles, errors, server peak memory, and
checks that every acknowledged ticket is in the database exactly once.

    python bench/intake.py --db sqlite
    python bench/intake.py --db postgresql --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "messages_raw_sample.csv"
PG_SCHEMA = "hotline_bench"


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
    """Return the peak resident memory of a process and its children, in MiB (Linux)."""
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


async def run_load(
    base: str, token: str, messages: list[dict[str, str]], total: int, concurrency: int
) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    numbers: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                msg = messages[i % len(messages)]
                body = {
                    "channel": "phone",
                    "title": msg["title"],
                    "content": msg["content"],
                    "request_type": "help",
                    "citizen": {"phone": f"139{i:08d}"},
                }
                t0 = time.perf_counter()
                try:
                    r = await client.post(
                        "/api/v1/tickets", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
                    )
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code == 201:
                        numbers.append(r.json()["number"])
                    else:
                        errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "numbers": numbers, "elapsed": elapsed}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get("HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument(
        "--workers", type=int, default=None, help="API processes (default: 1 on SQLite, 2 on PostgreSQL)"
    )
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    workers = args.workers or (1 if args.db == "sqlite" else 2)
    messages = load_messages(args.data)
    hotline = str(Path(sys.executable).with_name("hotline"))

    with tempfile.TemporaryDirectory() as tmp:
        url = prepare_database(args.db, args.pg_url, Path(tmp))
        env = os.environ | {
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_LOG_LEVEL": "WARNING",
            "HOTLINE_ENVIRONMENT": "development",
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
                sys.executable,
                "-m",
                "uvicorn",
                "hotline.api.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            asyncio.run(run_load(base, token, messages, 100, args.concurrency))  # warm-up
            result = asyncio.run(run_load(base, token, messages, args.requests, args.concurrency))
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
        eng = create_engine(url)
        with eng.connect() as conn:
            stored = {r[0] for r in conn.execute(text("SELECT number FROM tickets"))}
        eng.dispose()
        if args.db == "postgresql":
            eng = create_engine(args.pg_url)
            with eng.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            eng.dispose()

    lat = result["latencies"]
    acked = result["numbers"]
    print(f"intake benchmark — {args.db}, {workers} API process(es), {args.concurrency} concurrent clients")
    print(f"  requests           {len(lat)} (after 100 warm-up)")
    print(f"  throughput         {len(acked) / result['elapsed']:.0f} tickets/s")
    print(
        f"  latency p50/p95/p99 {pct(lat, 0.5) * 1000:.1f} / {pct(lat, 0.95) * 1000:.1f} / {pct(lat, 0.99) * 1000:.1f} ms"
    )
    print(f"  errors             {result['errors'] or 0}")
    print(f"  server peak RSS    {rss:.0f} MiB")
    missing = [n for n in acked if n not in stored]
    print(
        f"  acknowledged, all stored once: {not missing and len(set(acked)) == len(acked)} "
        f"({len(acked)} acknowledged, {len(missing)} missing)"
    )


if __name__ == "__main__":
    main()
