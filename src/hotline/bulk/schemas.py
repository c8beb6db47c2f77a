"""Response bodies of bulk import."""

from __future__ import annotations

from pydantic import BaseModel


class RowErrorOut(BaseModel):
    line: int
    field: str
    message: str  # what is wrong with the value, for a person to fix the file


class ImportReportOut(BaseModel):
    """What an import found and did: with any error nothing is written (answered with 422)."""

    rows: int
    valid: int
    created: int
    skipped_existing: int
    dry_run: bool
    written: bool
    errors: list[RowErrorOut]
