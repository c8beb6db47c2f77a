"""The access policy: each role's permissions as the centre expects them, and the rules built on them
(which tickets a principal sees, contact details, figures) — one place, so one test."""

from __future__ import annotations

import pytest

from hotline.accounts import policy
from hotline.accounts.enums import Role
from hotline.accounts.policy import Permission, TicketScope
from hotline.accounts.principal import Principal
from hotline.errors import PermissionDenied
from hotline.workflow.transitions import TRANSITIONS, Action

P = Permission
# what each role may do (every permission not listed is refused)
EXPECTED: dict[Role, set[Permission]] = {
    Role.operator: {
        P.register_ticket, P.read_all_tickets, P.use_assistance, P.work_desk, P.report_calls, P.relay_replies,
        P.work_calls, P.read_screening,
    },
    Role.dispatcher: {
        P.register_ticket, P.read_all_tickets, P.act_for_centre, P.use_assistance, P.work_desk,
        P.report_calls, P.relay_replies, P.work_calls, P.decide_follow_up, P.read_screening, P.review_screening,
        P.supervise, P.review_replies, P.edit_knowledge, P.edit_any_knowledge, P.manage_notifications,
        P.bulk_transfer, P.read_figures, P.view_dashboard, P.refresh_figures,
    },
    Role.leader: {
        P.read_all_tickets, P.use_assistance, P.work_calls, P.read_screening, P.review_screening,
        P.supervise, P.review_replies, P.read_figures, P.view_dashboard, P.refresh_figures,
    },
    Role.handler: {P.work_assignments, P.edit_knowledge, P.read_figures},
    Role.area_center: {P.work_assignments, P.edit_knowledge, P.read_figures, P.view_dashboard},
    Role.citizen: {P.register_ticket},
    Role.system: {P.register_ticket, P.read_all_tickets, P.act_for_centre, P.report_calls, P.relay_replies, P.edit_any_knowledge},
}  # fmt: skip
EXPECTED[Role.admin] = EXPECTED[Role.dispatcher] | {P.train_screening, P.administer}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_exactly_its_permissions(role: Role) -> None:
    who = Principal(user_id=1, role=role)
    assert {p for p in Permission if policy.may(who, p)} == EXPECTED[role]


def test_check_refuses_with_the_message_asked_for() -> None:
    handler = Principal(user_id=1, role=Role.handler, department_id=3)
    with pytest.raises(PermissionDenied) as refused:
        policy.check(handler, P.supervise, "supervision_denied")
    assert refused.value.message_key == "supervision_denied"
    policy.check(Principal(user_id=2, role=Role.leader), P.supervise)  # allowed: no error


def test_which_tickets_each_principal_sees() -> None:
    assert policy.ticket_scope(Principal(1, Role.operator)) == TicketScope(all=True)
    assert policy.ticket_scope(Principal(1, Role.handler, department_id=7)) == TicketScope(department_id=7)
    centre = Principal(1, Role.area_center, department_id=8, area_path="/1/2/")
    assert policy.ticket_scope(centre) == TicketScope(department_id=8, area_path="/1/2/")
    assert policy.ticket_scope(Principal(1, Role.handler)) == TicketScope()  # no department: nothing
    assert policy.ticket_scope(Principal(None, Role.citizen)) == TicketScope()


def test_contact_details_and_figures() -> None:
    assert policy.may_see_contact(Principal(1, Role.operator))
    assert not policy.may_see_contact(Principal(1, Role.leader))  # HOTLINE_CONTACT_VISIBLE_ROLES
    assert policy.may_see_contact(Principal(None, Role.system))
    assert policy.sees_all_figures(Principal(1, Role.leader))
    assert not policy.sees_all_figures(Principal(1, Role.area_center, department_id=8))


def test_the_transition_table_is_written_with_the_policy_groups() -> None:
    assert TRANSITIONS[Action.dispatch].roles == policy.INTAKE | policy.MACHINES
    assert TRANSITIONS[Action.approve_reply].roles == policy.CENTRE | policy.MACHINES
    assert TRANSITIONS[Action.reply].roles == policy.DEPARTMENT | policy.MACHINES
    assert frozenset(Role) - {Role.system, Role.citizen} == policy.PEOPLE
