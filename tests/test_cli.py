"""The `hotline` command on a fresh SQLite file: init, org import, users, tokens, demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotline import db as hotline_db
from hotline.cli import app
from hotline.config import get_settings
from hotline.demo.seed import SCREENED
from hotline.screening.models import ScreeningFlag
from hotline.tickets.models import Ticket
from hotline.tickets.states import Status

runner = CliRunner()


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_ANALYTICS_DIR", str(tmp_path / "analytics"))
    get_settings.cache_clear()
    hotline_db.reset_engine()
    yield url
    hotline_db.reset_engine()
    get_settings.cache_clear()


def test_init_import_user_token_and_demo(fresh_db: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["init"])
    assert r.exit_code == 0, r.output
    assert '"categories": ' in r.output and '"sla_rules": 8' in r.output
    org = tmp_path / "areas.csv"
    org.write_text("code,name,level,parent_code\nTC,测试市,city,\nTC-1,一区,district,TC\n", encoding="utf-8")
    r = runner.invoke(app, ["org", "import", str(org)])
    assert r.exit_code == 0 and '"areas_created":2' in r.output
    r = runner.invoke(app, ["users", "create", "ops1", "operator", "--password", "longenough1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "token", "ops1"])
    assert r.exit_code == 0 and r.output.startswith("hl_")
    r = runner.invoke(app, ["demo", "--no-serve", "--tickets", "40"])
    assert r.exit_code == 0, r.output
    with Session(hotline_db.get_engine()) as s:
        # 40 from the real messages and one request of each rare screening kind
        assert s.scalar(select(func.count()).select_from(Ticket)) == 40 + len(SCREENED)
        assert s.scalar(select(func.count()).select_from(ScreeningFlag)) >= len(SCREENED)
        statuses = set(s.scalars(select(Ticket.status).distinct()))
    assert {Status.registered, Status.dispatched, Status.closed} <= statuses
    # running the demo again adds nothing
    r = runner.invoke(app, ["demo", "--no-serve", "--tickets", "40"])
    assert r.exit_code == 0 and "(0 new tickets)" in r.output


def test_cutting_off_a_user_and_rotating_keys(fresh_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    r = runner.invoke(app, ["users", "create", "ops2", "operator", "--password", "longenough1"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["users", "token", "ops2", "--name", "cti"]).output.startswith("hl_")
    listed = runner.invoke(app, ["users", "tokens", "ops2"]).output
    assert "\tcti\t" in listed and "active" in listed
    r = runner.invoke(app, ["users", "deactivate", "ops2"])
    assert r.exit_code == 0 and "deactivated" in r.output
    assert "revoked" in runner.invoke(app, ["users", "tokens", "ops2"]).output  # its token ended with it
    assert runner.invoke(app, ["users", "activate", "ops2"]).exit_code == 0
    r = runner.invoke(app, ["users", "password", "ops2", "--password", "湖边的柳树又绿了2026"])
    assert r.exit_code == 0 and "changed" in r.output
    key = runner.invoke(app, ["keys", "generate"]).output.strip()
    assert len(key) == 44 and key.endswith("=")
    r = runner.invoke(app, ["keys", "rotate", "--blind-index"])
    assert r.exit_code == 0 and '"tickets.citizen_phone"' in r.output, r.output


def test_analytics_and_report_commands(fresh_db: str, tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "--no-serve", "--tickets", "60"])
    assert r.exit_code == 0 and "analytics:" in r.output, r.output
    with Session(hotline_db.get_engine()) as s:
        # a month in which departments handled tickets (the demo's screened requests are still waiting)
        month = s.scalar(  # type: ignore[union-attr]
            select(func.max(Ticket.created_at)).where(Ticket.lead_department_id.is_not(None))
        ).strftime("%Y-%m")
    r = runner.invoke(app, ["analytics", "rates", "--period", month])
    assert r.exit_code == 0 and "满意率" in r.output and "接通率" in r.output, r.output
    r = runner.invoke(
        app, ["analytics", "rates", "--period", month, "--by", "department", "--rate", "on_time"]
    )
    assert r.exit_code == 0 and "局" in r.output, r.output
    out = tmp_path / "report.xlsx"
    r = runner.invoke(app, ["report", "--period", month, "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0 and out.read_bytes()[:2] == b"PK", r.output
    r = runner.invoke(app, ["report", "--period", month, "--format", "docx"])
    assert r.exit_code != 0
    r = runner.invoke(app, ["analytics", "hotspots", "--period", month, "--top", "3"])
    assert r.exit_code == 0 and "topics" in r.output, r.output
    r = runner.invoke(app, ["analytics", "refresh"])
    assert r.exit_code == 0 and "months re-taken" in r.output


def test_json_log_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import logging

    from hotline.cli import _JsonLines

    record = logging.LogRecord(
        "hotline.test", logging.WARNING, __file__, 1, "工单 %s 超期", ("20261127-000001",), None
    )
    line = json.loads(_JsonLines().format(record))
    assert (
        line["level"] == "WARNING"
        and line["message"] == "工单 20261127-000001 超期"
        and line["logger"] == "hotline.test"
    )


def test_screening_commands(fresh_db: str) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    r = runner.invoke(app, ["screening", "check", "河里有个小孩掉下去了，快来人救命"])
    assert r.exit_code == 0 and '"emergency": true' in r.output and "110" in r.output, r.output
    r = runner.invoke(app, ["screening", "check", "请问公积金怎么提取"])
    assert r.exit_code == 0 and '"emergency": false' in r.output and '"findings": []' in r.output
    r = runner.invoke(app, ["screening", "rates", "--days", "30"])
    assert r.exit_code == 0 and '"tickets": 0' in r.output, r.output
    r = runner.invoke(app, ["screening", "rollback"])
    assert r.exit_code == 0 and "packaged" in r.output, r.output
    r = runner.invoke(app, ["screening", "train", "--packaged"])
    assert r.exit_code == 0 and '"emergency"' in r.output and "cv_recall" in r.output


def test_kb_import_check_and_embed(fresh_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    kb = Path(__file__).resolve().parents[1] / "src" / "hotline" / "demo" / "kb"
    r = runner.invoke(app, ["kb", "import", *map(str, sorted(kb.glob("*.md"))), "--publish"])
    assert r.exit_code == 0, r.output
    questions = tmp_path / "q.csv"
    questions.write_text(
        "question,article\n驾驶证丢了怎么补办,机动车驾驶证换证和补证\n明天会不会下雨,\n孩子上小学要什么时候报名,新生儿户口登记\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["kb", "check", str(questions)])
    assert r.exit_code == 0, r.output
    assert (
        "2 个可答问题" in r.output
        and "正确拒答 refused 1/1" in r.output
        and "答错 wrong answers 1" in r.output
    )
    assert "✗ 孩子上小学要什么时候报名" in r.output and "驾驶证丢了" not in r.output.split("✗", 1)[1]
    bad = tmp_path / "bad.csv"
    bad.write_text("q,a\nx,y\n", encoding="utf-8")
    r = runner.invoke(app, ["kb", "check", str(bad)])
    assert r.exit_code != 0 and "question" in r.output
    assert runner.invoke(app, ["kb", "embed"]).output.strip() == "0 passages embedded"  # all made on import
