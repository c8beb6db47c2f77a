"""Pydantic schemas of categories."""

from pydantic import BaseModel, ConfigDict


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    full_name: str
    level: int
    parent_id: int | None
