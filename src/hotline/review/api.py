"""HTTP API of the reply review: the score of a ticket's reply, and the centre's review queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from hotline.accounts.policy import Permission
from hotline.accounts.principal import Principal
from hotline.http.deps import CurrentPrincipal, DbSession, PageSize, require
from hotline.review import service
from hotline.review.schemas import ReplyReview

router = APIRouter(prefix="/api/v1", tags=["review"])
Reviewer = Annotated[Principal, Depends(require(Permission.review_replies))]


@router.get("/tickets/{ticket_id}/reply-review", response_model=ReplyReview)
def reply_review(
    ticket_id: int, db: DbSession, principal: CurrentPrincipal, critique: bool = False
) -> ReplyReview:
    """The quality of the department's reply: scores, verdict, flags and what is missing; with
    `critique=true` and a large model configured, a generated critique too."""
    return service.reply_review(db, ticket_id=ticket_id, principal=principal, critique=critique)


@router.get("/review/queue", response_model=list[ReplyReview])
def review_queue(db: DbSession, _: Reviewer, limit: PageSize = 50) -> list[ReplyReview]:
    """Replies awaiting the centre's review, the weakest first."""
    return service.queue(db, limit=limit)
