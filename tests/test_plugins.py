"""Extension points (hotline.plugins): a centre's package, installed beside hotline, adds or replaces a
notification channel or a domain's background work through its entry points; hotline's own are there
however hotline was installed; a broken plugin stops nothing else."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline import plugins
from hotline.config import get_settings
from hotline.jobs import registry
from hotline.notify.channels import SmsHttpChannel, channels


def _install(site: Path, name: str, entry_points: str, module: str) -> None:
    """A real (minimal) distribution: a module and its .dist-info with entry points."""
    (site / f"{name}.py").write_text(module, encoding="utf-8")
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("centre_")]:
        del sys.modules[name]


def test_hotline_s_own_need_no_installed_metadata() -> None:
    assert set(plugins.points(plugins.NOTIFY_CHANNELS)) == {"in_app", "sms", "email"}
    assert isinstance(channels(get_settings())["sms"], SmsHttpChannel)


def test_a_centre_s_package_replaces_the_sms_channel_and_adds_one(site: Path) -> None:
    _install(
        site,
        "centre_gateway",
        "[hotline.notify_channels]\nsms = centre_gateway:Gateway\nwechat = centre_gateway:Gateway\n",
        "class Gateway:\n    name = 'sms'\n\n    def __init__(self, settings):\n        self.settings = settings\n\n"
        "    def send(self, *, recipient, subject, body, key=None):\n        return 'sent-by-the-centre'\n",
    )
    found = channels(get_settings())
    assert type(found["sms"]).__name__ == "Gateway" and "wechat" in found
    assert found["sms"].send(recipient="13800000000", subject="", body="") == "sent-by-the-centre"
    assert isinstance(found["email"], type(channels(get_settings())["email"]))  # untouched


def test_a_broken_jobs_plugin_is_logged_and_the_others_run(
    site: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _install(site, "centre_jobs", "[hotline.jobs]\ncentre = centre_jobs\n", "raise ImportError('a typo')\n")
    monkeypatch.setattr(registry, "_loaded", False)
    registry.load()
    assert "jobs of centre (centre_jobs) could not be loaded" in caplog.text
    assert {"deadlines", "follow_up", "notifications", "webhooks"} <= {s.name for s in registry.sweeps()}
