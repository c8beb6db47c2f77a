"""HTTP API of the org tree."""

from __future__ import annotations

from fastapi import APIRouter

from hotline.http.deps import AdminPrincipal, CurrentPrincipal, DbSession
from hotline.org import service
from hotline.org.models import Department
from hotline.org.schemas import AreaIn, AreaOut, DepartmentIn, DepartmentOut, ImportReport, OrgImport

router = APIRouter(prefix="/api/v1", tags=["org"])


def _dept_out(dept: Department) -> DepartmentOut:
    out = DepartmentOut.model_validate(dept)
    out.served_area_ids = [sa.area_id for sa in dept.served_areas]
    return out


@router.get("/areas", response_model=list[AreaOut])
def list_areas(db: DbSession, _: CurrentPrincipal, under_id: int | None = None) -> list[AreaOut]:
    """Return the area tree (city → district → street → community → grid), parents first."""
    return [AreaOut.model_validate(a) for a in service.list_areas(db, under_id=under_id)]


@router.post("/areas", response_model=AreaOut)
def upsert_area(body: AreaIn, db: DbSession, _: AdminPrincipal) -> AreaOut:
    """Create or update an area by code."""
    area, _created = service.upsert_area(db, data=body)
    return AreaOut.model_validate(area)


@router.get("/areas/{area_id}/departments", response_model=list[DepartmentOut])
def serving(area_id: int, db: DbSession, _: CurrentPrincipal) -> list[DepartmentOut]:
    """Return the departments that serve an area, nearest first."""
    return [_dept_out(d) for d in service.departments_serving(db, area_id=area_id)]


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(db: DbSession, _: CurrentPrincipal, kind: str | None = None) -> list[DepartmentOut]:
    """Return the departments (承办单位)."""
    return [_dept_out(d) for d in service.list_departments(db, kind=kind)]


@router.post("/departments", response_model=DepartmentOut)
def upsert_department(body: DepartmentIn, db: DbSession, _: AdminPrincipal) -> DepartmentOut:
    """Create or update a department by code."""
    dept, _created = service.upsert_department(db, data=body)
    return _dept_out(dept)


@router.post("/org/import", response_model=ImportReport)
def import_org(body: OrgImport, db: DbSession, _: AdminPrincipal) -> ImportReport:
    """Upsert a whole org tree; all or nothing."""
    return service.import_org(db, org=body)
