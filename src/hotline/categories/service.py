"""Category lookups and the taxonomy import."""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline.categories.models import Category
from hotline.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

DEFAULT_LEVEL_COLUMNS = ("一级分类", "二级分类", "三级分类")


def get_category(session: Session, *, code_or_name: str) -> Category:
    """Return the category with this code or full name ("城乡建设/安全生产"), or raise NotFound."""
    cat = session.scalar(
        select(Category).where(or_(Category.code == code_or_name, Category.full_name == code_or_name))
    )
    if cat is None:
        raise NotFound("category_not_found", id=code_or_name)
    return cat


def paths(session: Session, ids: Sequence[int | None]) -> dict[int, list[str]]:
    """Each category's path of names (城乡建设/城市建设和市政管理/城市公共设施 → three names)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Category.id, Category.full_name).where(Category.id.in_(wanted))).all()
    return {r.id: r.full_name.split("/") for r in rows}


def part(a: Sequence[str] | None, b: Sequence[str] | None) -> bool:
    """Whether two categories (paths of names) are about different things: they differ at the depth
    both have (城乡建设 and 城乡建设/城市公共设施 do not part). Unknown ones never part."""
    if not a or not b:
        return False
    depth = min(len(a), len(b))
    return list(a[:depth]) != list(b[:depth])


def list_categories(session: Session, *, level: int | None = None) -> list[Category]:
    """Return the categories in tree order, optionally one level only."""
    stmt = select(Category).order_by(Category.code)
    if level is not None:
        stmt = stmt.where(Category.level == level)
    return list(session.scalars(stmt))


def import_taxonomy(
    session: Session, *, path: Path | None = None, level_columns: Sequence[str] = DEFAULT_LEVEL_COLUMNS
) -> int:
    """Upsert a category tree from a CSV with one column per level; return how many were created."""
    source = path or Path(str(resources.files("hotline") / "data" / "taxonomy.csv"))
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in level_columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput("taxonomy_columns_missing", columns=",".join(missing))
        rows = [[(row.get(c) or "").strip() for c in level_columns] for row in reader]
    existing = {c.full_name: c for c in session.scalars(select(Category))}
    child_count: dict[str | None, int] = {}
    for cat in existing.values():
        parent_key = cat.full_name.rsplit("/", 1)[0] if "/" in cat.full_name else None
        child_count[parent_key] = child_count.get(parent_key, 0) + 1
    created = 0
    for names in rows:
        parent: Category | None = None
        for level, name in enumerate(names, start=1):
            if not name:
                break
            full = f"{parent.full_name}/{name}" if parent else name
            found = existing.get(full)
            if found is not None:
                cat = found
            else:
                key = parent.full_name if parent else None
                child_count[key] = child_count.get(key, 0) + 1
                code = f"{parent.code}." if parent else ""
                cat = Category(
                    code=f"{code}{child_count[key]:02d}",
                    name=name,
                    full_name=full,
                    level=level,
                    parent_id=parent.id if parent else None,
                )
                session.add(cat)
                session.flush()
                existing[full] = cat
                created += 1
            parent = cat
    log.info("taxonomy import: %d categories created, %d total", created, len(existing))
    return created
