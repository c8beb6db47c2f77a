"""The learning loop: settled tickets train a department model (a ticket returned on the way counts
double), retrained only when the history has grown; its reading is blended into the matter list's by
how much history there is; and the matter list's review shows which matters are returned most, by whom
and why."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from hotline.dispatch import history, matching, registry, service
from hotline.dispatch import matters as matter_list
from hotline.dispatch.models import DispatchSuggestion
from hotline.nlp import embedding
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests.factories import Actors, make_ticket, ticket_in


def _settle(db: Session, actors: Actors, text: str, dept: str, now: datetime) -> None:
    """A request routed as on intake, then dispatched to `dept`, answered and approved (settled)."""
    t = make_ticket(db, actors, now=now, title=text[:8], content=text, category_code=None, channel="phone")
    service.route_new_ticket(db, ticket=t, now=now)
    handler = {"ZJJ": actors.zjj, "CGJ": actors.cgj}[dept]
    wf.dispatch(
        db, ticket_id=t.id, department_id=actors.dept_id(dept, db), principal=actors.dispatcher, now=now
    )
    wf.sign(db, ticket_id=t.id, principal=handler, now=now)
    wf.reply(db, ticket_id=t.id, reply="已处理。", principal=handler, now=now)
    wf.approve_reply(db, ticket_id=t.id, principal=actors.dispatcher, now=now)


PAVING = "小区门口人行道上的地砖翘起来好几块，老人走路差点绊倒（第{}次反映）"
NOISE = "楼下的饭店每天半夜还在搬桌椅，吵得睡不着（第{}次反映）"


def test_settled_history_trains_a_department_model_that_moves_the_suggestion(
    db: Session, matter_list_ready: int, actors: Actors, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MIN_HISTORY", 20)
    before = service.suggest(db, title="", content=PAVING.format(0))
    zjj = actors.dept_id("ZJJ", db)
    share_before = {d.department_id: d.confidence for d in before.departments}.get(zjj, 0.0)
    assert history.retrain_if_grown(db) is None  # no history yet: the matter list alone
    # this centre settles paving at 住建局 (its own arrangement; the list says 城管局), noise at 城管局
    for i in range(11):
        _settle(db, actors, PAVING.format(i + 1), "ZJJ", now)
        _settle(db, actors, NOISE.format(i + 1), "CGJ", now)
    ex = history.examples(db)
    assert len(ex) == 22 and ex.labels.count("ZJJ") == 11 and set(ex.weights) == {1.0}
    trained = history.retrain_if_grown(db)
    assert (
        trained is not None
        and trained.version.kind == registry.DEPARTMENT
        and trained.version.n_samples == 22
    )
    assert history.retrain_if_grown(db) is None  # not grown since: not retrained

    after = service.suggest(db, title="", content=PAVING.format(99))
    share_after = {d.department_id: d.confidence for d in after.departments}.get(zjj, 0.0)
    assert share_after > share_before
    assert "本中心" in after.reason
    vector = embedding.mean_vector(matching.text_vectors("", PAVING.format(99)))
    said = history.read(db, "", PAVING.format(99), vector=vector)
    metrics = trained.version.metrics
    assert said is not None and (said.weight, said.vote_weight) == (
        metrics["blend_weight"],
        metrics["vote_weight"],
    )
    # the history, where the list is wrong, counts; whichever learner it weighs points to 住建局
    readings = [r for r in (said.shares, said.votes) if r]
    assert readings and all(max(r, key=r.__getitem__) == zjj for r in readings)
    assert metrics["held_out"] == 5  # the newest fifth chose the weights


def test_similar_settled_tickets_vote_and_a_return_votes_against(
    db: Session, matter_list_ready: int, actors: Actors, now: datetime
) -> None:
    for i in range(3):
        _settle(db, actors, PAVING.format(i + 1), "ZJJ", now)
    returned = ticket_in(
        db, actors, Status.returned, now=now, dept="CGJ", title="地砖", content=PAVING.format(7)
    )
    history.keep(
        db,
        ticket_id=returned.id,
        vector=embedding.mean_vector(matching.text_vectors("地砖", PAVING.format(7))),
    )
    wf.accept_return(
        db,
        ticket_id=returned.id,
        department_id=actors.dept_id("ZJJ", db),
        principal=actors.dispatcher,
        now=now,
    )
    wf.sign(db, ticket_id=returned.id, principal=actors.zjj, now=now)
    wf.reply(db, ticket_id=returned.id, reply="已修复。", principal=actors.zjj, now=now)
    wf.approve_reply(db, ticket_id=returned.id, principal=actors.dispatcher, now=now)
    past = history._history(db)
    assert (
        past.returned_by == [None, None, None, "CGJ"] and past.examples.weights[-1] == history.RETURNED_WEIGHT
    )
    ix = history.index(db, past)
    assert ix.codes == ["ZJJ", "ZJJ", "ZJJ", "ZJJ", "CGJ"] and list(ix.signs) == [1, 1, 1, 1, -1]
    said = history.vote(ix, embedding.mean_vector(matching.text_vectors("", PAVING.format(99))))
    assert said == {"ZJJ": 1.0}  # CGJ's return counts against it, never for it
    unrelated = history.vote(ix, embedding.mean_vector(matching.text_vectors("", "孩子的学籍怎么转到明湖来")))
    assert unrelated == {}  # the history speaks only of what it has seen


def test_the_history_decides_how_much_it_counts() -> None:
    truth = ["ZJJ", "CGJ", "ZJJ", "CGJ"]
    listed = [{"ZJJ": 0.9, "CGJ": 0.1}, {"CGJ": 0.8}, {"ZJJ": 0.7, "CGJ": 0.3}, {"CGJ": 0.6, "ZJJ": 0.4}]
    model_wrong = [{"CGJ": 0.9, "ZJJ": 0.1}, {"ZJJ": 0.9, "CGJ": 0.1}, {"CGJ": 0.9, "ZJJ": 0.1}, {"ZJJ": 1.0}]
    weight, right = history.choose_weight(listed, model_wrong, truth)
    assert weight == 0.0 and right["0.0"] == 1.0  # the list is right: the model does not count
    list_short = [{"CGJ": 0.9, "ZJJ": 0.1}, {"CGJ": 0.8}, {"CGJ": 0.7, "ZJJ": 0.3}, {"CGJ": 0.6, "ZJJ": 0.4}]
    model_right = [
        {"ZJJ": 0.95, "CGJ": 0.05},
        {"CGJ": 0.9, "ZJJ": 0.1},
        {"ZJJ": 0.9, "CGJ": 0.1},
        {"CGJ": 1.0},
    ]
    weight, right = history.choose_weight(list_short, model_right, truth)
    assert weight > 0 and right[str(weight)] == 1.0 and right["0.0"] == 0.5


def test_a_ticket_returned_on_the_way_is_a_lesson_counted_double(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = ticket_in(db, actors, Status.returned, now=now, dept="ZJJ", title="地砖", content=PAVING.format(1))
    wf.accept_return(
        db, ticket_id=t.id, department_id=actors.dept_id("CGJ", db), principal=actors.dispatcher, now=now
    )
    wf.sign(db, ticket_id=t.id, principal=actors.cgj, now=now)
    wf.reply(db, ticket_id=t.id, reply="已修复地砖。", principal=actors.cgj, now=now)
    wf.approve_reply(db, ticket_id=t.id, principal=actors.dispatcher, now=now)
    ex = history.examples(db)
    assert ex.labels == ["CGJ"] and ex.weights == [history.RETURNED_WEIGHT]


def test_the_review_shows_matters_returned_most_by_whom_and_why(
    db: Session, actors: Actors, now: datetime, routed_lamp: tuple[Ticket, DispatchSuggestion | None]
) -> None:
    lamp, s = routed_lamp
    assert s is not None and s.department_id == actors.dept_id("CGJ", db)
    wf.dispatch(db, ticket_id=lamp.id, department_id=s.department_id, principal=actors.dispatcher, now=now)
    wf.return_ticket(db, ticket_id=lamp.id, reason="该路段路灯由供电公司管养", principal=actors.cgj, now=now)
    rows = matter_list.review(db)
    top = rows[0]
    assert top.code == "CG-01" and top.dispatched == 1 and top.returned == 1 and top.return_share == 1.0
    assert top.by_department == {"市城市管理局": 1} and top.reasons == ["该路段路灯由供电公司管养"]

    # a return the centre overrules (the unit keeps the ticket) is not held against the matter
    wf.reject_return(db, ticket_id=lamp.id, comment="路灯属城管职责", principal=actors.dispatcher, now=now)
    again = next(r for r in matter_list.review(db) if r.code == "CG-01")
    assert again.dispatched == 1 and again.returned == 0 and again.by_department == {}
