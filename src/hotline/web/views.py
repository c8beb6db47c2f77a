"""Staff pages: sign-in, the operator's workstation with live suggestions, a ticket and its actions,
triage, duplicates, review and follow-up, a department's inbox, the leader's dashboard, admin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.accounts import policy
from hotline.accounts.enums import Role
from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.analytics import bottlenecks, facts, hotspots, rates
from hotline.analytics import service as analytics
from hotline.analytics.store import Store
from hotline.categories import service as category_service
from hotline.db import utcnow
from hotline.dispatch import routing
from hotline.dispatch import service as dispatch_service
from hotline.errors import DomainError, InvalidInput, NotFound
from hotline.followup import service as followup
from hotline.followup.enums import FollowUpStatus
from hotline.http.deps import DbSession
from hotline.i18n import translate
from hotline.intake import flows as intake
from hotline.kb import qa
from hotline.kb import service as kb_service
from hotline.org import service as org_service
from hotline.org.models import Area
from hotline.screening import model as screening_model
from hotline.screening import service as screening_service
from hotline.screening.rules import screen_text
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import ACTIVE_ASSIGNMENT, Channel, RequestType, Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import CitizenIn, TicketCreate, TicketFilter
from hotline.web.render import page
from hotline.web.session import Form, Staff, flash, lang, need, sign_in, sign_out
from hotline.workflow import duplicates
from hotline.workflow import service as wf
from hotline.workflow.enums import DuplicateStatus

router = APIRouter(prefix="/ui", include_in_schema=False)
EMERGENCY_SERVICES = ("110", "119", "120", "122")


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _error(request: Request, db: DbSession, exc: DomainError) -> None:
    db.rollback()
    flash(request, translate(exc.message_key, lang(request), **exc.params), "error")


def _invalid(request: Request, db: DbSession) -> None:
    """A form whose values cannot be read (not a number, not one of the choices)."""
    db.rollback()
    flash(request, "提交的数据有误" if lang(request) == "zh" else "The submitted data is invalid", "error")


def _utc(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=UTC) if ts is not None and ts.tzinfo is None else ts


def _store(request: Request) -> Store:
    return getattr(request.app.state, "analytics_store", None) or Store()


# -- sign-in -------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/ui/") -> HTMLResponse:
    return page(request, "login.html", next=next if next.startswith("/ui") else "/ui/")


@router.post("/login")
def login(request: Request, db: DbSession, form: Form) -> Response:
    target = str(form.get("next") or "/ui/")
    try:
        sign_in(request, db, str(form.get("username", "")), str(form.get("password", "")))
    except DomainError as exc:
        _error(request, db, exc)
        return page(request, "login.html", next=target, status=401)
    return _back(target if target.startswith("/ui") else "/ui/")


@router.post("/logout")
def logout(request: Request, db: DbSession, form: Form) -> Response:
    sign_out(request, db)
    return _back("/ui/login")


@router.get("/", response_class=HTMLResponse)
def home(me: Staff) -> Response:
    start = {
        Role.operator: "/ui/intake",
        Role.dispatcher: "/ui/triage",
        Role.handler: "/ui/inbox",
        Role.area_center: "/ui/inbox",
        Role.leader: "/ui/dashboard",
        Role.admin: "/ui/admin",
    }
    return _back(start.get(me.role, "/ui/tickets"))


# -- the operator's workstation ------------------------------------------------------------------------
def _areas(db: DbSession) -> list[Area]:
    return org_service.list_areas(db, active_only=True)


@router.get("/intake", response_class=HTMLResponse)
def workstation(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.work_desk)
    return _workstation_page(request, db, me)


OPERATOR_CHANNELS = [Channel.phone, Channel.walk_in, Channel.letter, Channel.email, Channel.other]


def _workstation_page(
    request: Request, db: DbSession, me: Principal, *, status: int = 200, values: dict[str, Any] | None = None
) -> HTMLResponse:
    return page(
        request,
        "workstation.html",
        me,
        status=status,
        areas=_areas(db),
        request_types=list(RequestType),
        channels=OPERATOR_CHANNELS,
        values=values or {},
    )


@router.post("/intake/suggest", response_class=HTMLResponse)
def live_suggest(request: Request, db: DbSession, me: Staff, form: Form) -> HTMLResponse:
    """What the models make of the request so far: category, departments, urgency, screening flags,
    possible duplicates, knowledge-base answers and similar resolved tickets."""
    need(me, Permission.work_desk)
    title, content = str(form.get("title", "")).strip(), str(form.get("content", "")).strip()
    if len(content) < 4:
        return page(request, "suggest.html", me, empty=True)
    area_id = _area_id(db, str(form.get("area_code", "")))
    s = dispatch_service.suggest(db, title=title or content[:30], content=content, area_id=area_id)
    phone = str(form.get("phone", "")).strip()
    draft = Ticket(
        title=title or content[:30],
        content=content,
        area_id=area_id or (s.location.area_id if s.location else None),
        category_id=s.departments[0].category_id if s.departments else None,
        citizen_phone_hash=ticket_service.caller_hash(phone) if phone else None,
    )
    dups = duplicates.find(db, draft)[:3]
    query = f"{title} {content}"
    kb = qa.read(db, query).passages
    similar = qa.similar_tickets(
        db,
        query,
        k=3,
        area_id=draft.area_id,
        category_id=draft.category_id,
        about=s.matter.words if s.matter else (),
    )
    return page(
        request,
        "suggest.html",
        me,
        s=s,
        flags=screen_text(title, content, model=screening_model.current(db)),
        dups=dups,
        kb=kb,
        similar=similar,
        empty=False,
    )


def _area_id(db: DbSession, code: str) -> int | None:
    if not code:
        return None
    return org_service.area_id(db, code=code)


@router.post("/intake")
def register(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.work_desk)
    try:
        data = TicketCreate(
            channel=Channel(str(form.get("channel") or "phone")),
            title=str(form.get("title") or "").strip() or None,
            content=str(form.get("content") or ""),
            request_type=RequestType(str(form["request_type"])) if form.get("request_type") else None,
            citizen=CitizenIn(
                name=str(form.get("name") or "").strip() or None,
                phone=str(form.get("phone") or "").strip() or None,
                no_contact=form.get("no_contact") == "on",
            ),
            address=str(form.get("address") or "").strip() or None,
            area_code=str(form.get("area_code") or "") or None,
        )
    except (ValidationError, ValueError) as exc:
        flash(request, _validation_message(exc, lang(request)), "error")
        return _workstation_page(request, db, me, status=422, values=dict(form))
    try:
        ticket, _ = intake.register(
            db, data=data, principal=me, idempotency_key=str(form.get("key") or "") or None
        )
    except DomainError as exc:
        _error(request, db, exc)
        return _back("/ui/intake")
    flash(
        request,
        f"已受理，工单号 {ticket.number}" if lang(request) == "zh" else f"Registered as {ticket.number}",
    )
    return _back(f"/ui/tickets/{ticket.id}")


def _validation_message(exc: Exception, language: str) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            field = ".".join(str(x) for x in e["loc"])
            parts.append(f"{field}: {e['msg']}")
        head = "请检查以下内容" if language == "zh" else "Please check"
        return f"{head} — " + "；".join(parts)
    return str(exc)


# -- tickets -------------------------------------------------------------------------------------------
@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(
    request: Request, db: DbSession, me: Staff, q: str | None = None, status: str | None = None
) -> HTMLResponse:
    try:
        filters = TicketFilter(q=q or None, status=[status] if status else None)
    except ValidationError:
        filters = TicketFilter()
    rows, total = ticket_service.list_tickets(db, principal=me, filters=filters, limit=50)
    cap = ticket_service.SEARCH_COUNT_CAP
    shown = f"{cap}+" if filters.q and total > cap else str(total)
    return page(request, "tickets.html", me, rows=rows, total=shown, q=q or "", chosen=status or "")


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, db: DbSession, me: Staff, ticket_id: int) -> HTMLResponse:
    ticket = ticket_service.get_ticket(db, ticket_id=ticket_id, principal=me)
    suggestion = dispatch_service.latest(db, ticket_id=ticket.id)
    assignments = ticket_service.list_assignments(db, ticket_id=ticket.id)
    mine = [a for a in assignments if a.department_id == me.department_id and a.status in ACTIVE_ASSIGNMENT]
    show_contact = ticket_service.log_contact_view(db, principal=me, tickets=[ticket], via="web_ticket")
    dups = (
        duplicates.for_ticket(db, ticket_id=ticket.id, principal=me)
        if policy.may(me, Permission.work_desk)
        else []
    )
    return page(
        request,
        "ticket.html",
        me,
        ticket=ticket,
        phone=ticket.citizen_phone if show_contact else ticket_service.mask_phone(ticket.citizen_phone),
        suggestion=dispatch_service.suggestion_of(suggestion) if suggestion else None,
        assignments=assignments,
        mine=mine[0] if mine else None,
        events=ticket_service.list_events(db, ticket_id=ticket.id, principal=me),
        dups=[d for d in dups if d.status == DuplicateStatus.open],
        flags=(
            screening_service.flags_for(db, ticket_id=ticket.id)
            if policy.may(me, Permission.read_screening)
            else []
        ),
        may_review=policy.may(me, Permission.review_screening),
        departments=list(org_service.list_departments(db, active_only=True, by_name=True)),
        satisfactions=list(Satisfaction),
        is_centre=policy.may(me, Permission.work_desk),
        is_department=policy.may(me, Permission.work_assignments),
    )


# -- the ticket page's buttons: one form field `action`, one step each ------------------------------------
Step = Callable[[DbSession, Principal, int, Any, str, datetime], object]


def _accept_suggestion(
    db: DbSession, me: Principal, ticket_id: int, form: Any, text: str, now: datetime
) -> object:
    ticket = ticket_service.get_ticket(db, ticket_id=ticket_id, principal=me)
    row = dispatch_service.get_suggestion(db, ticket_id=ticket_id, principal=me)
    choice = int(str(form.get("choice") or 0))
    return dispatch_service.apply(db, ticket=ticket, suggestion=row, principal=me, choice=choice, now=now)


def _follow_up(db: DbSession, me: Principal, ticket_id: int, form: Any, text: str, now: datetime) -> object:
    return wf.record_follow_up(
        db,
        ticket_id=ticket_id,
        resolved=form.get("resolved") == "on",
        satisfaction=Satisfaction(str(form.get("satisfaction"))),
        principal=me,
        comment=text or None,
        now=now,
    )


def _hand_off(db: DbSession, me: Principal, ticket_id: int, form: Any, text: str, now: datetime) -> object:
    handed_to = str(form.get("service") or "")
    if handed_to not in EMERGENCY_SERVICES:
        raise InvalidInput("hand_off_service", known="、".join(EMERGENCY_SERVICES))
    ticket = wf.hand_off(
        db,
        ticket_id=ticket_id,
        service=handed_to,
        reference=str(form.get("reference") or "").strip()[:100] or None,
        comment=text or None,
        principal=me,
        now=now,
    )
    screening_service.settle_on_hand_off(db, ticket=ticket, principal=me, service=handed_to)
    return ticket


def _department(form: Any) -> int:
    return int(str(form.get("department_id")))


STEPS: dict[str, Step] = {
    "accept_suggestion": _accept_suggestion,
    "dispatch": lambda db, me, tid, form, text, now: wf.dispatch(
        db, ticket_id=tid, department_id=_department(form), principal=me, now=now
    ),
    "answer": lambda db, me, tid, form, text, now: wf.answer_directly(
        db, ticket_id=tid, answer=text, principal=me, now=now
    ),
    "sign": lambda db, me, tid, form, text, now: wf.sign(db, ticket_id=tid, principal=me, now=now),
    "return": lambda db, me, tid, form, text, now: wf.return_ticket(
        db, ticket_id=tid, reason=text, principal=me, now=now
    ),
    "reply": lambda db, me, tid, form, text, now: wf.reply(
        db, ticket_id=tid, reply=text, principal=me, now=now
    ),
    "extend": lambda db, me, tid, form, text, now: wf.request_extension(
        db, ticket_id=tid, days=int(str(form.get("days") or 0)), reason=text, principal=me, now=now
    ),
    "approve": lambda db, me, tid, form, text, now: wf.approve_reply(
        db, ticket_id=tid, principal=me, now=now
    ),
    "reject": lambda db, me, tid, form, text, now: wf.reject_reply(
        db, ticket_id=tid, comment=text, principal=me, now=now
    ),
    "follow_up": _follow_up,
    "accept_return": lambda db, me, tid, form, text, now: wf.accept_return(
        db, ticket_id=tid, department_id=_department(form), principal=me, now=now
    ),
    "comment": lambda db, me, tid, form, text, now: wf.add_comment(
        db, ticket_id=tid, comment=text, principal=me, now=now
    ),
    "hand_off": _hand_off,
    "confidential": lambda db, me, tid, form, text, now: wf.set_confidential(
        db,
        ticket_id=tid,
        confidential=form.get("confidential") == "true",
        comment=text,
        principal=me,
        now=now,
    ),
}


@router.post("/tickets/{ticket_id}/act")
def act(request: Request, db: DbSession, me: Staff, ticket_id: int, form: Form) -> Response:
    """One workflow step from the ticket page; the services decide whether it is allowed."""
    step = STEPS.get(str(form.get("action", "")))
    try:
        ticket_service.get_ticket(db, ticket_id=ticket_id, principal=me)
        if step is None:
            raise NotFound("not_found")
        step(db, me, ticket_id, form, str(form.get("text") or "").strip(), utcnow())
        db.commit()
    except DomainError as exc:
        _error(request, db, exc)
    except (ValueError, TypeError):
        _invalid(request, db)
    return _back(f"/ui/tickets/{ticket_id}")


@router.post("/tickets/{ticket_id}/draft", response_class=HTMLResponse)
def draft(request: Request, db: DbSession, me: Staff, ticket_id: int, form: Form) -> HTMLResponse:
    """The draft helper: a reply drafted from the KB and how similar tickets were answered."""
    from hotline.assist import service as assist

    ticket = ticket_service.get_ticket(db, ticket_id=ticket_id, principal=me)
    out = assist.draft_reply(db, ticket, department_id=me.department_id)
    return page(request, "draft.html", me, draft=out)


@router.post("/tickets/{ticket_id}/check", response_class=HTMLResponse)
def check_reply(request: Request, db: DbSession, me: Staff, ticket_id: int, form: Form) -> HTMLResponse:
    """The quality check of a reply before it is sent."""
    from hotline.review import quality

    ticket = ticket_service.get_ticket(db, ticket_id=ticket_id, principal=me)
    review = quality.score(
        ticket.title, ticket.content, str(form.get("text") or ""), due_at=ticket.due_at, replied_at=utcnow()
    )
    return page(request, "check.html", me, review=review)


# -- the centre's queues ---------------------------------------------------------------------------------
@router.get("/triage", response_class=HTMLResponse)
def triage(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.work_desk)
    rows = dispatch_service.triage_queue(db, limit=100)
    returned = ticket_service.list_tickets(
        db, principal=me, filters=TicketFilter(status=["returned"]), limit=50
    )[0]
    return page(request, "triage.html", me, rows=rows, returned=returned)


@router.get("/duplicates", response_class=HTMLResponse)
def duplicate_queue(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.work_desk)
    return page(request, "duplicates.html", me, rows=duplicates.queue(db, limit=100))


@router.post("/duplicates/{suggestion_id}")
def decide_duplicate(request: Request, db: DbSession, me: Staff, suggestion_id: int, form: Form) -> Response:
    need(me, Permission.work_desk)
    try:
        duplicates.decide(db, suggestion_id=suggestion_id, merge=form.get("merge") == "1", principal=me)
        db.commit()
    except DomainError as exc:
        _error(request, db, exc)
    return _back("/ui/duplicates")


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.work_desk)
    replied = ticket_service.list_tickets(
        db, principal=me, filters=TicketFilter(status=["replied"]), limit=50
    )[0]
    calls = [
        (task, tk) for task, tk in followup.call_queue(db, limit=100) if task.status != FollowUpStatus.confirm
    ]
    to_confirm = followup.to_confirm(db, limit=50)
    from hotline.supervision import service as supervision
    from hotline.supervision.enums import CaseStatus
    from hotline.workflow.enums import ExtensionStatus

    return page(
        request,
        "review.html",
        me,
        replied=replied,
        calls=calls,
        to_confirm=to_confirm,
        satisfactions=list(Satisfaction),
        extensions=wf.list_extensions(db, principal=me, status=ExtensionStatus.pending),
        cases=supervision.list_cases(db, principal=me, status=CaseStatus.open),
    )


@router.post("/follow-ups/{task_id}/confirm")
def confirm_follow_up(request: Request, db: DbSession, me: Staff, task_id: int, form: Form) -> Response:
    """A person's reading of a follow-up answer the reader was not sure of."""
    need(me, Permission.work_desk)
    try:
        followup.confirm(
            db,
            task_id=task_id,
            satisfaction=Satisfaction(str(form.get("satisfaction"))),
            resolved={"1": True, "0": False}.get(str(form.get("resolved") or "")),
            within_power=form.get("within_power") != "0",
            principal=me,
        )
        db.commit()
        flash(request, "已确认，计入满意率与解决率" if lang(request) == "zh" else "Confirmed and counted")
    except DomainError as exc:
        _error(request, db, exc)
    except ValueError:
        _invalid(request, db)
    return _back("/ui/review")


@router.post("/extensions/{extension_id}")
def decide_extension(request: Request, db: DbSession, me: Staff, extension_id: int, form: Form) -> Response:
    need(me, Permission.work_desk)
    try:
        wf.decide_extension(
            db,
            ticket_id=int(str(form.get("ticket_id"))),
            extension_id=extension_id,
            approve=form.get("approve") == "1",
            principal=me,
            comment=str(form.get("text") or "") or None,
        )
        db.commit()
    except DomainError as exc:
        _error(request, db, exc)
    except ValueError:
        _invalid(request, db)
    return _back("/ui/review")


# -- a department's inbox --------------------------------------------------------------------------------
@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.work_assignments)
    return page(request, "inbox.html", me, rows=wf.inbox(db, principal=me))


# -- the leader's dashboard ------------------------------------------------------------------------------
@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, db: DbSession, me: Staff, period: str | None = None) -> HTMLResponse:
    need(me, Permission.view_dashboard)
    store = _store(request)
    try:
        flt = analytics.make_filter(period=period)
    except DomainError as exc:
        _error(request, db, exc)
        flt = analytics.make_filter()
    scope = analytics.scope_of(db, me)
    con = store.connect()
    summary = rates.summary(con, flt, scope=scope)
    trend = rates.volume(con, flt, period="day", scope=scope)
    sat = {
        r["period"]: r["value"] for r in rates.compute(con, "satisfaction", flt, period="day", scope=scope)
    }
    districts = {r["key"]: r for r in rates.volume(con, flt, by="district", scope=scope)}
    district_sat = rates.compute(con, "satisfaction", flt, by="district", scope=scope)
    heat = [
        {
            "name": r["name"],
            "tickets": r["denominator"],
            "satisfaction": next((d["value"] for d in district_sat if d["key"] == k), None),
        }
        for k, r in districts.items()
        if k is not None
    ]
    charts: dict[str, Any] = {
        "trend": {
            "days": [r["period"][5:] for r in trend],
            "tickets": [r["denominator"] for r in trend],
            "satisfaction": [
                None if sat.get(r["period"]) is None else round(sat[r["period"]] * 100, 1) for r in trend
            ],
        },
        "heat": heat,
        "labels": {
            "tickets": "受理量" if lang(request) == "zh" else "Tickets",
            "satisfaction": "满意率" if lang(request) == "zh" else "Satisfaction",
        },
    }
    return page(
        request,
        "dashboard.html",
        me,
        period=period or "",
        flt=flt,
        as_of_utc=_utc(analytics.as_of(store)),
        summary=summary,
        ranking=rates.ranking(con, flt, by="department", scope=scope)[:15],
        hot=hotspots.top(con, flt, limit=10, scope=scope),
        emerging=hotspots.emerging(con, end=flt.end, scope=scope)[:8],
        steps=bottlenecks.steps(con, flt, scope=scope),
        charts=charts,
        can_refresh=policy.may(me, Permission.refresh_figures),
    )


@router.post("/dashboard/refresh")
def dashboard_refresh(request: Request, db: DbSession, me: Staff, form: Form) -> Response:
    need(me, Permission.refresh_figures)
    done = facts.refresh(db, _store(request))
    flash(
        request,
        f"数据已更新（{len(done.months)} 个月）"
        if lang(request) == "zh"
        else f"Updated ({len(done.months)} months)",
    )
    return _back("/ui/dashboard")


@router.get("/drill", response_class=HTMLResponse)
def drill(
    request: Request, db: DbSession, me: Staff, rate: str, part: str = "rest", period: str | None = None
) -> HTMLResponse:
    need(me, Permission.view_dashboard)
    flt = analytics.make_filter(period=period)
    part_: Literal["numerator", "denominator", "rest"] = (
        "numerator" if part == "numerator" else "denominator" if part == "denominator" else "rest"
    )
    out = rates.drilldown(
        _store(request).connect(), rate, flt, part=part_, scope=analytics.scope_of(db, me), limit=200
    )
    return page(request, "drill.html", me, out=out, rate=rates.definitions().get(rate), part=part_)


# -- admin -----------------------------------------------------------------------------------------------
@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, db: DbSession, me: Staff) -> HTMLResponse:
    need(me, Permission.administer)
    from hotline.accounts import service as accounts_service
    from hotline.dispatch.registry import CATEGORY
    from hotline.nlp import registry as model_registry
    from hotline.sla import service as sla_service

    return page(
        request,
        "admin.html",
        me,
        areas=_areas(db),
        departments=org_service.list_departments(db),
        department_names={d.id: d.name for d in org_service.list_departments(db)},
        area_names={a.id: a.name for a in _areas(db)},
        rules=routing.list_rules(db, active_only=True, limit=200),
        categories={c.id: c.full_name for c in category_service.list_categories(db, level=1)},
        sla=sla_service.list_rules(db),
        holidays=sla_service.list_calendar_days(db),
        articles=kb_service.list_articles(db, limit=200),
        users=accounts_service.list_users(db),
        now=utcnow(),
        models=model_registry.list_versions(db, kind=CATEGORY),
        units=["working_hours", "working_days", "calendar_hours"],
    )
