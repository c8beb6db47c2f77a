"""What the public may see: only requests the citizen chose to publish (never a 举报, nothing marked
confidential or flagged), their text redacted and their place generalised to the street — and no
anonymous endpoint (Open311 JSON and XML, tracking, the portal, supports, the survey) ever returns a
citizen's name, phone, ID number or exact address."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.followup import service as followup_service
from hotline.followup.models import FollowUpTask
from hotline.screening.models import ScreeningFlag
from hotline.tickets import service as ticket_service
from hotline.tickets.enums import RequestType
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import CitizenIn
from hotline.tickets.states import Status
from hotline.workflow import service as wf
from tests import factories
from tests.conftest import principal_token
from tests.factories import Actors

NAME, PHONE, ID_NUMBER, HOUSE = "王建国", "13912345678", "110101199003071233", "幸福路12号3栋502室"
LETTER = f"我叫{NAME}，身份证号{ID_NUMBER}，电话{PHONE}，住在湖滨区{HOUSE}，小区门口的路灯坏了一个月没人修"
SECRETS = (NAME, PHONE, ID_NUMBER, "12号", "502")


def _ticket(db: Session, actors: Actors, now: datetime, **overrides: object) -> Ticket:
    fields: dict[str, object] = {
        "title": f"{NAME}反映路灯不亮",
        "content": LETTER,
        "request_type": RequestType.complaint,
        "citizen": CitizenIn(name=NAME, phone=PHONE, id_number=ID_NUMBER),
        "address": f"湖滨区{HOUSE}",
        "area_code": "MH-HB-HX-01",
        "latitude": 30.27413,
        "longitude": 120.15512,
        "public": True,
    }
    fields.update(overrides)
    ticket = factories.make_ticket(db, actors, now=now, **fields)
    # taken up (screened, then dispatched): only then may it be listed
    wf.dispatch(
        db, ticket_id=ticket.id, department_id=actors.dept_id("ZJJ", db), principal=actors.dispatcher, now=now
    )
    return ticket


def _listed(client: TestClient, fmt: str = "json", **params: str) -> dict[str, dict[str, object]]:
    r = client.get(f"/open311/v2/requests.{fmt}", params={"start_date": "2000-01-01T00:00:00Z", **params})
    assert r.status_code == 200, r.text
    if fmt == "json":
        return {str(i["service_request_id"]): i for i in r.json()}
    return {
        str(item.findtext("service_request_id")): {c.tag: c.text for c in item}
        for item in ET.fromstring(r.content)
    }


def _no_secrets(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"personal data in an anonymous answer: {leaked}"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_anonymous_open311_lists_only_public_requests_redacted(
    client: TestClient, db: Session, actors: Actors, now: datetime, fmt: str
) -> None:
    public = _ticket(db, actors, now)
    private = _ticket(db, actors, now, public=False)
    report = _ticket(db, actors, now, request_type=RequestType.report)  # 举报: never public
    confidential = _ticket(db, actors, now)
    confidential.confidential = True
    flagged = _ticket(db, actors, now)
    db.add(ScreeningFlag(ticket_id=flagged.id, kind="threat", reason="威胁", status="pending"))
    dismissed = _ticket(db, actors, now)
    db.add(ScreeningFlag(ticket_id=dismissed.id, kind="threat", reason="误报", status="dismissed"))
    unscreened = factories.make_ticket(db, actors, now=now, content=LETTER, public=True)  # just registered
    db.commit()
    assert report.public is False  # the citizen's choice cannot publish a report

    listed = _listed(client, fmt)
    assert public.number in listed and dismissed.number in listed
    for hidden in (private, report, confidential, flagged, unscreened):
        assert hidden.number not in listed
    item = listed[public.number]
    assert "路灯坏了一个月没人修" in str(item["description"])
    assert str(item["description"]).startswith("我叫王某某")
    assert item["address"] == "湖滨区湖心街道"  # the street, never the written address
    assert float(str(item["lat"])) == 30.27 and float(str(item["long"])) == 120.16
    r = client.get(f"/open311/v2/requests.{fmt}", params={"start_date": "2000-01-01T00:00:00Z"})
    _no_secrets(r.text)

    one = client.get(f"/open311/v2/requests/{public.number}.{fmt}")
    assert one.status_code == 200
    _no_secrets(one.text)
    for hidden in (private, report, confidential, flagged):
        assert client.get(f"/open311/v2/requests/{hidden.number}.{fmt}").status_code == 404
    by_id = _listed(client, fmt, service_request_id=f"{public.number},{private.number}")
    assert list(by_id) == [public.number]


def test_a_control_character_in_a_public_text_breaks_no_xml_feed(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = _ticket(db, actors, now, content="路灯坏了\x1b[31m\x07一个月")
    db.commit()
    listed = _listed(client, "xml")  # parses
    assert listed[t.number]["description"] == "路灯坏了[31m一个月"


def test_an_integration_with_its_key_reads_in_full_but_never_contact_details(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    private = _ticket(db, actors, now, public=False)
    header = principal_token(db, actors.dispatcher)
    key = header["Authorization"].split()[1]
    full = client.get(f"/open311/v2/requests/{private.number}.json", params={"api_key": key})
    assert full.status_code == 200
    (item,) = full.json()
    assert item["description"] == LETTER and item["address"] == f"湖滨区{HOUSE}"
    assert not {"phone", "email", "first_name", "last_name", "citizen_name"} & set(item)  # no contact fields
    assert client.get(f"/open311/v2/requests/{private.number}.json", headers=header).status_code == 200
    bad = client.get(f"/open311/v2/requests/{private.number}.json", params={"api_key": "hl_nope"})
    assert bad.status_code == 403


def test_tracking_the_portal_supports_and_the_survey_show_no_personal_data(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = factories.ticket_in(
        db,
        actors,
        Status.follow_up,
        now=now,
        title=f"{NAME}反映路灯不亮",
        content=LETTER,
        citizen=CitizenIn(name=NAME, phone=PHONE, id_number=ID_NUMBER),
        address=f"湖滨区{HOUSE}",
        public=True,
    )
    for a in ticket_service.list_assignments(db, ticket_id=t.id):
        a.reply = f"已联系{NAME}（{PHONE}），于{HOUSE}门口更换灯具。"
    followup_service.sweep(db, now=now)
    task = db.query(FollowUpTask).filter_by(ticket_id=t.id).one()
    db.commit()

    answers = [
        client.post(f"/api/v1/public/tickets/{t.number}/track", json={"code": t.tracking_code}),
        client.get(f"/api/v1/public/tickets/{t.number}", headers={"X-Tracking-Code": t.tracking_code}),
        client.get(f"/api/v1/public/surveys/{task.token}"),
        client.get(f"/s/{task.token}"),
        client.post(f"/api/v1/public/tickets/{t.number}/supports", json={"phone": "13800000001"}),
        client.get("/open311/v2/requests.json", params={"start_date": "2000-01-01T00:00:00Z"}),
        client.get("/open311/v2/requests.xml", params={"start_date": "2000-01-01T00:00:00Z"}),
    ]
    home = client.get("/portal")
    csrf = home.text.split('name="csrf" value="')[1].split('"')[0]
    answers.append(
        client.post("/portal/track", data={"csrf": csrf, "number": t.number, "code": t.tracking_code})
    )
    for r in answers:
        assert r.status_code in (200, 201), (r.url, r.status_code, r.text[:200])
        _no_secrets(r.text)
    tracked = answers[0].json()
    assert "更换灯具" in tracked["reply"] and "王某某" in tracked["reply"]
    assert "更换灯具" in answers[-1].text


def test_staff_mark_a_request_confidential_and_it_leaves_public_view(
    client: TestClient, db: Session, actors: Actors, now: datetime
) -> None:
    t = _ticket(db, actors, now)
    db.commit()
    assert t.number in _listed(client)
    operator = principal_token(db, actors.operator)
    r = client.post(
        f"/api/v1/tickets/{t.id}/confidential",
        json={"confidential": True, "comment": "市民来电要求不公开"},
        headers=operator,
    )
    assert r.status_code == 200 and r.json()["confidential"] is True and r.json()["public"] is True
    assert t.number not in _listed(client)
    handler = principal_token(db, actors.zjj)
    refused = client.post(
        f"/api/v1/tickets/{t.id}/confidential", json={"confidential": False, "comment": "x"}, headers=handler
    )
    assert refused.status_code in (403, 404)
    events = client.get(f"/api/v1/tickets/{t.id}/events", headers=operator).json()
    assert events[-1]["action"] == "set_confidential" and events[-1]["comment"] == "市民来电要求不公开"
