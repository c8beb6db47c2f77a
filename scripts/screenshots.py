"""Screenshots of the main screens, from a running demo (`make run`), into docs/screenshots.

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Debian's chromium driven by Playwright; the demo users' password is hotline-demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def signed_in(browser, username: str) -> Page:  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    page.goto(f"{BASE}/ui/login")
    page.fill("#username", username)
    page.fill("#password", "hotline-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def survey_token() -> str | None:
    """A follow-up survey of the demo not yet answered (the scheduler makes them for replied tickets)."""
    from sqlalchemy import select

    from hotline.db import session_scope
    from hotline.followup.models import FollowUpTask

    with session_scope() as session:
        return session.scalar(select(FollowUpTask.token).where(FollowUpTask.answered_at.is_(None)).limit(1))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        phone = b.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{BASE}/portal")
        phone.screenshot(path=str(OUT / "portal-phone.png"), full_page=True)
        op = signed_in(b, "operator")
        op.goto(f"{BASE}/ui/intake")
        op.fill("#phone", "13912345678")
        op.fill(
            "#content", "青山镇青山一社区附近的工地包工头拖欠农民工工资半年不发，请劳动监察部门帮忙讨薪。"
        )
        op.wait_for_selector("#ai :text('建议承办单位')", timeout=15000)
        op.screenshot(path=str(OUT / "workstation.png"), full_page=True)
        # the knowledge panel: a KB answer from one article, similar cases with place and outcome
        op.goto(f"{BASE}/ui/intake")
        op.fill(
            "#content",
            "我家楼下那条路的路灯坏了一个多星期了，晚上黑漆漆的，老人出门很不安全，麻烦尽快来修一下。",
        )
        op.wait_for_selector("#ai :text('建议承办单位')", timeout=15000)
        op.screenshot(path=str(OUT / "workstation-knowledge.png"), full_page=True)
        for name, q in (("portal-ask", "公积金怎么提取"), ("portal-ask-refused", "明天天气怎么样")):
            phone.goto(f"{BASE}/portal/ask?q={q}")
            phone.screenshot(path=str(OUT / f"{name}-phone.png"), full_page=True)
        wide_portal = b.new_context(viewport={"width": 1280, "height": 860}).new_page()
        wide_portal.goto(f"{BASE}/portal/ask?q=新生儿怎么上户口")
        wide_portal.screenshot(path=str(OUT / "portal-ask.png"), full_page=True)
        op.goto(f"{BASE}/ui/triage")
        op.screenshot(path=str(OUT / "triage.png"))
        op.click("table tbody tr td a >> nth=0")
        op.screenshot(path=str(OUT / "ticket.png"), full_page=True)
        h = signed_in(b, "h_zjj")
        h.goto(f"{BASE}/ui/inbox")
        h.screenshot(path=str(OUT / "inbox.png"))
        # the draft helper on a ticket the department holds: its KB basis or none, what is left to fill in
        links = [
            h.locator("table tbody tr td a").nth(i).get_attribute("href")
            for i in range(min(10, h.locator("table tbody tr td a").count()))
        ]
        for href in links:  # the first ticket the department is handling (signed for: it may draft)
            h.goto(f"{BASE}{href}")
            if h.locator("button[hx-post$='/draft']").count():
                h.click("button[hx-post$='/draft']")
                # with a large model configured (HOTLINE_LLM_BASE_URL for `make run`), a small one on
                # a CPU takes a minute to draft
                h.wait_for_selector(
                    "#draft-text", timeout=240000 if os.environ.get("HOTLINE_LLM_BASE_URL") else 15000
                )
                h.screenshot(path=str(OUT / "ticket-draft.png"), full_page=True)
                h.set_viewport_size({"width": 390, "height": 844})
                h.screenshot(path=str(OUT / "ticket-draft-phone.png"), full_page=True)
                break
        lead = signed_in(b, "leader")
        lead.goto(f"{BASE}/ui/dashboard")
        lead.wait_for_selector("#trend canvas")
        lead.wait_for_timeout(800)
        lead.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
        # screening: an emergency typed at the workstation, the review queue (desktop and phone)
        op.goto(f"{BASE}/ui/intake")
        op.fill("#content", "河边有个老人掉进水里了，在水里扑腾，快来人救命")
        op.wait_for_selector("#ai :text('甄别提示')", timeout=15000)
        op.screenshot(path=str(OUT / "workstation-emergency.png"), full_page=True)
        disp = signed_in(b, "dispatcher")
        disp.goto(f"{BASE}/ui/screening")
        disp.screenshot(path=str(OUT / "screening.png"), full_page=True)
        if disp.locator("div.flash.error a").count():
            disp.click("div.flash.error a >> nth=0")
            disp.screenshot(path=str(OUT / "ticket-emergency.png"), full_page=True)
        small = b.new_context(viewport={"width": 390, "height": 844}).new_page()
        small.goto(f"{BASE}/ui/login")
        small.fill("#username", "dispatcher")
        small.fill("#password", "hotline-demo")
        small.click("button[type=submit]")
        small.goto(f"{BASE}/ui/screening")
        small.screenshot(path=str(OUT / "screening-phone.png"), full_page=True)
        # follow-up answers the reader left for a person, with its reading, confidence, cues and why
        disp.goto(f"{BASE}/ui/review")
        disp.screenshot(path=str(OUT / "review.png"), full_page=True)
        small.goto(f"{BASE}/ui/review")
        small.screenshot(path=str(OUT / "review-phone.png"), full_page=True)
        token = survey_token()
        if token:  # the page a citizen opens from the follow-up SMS
            small.goto(f"{BASE}/s/{token}")
            small.screenshot(path=str(OUT / "survey-phone.png"), full_page=True)
            wide = b.new_context(viewport={"width": 1280, "height": 860}).new_page()
            wide.goto(f"{BASE}/s/{token}?lang=en")
            wide.screenshot(path=str(OUT / "survey-en.png"), full_page=True)
        admin = signed_in(b, "admin")
        admin.goto(f"{BASE}/ui/admin")
        admin.screenshot(path=str(OUT / "admin.png"))
        admin.goto(f"{BASE}/ui/admin/matters")
        admin.screenshot(path=str(OUT / "matters.png"))
        admin.goto(f"{BASE}/ui/admin/matters?code=CG-01#edit")
        admin.screenshot(path=str(OUT / "matter-edit.png"))
        narrow = b.new_context(viewport={"width": 390, "height": 844})
        narrow.add_cookies(admin.context.cookies())
        small_admin = narrow.new_page()
        small_admin.goto(f"{BASE}/ui/admin/matters?code=LOC-02#edit")
        small_admin.screenshot(path=str(OUT / "matter-edit-phone.png"))
        b.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
