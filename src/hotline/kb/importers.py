"""Read knowledge from the files centres have: Markdown, HTML, DOCX, PDF, plain text, and FAQ lists
in CSV/XLSX. Each document becomes one article (its headings kept as Markdown headings, so passages
know where they come from); each FAQ row becomes one article of kind faq."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import InvalidInput
from hotline.kb.enums import ArticleKind

DOCUMENTS = {".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf"}
FAQ_LISTS = {".csv", ".xlsx", ".xlsm"}
DEFAULT_QUESTION_COLUMNS = ("问题", "question", "标题", "title")
DEFAULT_ANSWER_COLUMNS = ("答案", "answer", "回答", "答复", "内容", "body")


@dataclass
class ArticleDraft:
    title: str
    body: str
    kind: ArticleKind
    source: str


def read(
    path: Path, *, question_column: str | None = None, answer_column: str | None = None
) -> list[ArticleDraft]:
    """Return the articles in a file; an unreadable or unsupported file is a clear error."""
    suffix = path.suffix.lower()
    if suffix not in DOCUMENTS | FAQ_LISTS:
        raise InvalidInput("kb_file_format", path=path.name, known=", ".join(sorted(DOCUMENTS | FAQ_LISTS)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput("file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    try:
        if suffix in FAQ_LISTS:
            return _faq(path, data, question_column, answer_column)
        title, body = _document(suffix, data)
    except InvalidInput:
        raise
    except Exception as exc:  # a broken DOCX/PDF/XLSX raises library-specific errors
        raise InvalidInput("file_unreadable", path=path.name, reason=f"{type(exc).__name__}: {exc}") from exc
    body = body.strip()
    if not body:
        raise InvalidInput("kb_file_empty", path=path.name)
    kind = (
        ArticleKind.procedure
        if re.search(r"办事指南|办理流程|办理指南|申请材料", title + body[:200])
        else ArticleKind.policy
    )
    return [ArticleDraft(title=(title or path.stem).strip()[:200], body=body, kind=kind, source=path.name)]


def _document(suffix: str, data: bytes) -> tuple[str, str]:
    if suffix in {".md", ".markdown", ".txt"}:
        text = data.decode("utf-8-sig")
        return _title_of(text), text
    if suffix in {".html", ".htm"}:
        return _html(data)
    if suffix == ".docx":
        return _docx(data)
    return _pdf(data)


def _title_of(markdown: str) -> str:
    for line in markdown.splitlines():
        m = re.match(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", line)
        if m:
            return m.group(1)
    return ""


def _html(data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    lines = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td"]):
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name and el.name[0] == "h":
            lines.append(f"\n{'#' * int(el.name[1])} {text}\n")
            title = title or text
        else:
            lines.append(text)
    return title, "\n".join(lines)


def _docx(data: bytes) -> tuple[str, str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    title, lines = "", []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if style == "Title" or level:
            n = int(level.group(1)) if level else 1
            lines.append(f"\n{'#' * n} {text}\n")
            title = title or text
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return title, "\n".join(lines)


def _pdf(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "\n".join((page.extract_text() or "") for page in reader.pages)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:200], text


def _faq(
    path: Path, data: bytes, question_column: str | None, answer_column: str | None
) -> list[ArticleDraft]:
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        it = wb.active.iter_rows(values_only=True) if wb.active is not None else iter(())
        header = [str(h or "").strip() for h in next(it, ())]
        rows = [{k: ("" if v is None else str(v)) for k, v in zip(header, r, strict=False)} for r in it]
    if not rows:
        raise InvalidInput("kb_file_empty", path=path.name)
    columns = list(rows[0])
    q = question_column or next((c for c in DEFAULT_QUESTION_COLUMNS if c in columns), None)
    a = answer_column or next((c for c in DEFAULT_ANSWER_COLUMNS if c in columns), None)
    if q not in columns or a not in columns:
        raise InvalidInput("kb_faq_columns", path=path.name, found=", ".join(columns))
    out = []
    for i, row in enumerate(rows, start=2):
        question, answer = (row.get(q) or "").strip(), (row.get(a) or "").strip()
        if not question and not answer:
            continue
        if not question or not answer:
            raise InvalidInput("kb_faq_row", path=path.name, line=i)
        out.append(
            ArticleDraft(title=question[:200], body=answer, kind=ArticleKind.faq, source=f"{path.name}#{i}")
        )
    return out
