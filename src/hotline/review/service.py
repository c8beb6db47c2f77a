"""The review of replies (答复质量): a ticket's reply scored, the centre's queue of replies waiting for
review (the weakest first), and a critique by the large model where a centre has one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import texts
from hotline.accounts.principal import Principal
from hotline.errors import NotFound
from hotline.llm import checks
from hotline.llm import client as llm
from hotline.llm.client import LlmUnavailable
from hotline.review import quality
from hotline.review.schemas import Critique, ReplyReview
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.service import get_ticket
from hotline.tickets.states import Status
from hotline.workflow.service import lead_reply

QUEUE_SCAN = 1000  # replied tickets read to find the weakest replies


def review_of(ticket: Ticket, a: Assignment) -> ReplyReview:
    """The scores of the reply an assignment carries."""
    r = quality.score(ticket.title, ticket.content, a.reply or "", replied_at=a.replied_at, due_at=a.due_at)
    return ReplyReview(
        ticket_id=ticket.id,
        number=ticket.number,
        title=ticket.title,
        reply=a.reply,
        department_id=a.department_id,
        **r.as_dict(),
    )


def reply_review(
    session: Session, *, ticket_id: int, principal: Principal, critique: bool = False
) -> ReplyReview:
    """The review of a visible ticket's latest lead reply; with `critique` and a large model
    configured, the model's critique too (or why there is none)."""
    ticket = get_ticket(session, ticket_id=ticket_id, principal=principal)
    a = lead_reply(session, ticket_id=ticket.id)
    if a is None:
        raise NotFound("reply_not_found", id=ticket_id)
    out = review_of(ticket, a)
    if critique and llm.configured():
        out.critique = _critique(session, ticket, a.reply or "")
    return out


def _critique(session: Session, ticket: Ticket, reply: str) -> Critique:
    try:
        c = llm.chat(
            session,
            purpose="reply_critique",
            max_tokens=300,
            messages=[
                {"role": "system", "content": texts.prompt("reply_critique")},
                {
                    "role": "user",
                    "content": f"市民诉求：{ticket.title}。{ticket.content[:2000]}\n答复：{reply[:2000]}",
                },
            ],
        )
    except LlmUnavailable as exc:
        return Critique(text=None, generated=False, unavailable=exc.reason)
    # advice to the reviewer, marked generated; what only repeats the model's instructions is dropped
    prompt = texts.prompt("reply_critique")
    kept = [s for s in checks.sentences(c.text.strip()) if not checks.echo(s, prompt)]
    llm.judged(session, c, passed=bool(kept), reason=None if kept else "模型只复述了审核要求")
    if not kept:
        return Critique(text=None, generated=False, unavailable="模型只复述了审核要求，没有给出意见")
    return Critique(text="".join(kept), generated=True, model=c.model)


def queue(session: Session, *, limit: int = 50) -> list[ReplyReview]:
    """Replies awaiting the centre's review, the weakest first."""
    items = []
    replied = select(Ticket).where(Ticket.status == Status.replied.value).limit(QUEUE_SCAN)
    for ticket in session.scalars(replied):
        a = lead_reply(session, ticket_id=ticket.id)
        if a is not None:
            items.append(review_of(ticket, a))
    return sorted(items, key=lambda x: x.overall)[:limit]
