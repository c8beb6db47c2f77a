"""Locating requests in the demo city's gazetteer: names, short forms, landmarks, mined places."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.dispatch import location, service
from hotline.org import service as org_service


def _code(db: Session, text: str) -> str | None:
    found = location.load_gazetteer(db).locate(text)
    return found.code if found else None


def test_full_names_pick_the_deepest_consistent_area(db: Session) -> None:
    assert _code(db, "湖心一社区3栋门口路灯坏了") == "MH-HB-HX-01"
    assert _code(db, "湖滨区湖心街道一带夜间施工噪音") == "MH-HB-HX"
    assert _code(db, "新城区的公交站台破损") == "MH-XC"


def test_short_forms_are_understood(db: Session) -> None:
    # 湖心街道 → 湖心, 青山县 → 青山
    assert _code(db, "湖心那边的菜市场占道经营") == "MH-HB-HX"


def test_majority_wins_over_a_stray_mention(db: Session) -> None:
    text = "我住在柳溪一社区，柳溪乡政府门口的路坏了，以前住湖心的时候没这样"
    assert _code(db, text) == "MH-QS-LY-01"


def test_nothing_found_is_none(db: Session) -> None:
    assert _code(db, "请问社保卡怎么补办") is None


def test_landmarks_locate_and_shared_ones_go_up(db: Session) -> None:
    service.add_landmark(db, name="明湖第一中学", area_code="MH-HB-DQ-02")
    service.add_landmark(db, name="滨江大道", area_code="MH-HB-HX")
    service.add_landmark(db, name="滨江大道", area_code="MH-HB-DQ")
    db.flush()
    assert _code(db, "明湖第一中学门口早高峰拥堵") == "MH-HB-DQ-02"
    # a road through two streets belongs to their district
    assert _code(db, "滨江大道路面塌陷") == "MH-HB"


def test_gazetteer_cache_sees_new_landmarks(db: Session) -> None:
    before = service.gazetteer(db).locate("翠湖花园小区电梯故障")
    service.add_landmark(db, name="翠湖花园", area_code="MH-XC-NY-01")
    db.flush()
    after = service.gazetteer(db).locate("翠湖花园小区电梯故障")
    assert before is None and after is not None and after.code == "MH-XC-NY-01"


def test_mine_landmarks_from_located_history(db: Session) -> None:
    gaz = location.load_gazetteer(db)
    ny = org_service.get_area_by_code(db, code="MH-XC-NY-01").id
    gx = org_service.get_area_by_code(db, code="MH-XC-GX-01").id
    history = [
        ("锦绣家园小区门口垃圾无人清运", ny),
        ("锦绣家园小区停车难", ny),
        ("锦绣家园小区电梯老旧", ny),
        ("人民路积水严重", ny),
        ("人民路路灯不亮", gx),
    ]
    mined = {m.name: m for m in location.mine_landmarks(history, gazetteer=gaz, min_support=2)}
    assert "锦绣家园" in mined or "锦绣家园小区" in mined
    found = mined.get("锦绣家园小区") or mined["锦绣家园"]
    assert found.area_id == ny and found.support == 3
    # a road seen in two areas equally is not pinned to either
    assert "人民路" not in mined
