"""Search and answer: the KB index and the past-ticket index (rebuilt when their sources change),
extractive answers that name their sources, and grounded large-model answers that cite them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from hotline import texts
from hotline.db import utcnow
from hotline.kb.enums import ArticleKind, ArticleStatus
from hotline.kb.models import Article, Passage
from hotline.kb.schemas import AnswerOut, Source
from hotline.kb.search import Doc, Hit, SearchIndex
from hotline.llm import client as llm
from hotline.llm.client import LlmUnavailable
from hotline.org.models import Department
from hotline.tickets.enums import AssignmentRole
from hotline.tickets.models import Assignment, Ticket
from hotline.tickets.states import Status

log = logging.getLogger(__name__)

# a passage answers a question only if it holds at least this share of the question's known topic
# words (words the KB has seen, not generic ones like 申请, 办理, 多久)
MIN_COVERAGE = 0.5
TICKET_INDEX_TTL = 120.0  # seconds a changed ticket history may wait before the index is rebuilt
DONT_KNOW = "抱歉，知识库中暂未找到能回答这个问题的内容。您可以提交诉求，我们会转交相关部门答复。"
RESOLVED = (Status.follow_up, Status.closed)

_lock = threading.Lock()
_kb: tuple[tuple[Any, ...], SearchIndex] | None = None
_tickets: tuple[tuple[Any, ...], float, SearchIndex] | None = None


def kb_index(session: Session) -> SearchIndex:
    """The index of every published article's passages (validity is checked per query)."""
    global _kb
    key = tuple(
        session.execute(
            select(func.count(Article.id), func.max(Article.updated_at), func.max(Article.id)).where(
                Article.status == ArticleStatus.published.value
            )
        ).one()
    )
    with _lock:
        if _kb is not None and _kb[0] == key:
            return _kb[1]
    rows = session.execute(
        select(Passage, Article)
        .join(Article, Article.id == Passage.article_id)
        .where(Article.status == ArticleStatus.published.value)
        .order_by(Passage.article_id, Passage.ordinal)
    ).all()
    docs = [
        Doc(
            key=p.id,
            # the title once per article (its first passage), so it does not outweigh every passage's own words
            text=f"{a.title if p.ordinal == 0 else ''} {p.heading or ''} {p.text}",
            context=a.title,
            meta={
                "article_id": a.id,
                "title": a.title,
                "heading": p.heading,
                "text": p.text,
                "kind": a.kind,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
            },
        )
        for p, a in rows
    ]
    # short questions against short passages: bigrams in the ranking help where words were cut
    # differently; long ticket texts rank better on words alone (bench/qa.py)
    index = SearchIndex(docs, bigrams_in_ranking=True)
    with _lock:
        _kb = (key, index)
    return index


def ticket_index(session: Session, *, max_age: float = TICKET_INDEX_TTL) -> SearchIndex:
    """The index of resolved tickets with how they were resolved (rebuilt at most every `max_age` s)."""
    global _tickets
    key = tuple(
        session.execute(
            select(func.count(Ticket.id), func.max(Ticket.updated_at)).where(
                Ticket.status.in_([s.value for s in RESOLVED])
            )
        ).one()
    )
    with _lock:
        if _tickets is not None and (_tickets[0] == key or time.monotonic() - _tickets[1] < max_age):
            return _tickets[2]
    replies = dict(
        session.execute(
            select(Assignment.ticket_id, Assignment.reply)
            .join(Ticket, Ticket.id == Assignment.ticket_id)
            .where(
                Ticket.status.in_([s.value for s in RESOLVED]),
                Assignment.role == AssignmentRole.lead.value,
                Assignment.reply.is_not(None),
            )
            .order_by(Assignment.id)
        ).all()
    )
    depts = dict(session.execute(select(Department.id, Department.name)).all())
    docs = []
    resolved = (
        select(Ticket)
        .where(Ticket.status.in_([s.value for s in RESOLVED]))
        # only what the index keeps: the citizen's encrypted phone and ID number are not decrypted
        .options(
            load_only(
                Ticket.number,
                Ticket.title,
                Ticket.content,
                Ticket.answer,
                Ticket.answered_directly,
                Ticket.lead_department_id,
                Ticket.satisfaction,
                Ticket.closed_at,
            )
        )
    )
    for t in session.scalars(resolved):
        reply = t.answer if t.answered_directly else replies.get(t.id)
        if not reply:
            continue
        docs.append(
            Doc(
                key=t.id,
                text=f"{t.title} {t.content}",
                meta={
                    "ticket_id": t.id,
                    "number": t.number,
                    "title": t.title,
                    "content": t.content[:300],
                    "reply": reply[:600],
                    "answered_directly": t.answered_directly,
                    "department_id": t.lead_department_id,
                    "department": depts.get(t.lead_department_id) if t.lead_department_id else None,
                    "satisfaction": t.satisfaction,
                    "closed_at": t.closed_at,
                },
            )
        )
    index = SearchIndex(docs)
    with _lock:
        _tickets = (key, time.monotonic(), index)
    return index


def reset_indexes() -> None:
    global _kb, _tickets
    with _lock:
        _kb = _tickets = None


def _served(now: datetime) -> Callable[[Doc], bool]:
    def keep(doc: Doc) -> bool:
        vf, vt = doc.meta["valid_from"], doc.meta["valid_to"]
        return (vf is None or vf <= now) and (vt is None or vt > now)

    return keep


def answers(hit: Hit) -> bool:
    """Whether a passage holds enough of a question to answer it."""
    return hit.coverage >= MIN_COVERAGE and bool(hit.matched)


def search_kb(session: Session, query: str, *, k: int = 5, now: datetime | None = None) -> list[Hit]:
    """The best passages of articles served now."""
    return kb_index(session).search(query, k=k, keep=_served(now or utcnow()))


def similar_tickets(
    session: Session, text: str, *, k: int = 5, department_id: int | None = None
) -> list[Hit]:
    """Resolved tickets most like this text, with their replies (optionally one department's only)."""
    keep = (lambda d: d.meta["department_id"] == department_id) if department_id is not None else None
    return ticket_index(session).search(text, k=k, keep=keep)


def _source(hit: Hit) -> Source:
    m = hit.doc.meta
    return Source(
        article_id=m["article_id"],
        title=m["title"],
        passage_id=hit.doc.key,
        heading=m["heading"],
        text=m["text"],
        score=round(hit.score, 4),
    )


def answer(
    session: Session, question: str, *, use_llm: bool = True, now: datetime | None = None
) -> AnswerOut:
    """Answer from the KB with sources, or say honestly that the KB does not know."""
    # the passage that holds most of the question answers it; the retrieval score breaks ties
    hits = sorted(
        (h for h in search_kb(session, question, k=8, now=now) if answers(h)),
        key=lambda h: (-h.coverage, -h.score),
    )
    if not hits:
        return AnswerOut(
            answered=False,
            answer=None,
            sources=[],
            generated=False,
            method="none",
            message=DONT_KNOW,
            offer_ticket=True,
        )
    sources = [_source(h) for h in hits[:3]]
    if use_llm and llm.configured():
        try:
            return _rag(session, question, hits[:4])
        except LlmUnavailable as exc:
            log.info("grounded answer fell back to extractive: %s", exc.reason)
    best = hits[0].doc.meta
    text = best["text"]
    if best["kind"] == ArticleKind.faq:
        text = f"{best['title']}\n{text}"
    return AnswerOut(answered=True, answer=text, sources=sources, generated=False, method="extractive")


def _rag(session: Session, question: str, hits: list[Hit]) -> AnswerOut:
    numbered = "\n".join(
        f"[{i}] 《{h.doc.meta['title']}》{('·' + h.doc.meta['heading']) if h.doc.meta['heading'] else ''}：{h.doc.meta['text']}"
        for i, h in enumerate(hits, start=1)
    )
    completion = llm.chat(
        session,
        purpose="answer",
        json_mode=True,
        messages=[
            {"role": "system", "content": texts.prompt("kb_answer")},
            {"role": "user", "content": f"资料：\n{numbered}\n\n市民问题：{question}"},
        ],
    )
    reply = completion.json()
    if not reply.get("answerable"):
        return AnswerOut(
            answered=False,
            answer=None,
            sources=[],
            generated=True,
            method="llm",
            message=DONT_KNOW,
            offer_ticket=True,
        )
    text = str(reply.get("answer") or "").strip()
    cited = reply.get("citations") or []
    if not text or not isinstance(cited, list) or not cited:
        raise LlmUnavailable("answer without citations")
    try:
        numbers = sorted({int(c) for c in cited})
    except (TypeError, ValueError) as exc:
        raise LlmUnavailable("citations are not passage numbers") from exc
    if any(n < 1 or n > len(hits) for n in numbers):
        raise LlmUnavailable("the answer cites a passage it was not given")
    return AnswerOut(
        answered=True,
        answer=text,
        sources=[_source(hits[n - 1]) for n in numbers],
        generated=True,
        method="llm",
    )
