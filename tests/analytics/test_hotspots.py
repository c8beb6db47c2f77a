"""Hotspots: topics mined from real-looking requests, ranked by the documented heat index; emerging
issues against their baseline; repeat callers and places."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.analytics import facts, hotspots, service
from hotline.analytics.models import HotspotRun
from hotline.analytics.rates import Filter
from hotline.analytics.store import Store
from hotline.tickets.schemas import CitizenIn
from tests import factories

MIXER = [
    "丽发新城小区附近搅拌站噪音扰民，每天早上六点就开始轰鸣，严重影响居民休息",
    "丽发新城小区旁边违建搅拌站噪音粉尘扰民，孩子老人无法正常生活",
    "丽发新城小区附近的搅拌站灰尘噪音太大，窗户都不敢开，请查处",
    "丽发新城小区居民反映附近搅拌站夜间噪音扰民，希望尽快搬迁",
]
PARKING = [
    "伊景园滨河苑开发商捆绑销售车位，不买车位就不能买房，是否合法",
    "投诉伊景园滨河苑强制捆绑销售车位，每个车位十二万，职工不堪重负",
    "伊景园滨河苑购房必须捆绑购买车位，请政府查处开发商违规销售",
]
OTHERS = [
    "咨询社保卡丢失后如何补办，需要带哪些材料",
    "公交12路晚上班次太少，等车要四十分钟",
    "学校门口早高峰拥堵，建议增加交警疏导",
    "小区电梯经常困人，物业维修不及时",
    "菜市场门口占道经营，行人无法通行",
]
SEPT = Filter(date(2026, 9, 1), date(2026, 10, 1))


def _add(
    db: Session, a: factories.Actors, texts: list[str], when: datetime, phone_base: int, **kw: object
) -> list[int]:
    ids = []
    for i, text in enumerate(texts):
        t = factories.make_ticket(
            db,
            a,
            now=when + timedelta(minutes=i),
            title=text[:16],
            content=text,
            citizen=CitizenIn(name="市民", phone=f"139{phone_base + i:08d}"),
            **kw,
        )
        ids.append(t.id)
    return ids


def test_topics_are_mined_and_ranked_by_heat(
    db: Session, actors: factories.Actors, store: Store, now: datetime
) -> None:
    mixer = _add(db, actors, MIXER, now, 1000)
    parking = _add(db, actors, PARKING, now, 2000)
    _add(db, actors, OTHERS, now, 3000)
    for tid in parking:  # many people supported the parking complaints
        from hotline.tickets.models import Ticket

        ticket = db.get(Ticket, tid)
        assert ticket is not None
        ticket.supports = 20
    db.flush()
    mined = hotspots.mine(db, period="2026-09", start=SEPT.start, end=SEPT.end, store=store, now=now)
    assert (mined.tickets, mined.topics, mined.clustered) == (12, 2, 7)
    facts.refresh(db, store, now=now + timedelta(hours=1))
    top = hotspots.top(store.connect(), SEPT)
    assert [h["tickets"] for h in top] == [3, 4]  # the supported one is hotter
    hot = top[0]
    assert "车位" in hot["title"] + " ".join(hot["keywords"])
    assert (hot["people"], hot["supports"], hot["recent"]) == (3, 60, 0)
    assert hot["heat"] == pytest.approx(math.log(4) + math.log(4) + 0.5 * math.log(61), abs=1e-3)
    detail = hotspots.members(db, topic_id=hot["topic_id"])
    assert {t["id"] for t in detail["tickets"]} == set(parking)
    # a department sees only its own tickets of a topic (none of these were sent to 城管局)
    assert hotspots.members(db, topic_id=hot["topic_id"], principal=actors.cgj)["tickets"] == []
    assert len(hotspots.members(db, topic_id=hot["topic_id"], principal=actors.leader)["tickets"]) == 3
    mixer_topic = hotspots.members(db, topic_id=top[1]["topic_id"])
    assert {t["id"] for t in mixer_topic["tickets"]} == set(mixer)
    assert "搅拌站" in mixer_topic["title"] and "丽发" in (mixer_topic["place"] or "")

    # mining again replaces the period's topics; nothing is counted twice
    again = hotspots.mine(db, period="2026-09", start=SEPT.start, end=SEPT.end, store=store, now=now)
    facts.refresh(db, store, now=now + timedelta(hours=2))
    assert db.scalar(select(func.count()).select_from(HotspotRun).where(HotspotRun.period == "2026-09")) == 1
    assert again.topics == 2
    assert [h["tickets"] for h in hotspots.top(store.connect(), SEPT)] == [3, 4]
    assert hotspots.top(store.connect(), SEPT, min_tickets=4)[0]["tickets"] == 4


def test_a_problem_that_runs_across_years_is_one_topic(
    db: Session, actors: factories.Actors, store: Store
) -> None:
    """The mixing plant complained of from November to January: mined year by year its halves are
    topics of two tickets at most, none a hotspot; mined over the span, one topic of four."""
    nov = datetime(2018, 11, 20, 9, tzinfo=UTC)
    jan = datetime(2019, 1, 15, 9, tzinfo=UTC)
    first = _add(db, actors, MIXER[:2], nov, 1000)
    second = _add(db, actors, MIXER[2:], jan, 2000)
    _add(db, actors, OTHERS, nov, 3000)
    for year in ("2018", "2019"):
        start, end = service.period_range(year)
        hotspots.mine(db, period=year, start=start, end=end, store=store)
    facts.refresh(db, store)
    span = Filter(date(2018, 11, 1), date(2019, 2, 1))
    assert hotspots.top(store.connect(), span) == []  # two halves, each under the 3 tickets of a hotspot
    split = hotspots.top(store.connect(), span, min_tickets=2)
    assert split and all(h["tickets"] == 2 for h in split)
    start, end = service.period_range("2018-11..2019-01")
    mined = hotspots.mine(db, period="2018-11..2019-01", start=start, end=end, store=store)
    assert mined.topics == 1 and mined.clustered == 4
    facts.refresh(db, store)
    (topic,) = hotspots.top(store.connect(), span)
    assert topic["tickets"] == 4 and topic["first_at"].month == 11 and topic["last_at"].year == 2019
    assert {t["id"] for t in hotspots.members(db, topic_id=topic["topic_id"])["tickets"]} == set(
        first + second
    )


def test_topic_names_read_as_headlines() -> None:
    assert (
        hotspots.headline("关于A市丽发新城小区附近搅拌站噪音扰民的投诉！！")
        == "A市丽发新城小区附近搅拌站噪音扰民"
    )
    assert hotspots.headline("请求领导关注魅力之城小区临街门面油烟直排问题") == "魅力之城小区临街门面油烟直排"
    long = hotspots.headline("投诉A市58车贷恶性退出，请求政府帮助受害者追回本金，严惩违法分子和保护伞")
    assert long.startswith("A市58车贷恶性退出") and len(long) <= 28 and not long.endswith("，")
    # a title that names no place gets the topic's area in front; one that names a place does not
    assert hotspots.headline("路灯坏了", "湖心街道") == "湖心街道：路灯坏了"
    assert hotspots.headline("伊景园滨河苑捆绑销售车位", "湖心街道") == "伊景园滨河苑捆绑销售车位"


def test_emerging_issue_against_its_baseline(
    db: Session, actors: factories.Actors, store: Store, now: datetime
) -> None:
    # one complaint a week for eight weeks, then seven in the last week, same category and district
    for week in range(1, 9):
        factories.make_ticket(db, actors, now=now - timedelta(days=7 * week + 1), title="路灯不亮")
    for i in range(7):
        factories.make_ticket(db, actors, now=now - timedelta(days=i % 5), title="路灯不亮")
    db.flush()
    facts.refresh(db, store, now=now)
    end = date(2026, 9, 17)
    rows = hotspots.emerging(store.connect(), end=end)
    assert len(rows) == 1
    row = rows[0]
    assert row["recent"] == 7 and row["baseline"] == 1.0 and row["place_name"] == "湖滨区"
    assert row["z"] == pytest.approx((7 - 1) / math.sqrt(2), abs=0.01)
    assert hotspots.emerging(store.connect(), end=end, min_count=8) == []


def test_repeat_callers_and_places(
    db: Session, actors: factories.Actors, store: Store, now: datetime
) -> None:
    for i in range(3):
        factories.make_ticket(db, actors, now=now + timedelta(hours=i), title=f"第{i}次反映路灯")
    factories.make_ticket(db, actors, now=now, citizen=CitizenIn(name="李", phone="13500000000"))
    db.flush()
    facts.refresh(db, store, now=now + timedelta(hours=4))
    out = hotspots.repeats(store.connect(), SEPT, min_tickets=3)
    (caller,) = out["callers"]
    assert caller["tickets"] == 3 and caller["caller"].startswith("caller-") and "138" not in caller["caller"]
    (place,) = out["places"]
    assert place["tickets"] == 4 and place["people"] == 2 and place["area"] == "湖心一社区"


def test_meaning_gates_the_links_of_topic_mining() -> None:
    """The same words link two tickets only when their meaning agrees; a ticket without a vector is
    judged by its words."""
    texts = ["丽发 新城 搅拌站 噪音", "丽发 新城 搅拌站 噪音", "伊景园 车位 捆绑", "伊景园 车位 捆绑"]
    same = np.ones(384, dtype=np.float32) / np.sqrt(384)
    other = np.zeros(384, dtype=np.float32)
    other[0] = 1.0
    words_only, _ = hotspots.cluster(texts, similarity=0.35)
    assert words_only[0] == words_only[1] >= 0 and words_only[2] == words_only[3] >= 0
    vectors = np.stack([same, other, same, np.zeros(384, dtype=np.float32)])
    gated, _ = hotspots.cluster(texts, similarity=0.35, vectors=vectors)
    assert gated[0] == gated[1] == -1  # same words, another meaning (cosine 0.05)
    assert gated[2] == gated[3] >= 0  # the fourth has no vector: its words decide
