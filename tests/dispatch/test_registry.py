"""Model versions in the database: save, activate, roll back, and refuse a corrupt artifact."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from hotline.dispatch import registry
from hotline.dispatch.classifier import CategoryModel
from hotline.dispatch.registry import CATEGORY
from hotline.errors import InvalidInput
from hotline.nlp import registry as model_registry
from hotline.nlp.models import ModelVersion


def _save(db: Session, model: CategoryModel, activate: bool = True) -> ModelVersion:
    return registry.save(
        db,
        model=model,
        label_level=1,
        source="t",
        n_samples=1,
        metrics={"macro_f1": 0.5},
        created_by="t",
        activate_now=activate,
    )


def test_versions_activate_and_roll_back(db: Session, trained: CategoryModel) -> None:
    v1 = _save(db, trained)
    v2 = _save(db, trained)
    assert v2.version == v1.version + 1
    assert model_registry.active_version(db, kind=CATEGORY) is v2 and not v1.active
    back = model_registry.rollback(db, kind=CATEGORY)
    assert back.id == v1.id and model_registry.active_version(db, kind=CATEGORY) is v1
    # rolling back again returns to the other one, never to nothing
    assert model_registry.rollback(db, kind=CATEGORY).id == v2.id
    v3 = _save(db, trained, activate=False)
    assert not v3.active and model_registry.active_version(db, kind=CATEGORY) is v2
    model_registry.activate(db, version_id=v3.id)
    assert [v.version for v in model_registry.list_versions(db, kind=CATEGORY) if v.active] == [v3.version]


def test_rollback_needs_a_previous_version(db: Session, trained: CategoryModel) -> None:
    with pytest.raises(InvalidInput) as err:
        model_registry.rollback(db, kind=CATEGORY)
    assert err.value.message_key == "model_none_active"
    _save(db, trained)
    with pytest.raises(InvalidInput) as err:
        model_registry.rollback(db, kind=CATEGORY)
    assert err.value.message_key == "model_no_previous"


def test_loaded_model_predicts_like_the_trained_one(db: Session, trained: CategoryModel) -> None:
    _save(db, trained)
    active = registry.active_model(db)
    assert active is not None
    _row, model = active
    assert model.labels == trained.labels
    text = "拖欠农民工工资\t拖欠农民工工资"
    assert model.top(text) == trained.top(text)


def test_corrupt_artifact_is_refused(db: Session, trained: CategoryModel) -> None:
    row = _save(db, trained)
    db.execute(update(ModelVersion).where(ModelVersion.id == row.id).values(artifact=b"not a model"))
    db.expire_all()
    registry.clear_cache()  # as in a freshly started process
    with pytest.raises(InvalidInput) as err:
        registry.load(db, model_registry.get_version(db, version_id=row.id))
    assert err.value.message_key == "model_artifact_corrupt"
