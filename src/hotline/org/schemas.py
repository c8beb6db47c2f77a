"""Pydantic schemas of the org tree."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.org.enums import AreaLevel, DepartmentKind

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class AreaIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    level: AreaLevel
    parent_code: str | None = None


class AreaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    level: AreaLevel
    parent_id: int | None
    path: str
    active: bool


class DepartmentIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    kind: DepartmentKind = DepartmentKind.functional
    area_code: str
    parent_code: str | None = None
    serves: list[str] = Field(default_factory=list, description="codes of the areas it serves")
    phone: str | None = Field(default=None, max_length=32)


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: DepartmentKind
    parent_id: int | None
    area_id: int
    phone: str | None
    active: bool
    served_area_ids: list[int] = Field(default_factory=list)


class OrgImport(BaseModel):
    """A whole org file: areas (parents before children) and departments."""

    areas: list[AreaIn] = Field(default_factory=list)
    departments: list[DepartmentIn] = Field(default_factory=list)


class ImportReport(BaseModel):
    areas_created: int = 0
    areas_updated: int = 0
    departments_created: int = 0
    departments_updated: int = 0
