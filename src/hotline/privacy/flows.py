"""Key rotation for personal data at rest (`hotline keys rotate`): the flow that re-encrypts every
domain's personal data.

Data keys: put a new key in front of HOTLINE_DATA_KEYS (keep the old ones behind it), restart, run
`hotline keys rotate`: every encrypted value is re-encrypted with the newest key; then the old keys
can be dropped. Blind-index key: set the new HOTLINE_BLIND_INDEX_KEY and run `hotline keys rotate
--blind-index`: every caller hash is recomputed from the decrypted phone, and callers' graded status
and its history follow their new hash (supports 点赞 keep the old one: the phone behind them is not
kept, so a person who supported a request before the rotation may support it once more)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.orm import Session

from hotline.cti.models import CallbackTask, CallRecord
from hotline.notify.models import Notification
from hotline.privacy import crypto
from hotline.screening.models import CallerDecision, CallerStatus
from hotline.tickets.models import Ticket

log = logging.getLogger(__name__)

# every column stored with crypto.EncryptedText
ENCRYPTED: list[tuple[Any, str]] = [
    (Ticket, "citizen_phone"),
    (Ticket, "citizen_id_number"),
    (CallRecord, "caller_phone"),
    (CallbackTask, "caller_phone"),
    (Notification, "recipient"),
]
# (model, phone column, its blind-index column)
HASHED: list[tuple[Any, str, str]] = [
    (Ticket, "citizen_phone", "citizen_phone_hash"),
    (CallRecord, "caller_phone", "caller_hash"),
    (CallbackTask, "caller_phone", "caller_hash"),
]


def rotate(session: Session, *, batch: int = 1000) -> dict[str, int]:
    """Re-encrypt every stored personal value with the newest data key; return counts per column."""
    counts: dict[str, int] = {}
    for model, name in ENCRYPTED:
        column = getattr(model, name)
        raw = type_coerce(column, Text)  # the stored text, not decrypted
        done, last = 0, 0
        while True:
            rows = session.execute(
                select(model.id, raw)
                .where(model.id > last, column.is_not(None), raw != "")
                .order_by(model.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row_id, stored in rows:
                session.execute(
                    update(model.__table__)
                    .where(model.__table__.c.id == row_id)
                    .values({name: type_coerce(crypto.rotate(stored), Text)})
                )
            done += len(rows)
            last = rows[-1][0]
            session.flush()
        counts[f"{model.__tablename__}.{name}"] = done
    log.info("personal data re-encrypted with the newest key: %s", counts)
    return counts


def rehash(session: Session) -> dict[str, int]:
    """Recompute every blind index with the blind-index key in force; return counts per table."""
    counts: dict[str, int] = {}
    moved: dict[str, str] = {}
    for model, phone_name, hash_name in HASHED:
        n = 0
        for row_id, phone, old in session.execute(
            select(model.id, getattr(model, phone_name), getattr(model, hash_name)).where(
                getattr(model, phone_name).is_not(None)
            )
        ).all():
            if not phone:
                continue
            new = crypto.blind_index(phone)
            if new != old:
                if old:
                    moved[old] = new
                session.execute(
                    update(model.__table__).where(model.__table__.c.id == row_id).values({hash_name: new})
                )
                n += 1
        counts[model.__tablename__] = n
    for old, new in moved.items():
        status = session.get(CallerStatus, old)
        if status is not None and session.get(CallerStatus, new) is None:
            session.execute(
                update(CallerStatus).where(CallerStatus.caller_hash == old).values(caller_hash=new)
            )
        session.execute(
            update(CallerDecision).where(CallerDecision.caller_hash == old).values(caller_hash=new)
        )
    counts["callers"] = len(moved)
    session.flush()
    log.info("blind indexes recomputed: %s", counts)
    return counts
