"""Open311 GeoReport v2, with requests written from the spec's examples, in JSON and XML, including
every error case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.accounts import service as accounts_service
from hotline.accounts.models import User
from hotline.tickets.models import Ticket
from hotline.workflow import service as wf
from tests.factories import Actors

FORMATS = ["json", "xml"]


@pytest.fixture
def api_key(db: Session, actors: Actors) -> str:
    assert actors.operator.user_id is not None
    user = db.get(User, actors.operator.user_id)
    assert user is not None
    secret, _ = accounts_service.issue_token(db, user=user, ttl=None)
    db.commit()
    return secret


def _items(r, fmt: str) -> list[dict[str, str | None]]:  # type: ignore[no-untyped-def]
    if fmt == "json":
        return r.json()  # type: ignore[no-any-return]
    root = ET.fromstring(r.content)
    return [{child.tag: child.text for child in item} for item in root]


# the spec's example: POST /requests.json with api_key, service_code, lat, long, email, …, description
def _post(client: TestClient, fmt: str, **fields: str) -> object:
    return client.post(f"/open311/v2/requests.{fmt}", data=fields)


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_and_definitions(client: TestClient, fmt: str) -> None:
    r = client.get(f"/open311/v2/services.{fmt}")
    assert r.status_code == 200
    services = _items(r, fmt)
    codes = {s["service_code"] for s in services}
    assert {"01", "01.02"} <= codes and all(s["service_name"] for s in services)
    assert r.headers["content-type"].startswith("text/xml" if fmt == "xml" else "application/json")
    r = client.get(f"/open311/v2/services/01.02.{fmt}")
    assert r.status_code == 200
    if fmt == "json":
        body = r.json()
        assert body["service_code"] == "01.02" and {a["code"] for a in body["attributes"]} == {
            "request_type",
            "urgency",
            "public",
        }
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "service_definition" and root.find("service_code").text == "01.02"  # type: ignore[union-attr]
        assert [a.find("code").text for a in root.find("attributes")] == ["request_type", "urgency", "public"]  # type: ignore[union-attr]
    r = client.get(f"/open311/v2/services/99.99.{fmt}")
    assert r.status_code == 404 and str(_items(r, fmt)[0]["code"]) == "404"


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_a_request_and_read_it_back(
    client: TestClient, db: Session, api_key: str, actors: Actors, fmt: str
) -> None:
    r = _post(
        client,
        fmt,
        api_key=api_key,
        service_code="01.02",
        lat="30.2741",
        long="120.1551",
        address_string="湖心一社区3栋门口",
        first_name="明",
        last_name="李",
        phone="13812340000",
        description="湖心一社区3栋门口路灯坏了一周，晚上很黑，请尽快修复。",
        **{
            "attribute[request_type]": "help",
            "attribute[public]": "true",
            "media_url": "https://img.example.org/lamp.jpg",
        },
    )
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    (created,) = _items(r, fmt)
    number = created["service_request_id"]
    assert number and "已受理" in (created["service_notice"] or "")
    db.expire_all()
    ticket = db.query(Ticket).filter_by(number=number).one()
    assert (
        ticket.channel == "open311"
        and ticket.latitude == pytest.approx(30.2741)
        and ticket.citizen_name == "李 明"
    )
    # taken up by the centre: from now on the public may see it (redacted)
    wf.dispatch(db, ticket_id=ticket.id, department_id=actors.dept_id("CGJ", db), principal=actors.dispatcher)
    db.commit()
    r = client.get(f"/open311/v2/tokens/{number}.{fmt}")
    assert r.status_code == 200 and _items(r, fmt)[0]["service_request_id"] == number
    r = client.get(f"/open311/v2/requests/{number}.{fmt}")
    (item,) = _items(r, fmt)
    assert item["status"] == "open" and item["service_code"] == "01.02" and item["status_notes"]
    assert "13812340000" not in r.text and item["requested_datetime"]
    # read without a key: the public view, the house number gone from the text and the address
    assert "3栋" not in r.text and item["description"].startswith("湖心一社区*栋门口路灯坏了")
    r = client.get(f"/open311/v2/requests.{fmt}", params={"service_request_id": f"{number},NOPE"})
    assert [i["service_request_id"] for i in _items(r, fmt)] == [number]
    r = client.get(f"/open311/v2/requests.{fmt}", params={"service_code": "01", "status": "open"})
    assert number in [i["service_request_id"] for i in _items(r, fmt)]
    r = client.get(f"/open311/v2/requests.{fmt}", params={"status": "closed"})
    assert number not in [i["service_request_id"] for i in _items(r, fmt)]
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
    r = client.get(
        f"/open311/v2/requests.{fmt}",
        params={"start_date": old, "end_date": (datetime.now(UTC) - timedelta(days=150)).isoformat()},
    )
    assert number not in [i["service_request_id"] for i in _items(r, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors_are_lists_of_code_and_description(client: TestClient, api_key: str, fmt: str) -> None:
    base = {"service_code": "01.02", "address_string": "湖心一社区", "description": "路灯坏了"}
    cases = [
        ({**base}, 403, "api_key"),
        ({**base, "api_key": "hl_not_a_key"}, 403, "api_key"),
        ({**base, "api_key": api_key, "service_code": "99"}, 404, "service_code"),
        ({"api_key": api_key, "service_code": "01.02", "description": "路灯坏了"}, 400, "location"),
        ({**base, "api_key": api_key, "description": "长" * 4001}, 400, "4000"),
        ({**base, "api_key": api_key, "lat": "north", "long": "120"}, 400, "numbers"),
        ({**base, "api_key": api_key, "attribute[urgency]": "apocalyptic"}, 400, "attribute"),
        ({**base, "api_key": api_key, "media_url": "not a url"}, 400, "url"),
    ]
    for fields, status, words in cases:
        r = _post(client, fmt, **fields)
        assert r.status_code == status, (fields, r.text)  # type: ignore[attr-defined]
        (err,) = _items(r, fmt)
        assert str(err["code"]) == str(status) and words in (err["description"] or ""), err
    r = client.get(f"/open311/v2/requests/NOPE.{fmt}")
    assert r.status_code == 404 and _items(r, fmt)[0]["description"]
    r = client.get(f"/open311/v2/requests.{fmt}", params={"start_date": "yesterday"})
    assert r.status_code == 400
    r = client.get(f"/open311/v2/requests.{fmt}", params={"status": "pending"})
    assert r.status_code == 400


def test_a_key_whose_role_may_not_register_is_refused(
    client: TestClient, db: Session, actors: Actors
) -> None:
    assert actors.zjj.user_id is not None
    user = db.get(User, actors.zjj.user_id)
    assert user is not None
    secret, _ = accounts_service.issue_token(db, user=user, ttl=None)
    db.commit()
    fields = {
        "api_key": secret,
        "service_code": "01.02",
        "address_string": "湖心一社区",
        "description": "路灯坏了",
    }
    r = client.post("/open311/v2/requests.json", data=fields)
    assert r.status_code == 403 and r.json()[0]["code"] == 403


def test_unknown_format_is_an_error(client: TestClient) -> None:
    r = client.get("/open311/v2/services.csv")
    assert r.status_code == 404 and r.json()[0]["description"].startswith("format")
