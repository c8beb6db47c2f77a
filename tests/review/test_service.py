"""The review of a reply with the large model's critique: marked generated, and never a critique that
only repeats what the model was told to check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.llm.models import LlmCall
from hotline.review import service
from hotline.tickets.states import Status
from tests.factories import Actors, ticket_in
from tests.fakes.openai_server import FakeOpenAI, completion


def test_a_critique_is_marked_generated_and_an_echo_is_not_shown(
    db: Session, actors: Actors, now: datetime, llm: FakeOpenAI
) -> None:
    ticket = ticket_in(db, actors, Status.replied, now=now)
    llm.reply(
        completion("答复没有说明由谁、何时到现场核查，建议补充办理时间和经办单位。"),
        completion("对照市民诉求审阅承办单位的答复，指出：是否逐条回应、是否说明做了什么、由谁、何时。"),
    )
    first = service.reply_review(db, ticket_id=ticket.id, principal=actors.dispatcher, critique=True)
    assert (
        first.critique is not None
        and first.critique.generated
        and "补充办理时间" in (first.critique.text or "")
    )
    echoed = service.reply_review(db, ticket_id=ticket.id, principal=actors.dispatcher, critique=True)
    assert echoed.critique is not None and echoed.critique.text is None and not echoed.critique.generated
    assert "复述" in (echoed.critique.unavailable or "")
    assert [c.verdict for c in db.query(LlmCall).order_by(LlmCall.id)] == ["passed", "withheld"]
