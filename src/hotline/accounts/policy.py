"""Who may do what: the named role groups and every "may" rule of the platform, in one place.

The transition table of the lifecycle (workflow.transitions) is written with these groups; the API's
dependencies (`require(Permission.x)`), the services' checks (`check(principal, Permission.x)`), the
console's navigation and its pages all ask `may()`. Which tickets a principal sees is `ticket_scope()`
(turned into SQL by tickets.service.visible_clause); which figures, analytics.rates.Scope.of through
`sees_all_figures()`. A rule is changed here, and only here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hotline.accounts.enums import Role
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.errors import PermissionDenied

R = Role

# -- the role groups ----------------------------------------------------------------------------------
INTAKE = frozenset({R.operator, R.dispatcher, R.admin})
"""受理: the centre's desk — register, answer on the spot, dispatch, merge, hand off, follow up."""
CENTRE = frozenset({R.dispatcher, R.admin})
"""中心: the hotline centre's own decisions — arbitrate returns, review replies, extensions, close, reopen."""
DEPARTMENT = frozenset({R.handler, R.area_center})
"""承办: a department or area centre working its own assignments — sign, hand down, return, reply."""
SUPERVISORS = frozenset({R.dispatcher, R.leader, R.admin})
"""督办: supervise departments, review screening flags and the quality of replies."""
CENTRE_STAFF = frozenset({R.operator, R.dispatcher, R.leader, R.admin})
"""The centre's people: read every ticket, the calls and the models' help."""
LEADERSHIP = frozenset({R.leader, R.dispatcher, R.admin})
"""Every figure of the centre (the dashboard unscoped, refreshing the figures)."""
ADMINS = frozenset({R.admin})
"""系统管理: the org tree, users, routing table, SLA rules, models, webhooks."""
MACHINES = frozenset({R.system})
"""Background jobs and integrations acting for the platform."""
PEOPLE = frozenset(Role) - MACHINES - {R.citizen}
"""The roles a stored user account can have (a citizen on the portal is never a stored user)."""


class Permission(StrEnum):
    """One capability each; POLICY says which roles have it."""

    register_ticket = "register_ticket"  # 受理 a request (a citizen on the portal too)
    read_all_tickets = "read_all_tickets"  # every ticket, not only one's department's or area's
    act_for_centre = "act_for_centre"  # act on a ticket's lead assignment without holding it
    use_assistance = "use_assistance"  # the models' help: dispatch suggestions, KB answers, drafts
    work_desk = "work_desk"  # the desk: dispatch from suggestions, merge duplicates, call for follow-up
    work_assignments = "work_assignments"  # a department's inbox of its own assignments
    report_calls = "report_calls"  # the call centre (CTI) reports calls
    relay_replies = "relay_replies"  # the SMS gateway relays citizens' replies
    work_calls = "work_calls"  # link calls, call back missed ones, read call figures
    decide_follow_up = "decide_follow_up"  # decide a follow-up that asks for a reopen
    read_screening = "read_screening"  # see a ticket's screening flags, check a text
    review_screening = "review_screening"  # 甄别复核: confirm or dismiss flags, callers' status
    train_screening = "train_screening"  # retrain or roll back the screening model
    supervise = "supervise"  # 督办 cases
    review_replies = "review_replies"  # 答复质量 review
    edit_knowledge = "edit_knowledge"  # KB articles of one's own department
    edit_any_knowledge = "edit_any_knowledge"  # every KB article
    manage_notifications = "manage_notifications"  # read and resend messages
    bulk_transfer = "bulk_transfer"  # import history, export tickets
    read_figures = "read_figures"  # analytics through the API (scoped: sees_all_figures)
    view_dashboard = "view_dashboard"  # the leader's dashboard in the console (scoped likewise)
    refresh_figures = "refresh_figures"  # re-take the analytics facts, mine hotspots
    administer = "administer"  # org, users, routing table, SLA rules, models, webhooks, audit


POLICY: dict[Permission, frozenset[Role]] = {
    Permission.register_ticket: INTAKE | MACHINES | {R.citizen},
    Permission.read_all_tickets: CENTRE_STAFF | MACHINES,
    Permission.act_for_centre: CENTRE | MACHINES,
    Permission.use_assistance: CENTRE_STAFF,
    Permission.work_desk: INTAKE,
    Permission.work_assignments: DEPARTMENT,
    Permission.report_calls: INTAKE | MACHINES,
    Permission.relay_replies: INTAKE | MACHINES,  # as the CTI, an integration signs in as an intake account
    Permission.work_calls: CENTRE_STAFF,
    Permission.decide_follow_up: CENTRE,
    Permission.read_screening: CENTRE_STAFF,
    Permission.review_screening: SUPERVISORS,
    Permission.train_screening: ADMINS,
    Permission.supervise: SUPERVISORS,
    Permission.review_replies: SUPERVISORS,
    Permission.edit_knowledge: CENTRE | DEPARTMENT,
    Permission.edit_any_knowledge: CENTRE | MACHINES,
    Permission.manage_notifications: CENTRE,
    Permission.bulk_transfer: CENTRE,
    Permission.read_figures: LEADERSHIP | DEPARTMENT,
    Permission.view_dashboard: LEADERSHIP | {R.area_center},
    Permission.refresh_figures: LEADERSHIP,
    Permission.administer: ADMINS,
}


def may(principal: Principal, permission: Permission) -> bool:
    """Whether the principal has this permission."""
    return principal.role in POLICY[permission]


def check(principal: Principal, permission: Permission, message_key: str = "forbidden") -> None:
    """Raise PermissionDenied (with `message_key`) unless the principal has this permission."""
    if not may(principal, permission):
        raise PermissionDenied(message_key, action=permission.value, role=principal.role.value)


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles that have this permission (for lists of who may, e.g. in the console)."""
    return POLICY[permission]


def may_see_contact(principal: Principal) -> bool:
    """Whether this principal may see citizens' full contact details (the centre chooses the roles:
    HOTLINE_CONTACT_VISIBLE_ROLES); everyone else sees them masked."""
    return principal.role.value in get_settings().contact_visible_roles or principal.role in MACHINES


def sees_all_figures(principal: Principal) -> bool:
    """Whether every figure is the principal's (otherwise: their area's or department's)."""
    return principal.role in LEADERSHIP | MACHINES


@dataclass(frozen=True)
class TicketScope:
    """Which tickets a principal sees: all; those assigned to `department_id`; those plus the ones in
    the area under `area_path`; or none."""

    all: bool = False
    department_id: int | None = None
    area_path: str | None = None


def ticket_scope(principal: Principal) -> TicketScope:
    """The tickets this principal may see (existence of the others is not revealed)."""
    if may(principal, Permission.read_all_tickets):
        return TicketScope(all=True)
    if principal.role not in DEPARTMENT or principal.department_id is None:
        return TicketScope()
    if principal.role == R.area_center:
        if not principal.area_path:
            return TicketScope()  # an area centre is known by its area
        return TicketScope(department_id=principal.department_id, area_path=principal.area_path)
    return TicketScope(department_id=principal.department_id)
