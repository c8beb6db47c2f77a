"""HTTP API of the category tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hotline.categories import service
from hotline.categories.schemas import CategoryOut
from hotline.http.deps import DbSession

router = APIRouter(prefix="/api/v1", tags=["categories"])


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(
    db: DbSession, level: Annotated[int | None, Query(ge=1, le=5)] = None
) -> list[CategoryOut]:
    """Return the category tree (一级/二级/三级分类) in tree order; public, for intake forms."""
    return [CategoryOut.model_validate(c) for c in service.list_categories(db, level=level)]
