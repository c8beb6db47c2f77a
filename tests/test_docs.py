"""The documentation keeps up with the code (as Datasette's tests/test_docs.py does): every setting is
described and docs/settings.md is what the settings say; every message key a domain error is raised
with has its message in Chinese and English, with the same placeholders; every permission, event kind
and extension point is named where a newcomer looks for it."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from hotline import plugins
from hotline.accounts.enums import Role
from hotline.accounts.policy import POLICY, Permission
from hotline.config import Settings, settings_markdown
from hotline.i18n import MESSAGES
from hotline.tickets.enums import EventKind
from hotline.tickets.events import LABELS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "hotline"
# the domain errors (hotline.errors), raised with a message key; LlmUnavailable carries a reason for
# the log instead, shown to people inside the "llm_unavailable" message
ERRORS = {"NotFound", "PermissionDenied", "Unauthenticated", "InvalidInput", "Conflict", "InvalidTransition"}
ERRORS |= {"ServiceUnavailable", "DomainError"}


def test_every_setting_is_described() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert missing == [], f"settings without a description: {missing}"


def test_settings_page_is_generated_from_the_settings() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings_markdown(), (
        "docs/settings.md is stale: hotline settings --markdown > docs/settings.md"
    )
    for name in Settings.model_fields:
        assert f"`HOTLINE_{name.upper()}`" in page


def _raised_keys() -> dict[str, list[str]]:
    """Message keys the source raises domain errors with (the first argument, a literal), and where."""
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in ERRORS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
            # policy.check(principal, permission, "key")
            if name == "check" and len(node.args) == 3 and isinstance(node.args[2], ast.Constant):
                found.setdefault(str(node.args[2].value), []).append(
                    f"{path.relative_to(ROOT)}:{node.lineno}"
                )
    return found


def test_the_scan_finds_the_errors_it_should() -> None:
    keys = _raised_keys()
    # a few keys known to be raised, so a scan that finds nothing cannot pass the next test
    assert {"ticket_not_found", "role_forbidden", "screening_denied", "invalid_transition"} <= set(keys)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(_raised_keys()))
def test_every_raised_error_has_a_message_in_both_languages(key: str) -> None:
    where = ", ".join(_raised_keys()[key][:3])
    assert key in MESSAGES, f"no message for {key!r} (raised at {where}): add it to hotline/i18n.py"
    zh, en = MESSAGES[key]
    assert zh.strip() and en.strip(), key
    assert any("\u4e00" <= c <= "\u9fff" for c in zh), f"{key}: the first message should be Chinese"
    assert _placeholders(zh) == _placeholders(en), f"{key}: the two languages name different values"


def test_every_permission_names_its_roles_and_no_citizen_administers() -> None:
    assert set(POLICY) == set(Permission)
    assert all(POLICY[p] for p in Permission)
    assert Role.citizen not in POLICY[Permission.administer]


def test_every_event_kind_has_a_label_in_both_languages() -> None:
    assert set(LABELS) == set(EventKind)
    assert all(zh and en for zh, en in LABELS.values())


def test_every_extension_point_is_named_in_the_plugins_module() -> None:
    doc = plugins.__doc__ or ""
    assert all(f"`{group}`" in doc for group in plugins.GROUPS)
    assert set(plugins.BUILT_IN) == set(plugins.GROUPS)
    # every domain that has background work declares it in its jobs.py, and that module is named
    jobs = {p.parent.name for p in SRC.glob("*/jobs.py")} - {"jobs"}
    assert jobs == set(plugins.points(plugins.JOBS))
    assert set(plugins.points(plugins.NOTIFY_CHANNELS)) == {"in_app", "sms", "email"}
