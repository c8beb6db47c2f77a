"""The public front door: one citizen's Idempotency-Key is no handle on another's request, and
attachments are only links to object storage or the web."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hotline.app import create_app
from hotline.tickets.schemas import AttachmentIn


def _client(session_maker: sessionmaker[Session], address: str) -> TestClient:
    return TestClient(create_app(session_factory=session_maker), client=(address, 50000))


def test_citizens_keys_are_kept_apart_per_client(session_maker: sessionmaker[Session]) -> None:
    alice, mallory = _client(session_maker, "198.51.100.7"), _client(session_maker, "203.0.113.66")
    key = {"Idempotency-Key": "same-key-0001"}
    mine = alice.post("/api/v1/public/tickets", json={"content": "我家楼下垃圾没人清运"}, headers=key)
    assert mine.status_code == 201
    # the same key from another client: a request of its own, never the first citizen's receipt
    theirs = mallory.post("/api/v1/public/tickets", json={"content": "我家楼下垃圾没人清运"}, headers=key)
    assert theirs.status_code == 201 and theirs.json()["number"] != mine.json()["number"]
    assert theirs.json()["tracking_code"] != mine.json()["tracking_code"]
    # the same client retrying: the first receipt again; a different body: a 409 naming no ticket
    again = alice.post("/api/v1/public/tickets", json={"content": "我家楼下垃圾没人清运"}, headers=key)
    assert again.status_code == 200 and again.json() == mine.json()
    other = alice.post("/api/v1/public/tickets", json={"content": "别的事情"}, headers=key)
    assert other.status_code == 409 and mine.json()["number"] not in other.text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<b>x</b>"])
def test_script_and_file_attachment_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="附件地址"):
        AttachmentIn(filename="a.jpg", size_bytes=1, url=url)


def test_http_and_object_storage_attachments_are_kept() -> None:
    for url in ("https://img.example.org/a.jpg", "s3://hotline/attachments/a.jpg"):
        assert str(AttachmentIn(filename="a.jpg", size_bytes=1, url=url).url).startswith(url.split(":")[0])
