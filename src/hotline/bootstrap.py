"""First-run data every centre needs: the category tree and default SLA rules."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from hotline.categories import service as category_service
from hotline.sla import service as sla_service

log = logging.getLogger(__name__)


def bootstrap(session: Session) -> dict[str, int]:
    """Load the packaged taxonomy and default SLA rules where missing; return what was created."""
    created = {
        "categories": category_service.import_taxonomy(session),
        "sla_rules": sla_service.ensure_default_rules(session),
    }
    log.info("bootstrap: %s", created)
    return created
