"""The console's screening pages: the review queue with emergencies first, confirming and dismissing,
the ticket page's emergency banner and hand-off (which confirms the flag); who may review."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.screening.models import ScreeningFlag
from hotline.tickets.models import Ticket
from tests import factories
from tests.conftest import principal_token
from tests.screening.test_meaning import _ticket
from tests.web.test_pages import login


def test_review_queue_hand_off_and_roles(client: TestClient, db: Session, actors: factories.Actors) -> None:
    op = principal_token(db, actors.operator)
    quarrel = _ticket(client, op, "我老公天天赌博，把家里的钱都输光了，你们管管他")
    fire = _ticket(client, op, "楼下餐馆着火了，烟很大，里面还有人")
    token = login(client, "dispatcher")
    page = client.get("/ui/screening").text
    assert "待移交的紧急警情" in page and page.index(f"/ui/tickets/{fire}") < page.index(
        f"/ui/tickets/{quarrel}"
    )
    assert "告知来电人" in page and "人民调解" in page and "最接近的情形" in page
    flag = db.query(ScreeningFlag).filter_by(ticket_id=quarrel, kind="private_domain").one()
    r = client.post(
        f"/ui/screening/flags/{flag.id}",
        data={"csrf": token, "confirm": "1", "comment": "家庭矛盾", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/screening"  # no open redirect
    db.refresh(flag)
    assert flag.status == "confirmed" and flag.review_comment == "家庭矛盾"
    assert db.get(Ticket, quarrel).evaluation_excluded  # type: ignore[union-attr]

    ticket_page = client.get(f"/ui/tickets/{fire}").text
    assert "紧急警情：请立即转接 119" in ticket_page and 'name="action" value="hand_off"' in ticket_page
    bad = client.post(f"/ui/tickets/{fire}/act", data={"csrf": token, "action": "hand_off", "service": "999"})
    assert "请选择移交的应急服务" in bad.text
    ok = client.post(
        f"/ui/tickets/{fire}/act",
        data={"csrf": token, "action": "hand_off", "service": "119", "reference": "F-7"},
    )
    assert ok.status_code == 200 and not re.search(r'class="flash error"', ok.text), ok.text[:1000]
    db.expire_all()
    assert db.get(Ticket, fire).status == "handed_off"  # type: ignore[union-attr]
    emergency = db.query(ScreeningFlag).filter_by(ticket_id=fire, kind="emergency").one()
    assert emergency.status == "confirmed" and "119" in (emergency.review_comment or "")
    assert f"/ui/tickets/{fire}" not in client.get("/ui/screening").text.split("待复核的提示")[0]

    client.cookies.clear()
    login(client, "operator")
    assert client.get("/ui/screening").status_code == 403
