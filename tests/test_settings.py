"""Production refuses to start without its secrets: a real secret key, the data keys, a metrics token."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from hotline.config import Settings

GOOD = {
    "environment": "production",
    "secret_key": "k" * 48,
    "data_keys": Fernet.generate_key().decode(),
    "metrics_token": "m" * 32,
}


def test_production_starts_with_its_secrets() -> None:
    assert Settings(**GOOD).environment == "production"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"secret_key": "x"}, "HOTLINE_SECRET_KEY"),
        ({"secret_key": "dev-secret-change-me"}, "HOTLINE_SECRET_KEY"),
        ({"data_keys": None}, "HOTLINE_DATA_KEYS"),
        ({"metrics_token": None}, "HOTLINE_METRICS_TOKEN"),
    ],
)
def test_production_refuses_a_weak_or_missing_secret(change: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(**{**GOOD, **change})  # type: ignore[arg-type]


def test_development_needs_none_of_them() -> None:
    assert Settings(environment="development", secret_key="x").data_keys is None
