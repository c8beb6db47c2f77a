"""Labeled examples for training and evaluation: from a CSV/XLSX file (columns mapped by options) or
from the centre's own tickets (the category a ticket ended with, after any correction or return)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.categories.models import Category
from hotline.errors import InvalidInput
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.states import Status

# tickets whose category a person has confirmed by working on them
SETTLED = (Status.processing, Status.replied, Status.follow_up, Status.closed)
# a ticket corrected by a return (退单) or a re-dispatch teaches more than one accepted as suggested
CORRECTED_WEIGHT = 2.0


@dataclass
class Examples:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    skipped: int = 0
    source: str = ""

    def __len__(self) -> int:
        return len(self.texts)


def read_file(
    path: Path, *, text_columns: Sequence[str], label_column: str, limit: int | None = None
) -> Examples:
    """Read labeled rows from CSV (UTF-8, with or without BOM) or XLSX; text columns are joined."""
    rows = read_rows(path)
    if not rows:
        raise InvalidInput("dataset_empty", path=str(path))
    header = set(rows[0])
    missing = [c for c in [*text_columns, label_column] if c not in header]
    if missing:
        raise InvalidInput(
            "dataset_columns", path=str(path), missing=", ".join(missing), found=", ".join(sorted(header))
        )
    out = Examples(source=f"{path.name} ({' + '.join(text_columns)} → {label_column})")
    for row in rows:
        text = "。".join(str(row.get(c) or "").strip() for c in text_columns).strip("。 ")
        label = str(row.get(label_column) or "").strip()
        if not text or not label:
            out.skipped += 1
            continue
        out.texts.append(text)
        out.labels.append(label)
        out.weights.append(1.0)
        if limit and len(out) >= limit:
            break
    return out


def read_rows(path: Path) -> list[dict[str, object]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return list(csv.DictReader(fh))
        if suffix in {".xlsx", ".xlsm"}:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            it = wb.active.iter_rows(values_only=True) if wb.active is not None else iter(())
            header = [str(h or "").strip() for h in next(it, ())]
            return [dict(zip(header, r, strict=False)) for r in it]
    except OSError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason="not UTF-8") from exc
    raise InvalidInput("dataset_format", path=str(path))


def from_tickets(session: Session, *, level: int = 1, since: object | None = None) -> Examples:
    """The centre's settled tickets, labeled with their category at `level`; corrected ones weigh more."""
    cats = {c.id: c for c in session.scalars(select(Category))}
    by_code = {c.code: c for c in cats.values()}
    corrected = set(
        session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.action == "accept_return").distinct())
    )
    for ticket_id, data in session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data).where(TicketEvent.action == "suggestion_applied")
    ):
        if (data or {}).get("outcome") == "corrected":
            corrected.add(ticket_id)
    stmt = select(Ticket.id, Ticket.title, Ticket.content, Ticket.category_id).where(
        Ticket.status.in_([s.value for s in SETTLED]), Ticket.category_id.is_not(None)
    )
    if since is not None:
        stmt = stmt.where(Ticket.created_at >= since)
    out = Examples(source=f"tickets (level {level})")
    for ticket_id, title, content, category_id in session.execute(stmt):
        cat = cats.get(category_id) if category_id is not None else None
        if cat is None or cat.level < level:
            out.skipped += 1
            continue
        ancestor = by_code[".".join(cat.code.split(".")[:level])]
        out.texts.append(f"{title}。{content}")
        out.labels.append(ancestor.full_name)
        out.weights.append(CORRECTED_WEIGHT if ticket_id in corrected else 1.0)
    return out


def drop_rare(examples: Examples, *, minimum: int = 3) -> tuple[Examples, list[str]]:
    """Drop labels with fewer than `minimum` examples (too few to learn or to calibrate)."""
    counts: dict[str, int] = {}
    for label in examples.labels:
        counts[label] = counts.get(label, 0) + 1
    rare = sorted(label for label, n in counts.items() if n < minimum)
    if not rare:
        return examples, []
    keep = [i for i, label in enumerate(examples.labels) if label not in rare]
    return (
        Examples(
            texts=[examples.texts[i] for i in keep],
            labels=[examples.labels[i] for i in keep],
            weights=[examples.weights[i] for i in keep],
            skipped=examples.skipped + len(examples.labels) - len(keep),
            source=examples.source,
        ),
        rare,
    )
