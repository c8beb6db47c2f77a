"""Screening by meaning: the requests the word list missed are flagged with the right kind and
referral; contexts that cancel (past, what-if, prevention, a question, a lawful escalation); an
emergency through every channel is flagged, never auto-dispatched and first; review decisions teach
the model; the packaged model matches what it was trained on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.dispatch.models import DispatchSuggestion
from hotline.intake import flows as intake
from hotline.nlp import embedding, registry
from hotline.screening import model as screening_model
from hotline.screening import rules, service
from hotline.screening.models import ScreeningFlag
from hotline.tickets.models import Ticket
from tests.conftest import principal_token
from tests.factories import Actors

CITIZEN = {"name": "钱女士", "phone": "13900002222"}

# the issue's own examples of what the word list missed, with the kind (and service) expected
MISSED = [
    ("楼下有人持刀砍人，已经有人受伤了，快来人", {"emergency"}, "110"),
    ("路口两辆车撞了，有人被卡在车里出不来", {"emergency"}, "122"),
    ("有个小孩掉进湖心公园的河里了", {"emergency"}, "110"),
    ("再不给我解决，我就去你们单位门口泼汽油", {"threat"}, None),
    ("三天之内不处理，我就从市政府楼上跳下去", {"threat", "emergency"}, "110"),
    ("我知道那个科长住在哪，让他出门小心点", {"threat"}, None),
    ("我的案子法院已经判了，但是对方一直不执行，你们帮我催一下法院", {"out_of_remit"}, None),
    ("我不服劳动仲裁委的裁决，想让你们给我改判", {"out_of_remit"}, None),
    ("二审判决下来了，我还是不服，你们帮我把判决改过来", {"out_of_remit"}, None),
    ("检察院不给我的案子立案，你们帮我去说说", {"out_of_remit"}, None),
    ("我老公天天赌博，把家里的钱都输光了，你们管管他", {"private_domain"}, None),
    ("邻居家的孩子和我家孩子打架，对方家长还骂人", {"private_domain"}, None),
    ("接电话的是个什么东西，脑子有病吧", {"abusive"}, None),
]


@pytest.mark.parametrize(("text", "kinds", "service_"), MISSED)
def test_what_the_word_list_missed_is_flagged_with_kind_and_referral(
    text: str, kinds: set[str], service_: str | None
) -> None:
    found = {f.kind: f for f in rules.screen_text("", text, model=screening_model.packaged())}
    assert set(found) == kinds, found
    for f in found.values():
        assert f.reason and f.referral, f
        if f.kind != "emergency":
            assert f.details.get("nearest") or f.cues  # why: the words, or the nearest described situation
    if service_:
        assert service_ in found["emergency"].details["service"].split("、")
        assert service_ in found["emergency"].referral


@pytest.mark.parametrize(
    "text",
    [
        "万一着火了怎么办，楼道里堆满了杂物，请物业清理",  # what-if
        "去年这里着过火，现在消防通道还是堵着",  # past
        "小区燃气管道老化，担心漏气，请燃气公司来检查",  # prevention
        "请问劳动仲裁怎么申请，需要什么材料",  # a question about procedure
        "请问不服法院判决怎么上诉",
        "再不处理我就向媒体曝光，还要去信访局反映",  # a lawful escalation
        "法院门口的路灯坏了，晚上很黑",  # a court as a place
        "医院门口天天堵车，希望多派交警",
    ],
)
def test_contexts_that_cancel_are_not_flagged(text: str) -> None:
    found = rules.screen_text("", text, model=screening_model.packaged())
    assert [f.kind for f in found] == [], [(f.kind, f.details) for f in found]


def test_an_emergency_in_the_past_is_cancelled_but_one_now_is_not() -> None:
    past = rules.detect_emergency(
        "", "上个月楼下着火了，烧坏的电线到现在没人换", model=screening_model.packaged()
    )
    assert not past.found and past.cancelled_by
    now = rules.detect_emergency("", "楼下着火了，现在还在冒烟，快来人", model=screening_model.packaged())
    assert now.found and now.service == "119"


def test_the_packaged_model_matches_its_training_data() -> None:
    """Editing situations.yaml without `python scripts/train_screening.py` fails here."""
    m = screening_model.packaged()
    assert m.fingerprint == screening_model.packaged_fingerprint()
    assert m.embedding_model == embedding.MODEL_NAME
    assert set(m.kinds) == {"emergency", "threat", "abusive", "private_domain", "out_of_remit"}
    assert all(0 < m.threshold(k) < 1 for k in m.kinds)


EMERGENCY = "河边有个老人掉进水里了，在水里扑腾，快来人救命"
BODY = {"title": "求助", "content": EMERGENCY, "request_type": "help", "citizen": CITIZEN}


def test_an_emergency_through_every_channel_is_flagged_first_and_never_auto_dispatched(
    client: TestClient, db: Session, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "dispatch_auto_threshold", 0.0)  # everything else would auto-dispatch
    op = principal_token(db, actors.operator)
    ids: dict[str, int] = {}
    for channel in ("phone", "app", "sms", "grid", "email", "letter", "walk_in", "web"):
        r = client.post(
            "/api/v1/tickets",
            json={**BODY, "channel": channel},
            headers=op,
        )
        assert r.status_code == 201, r.text
        ids[channel] = r.json()["id"]
    r = client.post("/api/v1/public/tickets", json={"content": EMERGENCY, "citizen": CITIZEN})
    assert r.status_code == 201, r.text
    ids["public_api"] = db.query(Ticket.id).filter(Ticket.number == r.json()["number"]).scalar()
    r = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": principal_token(db, actors.operator)["Authorization"].removeprefix("Bearer "),
            "service_code": "01.02",
            "address_string": "湖心公园",
            "description": EMERGENCY,
        },
    )
    assert r.status_code in (200, 201), r.text
    ids["open311"] = db.query(Ticket.id).filter(Ticket.number == r.json()[0]["service_request_id"]).scalar()
    # background mode: stored first, screened by the job (what the job and the SQLite sweep both run)
    monkeypatch.setattr(get_settings(), "dispatch_on_intake", "background")
    r = client.post(
        "/api/v1/tickets",
        json={**BODY, "channel": "phone"},
        headers=op,
    )
    ids["background"] = r.json()["id"]
    db.expire_all()
    assert not db.query(ScreeningFlag).filter(ScreeningFlag.ticket_id == ids["background"]).count()
    assert intake.process(db, ticket_id=ids["background"]) == "done"
    db.commit()

    db.expire_all()
    disp = principal_token(db, actors.dispatcher)
    waiting = {e["ticket_id"] for e in client.get("/api/v1/screening/emergencies", headers=disp).json()}
    first = client.get("/api/v1/screening/flags", headers=disp).json()
    for channel, ticket_id in ids.items():
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None and ticket.urgency == "emergency", channel
        assert ticket.status == "registered", channel  # not dispatched: handed to 110 by a person
        decision = (
            db.query(DispatchSuggestion.decision).filter(DispatchSuggestion.ticket_id == ticket_id).scalar()
        )
        assert decision == "emergency", channel
        assert ticket_id in waiting, channel
    assert {f["kind"] for f in first[: len(ids)]} == {"emergency"}  # emergencies first in the review queue

    # the ticket page raises the banner naming the service; handing off confirms the flag
    r = client.post(
        f"/api/v1/tickets/{ids['phone']}/hand-off", json={"service": "110", "reference": "J-1"}, headers=op
    )
    assert r.status_code == 200, r.text
    flag = db.query(ScreeningFlag).filter_by(ticket_id=ids["phone"], kind="emergency").one()
    db.refresh(flag)
    assert flag.status == "confirmed" and "110" in (flag.review_comment or "")


def test_check_screens_a_text_without_storing_it(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    before = db.query(Ticket).count()
    r = client.post("/api/v1/screening/check", json={"content": "我爸突然倒在地上叫不醒了"}, headers=op)
    assert r.status_code == 200 and r.json()["emergency"] and "120" in r.json()["service"]
    r = client.post("/api/v1/screening/check", json={"content": "请问公积金怎么提取"}, headers=op)
    assert r.json() == {"emergency": False, "service": None, "findings": []}
    assert db.query(Ticket).count() == before
    assert client.post("/api/v1/screening/check", json={"content": ""}, headers=op).status_code == 422


def _ticket(client: TestClient, headers: dict[str, str], content: str, phone: str = "13900002222") -> int:
    r = client.post(
        "/api/v1/tickets",
        json={
            "channel": "phone",
            "title": content[:20],
            "content": content,
            "request_type": "help",
            "citizen": {"name": "孙", "phone": phone},
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_same_request_in_other_words_is_repeated(client: TestClient, db: Session, actors: Actors) -> None:
    op = principal_token(db, actors.operator)
    texts = [
        "我家门口的路灯坏了好几天了",
        "我家门口路灯坏了好几天，一直没人修",
        "我家门口的路灯坏了好几天了，请尽快修",
    ]
    ids = [_ticket(client, op, t, phone="13900003333") for t in texts]
    db.expire_all()
    kinds = {f.kind: f for f in service.flags_for(db, ticket_id=ids[-1])}
    assert "repeated_content" in kinds and kinds["repeated_content"].details["times_30d"] == 3
    other = _ticket(client, op, "小区的垃圾桶好几天没人清了", phone="13900003333")
    db.expire_all()
    assert "repeated_content" not in {f.kind for f in service.flags_for(db, ticket_id=other)}


def _p(model: screening_model.ScreeningModel, kind: str, texts: list[str]) -> float:
    return float(np.mean(model.probabilities(embedding.encode(texts))[:, model.kinds.index(kind)]))


def test_review_decisions_teach_the_model(
    client: TestClient, db: Session, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confirmed flags are positives and dismissed ones hard negatives: after retraining, requests like
    the confirmed ones read more like their kind and requests like the dismissed ones less."""
    monkeypatch.setattr(get_settings(), "screening_train_tickets", 20)
    op, disp = principal_token(db, actors.operator), principal_token(db, actors.dispatcher)
    # a local insult the packaged model barely knows, flagged here by a word ("白痴"); confirmed
    confirmed = [
        f"你个瓜娃子{x}，白痴" for x in ("脑壳有包", "锤子哦", "憨批", "龟儿子", "瓜兮兮的", "哈麻批")
    ]
    # ordinary requests that a word flags ("sb" in a model number), dismissed by a person
    dismissed = [
        f"我家的SB-{n}型热水器{x}，商家不给修"
        for n, x in zip(
            range(100, 700, 100), ("漏水", "不加热", "跳闸", "有异响", "打不着火", "显示故障"), strict=True
        )
    ]
    for text in confirmed + dismissed:
        _ticket(client, op, text)
    pending = client.get("/api/v1/screening/flags", params={"kind": "abusive"}, headers=disp).json()
    assert len(pending) == len(confirmed) + len(dismissed)  # every one flagged by its word
    for f in pending:
        ticket = db.get(Ticket, f["ticket_id"])
        assert ticket is not None
        confirm = "瓜娃子" in ticket.content
        r = client.post(f"/api/v1/screening/flags/{f['id']}/review", json={"confirm": confirm}, headers=disp)
        assert r.status_code == 200, r.text
    admin = principal_token(db, actors.admin)
    assert client.post("/api/v1/screening/model/train", headers=disp).status_code == 403
    r = client.post("/api/v1/screening/model/train", headers=admin)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    assert out["active"] and out["metrics"]["reviewed_confirmed"] >= len(confirmed)
    db.expire_all()
    centre = screening_model.current(db)
    packaged = screening_model.packaged()
    assert centre is not packaged
    unseen_insults = ["你个瓜娃子，脑壳有包嗦", "瓜娃子一个，锤子都不懂"]
    unseen_models = ["买的SB-900型空调不制冷，售后不管", "SB-800型洗衣机漏水，商家推脱"]
    assert _p(centre, "abusive", unseen_insults) > _p(packaged, "abusive", unseen_insults)
    assert _p(centre, "abusive", unseen_models) < _p(packaged, "abusive", unseen_models)
    info = client.get("/api/v1/screening/model", headers=disp).json()
    assert info["serving"] == f"v{out['version']}" and info["versions"][0]["active"]
    # the guard: a version is only served if it flags every packaged emergency example the packaged one does
    assert out["metrics"]["emergency_recall_on_guard"] >= out["metrics"]["packaged_emergency_recall_on_guard"]
    active = registry.active_version(db, kind=screening_model.KIND)
    assert active is not None and active.version == out["version"]


@pytest.mark.parametrize(
    "text",
    [
        "高速上出车祸了，有人死亡",  # an outcome word is not a past event
        "垃圾桶着火了，火势蔓延到车上",
        "我反映一下，3号楼着火了，火很大",  # callers open with 反映
        "楼道里着火了物业不管",
        "我担心他有危险，他说他要跳楼",
    ],
)
def test_complaint_words_do_not_cancel_an_emergency(text: str) -> None:
    assert rules.detect_emergency("", text, model=screening_model.packaged()).found, text


def test_a_threat_of_self_harm_is_an_emergency_for_dispatch_too(db: Session) -> None:
    from hotline.dispatch import signals

    sig = signals.urgency("", "再不处理我就从这楼上跳下去", session=db)
    assert sig.value == "emergency" and "110" in (sig.service or "")


def test_a_hand_off_confirms_a_dismissed_emergency_flag(
    client: TestClient, db: Session, actors: Actors
) -> None:
    op, disp = principal_token(db, actors.operator), principal_token(db, actors.dispatcher)
    ticket_id = _ticket(client, op, "家里厨房着火了，火越来越大，快来人")
    flag = db.query(ScreeningFlag).filter_by(ticket_id=ticket_id, kind="emergency").one()
    r = client.post(f"/api/v1/screening/flags/{flag.id}/review", json={"confirm": False}, headers=disp)
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    r = client.post(f"/api/v1/tickets/{ticket_id}/hand-off", json={"service": "119"}, headers=op)
    assert r.status_code == 200, r.text
    db.refresh(flag)
    assert flag.status == "confirmed"
    events = client.get(f"/api/v1/tickets/{ticket_id}/events", headers=disp).json()
    assert [e["action"] for e in events].count("screening_confirmed") == 1


def test_a_broken_stored_model_falls_back_to_the_packaged_one(db: Session) -> None:
    registry.save_artifact(
        db, kind=screening_model.KIND, method="e5-logreg", blob=b"not a model", source="test", n_samples=0,
        metrics={}, created_by="test",
    )  # fmt: skip
    assert screening_model.current(db) is screening_model.packaged()
    assert service.check(db, title="", content="楼下着火了，快来人").emergency


def test_a_model_that_loses_emergencies_is_not_served() -> None:
    """The guard: emergencies never trained on; a model reading fewer of them than the packaged one
    is refused (here the packaged model with its emergency threshold pushed up)."""
    import dataclasses

    packaged = screening_model.packaged()
    assert len(screening_model.guard_texts()) >= 20
    assert screening_model.safe(packaged)[0]
    worse = dataclasses.replace(packaged, thresholds=packaged.thresholds.copy())
    worse.thresholds[worse.kinds.index("emergency")] = 0.99
    ok, recall, floor = screening_model.safe(worse)
    assert not ok and recall < floor
