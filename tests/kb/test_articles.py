"""Articles: versions, validity, ownership, and the files they come from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.accounts.principal import SYSTEM
from hotline.errors import Conflict, InvalidInput, PermissionDenied
from hotline.kb import importers, service
from hotline.kb.chunking import chunk
from hotline.kb.enums import ArticleKind, ArticleStatus
from hotline.kb.schemas import ArticleIn, ArticleUpdate
from tests.factories import Actors

BODY = "# 标题\n\n## 条件\n符合条件的可以申请。\n\n## 材料\n身份证。户口簿。"


def test_each_save_is_a_version_and_stale_edits_are_refused(db: Session, actors: Actors) -> None:
    a = service.create_article(db, data=ArticleIn(title="规定", body=BODY), principal=actors.dispatcher)
    assert a.version == 1 and a.status == ArticleStatus.draft
    a = service.update_article(
        db,
        article_id=a.id,
        principal=actors.dispatcher,
        data=ArticleUpdate(
            title="规定（修订）", body=BODY + "\n补充。", status=ArticleStatus.published, expected_version=1
        ),
    )
    assert a.version == 2 and a.published_at is not None
    with pytest.raises(Conflict):
        service.update_article(
            db,
            article_id=a.id,
            principal=actors.dispatcher,
            data=ArticleUpdate(title="x", body="y", expected_version=1),
        )
    service.set_status(db, article_id=a.id, status=ArticleStatus.expired, principal=actors.dispatcher)
    history = service.versions(db, article_id=a.id)
    assert [(v.version, v.status) for v in history] == [(1, "draft"), (2, "published"), (3, "expired")]
    assert history[0].title == "规定" and history[1].title == "规定（修订）"


def test_only_published_and_valid_articles_are_served(db: Session, actors: Actors) -> None:
    now = datetime.now(UTC)

    def make(**kw: object) -> bool:
        a = service.create_article(db, data=ArticleIn(title="t", body="b", **kw), principal=actors.dispatcher)  # type: ignore[arg-type]
        return service.is_served(a, now)

    assert make(status=ArticleStatus.published)
    assert not make(status=ArticleStatus.draft)
    assert not make(status=ArticleStatus.published, valid_to=now - timedelta(days=1))
    assert not make(status=ArticleStatus.published, valid_from=now + timedelta(days=1))
    assert make(
        status=ArticleStatus.published, valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=1)
    )
    with pytest.raises(ValueError, match="valid_to"):
        ArticleIn(title="t", body="b", valid_from=now, valid_to=now - timedelta(hours=1))


def test_departments_keep_their_own_articles(db: Session, actors: Actors) -> None:
    mine = service.create_article(db, data=ArticleIn(title="住建政策", body="内容"), principal=actors.zjj)
    assert mine.department_id == actors.zjj.department_id
    theirs = service.create_article(
        db, data=ArticleIn(title="城管政策", body="内容", department_code="CGJ"), principal=actors.dispatcher
    )
    with pytest.raises(PermissionDenied):
        service.update_article(
            db,
            article_id=theirs.id,
            principal=actors.zjj,
            data=ArticleUpdate(title="改", body="改", expected_version=1),
        )
    with pytest.raises(PermissionDenied):
        service.create_article(
            db, data=ArticleIn(title="x", body="y", department_code="CGJ"), principal=actors.zjj
        )
    with pytest.raises(PermissionDenied):
        service.create_article(db, data=ArticleIn(title="x", body="y"), principal=actors.operator)


def test_chunks_keep_headings_and_sentences() -> None:
    long = "这是一句很长的话。" * 60
    pieces = chunk(f"# 指南\n\n## 条件\n{long}\n\n## 材料\n身份证。")
    assert {p.heading for p in pieces} == {"条件", "材料"}
    assert all(len(p.text) <= 320 for p in pieces)
    assert all(p.text.endswith("。") for p in pieces if p.heading == "条件")
    assert "".join(p.text for p in pieces if p.heading == "条件") == long


def _docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("残疾人两项补贴", level=1)
    d.add_heading("申请条件", level=2)
    d.add_paragraph("持有残疾人证的困难残疾人可以申请生活补贴。")
    d.save(str(path))


def _pdf(path: Path) -> None:
    # a one-page PDF with an ASCII text layer (Chinese PDF fonts need embedding; the reader is the same)
    content = b"BT /F1 12 Tf 72 720 Td (Housing fund withdrawal guide) Tj 0 -20 Td (Renters may withdraw once a year.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)


def test_every_supported_format_imports(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 居住证\n\n## 条件\n居住半年以上。", encoding="utf-8")
    (tmp_path / "b.html").write_text(
        "<html><head><title>垃圾分类指南</title><script>x()</script></head><body><h2>分类</h2><p>厨余垃圾投放到绿色桶。</p></body></html>",
        encoding="utf-8",
    )
    _docx(tmp_path / "c.docx")
    _pdf(tmp_path / "d.pdf")
    (tmp_path / "e.csv").write_text(
        "问题,答案\n社保卡丢了怎么办,先挂失再补办。\n医保怎么交,每年9月到12月缴费。\n", encoding="utf-8"
    )
    (md,) = importers.read(tmp_path / "a.md")
    assert md.title == "居住证" and "## 条件" in md.body
    (html,) = importers.read(tmp_path / "b.html")
    assert html.title == "垃圾分类指南" and "## 分类" in html.body and "x()" not in html.body
    (word,) = importers.read(tmp_path / "c.docx")
    assert word.title == "残疾人两项补贴" and "## 申请条件" in word.body and "生活补贴" in word.body
    (pdf,) = importers.read(tmp_path / "d.pdf")
    assert pdf.title == "Housing fund withdrawal guide" and "once a year" in pdf.body
    faq = importers.read(tmp_path / "e.csv")
    assert [(f.title, f.kind) for f in faq] == [
        ("社保卡丢了怎么办", ArticleKind.faq),
        ("医保怎么交", ArticleKind.faq),
    ]


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    cases = {
        "x.exe": "kb_file_format",
        "empty.md": "kb_file_empty",
        "broken.docx": "file_unreadable",
        "faq.csv": "kb_faq_columns",
        "gap.csv": "kb_faq_row",
    }
    (tmp_path / "x.exe").write_bytes(b"MZ")
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    (tmp_path / "faq.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "gap.csv").write_text("问题,答案\n有问题,\n", encoding="utf-8")
    for name, key in cases.items():
        with pytest.raises(InvalidInput) as err:
            importers.read(tmp_path / name)
        assert err.value.message_key == key, name


def test_reimport_updates_the_same_articles(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text("# 指南\n第一版。", encoding="utf-8")
    created, updated, (a,) = service.import_file(db, path=path, principal=SYSTEM, publish=True)
    assert (created, updated, a.version) == (1, 0, 1)
    path.write_text("# 指南\n第二版。", encoding="utf-8")
    created, updated, (b,) = service.import_file(db, path=path, principal=SYSTEM, publish=True)
    assert (created, updated, b.id, b.version) == (0, 1, a.id, 2)
    assert [p.text for p in service.passages(db, article_id=a.id)] == ["第二版。"]


def test_xlsx_faq_list_with_named_columns(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["常见问题", "标准答复", "备注"])
    ws.append(["居住证多久签注一次", "每年签注一次。", ""])
    ws.append(["", "", ""])
    ws.append(["新生儿多久内上户口", "出生后一个月以内申报。", "公安"])
    path = tmp_path / "faq.xlsx"
    wb.save(path)
    faq = importers.read(path, question_column="常见问题", answer_column="标准答复")
    assert [(f.title, f.body) for f in faq] == [
        ("居住证多久签注一次", "每年签注一次。"),
        ("新生儿多久内上户口", "出生后一个月以内申报。"),
    ]
    with pytest.raises(InvalidInput) as err:
        importers.read(path)  # no default column names in this sheet
    assert err.value.message_key == "kb_faq_columns"
