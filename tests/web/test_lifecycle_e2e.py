"""The whole life of a ticket through the web pages, in a real browser (Debian's chromium driven by
Playwright) against the application served by uvicorn: a citizen submits on the portal → the operator
sees it in the triage queue and dispatches it with the AI suggestion → the department signs for it and
replies with the draft helper and the quality check → the centre approves → the citizen answers the
follow-up survey → the leader's dashboard shows the satisfaction rate change.

Set HOTLINE_SCREENSHOTS_DIR to keep a screenshot of each screen (docs/screenshots are made this way)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.accounts import service as accounts_service
from hotline.accounts.enums import Role
from hotline.accounts.schemas import UserIn
from hotline.config import get_settings
from hotline.jobs.scheduler import tick
from hotline.org.models import Department
from hotline.tickets.models import Ticket
from tests.factories import PASSWORD
from tests.web.conftest import Server

SHOTS = os.environ.get("HOTLINE_SCREENSHOTS_DIR")
REQUEST = "湖心一社区3栋楼道里的路灯坏了一个多星期，晚上上下楼很不安全，请尽快派人维修。"


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def no_auto_dispatch() -> Iterator[None]:
    s = get_settings()
    saved = s.dispatch_auto_channels
    s.dispatch_auto_channels = []  # every request goes through a person here
    yield
    s.dispatch_auto_channels = saved


def sign_in(browser: Any, server: Server, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{server.url}/ui/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/ui/login" not in page.url, page.content()[:500]
    return page


def handler_for(server: Server, department_id: int) -> str:
    """A handler user of the department the ticket went to (the test users cover a few departments)."""
    with server.factory() as s:
        dept = s.get(Department, department_id)
        assert dept is not None
        username = f"e2e_{dept.code.lower().replace('-', '_')}"
        if not any(u.username == username for u in accounts_service.list_users(s)):
            accounts_service.create_user(
                s,
                data=UserIn(
                    username=username,
                    display_name=dept.name,
                    password=PASSWORD,
                    role=Role.handler,
                    department_code=dept.code,
                ),
            )
            s.commit()
    return username


def satisfaction(page: Any) -> tuple[int, int]:
    num = page.inner_text("#kpi-satisfaction .num")
    den = page.inner_text("#kpi-satisfaction .den")
    return int(float(num)), int(den)


def test_a_ticket_from_portal_to_dashboard(server: Server, browser: Any, no_auto_dispatch: None) -> None:
    # the citizen submits a request on the portal, on a phone-sized screen
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    citizen.goto(f"{server.url}/portal")
    citizen.fill("#title", "楼道路灯坏了")
    citizen.fill("#content", REQUEST)
    citizen.select_option("#area_code", "MH-HB-HX-01")
    citizen.fill("#phone", "13912345678")
    shot(citizen, "portal")
    citizen.click("form[action='/portal/submit'] button[type=submit]")
    number, code = citizen.inner_text("#number"), citizen.inner_text("#code")
    assert number and code
    shot(citizen, "portal-receipt")

    # the leader's baseline
    leader = sign_in(browser, server, "leader")
    leader.goto(f"{server.url}/ui/dashboard")
    leader.click("#refresh")
    before = satisfaction(leader)

    # the operator finds it in the triage queue and dispatches it as the AI suggests
    operator = sign_in(browser, server, "operator")
    operator.goto(f"{server.url}/ui/intake")
    operator.fill("#content", REQUEST)
    operator.wait_for_selector("#ai :text('建议承办单位')", timeout=15000)
    shot(operator, "workstation")
    operator.goto(f"{server.url}/ui/triage")
    shot(operator, "triage")
    operator.click(f"text={number}")
    operator.wait_for_selector("#dispatch-box")
    shot(operator, "ticket-dispatch")
    operator.click("#dispatch-box form button[type=submit] >> nth=0")
    assert operator.inner_text("#status") == "已派单"
    with server.factory() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.lead_department_id is not None
        ticket_id, lead = ticket.id, ticket.lead_department_id
        assert ticket.channel == "web"

    # the department signs for it, drafts, checks and sends its reply
    handler = sign_in(browser, server, handler_for(server, lead))
    handler.goto(f"{server.url}/ui/inbox")
    assert number in handler.inner_text("main")
    shot(handler, "inbox")
    handler.click(f"tr:has-text('{number}') button:has-text('签收')")
    handler.goto(f"{server.url}/ui/tickets/{ticket_id}")
    assert handler.inner_text("#status") == "办理中"
    handler.click("button:has-text('草拟答复')")
    handler.wait_for_selector("#draft-text")
    handler.fill(
        "#reply",
        "您好，您反映的湖心一社区3栋楼道路灯问题，我单位已于今日派维修人员更换灯具，现已恢复照明。感谢您的反映。",
    )
    handler.click("button:has-text('质量检查')")
    handler.wait_for_selector("#helper :text('答复质量')")
    shot(handler, "reply")
    handler.click("#reply-form button[type=submit]")
    assert handler.inner_text("#status") == "待审核"

    # the centre approves the reply
    dispatcher = sign_in(browser, server, "dispatcher")
    dispatcher.goto(f"{server.url}/ui/review")
    dispatcher.click(f"text={number}")
    dispatcher.click("button:has-text('审核通过')")
    assert dispatcher.inner_text("#status") == "待回访"

    # the scheduler makes the follow-up; the citizen answers the survey from the tracking page
    tick(server.factory)
    citizen.goto(f"{server.url}/portal")
    citizen.fill("#number", number)
    citizen.fill("#code", code)
    citizen.click("#track button[type=submit]")
    assert "更换灯具" in citizen.inner_text("#reply")
    shot(citizen, "portal-track")
    citizen.click("#survey")
    citizen.check("input[name=resolved][value=true]")
    citizen.check("input[name=satisfaction][value=satisfied]")
    citizen.click("button[type=submit]")
    assert "感谢" in citizen.inner_text("body")

    # the leader's dashboard: one more evaluation, one more satisfied
    leader.goto(f"{server.url}/ui/dashboard")
    leader.click("#refresh")
    after = satisfaction(leader)
    assert after == (before[0] + 1, before[1] + 1)
    leader.wait_for_selector("#trend canvas")  # ECharts drew the trend
    shot(leader, "dashboard")
    with server.factory() as s:
        done = s.get(Ticket, ticket_id)
        assert done is not None and done.status == "closed" and done.satisfaction == "satisfied"
