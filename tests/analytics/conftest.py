"""Analytics fixtures: a store of the test's own (a temporary directory) and a small history whose
figures are known by construction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.analytics.store import Store
from hotline.tickets.enums import Satisfaction
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests import factories
from tests.dispatch.conftest import dispatch_ready, model_version, routing_table, sample, trained  # noqa: F401


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "analytics")


@dataclass
class History:
    """September 2026 (local), all handled by 住建局 (ZJJ), plus one August ticket."""

    happy: Ticket  # closed: resolved, satisfied
    unhappy: Ticket  # closed: not resolved, unsatisfied
    returned: Ticket  # returned by ZJJ at once (first dispatch wrong)
    direct: Ticket  # answered on the spot
    late: Ticket  # signed, never replied: overdue once its deadline passes
    merged: Ticket  # merged into `master` (registered)
    master: Ticket
    august: Ticket  # closed, satisfied: the period before


@pytest.fixture
def history(db: Session, actors: factories.Actors, now: datetime) -> History:
    a = actors
    happy = factories.ticket_in(db, a, Status.closed, now=now)
    unhappy = factories.ticket_in(
        db, a, Status.follow_up, now=now, title="噪音扰民", content="工地夜间施工噪音"
    )
    wf.record_follow_up(
        db,
        ticket_id=unhappy.id,
        resolved=False,
        satisfaction=Satisfaction.unsatisfied,
        principal=a.operator,
        now=now + timedelta(hours=2),
    )
    returned = factories.ticket_in(db, a, Status.returned, now=now, title="占道经营")
    direct = factories.make_ticket(db, a, now=now, title="公积金怎么提取")
    wf.answer_directly(db, ticket_id=direct.id, answer="可在政务服务网办理。", principal=a.operator, now=now)
    late = factories.ticket_in(db, a, Status.processing, now=now, title="路面塌陷")
    merged = factories.ticket_in(db, a, Status.merged, now=now, title="路灯又坏了")
    assert merged.master_id is not None
    master = db.get(Ticket, merged.master_id)
    assert master is not None
    august = factories.ticket_in(db, a, Status.closed, now=now - timedelta(days=30), title="八月的工单")
    db.flush()
    return History(happy, unhappy, returned, direct, late, merged, master, august)
