"""Tables of the org tree: areas (city → grid) and departments with the areas they serve."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base
from hotline.org.enums import AreaLevel, DepartmentKind


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[AreaLevel] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # materialised path of ids, "/1/4/17/": a subtree is one LIKE on every backend
    path: Mapped[str] = mapped_column(String(255), index=True, default="/")
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id])


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DepartmentKind] = mapped_column(String(24))
    # the unit above, for hand-down (转办): district centre → street office → community
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    # the area the department belongs to (a district centre: its district)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    area: Mapped[Area] = relationship(foreign_keys=[area_id])
    parent: Mapped[Department | None] = relationship(remote_side=[id])
    served_areas: Mapped[list[DepartmentArea]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )


class DepartmentArea(Base):
    """An area (with its subtree) that a department serves."""

    __tablename__ = "department_areas"
    __table_args__ = (UniqueConstraint("department_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)

    department: Mapped[Department] = relationship(back_populates="served_areas")
    area: Mapped[Area] = relationship()
