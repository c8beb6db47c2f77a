"""The report for leaders: the same figures in HTML, PDF and XLSX; a narrative only when a model
answers, marked as generated."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from hotline.analytics import facts, report
from hotline.analytics.store import Store
from hotline.errors import InvalidInput
from tests.analytics.conftest import History
from tests.fakes.openai_server import completion


@pytest.fixture
def built(db: Session, history: History, store: Store, now: datetime) -> report.Report:
    facts.refresh(db, store, now=now + timedelta(days=30))
    return report.build(store.connect(), period="2026-09", session=db, as_of="2026-10-16")


def test_html_shows_each_rate_with_its_numerator_and_denominator(built: report.Report) -> None:
    html = report.to_html(built)
    assert "12345热线运行报告（2026-09）" in html
    assert "满意率" in html and "50.0%" in html and "1 / 2" in html  # satisfaction 1 of 2
    assert "较上期" in html and "-50.0 个百分点" in html  # August was 1 of 1
    assert "<svg" in html  # the trend chart, inline
    assert "市住房和城乡建设局" in html
    assert "大模型" not in html  # no narrative asked for


def test_pdf_carries_the_chinese_text(built: report.Report) -> None:
    pdf = report.to_pdf(built)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "满意率" in text and "问题堵点" in text


def test_xlsx_tables_hold_the_same_figures(built: report.Report) -> None:
    wb = load_workbook(io.BytesIO(report.to_xlsx(built)))
    assert wb.sheetnames == ["指标", "趋势", "单位排名", "区县排名", "热点", "堵点", "问题单位", "典型案例"]
    rows = {r[1]: r for r in wb["指标"].iter_rows(min_row=2, values_only=True)}
    assert rows["satisfaction"][2:5] == (1, 2, 0.5)
    assert rows["on_time"][2:5] == (2, 3, pytest.approx(0.6667, abs=1e-4))
    notable = [r[0] for r in wb["典型案例"].iter_rows(min_row=2, values_only=True)]
    assert built.notable and notable == [n["number"] for n in built.notable]


def test_xlsx_writes_a_citizens_formula_as_text(built: report.Report) -> None:
    """Hotspot and case titles are citizens' words: never a live formula in the workbook."""
    formula = '=HYPERLINK("http://evil.example/","点击")'
    built.notable[0]["title"] = formula + "\x1b"
    wb = load_workbook(io.BytesIO(report.to_xlsx(built)))
    cell = next(c for row in wb["典型案例"].iter_rows(min_row=2) for c in row if c.value == formula)
    assert cell.data_type == "s"


def test_unknown_format_is_refused(built: report.Report) -> None:
    with pytest.raises(InvalidInput):
        report.render(built, "docx")


def test_narrative_from_the_model_is_marked_as_generated(
    db: Session, history: History, store: Store, now: datetime, llm: Any
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    llm.reply(completion("本月满意率为50.0%，较上月下降；建议关注路面塌陷工单的办理。"))
    built = report.build(store.connect(), period="2026-09", session=db, narrative=True)
    assert built.narrative and built.narrative.startswith("本月满意率")
    html = report.to_html(built)
    assert "由大模型" in html and "仅供参考" in html
    prompt = llm.requests[-1]["messages"][0]["content"]
    assert "满意率：50.0%（1/2）" in prompt  # the model is given the figures, not asked to invent them


def test_a_narrative_with_figures_it_was_not_given_is_left_out(
    db: Session, history: History, store: Store, now: datetime, llm: Any
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    llm.reply(completion("本月满意率为85.0%，较上月上升12.5个百分点，表现良好。"))
    built = report.build(store.connect(), period="2026-09", session=db, narrative=True)
    assert built.narrative is None and built.narrative_withheld and "85.0%" in built.narrative_withheld
    html = report.to_html(built)
    assert "由大模型" not in html and "85.0%" in html and "未采用" in html


def test_without_a_model_the_report_is_whole(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    facts.refresh(db, store, now=now + timedelta(days=30))
    built = report.build(store.connect(), period="2026-09", session=db, narrative=True)
    assert built.narrative is None and built.summary


def test_a_unit_missing_from_the_names_keeps_its_id(
    db: Session, history: History, store: Store, now: datetime
) -> None:
    import pyarrow as pa

    from hotline.analytics import rates
    from hotline.analytics.rates import Filter
    from hotline.analytics.store import DIMENSIONS

    facts.refresh(db, store, now=now + timedelta(days=30))
    store.write_dimension("departments", pa.Table.from_pylist([], schema=DIMENSIONS["departments"]))
    flt = Filter(
        history.happy.created_at.date().replace(day=1), history.happy.created_at.date().replace(day=28)
    )
    (row,) = rates.compute(store.connect(), "satisfaction", flt, by="department")
    assert row["name"] == f"#{history.happy.lead_department_id}"
    built = report.build(store.connect(), period="2026-09")
    assert built.departments[0]["name"] == row["name"]
    assert row["name"] in report.to_html(built)
