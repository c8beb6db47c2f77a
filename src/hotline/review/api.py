"""HTTP API of the reply review: the score of a ticket's reply, and the centre's review queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.errors import NotFound
from hotline.http.deps import CurrentPrincipal, DbSession, require
from hotline.llm import client as llm
from hotline.llm.client import LlmUnavailable
from hotline.review import quality
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.service import get_ticket
from hotline.tickets.states import Status
from hotline.workflow.service import lead_reply

router = APIRouter(prefix="/api/v1", tags=["review"])
Reviewer = Annotated[Principal, Depends(require(Permission.review_replies))]

CRITIQUE = (
    "你是12345热线的答复质量审核员。对照市民诉求审阅承办单位的答复，指出：是否逐条回应、是否说明做了什么、由谁、何时、"
    "是否引用依据、是否推诿或套话、语气是否礼貌，并给出修改建议。不超过150字。"
)


def review_of(ticket: Ticket, a: Assignment) -> dict[str, Any]:
    r = quality.score(ticket.title, ticket.content, a.reply or "", replied_at=a.replied_at, due_at=a.due_at)
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "title": ticket.title,
        "reply": a.reply,
        "department_id": a.department_id,
        **r.as_dict(),
    }


@router.get("/tickets/{ticket_id}/reply-review")
def reply_review(
    ticket_id: int, db: DbSession, principal: CurrentPrincipal, critique: bool = False
) -> dict[str, Any]:
    """The quality of the department's reply: scores, verdict, flags and what is missing; with
    `critique=true` and a large model configured, a generated critique too."""
    ticket = get_ticket(db, ticket_id=ticket_id, principal=principal)
    a = lead_reply(db, ticket_id=ticket.id)
    if a is None:
        raise NotFound("reply_not_found", id=ticket_id)
    out = review_of(ticket, a)
    if critique and llm.configured():
        try:
            c = llm.chat(
                db,
                purpose="reply_critique",
                max_tokens=300,
                messages=[
                    {"role": "system", "content": CRITIQUE},
                    {
                        "role": "user",
                        "content": f"市民诉求：{ticket.title}。{ticket.content[:2000]}\n答复：{(a.reply or '')[:2000]}",
                    },
                ],
            )
            out["critique"] = {"text": c.text.strip(), "generated": True, "model": c.model}
        except LlmUnavailable as exc:
            out["critique"] = {"text": None, "generated": False, "unavailable": exc.reason}
    return out


@router.get("/review/queue")
def review_queue(
    db: DbSession, _: Reviewer, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[dict[str, Any]]:
    """Replies awaiting the centre's review, the weakest first."""
    items = []
    for ticket in db.scalars(select(Ticket).where(Ticket.status == Status.replied.value).limit(1000)):
        a = lead_reply(db, ticket_id=ticket.id)
        if a is not None:
            items.append(review_of(ticket, a))
    return sorted(items, key=lambda x: x["overall"])[:limit]
