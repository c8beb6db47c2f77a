"""Analytics over HTTP: who may see what, filters, drill-down, refresh, hotspot mining, reports, and
bad input refused with a message a person can act on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.analytics import facts
from hotline.analytics.store import Store
from tests import factories
from tests.analytics.conftest import History
from tests.conftest import principal_token


@pytest.fixture
def api(client: TestClient, store: Store, db: Session, history: History, now: datetime) -> TestClient:
    client.app.state.analytics_store = store  # type: ignore[attr-defined]
    db.commit()
    facts.refresh(db, store, now=now + timedelta(days=30))
    return client


def test_leader_reads_rates_with_numerators_and_drills_down(
    api: TestClient, db: Session, actors: factories.Actors, history: History
) -> None:
    h = principal_token(db, actors.leader)
    body = api.get("/api/v1/analytics/rates", params={"period": "2026-09"}, headers=h).json()
    sat = next(r for r in body["rates"] if r["rate"] == "satisfaction")
    assert (sat["numerator"], sat["denominator"], sat["value"], sat["zh"]) == (1, 2, 0.5, "满意率")
    assert body["start"] == "2026-09-01" and body["end"] == "2026-10-01" and body["as_of"]
    rows = api.get(
        "/api/v1/analytics/rates/on_time", params={"period": "2026-09", "by": "department"}, headers=h
    ).json()["rows"]
    assert [(r["name"], r["numerator"], r["denominator"]) for r in rows] == [("市住房和城乡建设局", 2, 3)]
    drill = api.get(
        "/api/v1/analytics/rates/on_time/tickets", params={"period": "2026-09", "part": "rest"}, headers=h
    ).json()
    assert [t["number"] for t in drill["items"]] == [history.late.number]
    steps = api.get("/api/v1/analytics/bottlenecks/steps", params={"period": "2026-09"}, headers=h).json()
    assert {r["step"] for r in steps["rows"]} >= {"dispatched", "processing"}
    assert api.get("/api/v1/analytics/rankings", params={"period": "2026-09"}, headers=h).status_code == 200
    assert api.get("/api/v1/analytics/repeats", params={"period": "2026-09"}, headers=h).status_code == 200
    assert api.get("/api/v1/analytics/emerging", params={"end": "2026-09-30"}, headers=h).status_code == 200
    defs = api.get("/api/v1/analytics/definitions", headers=h).json()
    assert any(d["key"] == "connection" and d["table"] == "calls" for d in defs["rates"])


def test_filters_and_bases(api: TestClient, db: Session, actors: factories.Actors) -> None:
    h = principal_token(db, actors.leader)
    zjj = actors.dept_id("ZJJ", db)
    cgj = actors.dept_id("CGJ", db)
    get = lambda **p: {  # noqa: E731
        r["rate"]: (r["numerator"], r["denominator"])
        for r in api.get("/api/v1/analytics/rates", params={"period": "2026-09", **p}, headers=h).json()[
            "rates"
        ]
    }
    assert get(department=zjj)["satisfaction"] == (1, 2)
    assert get(department=cgj)["satisfaction"] == (0, 0)
    assert get(start="2026-09-16", end="2026-09-17")["direct_answer"] == (1, 6)
    assert get(basis="raw")["satisfaction"] == (1, 2)


def test_each_role_sees_its_part(api: TestClient, db: Session, actors: factories.Actors) -> None:
    sat = lambda who: next(  # noqa: E731
        r
        for r in api.get(
            "/api/v1/analytics/rates", params={"period": "2026-09"}, headers=principal_token(db, who)
        ).json()["rates"]
        if r["rate"] == "satisfaction"
    )
    assert sat(actors.zjj)["denominator"] == 2
    assert sat(actors.cgj)["denominator"] == 0
    assert sat(actors.xc_center)["denominator"] == 0
    op = principal_token(db, actors.operator)
    assert api.get("/api/v1/analytics/rates", headers=op).status_code == 403
    assert api.get("/api/v1/analytics/rates").status_code == 401
    handler = principal_token(db, actors.cgj)
    assert api.get("/api/v1/analytics/rates/connection", headers=handler).status_code == 403
    assert api.post("/api/v1/analytics/refresh", headers=handler).status_code == 403


def test_bad_input_gets_a_message(api: TestClient, db: Session, actors: factories.Actors) -> None:
    h = principal_token(db, actors.leader) | {"Accept-Language": "zh-CN"}
    r = api.get("/api/v1/analytics/rates", params={"period": "2026-13"}, headers=h)
    assert r.status_code == 422 and "2026-13" in r.text and "统计期" in r.text
    r = api.get("/api/v1/analytics/rates/happiness", headers=h)
    assert r.status_code == 422 and "happiness" in r.text and "satisfaction" in r.text
    r = api.get("/api/v1/analytics/rates", params={"start": "2026-09-10", "end": "2026-09-01"}, headers=h)
    assert r.status_code == 422 and "结束日期" in r.text
    r = api.get("/api/v1/analytics/rates/connection", params={"by": "department"}, headers=h)
    assert r.status_code == 422
    r = api.get("/api/v1/analytics/reports/2026-09.docx", headers=h)
    assert r.status_code == 422 and "docx" in r.text
    assert api.get("/api/v1/analytics/hotspots/999999", headers=h).status_code == 404


def test_reports_download(api: TestClient, db: Session, actors: factories.Actors) -> None:
    h = principal_token(db, actors.leader)
    pdf = api.get("/api/v1/analytics/reports/2026-09.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = api.get("/api/v1/analytics/reports/2026-09.html", headers=h)
    assert "满意率" in html.text and html.headers["content-type"].startswith("text/html")
    xlsx = api.get("/api/v1/analytics/reports/2026-09.xlsx", headers=h)
    assert xlsx.content[:2] == b"PK"


def test_mining_and_refresh_by_the_centre(api: TestClient, db: Session, actors: factories.Actors) -> None:
    h = principal_token(db, actors.dispatcher)
    mined = api.post("/api/v1/analytics/hotspots/mine", json={"period": "2026-09"}, headers=h)
    assert mined.status_code == 200, mined.text
    assert mined.json()["tickets"] == 7 and "2026-09" in mined.json()["refreshed_months"]
    assert api.post("/api/v1/analytics/hotspots/mine", json={"period": "soon"}, headers=h).status_code == 422
    r = api.post("/api/v1/analytics/refresh", headers=h)
    assert r.status_code == 200 and r.json()["months"] == []
    assert api.post("/api/v1/analytics/refresh", params={"full": True}, headers=h).json()["tickets"] == 8
