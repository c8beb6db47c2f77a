"""Roles of platform users."""

from enum import StrEnum


class Role(StrEnum):
    operator = "operator"  # 话务员/坐席
    dispatcher = "dispatcher"  # 热线中心派单/督办/审核/回访
    handler = "handler"  # 承办单位经办人
    area_center = "area_center"  # 区/街道分中心
    leader = "leader"  # 领导/分析
    admin = "admin"  # 系统管理员
    system = "system"  # background jobs and integrations
    citizen = "citizen"  # a member of the public on the portal (never a stored user)


class AccountEventKind(StrEnum):
    login_failed = "login_failed"
    locked = "locked"
    password_changed = "password_changed"  # noqa: S105 - by the user
    password_reset = "password_reset"  # noqa: S105 - by an admin
    deactivated = "deactivated"
    activated = "activated"
    token_revoked = "token_revoked"  # noqa: S105
    sessions_revoked = "sessions_revoked"
