"""A routing laboratory shared by scripts/fit_matcher.py and the dispatch benchmarks: a scratch SQLite
database with the demo city, its matter list (派单目录) and a category model, and the department
development set (bench/data/dispatch_dev.csv, written before any tuning).

Everything goes through the product's own code (matters.import_file, service.suggest)."""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DEV = ROOT / "bench" / "data" / "dispatch_dev.csv"
sys.path.insert(0, str(ROOT / "src"))

from hotline import migrate  # noqa: E402
from hotline.bootstrap import bootstrap  # noqa: E402
from hotline.db import make_engine  # noqa: E402
from hotline.demo.seed import demo_path  # noqa: E402
from hotline.dispatch import datasets, matching, training  # noqa: E402
from hotline.dispatch import matters as matter_list  # noqa: E402
from hotline.dispatch import service as dispatch_service  # noqa: E402
from hotline.org import service as org_service  # noqa: E402
from hotline.org.models import Area, Department  # noqa: E402


def lab(model: str = "full", *, matters: bool = True) -> Session:
    """A session on a scratch database with the demo city, the demo matter list (unless `matters` is
    False: the category routing table alone) and a category model: `full` trained on all of
    ../shared/data/messages_labeled.csv (what a centre with history has), `demo` on the 389 packaged
    sample messages (what `make run` starts with)."""
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="hotline-lab-"))
    engine = make_engine(f"sqlite:///{folder / 'lab.db'}")
    with engine.begin() as conn:
        migrate.upgrade(connection=conn)
    session = Session(engine)
    bootstrap(session)
    org_service.import_org(session, org=org_service.parse_org_file(demo_path("city.yaml")))
    from hotline.dispatch import routing

    routing.import_rules(session, path=demo_path("routing.csv"), actor="lab")
    if model == "full":
        examples = datasets.read_file(
            DATA / "messages_labeled.csv", text_columns=["text"], label_column="一级分类"
        )
    else:
        examples = datasets.read_file(
            demo_path("demo_messages.csv"), text_columns=["留言主题", "留言详情"], label_column="一级分类"
        )
    training.train_and_register(session, examples, folds=0, created_by="lab")
    if matters:
        matter_list.import_file(session, path=demo_path("matters.csv"), actor="lab")
    session.commit()
    matching.clear_cache()
    print(
        f"lab ready ({model} model, matters={matters}) in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return session


@dataclass
class DevRow:
    id: int
    text: str
    area_code: str | None
    acceptable: list[str]  # department codes, the best first
    note: str


def dev_rows(path: Path = DEV) -> list[DevRow]:
    with path.open(encoding="utf-8") as fh:
        return [
            DevRow(
                id=int(r["id"]),
                text=r["text"],
                area_code=r["area_code"] or None,
                acceptable=[c for c in r["acceptable"].split(";") if c],
                note=r["note"],
            )
            for r in csv.DictReader(fh)
        ]


@dataclass
class Routed:
    row: DevRow
    departments: list[str]  # codes, as suggested (top first)
    confidence: float  # the top department's confidence (calibrated by the weights in use)
    matter: str | None
    seconds: float

    @property
    def top1(self) -> bool:
        return bool(self.departments) and self.departments[0] in self.row.acceptable

    @property
    def top3(self) -> bool:
        return any(d in self.row.acceptable for d in self.departments[:3])


def route(session: Session, rows: list[DevRow]) -> list[Routed]:
    """Suggest for every row through service.suggest (the place given as the row's area when it has
    one, as an operator's pick or a geocoded address would)."""
    areas = {a.code: a.id for a in session.query(Area)}
    out = []
    for row in rows:
        started = time.perf_counter()
        s = dispatch_service.suggest(
            session,
            title="",
            content=row.text,
            area_id=areas.get(row.area_code) if row.area_code else None,
            channel="web",
        )
        seconds = time.perf_counter() - started
        codes = [d.code for d in s.departments]
        out.append(Routed(row, codes, s.confidence, s.matter.code if s.matter else None, seconds))
    return out


def department_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.query(Department)}


__all__ = ["DevRow", "Routed", "dev_rows", "lab", "route"]
