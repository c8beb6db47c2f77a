"""Personal data at rest: citizens' phones and ID numbers are stored encrypted, found by a blind
index, and re-encrypted under a new key by `hotline keys rotate`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session

from hotline.config import get_settings
from hotline.cti import service as cti_service
from hotline.cti.schemas import CallIn
from hotline.privacy import crypto
from hotline.privacy import flows as keys
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import CitizenIn
from hotline.tickets.service import caller_hash
from tests import factories
from tests.factories import Actors

PHONE, ID_NUMBER = "13912345678", "110101199003071233"


@pytest.fixture
def data_keys() -> Iterator[list[str]]:
    """Two data keys in force, the newest first; the settings as they were afterwards."""
    s = get_settings()
    saved = s.data_keys
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    s.data_keys = SecretStr(old)
    yield [new, old]
    s.data_keys = saved


def _stored(db: Session, column: str, ticket_id: int) -> str:
    return str(db.execute(text(f"SELECT {column} FROM tickets WHERE id = :id"), {"id": ticket_id}).scalar())  # noqa: S608


def test_phone_and_id_number_are_stored_encrypted_and_read_back(
    db: Session, actors: Actors, now: datetime
) -> None:
    t = factories.make_ticket(
        db, actors, now=now, citizen=CitizenIn(name="张先生", phone=PHONE, id_number=ID_NUMBER)
    )
    db.commit()
    for column, clear in (("citizen_phone", PHONE), ("citizen_id_number", ID_NUMBER)):
        raw = _stored(db, column, t.id)
        assert clear not in raw and raw.startswith(crypto.FERNET_PREFIX)
    db.expire_all()
    again = db.get(Ticket, t.id)
    assert again is not None and again.citizen_phone == PHONE and again.citizen_id_number == ID_NUMBER
    # looked up by the keyed hash, never by the number
    assert again.citizen_phone_hash == caller_hash(PHONE) and PHONE not in str(again.citizen_phone_hash)


def test_an_id_number_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="校验位"):
        CitizenIn(id_number="110101199003071234")


def test_rotation_re_encrypts_with_the_new_key_and_the_old_one_can_go(
    db: Session, actors: Actors, now: datetime, data_keys: list[str]
) -> None:
    new, old = data_keys
    t = factories.make_ticket(db, actors, now=now, citizen=CitizenIn(phone=PHONE, id_number=ID_NUMBER))
    cti_service.ingest(db, [CallIn(call_id="rot-1", caller=PHONE, offered_at=now)])
    db.commit()
    before = _stored(db, "citizen_phone", t.id)
    assert Fernet(old.encode()).decrypt(before.encode()).decode() == PHONE

    get_settings().data_keys = SecretStr(f"{new},{old}")  # the new key in front, the old one behind
    counts = keys.rotate(db)
    db.commit()
    assert counts["tickets.citizen_phone"] >= 1 and counts["call_records.caller_phone"] >= 1
    after = _stored(db, "citizen_phone", t.id)
    assert after != before and Fernet(new.encode()).decrypt(after.encode()).decode() == PHONE

    get_settings().data_keys = SecretStr(new)  # the old key dropped: everything still reads
    db.expire_all()
    again = db.get(Ticket, t.id)
    assert again is not None and again.citizen_phone == PHONE and again.citizen_id_number == ID_NUMBER


def test_a_new_blind_index_key_rehashes_callers(db: Session, actors: Actors, now: datetime) -> None:
    t = factories.make_ticket(db, actors, now=now, citizen=CitizenIn(phone=PHONE))
    db.commit()
    old_hash = t.citizen_phone_hash
    s = get_settings()
    saved = s.blind_index_key
    try:
        s.blind_index_key = SecretStr("a-new-blind-index-key-of-the-centre")
        assert keys.rehash(db)["tickets"] >= 1
        db.expire_all()
        again = db.get(Ticket, t.id)
        assert again is not None and again.citizen_phone_hash == caller_hash(PHONE) != old_hash
    finally:
        s.blind_index_key = saved
