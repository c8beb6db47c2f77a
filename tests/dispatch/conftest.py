"""Dispatch fixtures: one category model trained per run on the packaged sample messages (real text),
stored with the demo routing table, and the demo matter list (派单目录), inside each test's rolled-back
transaction."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from hotline.demo.seed import demo_path
from hotline.dispatch import classifier, datasets, registry, routing, service
from hotline.dispatch.classifier import CategoryModel
from hotline.dispatch.models import DispatchSuggestion
from hotline.nlp.models import ModelVersion
from hotline.tickets.models import Ticket
from tests.factories import Actors, make_ticket


@pytest.fixture(scope="session")
def sample() -> datasets.Examples:
    return datasets.read_file(
        demo_path("demo_messages.csv"), text_columns=["留言主题", "留言详情"], label_column="一级分类"
    )


@pytest.fixture(scope="session")
def trained(sample: datasets.Examples) -> CategoryModel:
    return classifier.train(classifier.prepare(sample.texts), sample.labels)


@pytest.fixture
def model_version(db: Session, trained: CategoryModel) -> ModelVersion:
    return registry.save(
        db, model=trained, label_level=1, source="test sample", n_samples=389, metrics={}, created_by="test"
    )


@pytest.fixture
def routing_table(db: Session) -> int:
    return routing.import_rules(db, path=demo_path("routing.csv"), actor="test")


@pytest.fixture
def dispatch_ready(db: Session, model_version: ModelVersion, routing_table: int) -> ModelVersion:
    db.commit()
    return model_version


@pytest.fixture
def matter_list_ready(db: Session, dispatch_ready: ModelVersion, matter_list: int) -> int:
    """The demo matter list with the category model and the routing table; the list's version."""
    return matter_list


@pytest.fixture
def routed_lamp(
    db: Session, matter_list_ready: int, actors: Actors, now: datetime
) -> tuple[Ticket, DispatchSuggestion | None]:
    """A street-lamp request registered and routed as on intake (the matter list's CG-01, 城管局)."""
    ticket = make_ticket(
        db,
        actors,
        now=now,
        title="路灯",
        content="湖心一社区北门外的路灯晚上不亮，已经好几天了",
        category_code=None,
    )
    return ticket, service.route_new_ticket(db, ticket=ticket, now=now)
