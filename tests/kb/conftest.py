from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM
from hotline.kb import qa, service
from hotline.kb.models import Article

KB_DIR = Path(__file__).resolve().parents[2] / "src" / "hotline" / "demo" / "kb"


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    """Indexes are process caches; each test starts from its own rolled-back data."""
    qa.reset_indexes()
    yield
    qa.reset_indexes()


@pytest.fixture
def demo_kb(db: Session) -> list[Article]:
    """The demo knowledge base (12 articles written for the fictional city), published."""
    articles = []
    for path in sorted(KB_DIR.glob("*.md")):
        _, _, made = service.import_file(db, path=path, principal=SYSTEM, publish=True)
        articles += made
    db.flush()
    return articles
