"""Who is acting: the identity every service call is scoped by (what it may do: accounts.policy)."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.accounts.enums import Role


@dataclass(frozen=True)
class Principal:
    """The acting user: role, department and (for area centres) the area path they govern."""

    user_id: int | None
    role: Role
    department_id: int | None = None
    area_path: str | None = None
    name: str = ""


SYSTEM = Principal(user_id=None, role=Role.system, name="system")
CITIZEN = Principal(user_id=None, role=Role.citizen, name="citizen")
