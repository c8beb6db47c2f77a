"""Hotspots (诉求热点): topics mined from a period's tickets, ranked by a heat index; emerging issues
(a sudden rise against the baseline); repeat requests from one caller or one place.

Mining: each ticket's words (title counted twice) as TF-IDF over the period; two tickets are linked
when their words' cosine, gated by the meaning of their kept sentence vectors as duplicates are
(nlp.textsim.meaning_gate: the same words about another problem do not link), reaches
HOTLINE_HOTSPOT_SIMILARITY, and each connected group of at least two is a topic (what DBSCAN with
min_samples=2 finds, computed a block of rows at a time). A period may span years
("2018-11..2020-01"): a problem that runs across them is then one topic. A topic is named by a
headline made from its most central ticket's title (the form of a request — 关于, 投诉, 请求…关注 —
taken off, cut at a phrase, the topic's area put in front when the title names no place), its most
weighted words and the place words its tickets share.

Ranking is an aggregate over the analytics store (tickets carry their topic), so any period and any
scope ranks in one query; the heat index is

    heat = w_t·ln(1+tickets) + w_p·ln(1+people) + w_s·ln(1+supports) + w_g·max(0, ln((1+recent)/(1+expected)))

where people are distinct callers, supports are 点赞/附议, recent is the number of tickets in the last
7 days of the period and expected what the rest of the period would predict for 7 days
(HOTLINE_HEAT_WEIGHTS)."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.accounts.principal import Principal
from hotline.analytics import facts
from hotline.analytics.models import HotspotRun, TicketTopic, Topic
from hotline.analytics.rates import ALL, Filter, Scope
from hotline.analytics.store import Store
from hotline.config import get_settings
from hotline.db import utcnow
from hotline.errors import NotFound
from hotline.nlp import embedding, textsim
from hotline.nlp.models import TicketVector
from hotline.nlp.text import normalize, tokenize, word_part, words
from hotline.org.models import Area
from hotline.tickets.models import Ticket
from hotline.tickets.service import visible_clause

log = logging.getLogger(__name__)

# words that name a place: a housing estate, a road, a village, a school … (the heads of Chinese place names)
_PLACE = re.compile(
    r"(小区|社区|街道|街|镇|乡|村|组|路|大道|桥|公园|广场|学校|中学|小学|幼儿园|医院|新城|花园|家园|"
    r"苑|府|城|大厦|市场|湖|山庄|园|工业园|楼盘)$"
)
_CODE = re.compile(r"^[a-z0-9]{1,3}$|^.?区.{0,2}$")  # anonymised codes (A5, A3区) and fragments of them
_GENERIC_PLACES = frozenset(
    {"a市", "城市", "市场", "国际", "小区", "社区", "学校", "医院", "公园", "街道", "路"}
)


_NOT_PLACE_START = frozenset(
    {"附近", "旁边", "周边", "门口", "对面", "我们", "居民", "反映", "投诉", "关于", "请", "在"}
)


def _place_words(words: list[str]) -> set[str]:
    """Place names in a ticket's words: a word, or two or three adjacent words, ending in a place head
    (丽发+新城, 滨河+苑), at least three characters long."""
    found = set()
    for n in (1, 2, 3):
        for k in range(len(words) - n + 1):
            parts = words[k : k + n]
            if parts[0] in _NOT_PLACE_START:
                continue
            name = "".join(parts)
            if len(name) >= 3 and _PLACE.search(name) and name not in _GENERIC_PLACES and len(name) <= 12:
                found.add(name)
    return found


def _distinct(names: list[str]) -> list[str]:
    """Drop a name contained in one kept before it (伊景园滨河苑 keeps out 滨河苑)."""
    kept: list[str] = []
    for n in names:
        if not any(n in k or k in n for k in kept):
            kept.append(n)
    return kept


@dataclass(frozen=True)
class Mined:
    run_id: int
    period: str
    tickets: int
    topics: int
    clustered: int
    seconds: float


_LEAD = re.compile(
    r"^(?:关于|有关|投诉|举报|反映|反应|请求|恳请|强烈要求|要求|建议|希望|咨询|求助|请问|呼吁|紧急|实名|再次|"
    r"(?:市|区|各级)?领导(?:关注|重视|过问|解决)?(?:一下)?|请|\d{1,2}[.、．]\s*|[!！?？、，,。.:：\s]+)+"
)
_TAIL = re.compile(r"(?:的问题|问题|的情况|情况|的投诉|的建议|的咨询|的请求|一事|事宜|[!！?？。.，,\s]+)+$")
_HEADLINE_CHARS = 28


def headline(title: str, place: str | None = None) -> str:
    """A topic's name as a leader reads it: what is wrong and where, in a phrase —
    "关于A市丽发新城小区附近搅拌站噪音扰民的投诉！！" → "A市丽发新城小区附近搅拌站噪音扰民"."""
    text = _TAIL.sub("", _LEAD.sub("", title.strip())).strip(" ：:，,") or title.strip()
    if len(text) > _HEADLINE_CHARS:
        cut = max(text.rfind(c, 0, _HEADLINE_CHARS) for c in "，,；;。")
        text = text[:cut] if cut >= 8 else text[:_HEADLINE_CHARS]
    if place and place not in text and not _place_words(words(normalize(text))):
        text = f"{place}：{text}"
    return text


def _texts(rows: Sequence[Any]) -> list[str]:
    out = []
    for r in rows:
        title = word_part(tokenize(r.title or ""))
        body = word_part(tokenize((r.content or "")[:600]))
        out.append(f"{title} {title} {body}")
    return out


CHUNK = 512  # rows of the (sparse) word similarity computed at a time


def cluster(
    texts: list[str], *, similarity: float, vectors: np.ndarray | None = None
) -> tuple[np.ndarray, Any]:
    """Topic labels (-1: no topic) of prepared texts, and their TF-IDF matrix. Two tickets are linked
    when their words' cosine — gated by their meaning's where `vectors` are given (a row of zeros: no
    vector, words alone), as duplicates are (textsim.meaning_gate) — reaches `similarity`; a topic is a
    connected group of at least two (what DBSCAN with min_samples=2 finds), computed a block of rows
    at a time, sparse: memory grows with the pairs that share words, not with every pair."""
    if len(texts) < 2:
        return np.full(len(texts), -1), None
    vec = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=1, max_df=0.5)
    try:
        x = vec.fit_transform(texts)
    except ValueError:  # nothing but common words
        return np.full(len(texts), -1), None
    n = x.shape[0]
    has = None if vectors is None else np.linalg.norm(vectors, axis=1) > 0
    rows_, cols_ = [], []
    for lo in range(0, n, CHUNK):
        # the words' cosines of a block of rows, sparse: only pairs that share a word are held, and
        # the gate only lowers a score, so only those at or above the threshold are read further
        block = (x[lo : lo + CHUNK] @ x.T).tocoo()
        mask = block.data >= similarity - 1e-9
        i, j, v = block.row[mask], block.col[mask], block.data[mask]
        if vectors is not None and has is not None and len(i):
            gate = np.asarray(
                textsim.meaning_gate(np.einsum("ij,ij->i", vectors[i + lo], vectors[j])), dtype=np.float64
            )
            gate[~(has[i + lo] & has[j])] = 1.0  # a ticket without a vector is judged by its words
            keep = v * gate >= similarity - 1e-9
            i, j = i[keep], j[keep]
        other = i + lo != j
        rows_.append(i[other] + lo)
        cols_.append(j[other])
    r, c = np.concatenate(rows_), np.concatenate(cols_)
    graph = sparse.coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp)
    labels = np.where(sizes[comp] >= 2, comp, -1)
    # labels numbered 0.. in order of first appearance
    order = {c: k for k, c in enumerate(dict.fromkeys(int(v) for v in labels if v >= 0))}
    labels = np.array([order[int(v)] if v >= 0 else -1 for v in labels])
    return labels, (x, np.array(vec.get_feature_names_out()))


def _vectors(session: Session, ids: list[int]) -> np.ndarray | None:
    """The tickets' kept sentence vectors (a zero row where one has none yet); None when none has one."""
    if not ids:
        return None
    out = np.zeros((len(ids), embedding.DIM), dtype=np.float32)
    at = {tid: i for i, tid in enumerate(ids)}
    found = 0
    for lo in range(0, len(ids), 5000):
        for tid, vec in session.execute(
            select(TicketVector.ticket_id, TicketVector.vector).where(
                TicketVector.ticket_id.in_(ids[lo : lo + 5000]), TicketVector.model == embedding.MODEL_NAME
            )
        ):
            out[at[tid]] = np.frombuffer(vec, dtype=np.float16)
            found += 1
    return out if found else None


def mine(
    session: Session,
    *,
    period: str,
    start: date,
    end: date,
    store: Store | None = None,
    now: datetime | None = None,
) -> Mined:
    """Mine the topics of a period's tickets, replacing those of earlier runs of the same period, and
    re-take the facts of the months concerned."""
    import time

    t0 = time.perf_counter()
    s = get_settings()
    now = now or utcnow()
    tz = ZoneInfo(s.timezone)
    lo = datetime(start.year, start.month, start.day, tzinfo=tz).astimezone(UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC)
    rows = session.execute(
        select(Ticket.id, Ticket.title, Ticket.content, Ticket.area_id, Ticket.category_id, Ticket.created_at)
        .where(Ticket.created_at >= lo, Ticket.created_at < hi)
        .order_by(Ticket.id)
    ).all()
    ids = [r.id for r in rows]
    vectors = _vectors(session, ids)
    labels, model = cluster(_texts(rows), similarity=s.hotspot_similarity, vectors=vectors)
    for old in session.scalars(select(HotspotRun).where(HotspotRun.period == period)):
        session.execute(
            delete(TicketTopic).where(
                TicketTopic.topic_id.in_(select(Topic.id).where(Topic.run_id == old.id))
            )
        )
        session.execute(delete(Topic).where(Topic.run_id == old.id))
        session.delete(old)
    if ids:
        session.execute(delete(TicketTopic).where(TicketTopic.ticket_id.in_(ids)))
    run = HotspotRun(
        period=period,
        start_at=lo,
        end_at=hi,
        created_at=now,
        n_tickets=len(rows),
        n_topics=0,
        params={
            "similarity": s.hotspot_similarity,
            "method": "tfidf×meaning-graph" if vectors is not None else "tfidf-graph",
            "meaning": None if vectors is None else embedding.MODEL_NAME,
        },
    )
    session.add(run)
    session.flush()
    area_names = dict(session.execute(select(Area.id, Area.name)).all())
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), []).append(i)
    clustered = 0
    for members in groups.values():
        x, vocab = model
        sub = x[members]
        centroid = np.asarray(sub.mean(axis=0)).ravel()
        sims = np.asarray(sub @ centroid).ravel()
        central = members[int(np.argmax(sims))]
        top_terms = [str(vocab[j]) for j in np.argsort(-centroid)[:8] if centroid[j] > 0]
        places: Counter[str] = Counter()
        for i in members:
            places.update(_place_words(_texts([rows[i]])[0].split()))
        ranked = sorted(places.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))
        place_words = _distinct([w for w, n in ranked if n >= 2])[:2]
        areas = Counter(rows[i].area_id for i in members if rows[i].area_id)
        cats = Counter(rows[i].category_id for i in members if rows[i].category_id)
        area_id = areas.most_common(1)[0][0] if areas else None
        place = "、".join(place_words) or (area_names.get(area_id) if area_id else None)
        topic = Topic(
            run_id=run.id,
            # the unit's area only: place words mined from text are too rough to head a name
            title=headline(rows[central].title or "", area_names.get(area_id) if area_id else None)[:200],
            keywords=[t for t in top_terms if t not in place_words and not _CODE.match(t)][:6],
            place=place[:200] if place else None,
            area_id=area_id,
            category_id=cats.most_common(1)[0][0] if cats else None,
            size=len(members),
            example_ticket_id=rows[central].id,
        )
        session.add(topic)
        session.flush()
        for k, i in enumerate(members):
            session.add(
                TicketTopic(ticket_id=rows[i].id, topic_id=topic.id, similarity=round(float(sims[k]), 4))
            )
        clustered += len(members)
    run.n_topics = len(groups)
    session.flush()
    store = store or Store()
    months = {facts.month_of(r.created_at, tz) for r in rows}
    facts.mark_dirty(store, months)
    return Mined(run.id, period, len(rows), len(groups), clustered, time.perf_counter() - t0)


def top(
    con: duckdb.DuckDBPyConnection,
    flt: Filter,
    *,
    limit: int = 20,
    min_tickets: int | None = None,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """The hottest topics of the filter's period, with their figures and the heat index."""
    s = get_settings()
    w = s.heat_weights
    days = (flt.end - flt.start).days
    recent_from = flt.end - timedelta(days=7)
    clauses = ["t.day >= ?", "t.day < ?", "t.topic_id IS NOT NULL"]
    params: list[Any] = [flt.start, flt.end]
    more, values = scope.sql(prefix="t.")
    clauses += more
    params += values
    from hotline.analytics.rates import dimensions

    for dim, value in flt.where.items():
        clauses.append(f"t.{dimensions()[dim].columns['tickets']} = ?")
        params.append(value)
    rest_days = max(days - 7, 1)
    sql = f"""
    WITH g AS (
      SELECT t.topic_id,
             COUNT(*) AS tickets,
             COUNT(DISTINCT coalesce(t.caller_hash, CAST(t.ticket_id AS VARCHAR))) AS people,
             SUM(t.supports) AS supports,
             MIN(t.created_at) AS first_at, MAX(t.created_at) AS last_at,
             COUNT(*) FILTER (WHERE t.day >= ?) AS recent,
             COUNT(*) FILTER (WHERE NOT t.closed) AS open,
             mode(t.district_id) AS district_id,
             mode(t.category_l1_id) AS category_l1_id
      FROM tickets t WHERE {" AND ".join(clauses)}
      GROUP BY t.topic_id HAVING COUNT(*) >= ?
    )
    SELECT g.*, d.title, d.keywords, d.place, a.name AS district, c.name AS category,
           (? * ln(1 + tickets) + ? * ln(1 + people) + ? * ln(1 + supports)
            + ? * greatest(0, ln((1 + recent) / (1 + (tickets - recent) * 7.0 / ?)))) AS heat
    FROM g LEFT JOIN dim_topics d ON d.id = g.topic_id
    LEFT JOIN dim_areas a ON a.id = g.district_id
    LEFT JOIN dim_categories c ON c.id = g.category_l1_id
    ORDER BY heat DESC, tickets DESC LIMIT ?
    """
    args = [
        recent_from,
        *params,
        min_tickets if min_tickets is not None else s.hotspot_min_tickets,
        w.get("tickets", 1.0),
        w.get("people", 1.0),
        w.get("supports", 0.5),
        w.get("growth", 1.0) if days > 7 else 0.0,
        rest_days,
        limit,
    ]
    cur = con.execute(sql, args)
    cols = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        row = dict(zip(cols, r, strict=True))
        row["heat"] = round(float(row["heat"]), 3)
        row["keywords"] = (row["keywords"] or "").split()
        row["span_days"] = round((row["last_at"] - row["first_at"]).total_seconds() / 86400, 1)
        out.append(row)
    return out


def members(
    session: Session, *, topic_id: int, limit: int = 20, principal: Principal | None = None
) -> dict[str, Any]:
    """A topic with its tickets, most central first (only those the principal may see, when given)."""
    topic = session.get(Topic, topic_id)
    if topic is None:
        raise NotFound("topic_not_found", id=topic_id)
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.title,
            Ticket.created_at,
            Ticket.status,
            Ticket.supports,
            TicketTopic.similarity,
        )
        .join(TicketTopic, TicketTopic.ticket_id == Ticket.id)
        .where(
            TicketTopic.topic_id == topic_id, *([visible_clause(principal)] if principal is not None else [])
        )
        .order_by(TicketTopic.similarity.desc(), Ticket.id)
        .limit(limit)
    ).all()
    return {
        "id": topic.id,
        "title": topic.title,
        "keywords": topic.keywords,
        "place": topic.place,
        "size": topic.size,
        "tickets": [r._asdict() for r in rows],
    }


def emerging(
    con: duckdb.DuckDBPyConnection,
    *,
    end: date,
    by: str = "district",
    window_days: int = 7,
    baseline_weeks: int = 8,
    min_count: int = 5,
    z: float = 3.0,
    scope: Scope = ALL,
) -> list[dict[str, Any]]:
    """Problems (third-level category × district or street) rising suddenly: the count of the last
    window against the mean of the same window over the baseline weeks before, flagged when the count
    is at least min_count and z = (count − mean) / sqrt(mean + 1) reaches z."""
    col = {"district": "district_id", "street": "street_id"}[by]
    start = end - timedelta(days=window_days)
    base_start = start - timedelta(days=7 * baseline_weeks)
    clauses, params = scope.sql()
    extra = (" AND " + " AND ".join(clauses)) if clauses else ""
    sql = f"""
    WITH w AS (
      SELECT category_id, {col} AS place,
             COUNT(*) FILTER (WHERE day >= ?) AS recent,
             COUNT(*) FILTER (WHERE day < ?) * 1.0 / ? AS baseline
      FROM tickets
      WHERE day >= ? AND day < ? AND category_id IS NOT NULL AND {col} IS NOT NULL{extra}
      GROUP BY category_id, place
    )
    SELECT w.*, (recent - baseline) / sqrt(baseline + 1) AS z, c.full_name AS category, a.name AS place_name
    FROM w LEFT JOIN dim_categories c ON c.id = w.category_id LEFT JOIN dim_areas a ON a.id = w.place
    WHERE recent >= ? AND (recent - baseline) / sqrt(baseline + 1) >= ?
    ORDER BY z DESC LIMIT 50
    """
    cur = con.execute(sql, [start, start, baseline_weeks, base_start, end, *params, min_count, z])
    cols = [d[0] for d in cur.description]
    return [
        dict(zip(cols, r, strict=True)) | {"baseline": round(r[3], 2), "z": round(r[4], 2)}
        for r in cur.fetchall()
    ]


def repeats(
    con: duckdb.DuckDBPyConnection, flt: Filter, *, min_tickets: int = 3, scope: Scope = ALL, limit: int = 50
) -> dict[str, list[dict[str, Any]]]:
    """Repeat requests (重复诉求): callers with several tickets in the period, and places (area ×
    third-level category) with several tickets."""
    clauses = ["t.day >= ?", "t.day < ?"]
    params: list[Any] = [flt.start, flt.end]
    more, values = scope.sql(prefix="t.")
    clauses += more
    params += values
    where = " AND ".join(clauses)
    callers = con.execute(
        f"SELECT caller_hash, COUNT(*) AS tickets, COUNT(DISTINCT category_id) AS categories, "
        f"list(number ORDER BY created_at) AS numbers, MIN(created_at), MAX(created_at) "
        f"FROM tickets t WHERE {where} AND caller_hash IS NOT NULL GROUP BY caller_hash "
        f"HAVING COUNT(*) >= ? ORDER BY tickets DESC LIMIT ?",
        [*params, min_tickets, limit],
    ).fetchall()
    places = con.execute(
        f"SELECT t.area_id, a.name, t.category_id, c.full_name, COUNT(*) AS tickets, "
        f"COUNT(DISTINCT coalesce(caller_hash, CAST(ticket_id AS VARCHAR))) AS people, "
        f"list(number ORDER BY created_at) AS numbers "
        f"FROM tickets t LEFT JOIN dim_areas a ON a.id = t.area_id LEFT JOIN dim_categories c ON c.id = t.category_id "
        f"WHERE {where} AND t.area_id IS NOT NULL AND t.category_id IS NOT NULL "
        f"GROUP BY t.area_id, a.name, t.category_id, c.full_name HAVING COUNT(*) >= ? ORDER BY tickets DESC LIMIT ?",
        [*params, min_tickets, limit],
    ).fetchall()
    return {
        "callers": [
            {
                "caller": f"caller-{r[0][:8]}",  # a stable pseudonym, never the number
                "tickets": r[1],
                "categories": r[2],
                "numbers": r[3][:20],
                "first_at": r[4],
                "last_at": r[5],
            }
            for r in callers
        ],
        "places": [
            {
                "area_id": r[0],
                "area": r[1],
                "category_id": r[2],
                "category": r[3],
                "tickets": r[4],
                "people": r[5],
                "numbers": r[6][:20],
            }
            for r in places
        ],
    }
