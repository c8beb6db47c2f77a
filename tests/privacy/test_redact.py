"""Redaction of personal data from what the public is shown: rules for numbers, LAC for names."""

from __future__ import annotations

import pytest

from hotline.privacy.redact import ID_NUMBER, PHONE, redact

WHISTLEBLOWER = (
    "我叫王建国，身份证号110101199003071233，电话13912345678，住在明湖市湖滨区幸福路12号3栋502室，"
    "举报隔壁李老板的工厂偷排污水"
)


def test_a_whistleblowers_letter_loses_every_personal_detail() -> None:
    out = redact(WHISTLEBLOWER)
    for secret in ("王建国", "110101199003071233", "13912345678", "12号", "502"):
        assert secret not in out
    assert ID_NUMBER in out and PHONE in out
    assert out.startswith("我叫王某某") and "幸福路*号*栋*室" in out
    assert "偷排污水" in out and "湖滨区" in out  # what the request is about stays


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("联系 139 1234 5678 或 0571-88881234", ["1234 5678", "88881234"], ["联系"]),
        ("+86 13912345678 找我", ["13912345678"], ["找我"]),
        ("邮箱 zhang.san@example.com 收", ["zhang.san@example.com"], ["邮箱"]),
        ("身份证 11010519491231002X 丢了", ["11010519491231002X"], ["丢了"]),
        ("我儿子陈小明在实验小学被打了", ["陈小明"], ["陈某某", "实验小学"]),
        ("欧阳娜娜反映物业乱收费", ["欧阳娜娜"], ["欧阳某某"]),
        ("3-502室楼上漏水", ["3-502"], ["*室"]),
        ("电话１３９－１２３４－５６７８", ["5678"], ["电话"]),
        ("拨139.1234.5678或139 - 1234 - 5678或139—1234—5678", ["5678"], ["拨"]),
        ("我的手机是一三九一二三四五六七八", ["一三九一二三四"], ["手机"]),
        (
            "住阳光花园5-1-302，A座1203，房号1206，二单元五零二",
            ["302", "1203", "1206", "五零二"],
            ["阳光花园"],
        ),
        ("车牌浙A12345的车天天堵门", ["A12345"], ["天天堵门"]),
    ],
)
def test_numbers_and_names_are_redacted(text: str, gone: list[str], kept: list[str]) -> None:
    out = redact(text)
    assert not [g for g in gone if g in out], out
    assert all(k in out for k in kept), out


def test_forms_of_address_dates_and_document_numbers_stay() -> None:
    out = redact(
        "刘女士反映，2026年11月25号晚上，20261125那天，2026-11-25，地铁3号线站口积水，依据国办函〔2025〕66号"
    )
    assert "刘女士" in out and "25号晚上" in out and "20261125" in out and "3号线" in out
    assert "2026-11-25" in out and "〔2025〕66号" in out


def test_text_without_personal_data_is_unchanged() -> None:
    text = "小区门口路灯坏了一周，晚上很黑，请尽快修复。"
    assert redact(text) == text
