"""`hotline model …`, `hotline routing …` and `hotline gazetteer …` on a fresh SQLite file."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from hotline.cli import app
from hotline.demo.seed import demo_path
from tests.test_cli import fresh_db

__all__ = ["fresh_db"]
runner = CliRunner()


def _labeled_csv(tmp_path: Path, rows: int) -> Path:
    """A labeled file with other column names than the defaults, as a centre's export would have."""
    with demo_path("demo_messages.csv").open(encoding="utf-8-sig") as fh:
        source = list(csv.DictReader(fh))[:rows]
    path = tmp_path / "labeled.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["标题", "内容", "分类"])
        for r in source:
            w.writerow([r["留言主题"], r["留言详情"], r["一级分类"]])
    return path


def test_train_evaluate_list_rollback(fresh_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    data = _labeled_csv(tmp_path, 300)
    args = ["--text-column", "标题", "--text-column", "内容", "--label-column", "分类"]
    r = runner.invoke(app, ["model", "train", str(data), *args, "--folds", "3"])
    assert r.exit_code == 0, r.output
    assert "3-fold cross-validation" in r.output and "macro-F1" in r.output and "reliability" in r.output
    assert "model version 1" in r.output and "is active" in r.output
    r = runner.invoke(app, ["model", "train", str(data), *args, "--folds", "0", "--method", "tfidf-nb"])
    assert r.exit_code == 0 and "model version 2 (tfidf-nb" in r.output
    r = runner.invoke(app, ["model", "evaluate", str(data), *args])
    assert r.exit_code == 0 and "model version 2" in r.output and "accuracy" in r.output
    r = runner.invoke(app, ["model", "list"])
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("* v2") and lines[1].startswith("  v1")
    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 0 and "model version 1 is active again" in r.output
    # a wrong column name is a clear error, not a traceback
    r = runner.invoke(
        app, ["model", "evaluate", str(data), "--text-column", "正文", "--label-column", "分类"]
    )
    assert r.exit_code != 0
    assert r.exception is not None and "正文" in str(getattr(r.exception, "params", r.exception))


def test_routing_import_export_and_gazetteer(fresh_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--tickets", "30"]).exit_code == 0
    r = runner.invoke(app, ["routing", "export"])
    assert r.exit_code == 0 and r.output.startswith("category,area_code,department_code")
    assert "城乡建设,MH-QS,QS-ZX" in r.output
    r = runner.invoke(app, ["gazetteer", "add", "明湖第一中学", "MH-HB-DQ-02"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["gazetteer", "mine", "--min-support", "2"])
    assert r.exit_code == 0 and "(dry run)" in r.output


def test_matters_import_export_list_review_and_learn(fresh_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve", "--tickets", "30"]).exit_code == 0
    r = runner.invoke(app, ["matters", "list", "路灯"])
    assert r.exit_code == 0 and "CG-01" in r.output and "市城市管理局" in r.output
    r = runner.invoke(app, ["matters", "export"])
    assert r.exit_code == 0 and r.output.startswith("code,name,description,examples")
    exported = tmp_path / "matters.csv"
    exported.write_text(r.output, encoding="utf-8")
    r = runner.invoke(app, ["matters", "import", str(exported)])
    assert r.exit_code == 0 and "nothing changed" in r.output
    xlsx = tmp_path / "matters.xlsx"
    r = runner.invoke(app, ["matters", "export", "--xlsx", str(xlsx)])
    assert r.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"
    one = tmp_path / "one.csv"
    one.write_text(
        r"code,name,department_code,examples" + "\nX-01,古树名木保护,CGJ,老树快死了没人管\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["matters", "import", str(one), "--replace"])
    assert r.exit_code == 0 and "1 created" in r.output and "112 switched off" in r.output
    r = runner.invoke(app, ["matters", "review"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["matters", "learn"])
    assert r.exit_code == 0 and "a department model needs at least" in r.output
