"""The learning loop: a settled ticket teaches its department, a return (退单) is a counter-example of
the department that returned it, similar history is blended into the matter list's reading, and the
matter list's review shows which matters are returned most, by whom and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.dispatch import history, matching, service
from hotline.dispatch import matters as matter_list
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests.factories import Actors, make_ticket, ticket_in

HOLES = "人行道上的地砖翘起来好几块，老人走路差点绊倒"  # 人行道破损: the matter list says 城管


def _kept(db: Session, ticket_id: int, title: str, content: str) -> None:
    history.keep(db, ticket_id=ticket_id, vector=history.ticket_vector(matching.text_vectors(title, content)))


def test_settled_tickets_teach_and_returns_unteach(
    db: Session, matter_list_ready: int, actors: Actors, now: datetime
) -> None:
    settled = [
        ticket_in(
            db, actors, Status.closed, now=now, dept="ZJJ", title="地砖", content=f"{HOLES}（第{i}次反映）"
        )
        for i in range(3)
    ]
    for t in settled:
        _kept(db, t.id, t.title, t.content)
    history.clear_cache()
    ex = history.examples(db)
    zjj = actors.dept_id("ZJJ", db)
    assert ex.size == 3 and set(ex.departments) == {zjj} and (ex.signs > 0).all()
    said = history.vote(ex, history.ticket_vector(matching.text_vectors("", HOLES)))
    assert said.shares == {zjj: 1.0} and said.neighbours == 3
    unrelated = history.vote(ex, history.ticket_vector(matching.text_vectors("", "孩子的学籍怎么转到明湖来")))
    assert unrelated.shares == {}  # history only speaks about what it has seen

    # the centre's history moves the suggestion towards where such tickets were settled
    before = service.suggest(db, title="", content=HOLES)
    blended = history.blend({d.department_id: d.confidence for d in before.departments}, said, 3.0)
    assert blended[zjj] > dict((d.department_id, d.confidence) for d in before.departments).get(zjj, 0.0)

    # a return by the department is a counter-example: its vote no longer carries
    returned = ticket_in(db, actors, Status.returned, now=now, dept="ZJJ", title="地砖", content=f"{HOLES}。")
    _kept(db, returned.id, returned.title, returned.content)
    history.clear_cache()
    after = history.vote(history.examples(db), history.ticket_vector(matching.text_vectors("", HOLES)))
    assert after.strength < said.strength


def test_the_review_shows_matters_returned_most_by_whom_and_why(
    db: Session, matter_list_ready: int, actors: Actors, now: datetime
) -> None:
    lamp = make_ticket(
        db,
        actors,
        now=now,
        title="路灯",
        content="湖心一社区北门外的路灯晚上不亮，已经好几天了",
        category_code=None,
    )
    s = service.route_new_ticket(db, ticket=lamp, now=now)
    assert s is not None and s.department_id == actors.dept_id("CGJ", db)
    wf.dispatch(db, ticket_id=lamp.id, department_id=s.department_id, principal=actors.dispatcher, now=now)
    wf.return_ticket(db, ticket_id=lamp.id, reason="该路段路灯由供电公司管养", principal=actors.cgj, now=now)
    rows = matter_list.review(db)
    top = rows[0]
    assert top.code == "CG-01" and top.dispatched == 1 and top.returned == 1 and top.return_share == 1.0
    assert top.by_department == {"市城市管理局": 1} and top.reasons == ["该路段路灯由供电公司管养"]
