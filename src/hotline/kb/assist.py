"""Help for the people handling a ticket: the summary and key fields (工单摘要) for operators, a draft
reply for departments. Offline by default (extractive, from the text and the KB); with a large model
configured, generated text is offered instead, always marked as generated and editable."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from hotline import texts
from hotline.categories.models import Category
from hotline.kb import qa
from hotline.llm import client as llm
from hotline.llm.client import LlmUnavailable
from hotline.nlp.text import normalize, stopwords, words
from hotline.org.models import Area, Department
from hotline.tickets.models import Ticket

log = logging.getLogger(__name__)

_SENTENCES = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_WHEN = re.compile(
    r"\d{4}年\d{1,2}月(\d{1,2}[日号])?|\d{1,2}月\d{1,2}[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
    r"(今天|昨天|前天|上周|本周|上个月|这个月|近期|最近|每天|每晚|晚上|凌晨|早上|中午|下午)(\d{1,2}[点时])?|\d{1,2}[点时]\d{0,2}分?"
)
_WHO = re.compile(
    r"业主|租户|家长|学生|老人|农民工|工人|员工|商户|店主|患者|病人|司机|乘客|村民|居民|残疾人|退休人员|消费者"
)
_DEMAND = re.compile(r"请求|恳请|希望|要求|请.{0,6}(处理|解决|核实|调查|查处|整改|维修|帮助)|能否|是否")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(normalize(text)) if len(s.strip()) >= 4]


def extractive_summary(title: str, content: str, *, max_chars: int = 120) -> str:
    """The title and the content's most central sentences (word overlap with the whole), in order."""
    sentences = _sentences(content)
    if not sentences:
        return title
    stop = stopwords()
    freq = Counter(w for w in words(normalize(title + content)) if w not in stop and len(w) > 1)
    scored = []
    for i, s in enumerate(sentences):
        ws = {w for w in words(s) if w in freq}
        scored.append((sum(freq[w] for w in ws) / (1 + len(s) / 40), i))
    picked: list[int] = []
    length = 0
    for _, i in sorted(scored, reverse=True):
        if length + len(sentences[i]) > max_chars and picked:
            continue
        picked.append(i)
        length += len(sentences[i])
    body = "".join(sentences[i] for i in sorted(picked))
    return f"{title}：{body}" if title and not body.startswith(title) else body


def key_fields(session: Session, ticket: Ticket) -> dict[str, Any]:
    text = normalize(f"{ticket.title}。{ticket.content}")
    where = ticket.address
    if ticket.area_id:
        area = session.get(Area, ticket.area_id)
        where = f"{area.name}{('，' + ticket.address) if ticket.address else ''}" if area else where
    category = session.get(Category, ticket.category_id) if ticket.category_id else None
    who = list(dict.fromkeys(_WHO.findall(text)))[:3]
    demand = next((s for s in _sentences(ticket.content) if _DEMAND.search(s)), None)
    return {
        "who": "、".join(who) if who else "市民",
        "where": where,
        "what": category.full_name if category else ticket.title,
        "when": list(dict.fromkeys(m.group(0) for m in _WHEN.finditer(text)))[:3],
        "demand": demand,
    }


def _field(value: Any, *, listed: bool = False) -> Any:
    """A key field as the model gave it, in the shape of the offline one: text (a list joined), or for
    `when` a list of texts; nothing usable is None."""
    if value in (None, "", "null", [], {}):
        return None
    items = value if isinstance(value, list) else [value]
    texts_ = [str(v).strip() for v in items if v not in (None, "", "null") and not isinstance(v, dict)]
    if not texts_:
        return None
    return texts_ if listed else "、".join(texts_)


def summarize(session: Session, ticket: Ticket, *, use_llm: bool = True) -> dict[str, Any]:
    fields = key_fields(session, ticket)
    offline = {
        "summary": extractive_summary(ticket.title, ticket.content),
        "fields": fields,
        "generated": False,
        "method": "extractive",
        "editable": True,
    }
    if not (use_llm and llm.configured()):
        return offline
    try:
        completion = llm.chat(
            session,
            purpose="summary",
            json_mode=True,
            max_tokens=300,
            messages=[
                {"role": "system", "content": texts.prompt("ticket_summary")},
                {
                    "role": "user",
                    "content": f"标题：{ticket.title}\n内容：{ticket.content[:3000]}\n地址：{ticket.address or '无'}",
                },
            ],
        )
        reply = completion.json()
        summary = str(reply.get("summary") or "").strip()
        if not summary:
            raise LlmUnavailable("empty summary")
        generated = {
            k: _field(reply.get(k), listed=k == "when") for k in ("who", "where", "what", "when", "demand")
        }
        return {
            "summary": summary[:300],
            "fields": {
                k: generated[k] if generated[k] not in (None, "", "null") else fields[k] for k in fields
            },
            "generated": True,
            "method": "llm",
            "model": completion.model,
            "editable": True,
            "extractive_summary": offline["summary"],
        }
    except LlmUnavailable as exc:
        log.info("summary fell back to extractive: %s", exc.reason)
        return offline


FILL = re.compile(r"【待填写：([^】]+)】")


def _first(category: Category) -> str:
    return category.full_name.split("/", 1)[0]


def basis_for(session: Session, ticket: Ticket) -> qa.Reading:
    """The KB passages that bear on this request: only an article the answerability model says answers
    it, and (where the article files under a category) of the request's own first-level category."""
    reading = qa.read(session, f"{ticket.title} {ticket.content}")
    if not reading.passages:
        return reading
    article_category = reading.passages[0].doc.meta.get("category_id")
    if article_category is not None and ticket.category_id is not None:
        mine = session.get(Category, ticket.category_id)
        theirs = session.get(Category, article_category)
        if mine is not None and theirs is not None and _first(mine) != _first(theirs):
            return qa.Reading(passages=[], probability=reading.probability, hits=reading.hits)
    return reading


def draft_reply(
    session: Session, ticket: Ticket, *, department_id: int | None, use_llm: bool = True
) -> dict[str, Any]:
    """A draft reply: the KB basis that matches the request (quoted, never invented), how similar
    tickets of the same place and matter were answered, offline template or LLM; and what the
    department still has to fill in."""
    query = f"{ticket.title} {ticket.content}"
    basis = basis_for(session, ticket).passages
    precedents = qa.similar_tickets(
        session,
        query,
        k=3,
        department_id=department_id,
        area_id=ticket.area_id,
        category_id=ticket.category_id,
        exclude=ticket.id,
    )
    dept = session.get(Department, department_id) if department_id else None
    # one article answers (qa.read): named once, with the passages used in its order
    sources = [
        {"article_id": src.article_id, "title": src.title, "text": src.text} for src in qa.sources_of(basis)
    ]
    similar = [
        {
            "ticket_id": h.doc.meta["ticket_id"],
            "number": h.doc.meta["number"],
            "title": h.doc.meta["title"],
            "reply": h.doc.meta["reply"],
            "place": h.doc.meta["place"],
            "satisfaction": h.doc.meta["satisfaction"],
        }
        for h in precedents
    ]
    if use_llm and llm.configured():
        try:
            refs = "\n".join(f"《{s['title']}》：{s['text']}" for s in sources) or "无"
            cases = "\n".join(f"类似工单「{s['title']}」的答复：{s['reply']}" for s in similar) or "无"
            completion = llm.chat(
                session,
                purpose="draft_reply",
                max_tokens=600,
                messages=[
                    {"role": "system", "content": texts.prompt("reply_draft")},
                    {
                        "role": "user",
                        "content": f"承办单位：{dept.name if dept else '（本单位）'}\n工单标题：{ticket.title}\n"
                        f"工单内容：{ticket.content[:2500]}\n政策依据：\n{refs}\n参考案例：\n{cases}",
                    },
                ],
            )
            text = completion.text.strip()
            if text:
                return {
                    "draft": text,
                    "generated": True,
                    "method": "llm",
                    "model": completion.model,
                    "editable": True,
                    "sources": sources,
                    "similar": similar,
                    "to_fill": list(dict.fromkeys(FILL.findall(text))),
                }
        except LlmUnavailable as exc:
            log.info("draft reply fell back to the template: %s", exc.reason)
    if sources:
        # the KB's own words, under the article's name: a basis the department can check, not one made up
        title = sources[0]["title"]
        quoted = str(sources[0]["text"]).replace("\n", "")
        basis_line = f"根据知识库《{title}》：{quoted}【待填写：核实上述口径是否适用本件】"
    else:
        basis_line = "【待填写：政策依据（知识库中没有与本事项相符的条目）】"
    draft = (
        f"市民您好！您反映的“{ticket.title}”问题已收悉。"
        f"{dept.name if dept else '我单位'}高度重视，于【待填写：日期】安排【待填写：人员】进行了核查。"
        f"经核查，【待填写：核查情况】。针对您的诉求，我们已【待填写：采取的措施】，预计于【待填写：时间】前办结。"
        f"{basis_line}如有疑问，可拨打【待填写：联系电话】或12345热线。感谢您对我们工作的理解和支持！"
    )
    return {
        "draft": draft,
        "generated": False,
        "method": "template",
        "editable": True,
        "sources": sources,
        "similar": similar,
        "to_fill": list(dict.fromkeys(FILL.findall(draft))),
    }
