"""The deadline watch at city scale, on PostgreSQL.

    python bench/followup.py [--tickets 1000000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds a scratch schema `hotline_bench_watch`, registers one real ticket through the services,
clones it in SQL into N open tickets with their lead assignments (synthetic: the real ticket's text,
deadlines spread over ±5 days around now, so about 1 in 10 is overdue and a few are due soon), then:

1. times one sweep that finds and acts on what is due (up to --limit per kind), and the sweeps needed
   to drain everything due now;
2. runs two worker processes sweeping at the same moment on fresh due items and checks that every
   overdue assignment got exactly one action and one event.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

SCHEMA = "hotline_bench_watch"


def engine_for(url: str):  # type: ignore[no-untyped-def]
    from hotline.db import make_engine

    return make_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})


def setup(url: str, n: int) -> datetime:
    from tests.factories import actors, create_users, ticket_in

    from hotline import migrate
    from hotline.bootstrap import bootstrap
    from hotline.db import make_engine
    from hotline.demo.seed import demo_path
    from hotline.org import service as org_service
    from hotline.tickets.models import Assignment, Ticket

    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    eng = engine_for(url)
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    now = datetime.now(UTC)
    with Session(eng) as s:
        bootstrap(s)
        org_service.import_org(s, org=org_service.parse_org_file(demo_path("city.yaml")))
        create_users(s)
        from hotline.tickets.states import Status

        seed = ticket_in(s, actors(s), Status.processing, now=now - timedelta(days=1))
        s.commit()
        t_cols = [c.name for c in Ticket.__table__.columns if c.name != "id"]
        a_cols = [c.name for c in Assignment.__table__.columns if c.name != "id"]
        started = time.perf_counter()
        values = {
            "number": "'B' || lpad(g::text, 10, '0')",
            "tracking_code": "substr(md5(g::text), 1, 12)",
            "external_id": "NULL",
            "idempotency_key": "NULL",
        }
        select_t = ", ".join(values.get(c, c) for c in t_cols)
        s.execute(
            text(
                f"INSERT INTO tickets ({', '.join(t_cols)}) SELECT {select_t} FROM tickets, generate_series(1, :n) g "
                f"WHERE tickets.id = :seed"
            ),
            {"n": n, "seed": seed.id},
        )
        a_values = {
            "ticket_id": "t.id",
            # deadlines spread from 5 days ago to 5 days ahead, by ticket
            "due_at": "now() + ((t.id % 1000) - 100) * interval '12 minutes'",
            "sign_due_at": "now() + ((t.id % 1000) + 2) * interval '12 minutes'",
            "status": "'signed'",
        }
        select_a = ", ".join(a_values.get(c, f"a.{c}") for c in a_cols)
        s.execute(
            text(
                f"INSERT INTO assignments ({', '.join(a_cols)}) SELECT {select_a} FROM tickets t, assignments a "
                f"WHERE a.ticket_id = :seed AND a.role = 'lead' AND t.number LIKE 'B%'"
            ),
            {"seed": seed.id},
        )
        s.commit()
        s.execute(text("ANALYZE"))
        s.commit()
        count = s.scalar(select(func.count()).select_from(Assignment))
        print(f"{n} open tickets with {count} assignments cloned in {time.perf_counter() - started:.0f} s")
    eng.dispose()
    return now


def worker(url: str, moment: datetime, limit: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from hotline.supervision import watch

    eng = engine_for(url)
    with Session(eng) as s:
        counts = watch.sweep(s, now=moment, limit=limit)
        s.commit()
    eng.dispose()
    out.put(counts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=5000, help="actions per kind per sweep")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    now = setup(args.pg_url, args.tickets)

    from hotline.supervision import watch
    from hotline.supervision.models import DeadlineAction
    from hotline.tickets.models import Assignment

    eng = engine_for(args.pg_url)
    with Session(eng) as s:
        due = s.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.status == "signed", Assignment.due_at <= now)
        )
    print(f"overdue now: {due} assignments")
    sweeps, total, first = 0, 0, None
    started = time.perf_counter()
    while True:
        t = time.perf_counter()
        with Session(eng) as s:
            counts = watch.sweep(s, now=now, limit=args.limit)
            s.commit()
        sweeps += 1
        if first is None:
            first = (time.perf_counter() - t, counts)
        acted = sum(counts.values())
        total += acted
        if acted == 0:
            break
    drain = time.perf_counter() - started
    print(f"first sweep: {first[0]:.1f} s for {first[1]}")
    print(
        f"drained everything due: {total} actions (warnings and overdue marks, each with its event and messages) in "
        f"{sweeps} sweeps, {drain:.0f} s ({total / drain:.0f} actions/s)"
    )
    t = time.perf_counter()
    with Session(eng) as s:
        idle = watch.sweep(s, now=now, limit=args.limit)
        s.commit()
    print(f"a sweep with nothing new to do: {time.perf_counter() - t:.2f} s ({sum(idle.values())} actions)")

    # two workers at the same moment, 6 hours later: new overdue assignments appear
    later = now + timedelta(hours=6)
    with Session(eng) as s:
        expected = s.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.status == "signed", Assignment.due_at > now, Assignment.due_at <= later)
        )
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    procs = [mp.Process(target=worker, args=(args.pg_url, later, 10**9, queue)) for _ in range(2)]
    t = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    results = [queue.get() for _ in procs]
    with Session(eng) as s:
        marks = s.scalar(
            select(func.count())
            .select_from(DeadlineAction)
            .where(
                DeadlineAction.kind == "overdue", DeadlineAction.created_at >= later - timedelta(seconds=1)
            )
        )
        dupes = s.scalar(
            text(
                "SELECT count(*) FROM (SELECT assignment_id, kind, due_at FROM deadline_actions GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
            )
        )
        events = s.scalar(text("SELECT count(*) FROM ticket_events WHERE action = 'overdue'"))
        actions = s.scalar(text("SELECT count(*) FROM deadline_actions WHERE kind = 'overdue'"))
    print(
        f"two workers at once: {[r['overdue'] for r in results]} overdue marks each ({time.perf_counter() - t:.0f} s); "
        f"expected {expected}, recorded {marks}; duplicate actions {dupes}; overdue events {events} = actions {actions}"
    )
    eng.dispose()


if __name__ == "__main__":
    main()
