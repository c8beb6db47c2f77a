"""Writing cells and XML that people and partner systems open: every export (tickets, reports, routing
tables) and every XML answer goes through these, so a citizen's text can never become a formula (CSV/formula injection, OWASP) or
make the file unreadable (characters XML forbids, e.g. ESC or BEL, are dropped from XLSX cells)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# a cell that starts with one of these is a formula (or a DDE call) to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will show as text: one starting like a formula is prefixed with a
    single quote (OWASP's advice); numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text, a row at a time (with a BOM, so Excel reads the UTF-8), every cell made safe."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    if bom:
        buf.write("\ufeff")
    writer.writerow([csv_cell(v) for v in header])
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([csv_cell(v) for v in row])
        yield buf.getvalue()


def xml_text(text: str) -> str:
    """Text without the characters XML 1.0 forbids (C0 controls other than tab and newlines)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def xlsx_value(value: Any) -> Any:
    """A value for an XLSX cell: text stays text (no formula, no forbidden characters)."""
    return xml_text(value) if isinstance(value, str) else value


def xlsx_row(ws: Any, row: Iterable[Any]) -> list[Any]:
    """Cells of one row for `ws.append`: strings written as strings, even one starting with "="."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    make = WriteOnlyCell if type(ws).__name__ == "WriteOnlyWorksheet" else Cell
    cells: list[Any] = []
    for value in row:
        if isinstance(value, str):
            cell = make(ws)
            cell.value = xlsx_value(value)
            cell.data_type = "s"  # openpyxl takes "=…" for a formula otherwise
            cells.append(cell)
        else:
            cells.append(value)
    return cells
