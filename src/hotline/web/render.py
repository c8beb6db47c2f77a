"""Rendering pages: one Jinja2 environment, the language, the CSRF token and the navigation of a role."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hotline.accounts import policy
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.config import get_settings
from hotline.tickets import events
from hotline.tickets import views as ticket_views
from hotline.web.session import csrf_token, lang, take_flashes

templates = Jinja2Templates(directory=str(__import__("pathlib").Path(__file__).parent / "templates"))

# the console's menu: each page shown to those with its permission (None: every signed-in user)
NAV: list[tuple[str, str, str, Permission | None]] = [
    ("/ui/intake", "坐席工作台", "Workstation", Permission.work_desk),
    ("/ui/triage", "待派工单", "Triage", Permission.work_desk),
    ("/ui/duplicates", "并单", "Duplicates", Permission.work_desk),
    ("/ui/review", "审核回访", "Review & follow-up", Permission.work_desk),
    ("/ui/screening", "甄别复核", "Screening", Permission.review_screening),
    ("/ui/inbox", "承办工单", "My assignments", Permission.work_assignments),
    ("/ui/tickets", "工单查询", "Tickets", None),
    ("/ui/dashboard", "领导驾驶舱", "Dashboard", Permission.view_dashboard),
    ("/ui/admin/matters", "派单目录", "Matter list", Permission.administer),
    ("/ui/admin", "系统管理", "Admin", Permission.administer),
]


# labels of stored values shown on pages (zh, en)
LABELS: dict[str, tuple[str, str]] = {
    "street_office": ("街道办事处/乡镇", "Street office / township"), "community": ("社区/村委会", "Community"),
    "grid_station": ("网格站", "Grid station"),
    "operator": ("话务员", "Operator"), "dispatcher": ("派单员", "Dispatcher"), "handler": ("承办人员", "Handler"),
    "area_center": ("区/街道分中心", "Area centre"), "leader": ("领导", "Leader"), "admin": ("系统管理员", "Administrator"),
    "phone": ("电话", "Phone"), "web": ("网站", "Web"), "app": ("移动端", "App"), "sms": ("短信", "SMS"),
    "grid": ("网格", "Grid"), "open311": ("Open311", "Open311"), "email": ("邮件", "Email"),
    "letter": ("来信", "Letter"), "walk_in": ("来访", "Walk-in"), "other": ("其他", "Other"),
    "consult": ("咨询", "Consultation"), "help": ("求助", "Help"), "complaint": ("投诉", "Complaint"),
    "report": ("举报", "Report"), "suggestion": ("建议", "Suggestion"), "praise": ("表扬", "Praise"),
    "normal": ("一般", "Normal"), "urgent": ("紧急", "Urgent"), "emergency": ("危急", "Emergency"),
    "satisfied": ("满意", "Satisfied"), "basically_satisfied": ("基本满意", "Basically satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"), "lead": ("主办", "Lead"), "co": ("协办", "Co-handler"),
    "pending": ("待签收", "To sign"), "signed": ("办理中", "Handling"), "replied": ("已反馈", "Replied"),
    "returned": ("已退单", "Returned"), "handed_down": ("已转办", "Handed down"), "cancelled": ("已撤销", "Cancelled"),
    "sent": ("已发送", "Sent"), "answered": ("已评价", "Answered"), "review": ("待复核", "Under review"), "confirm": ("待确认", "Reading to confirm"),
    # screening (甄别)
    "threat": ("威胁", "Threat"), "abusive": ("辱骂", "Abuse"), "private_domain": ("私人事务", "Private matter"),
    "out_of_remit": ("非热线受理范围", "Out of remit"), "frequent": ("频繁来电", "Frequent caller"),
    "repeated_content": ("重复诉求", "Repeated request"), "caller_status": ("来电人状态", "Caller status"),
    "confirmed": ("已确认", "Confirmed"), "dismissed": ("已排除", "Dismissed"),
    "words": ("关键词", "words"), "meaning": ("语义", "meaning"), "threat_of_self_harm": ("以自伤相威胁", "threat of self-harm"),
}  # fmt: skip


def local(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if ts is None:
        return "—"
    return ts.astimezone(ZoneInfo(get_settings().timezone)).strftime(fmt)


def page(
    request: Request, template: str, principal: Principal | None = None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    language = lang(request)

    def t(zh: str, en: str) -> str:
        return en if language == "en" else zh

    nav = [
        (url, t(zh, en))
        for url, zh, en, permission in NAV
        if principal and (permission is None or policy.may(principal, permission))
    ]
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": language,
            "me": principal,
            "nav": nav,
            "csrf": csrf_token(request),
            # a fresh key per rendered form: a double click or a resent form makes one ticket, not two
            "form_key": secrets.token_urlsafe(16),
            "flashes": take_flashes(request),
            "local": local,
            "status_label": lambda s: ticket_views.status_label(s, language),
            "label": lambda v: LABELS.get(str(v), (str(v), str(v)))[1 if language == "en" else 0],
            "event_label": lambda kind: events.label(kind, language),
            **ctx,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", language, max_age=365 * 86400, samesite="lax")
    return response
