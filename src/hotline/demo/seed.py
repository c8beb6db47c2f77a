"""Fill a database with the demo city: org tree, users, and real-text tickets driven through the workflow."""

from __future__ import annotations

import csv
import logging
import random
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.enums import Role
from hotline.accounts.models import User
from hotline.accounts.principal import SYSTEM, Principal
from hotline.accounts.schemas import UserIn
from hotline.bootstrap import bootstrap
from hotline.categories import service as category_service
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.dispatch import datasets, matters, routing, training
from hotline.dispatch import service as dispatch_service
from hotline.dispatch.registry import CATEGORY
from hotline.errors import NotFound
from hotline.followup import service as followup_service
from hotline.followup.enums import FollowUpStatus
from hotline.kb import service as kb_service
from hotline.kb.models import Article
from hotline.nlp import registry as model_registry
from hotline.org import service as org_service
from hotline.org.enums import AreaLevel
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import Channel, RequestType, Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import CitizenIn, TicketCreate
from hotline.workflow import service as wf

log = logging.getLogger(__name__)

DEMO_PASSWORD = "hotline-demo"  # noqa: S105 - development demo only; printed on start
# first-level category of the real data → the demo city's lead department
CATEGORY_DEPARTMENT = {
    "城乡建设": "ZJJ",
    "环境保护": "STJ",
    "交通运输": "JTJ",
    "教育文体": "JYJ",
    "劳动和社会保障": "RSJ",
    "商贸旅游": "SWJ",
    "卫生计生": "WJW",
}
CHANNEL_WEIGHTS = [
    (Channel.phone, 55),
    (Channel.web, 20),
    (Channel.app, 15),
    (Channel.sms, 5),
    (Channel.grid, 5),
]


def demo_path(name: str) -> Path:
    """Return the path of a packaged demo or data file."""
    for folder in ("demo", "data"):
        candidate = Path(str(resources.files("hotline") / folder / name))
        if candidate.exists():
            return candidate
    raise FileNotFoundError(name)


def guess_request_type(title: str, body: str) -> RequestType:
    """Return a plausible request type for demo text (the real classifier lives in routing)."""
    text = title + body[:80]
    for word, kind in (
        ("举报", RequestType.report),
        ("投诉", RequestType.complaint),
        ("建议", RequestType.suggestion),
        ("咨询", RequestType.consult),
        ("请问", RequestType.consult),
        ("感谢", RequestType.praise),
    ):
        if word in text:
            return kind
    return RequestType.help


def _users(session: Session) -> dict[str, User]:
    specs = [
        ("admin", "系统管理员", Role.admin, None),
        ("operator", "话务员小王", Role.operator, None),
        ("dispatcher", "派单员小李", Role.dispatcher, None),
        ("leader", "热线中心主任", Role.leader, None),
        ("hb_center", "湖滨区分中心", Role.area_center, "HB-ZX"),
        ("xc_center", "新城区分中心", Role.area_center, "XC-ZX"),
        ("hb_hx", "湖心街道经办人", Role.handler, "HB-HX"),
    ] + [
        (f"h_{code.lower()}", f"{code}经办人", Role.handler, code)
        for code in sorted(set(CATEGORY_DEPARTMENT.values()))
    ]
    users = {}
    for username, name, role, dept in specs:
        existing = session.scalar(select(User).where(User.username == username))
        users[username] = existing or accounts_service.create_user(
            session,
            data=UserIn(
                username=username, display_name=name, password=DEMO_PASSWORD, role=role, department_code=dept
            ),
        )
    return users


DEMO_KB_OWNERS = {
    "01-housing-fund.md": "ZJJ",
    "02-social-security-card.md": "RSJ",
    "03-residence-permit.md": "GAJ",
    "04-newborn-hukou.md": "GAJ",
    "05-medical-insurance.md": "RSJ",
    "06-unemployment.md": "RSJ",
    "07-wage-arrears.md": "RSJ",
    "08-school-enrollment.md": "JYJ",
    "09-property-fees.md": "ZJJ",
    "10-street-lights.md": "CGJ",
    "11-noise.md": "CGJ",
    "12-driver-license.md": "GAJ",
}


def setup_kb(session: Session) -> int:
    """The demo knowledge base (published Markdown articles, each owned by a department), once."""
    if session.scalar(select(Article.id).limit(1)) is not None:
        return 0
    folder = Path(str(resources.files("hotline") / "demo" / "kb"))
    made = 0
    for path in sorted(folder.glob("*.md")):
        created, _, _ = kb_service.import_file(
            session, path=path, principal=SYSTEM, department_code=DEMO_KB_OWNERS.get(path.name), publish=True
        )
        made += created
    return made


def setup_dispatch(session: Session) -> None:
    """The demo matter list (派单目录, 112 matters with demo basis texts), the category routing table
    (its fallback) and a category model trained on the packaged sample messages, unless the centre
    already has them."""
    if matters.current_version(session) == 0:
        report = matters.import_file(session, path=demo_path("matters.csv"), actor="demo")
        log.info("demo: matter list v%s with %d matters", report.version, report.created)
    if not routing.list_rules(session):
        routing.import_rules(session, path=demo_path("routing.csv"), actor="demo")
    if model_registry.active_version(session, kind=CATEGORY) is None:
        examples = datasets.read_file(
            demo_path("demo_messages.csv"), text_columns=["留言主题", "留言详情"], label_column="一级分类"
        )
        result = training.train_and_register(session, examples, folds=0, created_by="demo")
        log.info("demo: category model v%d trained on %d messages", result.version.version, len(examples))


def seed_demo(
    session: Session, *, tickets: int = 300, seed: int = 12345, now: datetime | None = None
) -> dict[str, int]:
    """Load the demo city and drive `tickets` real-text tickets into a spread of states; idempotent."""
    now = now or utcnow()
    rng = random.Random(seed)
    bootstrap(session)
    org_service.import_org(session, org=org_service.parse_org_file(demo_path("city.yaml")))
    users = _users(session)
    setup_dispatch(session)
    setup_kb(session)
    if session.scalar(select(Ticket.id).limit(1)) is not None:
        return {"tickets": 0}
    p = {name: accounts_service.principal_for(u) for name, u in users.items()}
    streets = [a for a in org_service.list_areas(session) if a.level == AreaLevel.community]
    with demo_path("demo_messages.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rng.shuffle(rows)
    made = 0
    for i, row in enumerate(rows[:tickets]):
        start = now - timedelta(days=rng.uniform(0.2, 40), hours=rng.uniform(0, 8))
        area = rng.choice(streets)
        try:
            category = category_service.get_category(session, code_or_name=row["一级分类"])
        except NotFound:
            category = None
        channel = rng.choices([c for c, _ in CHANNEL_WEIGHTS], [w for _, w in CHANNEL_WEIGHTS])[0]
        data = TicketCreate(
            channel=channel,
            title=row["留言主题"][:200],
            content=row["留言详情"][:10_000] or row["留言主题"],
            request_type=guess_request_type(row["留言主题"], row["留言详情"]),
            category_code=category.code if category else None,
            citizen=CitizenIn(
                name=f"市民{row['留言用户'][-4:]}", phone=f"13{rng.randint(100000000, 999999999)}"
            ),
            address=f"{area.name}附近",
            area_code=area.code,
            external_id=f"demo-{i:04d}",
            public=i % 5 in (1, 3),  # two citizens in five agree to publish (公开)
        )
        ticket, _ = ticket_service.create_ticket(session, data=data, principal=p["operator"], now=start)
        _drive(session, ticket.id, row, i, rng, p, start, now)
        if rng.random() < 0.1:
            ticket.supports = int(rng.paretovariate(1.2))  # a few requests draw many 点赞
        made += 1
    made += _screened(session, p, now)
    _calls(session, rng, now)
    log.info("demo: %d tickets", made)
    return {"tickets": made}


# requests the screening queue shows in the demo: one of each rare kind, screened as on intake
SCREENED = [
    ("有人落水", "湖心公园的河里有个小孩掉下去了，在水里扑腾，快来人", "phone"),
    ("再不解决", "再不给我解决工资的事，我就去你们单位门口泼汽油", "phone"),
    ("投诉接线员", "接电话的是个什么东西，脑子有病吧", "phone"),
    ("家里的事", "我老公天天赌博，把家里的钱都输光了，你们管管他", "web"),
    ("法院执行", "我的案子法院已经判了，但是对方一直不执行，你们帮我催一下法院", "web"),
]


def _screened(session: Session, p: dict[str, Principal], now: datetime) -> int:
    from hotline.screening import service as screening_service

    for k, (title, content, channel) in enumerate(SCREENED):
        data = TicketCreate(
            channel=Channel(channel),
            title=title,
            content=content,
            request_type=RequestType.help,
            citizen=CitizenIn(name="市民", phone=f"1390000{k:04d}"),
            external_id=f"demo-screened-{k}",
        )
        at = now - timedelta(minutes=20 * (len(SCREENED) - k))
        ticket, _ = ticket_service.create_ticket(session, data=data, principal=p["operator"], now=at)
        screening_service.screen_ticket(session, ticket=ticket, now=at)
        dispatch_service.route_new_ticket(session, ticket=ticket, now=at)
    return len(SCREENED)


def _calls(session: Session, rng: random.Random, now: datetime, days: int = 40) -> None:
    """Call records (CDR) of the last weeks: about 250 calls a day, busier in the morning, 5 % abandoned."""
    from hotline.cti import service as cti

    calls = []
    for d in range(days):
        day = (
            (now - timedelta(days=d))
            .astimezone(ZoneInfo("Asia/Shanghai"))
            .replace(hour=0, minute=0, second=0)
        )
        for k in range(rng.randint(200, 300)):
            offered = day + timedelta(hours=rng.triangular(7, 22, 10), seconds=rng.uniform(0, 59))
            if offered > now:
                continue
            wait = rng.expovariate(1 / 9)
            answered = offered + timedelta(seconds=wait) if rng.random() > 0.05 else None
            end = (answered or offered) + timedelta(seconds=rng.uniform(20, 400) if answered else wait)
            calls.append(
                cti.CallIn(
                    call_id=f"demo-{d:02d}-{k:03d}",
                    offered_at=offered,
                    answered_at=answered,
                    ended_at=end,
                    queue=rng.choice(["普通话", "普通话", "普通话", "方言", "英语"]),
                )
            )
    cti.ingest(session, calls, now=now)


def seed_analytics(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Mine the hotspots of every month with tickets and take the analytics facts."""
    from hotline.analytics import facts, hotspots
    from hotline.analytics.service import period_range

    now = now or utcnow()
    tz = ZoneInfo(get_settings().timezone)
    months = sorted({facts.month_of(t, tz) for t in session.scalars(select(Ticket.created_at))})
    topics = 0
    for month in months:
        start, end = period_range(month)
        topics += hotspots.mine(session, period=month, start=start, end=end, now=now).topics
    session.commit()
    taken = facts.refresh(session, now=now)
    return {"months": len(taken.months), "topics": topics}


# what demo citizens write back (written for the demo; not the reader's training or development answers)
DEMO_ANSWERS = {
    Satisfaction.satisfied: [
        "师傅第二天就来了，现在都弄好了，谢谢",
        "问题处理了，挺好的",
        "很及时，给你们点赞",
        "已经好了，麻烦你们了",
        "嗯，可以的",
    ],
    Satisfaction.basically_satisfied: [
        "解决是解决了，就是等得有点久",
        "还算可以吧，下次希望快一点",
        "估计是处理了，我这几天没在家",
        "好一点了，不过偶尔还有",
    ],
    Satisfaction.unsatisfied: [
        "根本没人来，还是那个样子",
        "打电话说处理了，其实啥也没变",
        "不太满意，来了一趟就没下文了",
        "说不符合政策不给办，这规定不合理",
    ],
}


def _drive(
    session: Session,
    ticket_id: int,
    row: dict[str, str],
    i: int,
    rng: random.Random,
    p: dict[str, Principal],
    start: datetime,
    now: datetime,
) -> None:
    """Move one demo ticket along the lifecycle as far as its age and a dice roll allow."""
    stage = rng.random()
    age = now - start
    t = start + timedelta(minutes=rng.uniform(3, 30))
    if stage < 0.08:
        # still registered: the dispatch suggestion puts it on the triage queue (or dispatches it)
        dispatch_service.route_new_ticket(session, ticket=session.get(Ticket, ticket_id), now=start)  # type: ignore[arg-type]
        return
    if stage < 0.16:
        wf.answer_directly(
            session,
            ticket_id=ticket_id,
            principal=p["operator"],
            now=t,
            answer="已按政策口径直接答复市民，并告知办理渠道。",
        )
        if age > timedelta(days=2):
            wf.record_follow_up(
                session,
                ticket_id=ticket_id,
                resolved=True,
                satisfaction=Satisfaction.satisfied,
                principal=p["operator"],
                now=t + timedelta(days=1),
            )
        return
    dept_code = CATEGORY_DEPARTMENT.get(row["一级分类"], "CGJ")
    dept = org_service.get_department_by_code(session, code=dept_code)
    handler = p[f"h_{dept_code.lower()}"]
    wf.dispatch(session, ticket_id=ticket_id, department_id=dept.id, principal=p["dispatcher"], now=t)
    if stage < 0.26 or age < timedelta(hours=6):
        return  # awaiting sign-for
    t += timedelta(hours=rng.uniform(0.2, 3))
    if stage < 0.30:
        wf.return_ticket(
            session,
            ticket_id=ticket_id,
            principal=handler,
            now=t,
            reason="该事项不属于本单位职责范围",
            basis="依据“三定”方案，该事项由属地街道负责",
        )
        return
    wf.sign(session, ticket_id=ticket_id, principal=handler, now=t)
    if stage < 0.45 or age < timedelta(days=2):
        return  # processing (some of them overdue by now)
    t += timedelta(days=rng.uniform(0.5, min(age.days, 12)))
    if t >= now:
        return
    wf.reply(
        session,
        ticket_id=ticket_id,
        principal=handler,
        now=t,
        reply=f"经核查，{row['留言主题'][:40]}一事已安排专人处理，并已电话告知市民处理结果。",
    )
    if stage < 0.55:
        return  # awaiting review
    t += timedelta(hours=rng.uniform(1, 20))
    wf.approve_reply(session, ticket_id=ticket_id, principal=p["dispatcher"], now=t)
    if stage < 0.65 or t + timedelta(days=1) >= now:
        return  # awaiting follow-up
    t += timedelta(days=1)
    sat = rng.choices(list(Satisfaction), [70, 18, 12])[0]
    # the citizen answers by choice (the survey's buttons) or in their own words, read by the reader
    task = followup_service.task_for(session, session.get(Ticket, ticket_id), now=t)  # type: ignore[arg-type]
    said = rng.random() < 0.35
    followup_service.record(
        session,
        task=task,
        resolved=None if said else sat != Satisfaction.unsatisfied,
        satisfaction=None if said else sat,
        comment=rng.choice(DEMO_ANSWERS[sat]) if said else None,
        via="survey",
        principal=p["operator"],
        now=t,
    )
    if task.status == FollowUpStatus.review and i % 2 == 0 and t + timedelta(hours=2) < now:
        followup_service.decide(
            session, task_id=task.id, reopen=True, principal=p["dispatcher"], now=t + timedelta(hours=2)
        )
