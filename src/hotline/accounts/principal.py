"""Who is acting: the identity every service call is scoped by."""

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

    @property
    def is_center(self) -> bool:
        """Whether the principal acts for the hotline centre (sees and may act on every ticket)."""
        return self.role in {Role.dispatcher, Role.admin, Role.system}

    def has(self, *roles: Role) -> bool:
        return self.role in roles


SYSTEM = Principal(user_id=None, role=Role.system, name="system")
CITIZEN = Principal(user_id=None, role=Role.citizen, name="citizen")
