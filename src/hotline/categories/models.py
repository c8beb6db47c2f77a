"""The category tree (一级/二级/三级分类) tickets are filed under."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    # hierarchical code, "03.02.01": a subtree is one prefix match
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(255), unique=True)  # 城乡建设/安全生产/事故处理
    level: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
