"""`hotline followup read|check|learn` on a fresh SQLite file: a centre audits the follow-up reader on
answers it labelled itself, and trains its own reader."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from hotline.cli import app
from tests.test_cli import fresh_db

__all__ = ["fresh_db"]
runner = CliRunner()


def test_read_check_and_learn(fresh_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    r = runner.invoke(app, ["followup", "read", "不太满意，人来看了一眼就走了"])
    assert r.exit_code == 0, r.output
    reading = json.loads(r.output)
    assert reading["satisfaction"] != "satisfied" and "不太满意" in reading["cues"]
    sample = tmp_path / "sample.csv"
    rows = [
        ("非常满意，第二天就修好了", "satisfied", "yes"),
        ("还是老样子，没人来", "unsatisfied", "no"),
        ("凑合吧", "basically_satisfied", "unknown"),
    ]
    with sample.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "satisfaction", "resolved"])
        w.writerows(rows)
    r = runner.invoke(app, ["followup", "check", str(sample)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["answers"] == 3 and 0 <= report["satisfaction"]["agreement"] <= 1
    assert set(report["satisfaction"]["per_class"]) == {"satisfied", "basically_satisfied", "unsatisfied"}
    texts = {t for t, _, _ in rows}
    assert all(m["text"] in texts and "/" in m["read"] for m in report["misread"])
    bad = tmp_path / "bad.csv"
    bad.write_text("文本,满意度\n好的,满意\n", encoding="utf-8")
    r = runner.invoke(app, ["followup", "check", str(bad)])
    assert r.exit_code == 2 and "缺少列" in r.output
    r = runner.invoke(app, ["followup", "learn"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["version"] == 1 and json.loads(r.output)["confirmed"] == 0
