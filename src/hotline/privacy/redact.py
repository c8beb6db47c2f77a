"""Redaction of personal data from text the public may be shown: ID numbers, phone numbers (in
groups, dotted, full-width, read out in Chinese numerals), e-mail addresses, plate numbers, house and
room numbers (rules), and people's names (LAC's person entities; a name keeps
its surname and any form of address: 王建国 → 王某某, 刘女士 stays 刘女士)."""

from __future__ import annotations

import re
from functools import lru_cache

from hotline.nlp.entities import persons

ID_NUMBER = "[身份证号已隐去]"
PHONE = "[电话已隐去]"
EMAIL = "[邮箱已隐去]"
PLATE = "[车牌已隐去]"

_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# seven or more digits, possibly in groups (+86 139 1234 5678, 0571-8888 1234): a phone, a card or an
# account number — all personal; a date written as digits (20261125) is kept
_DIGITS = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?\d(?:(?:\s*-\s*|\s)?\d){6,}(?![0-9])")
_DOTTED_PHONE = re.compile(r"(?<![0-9.])1\d{2}[.·]\d{4}[.·]\d{4}(?![0-9])")
# a number read out digit by digit (一三九一二三四五六七八, as a call transcript writes it)
_SPOKEN_DIGITS = re.compile(r"[零〇一二三四五六七八九幺]{7,}")
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}(?![A-Z0-9])"
)
# full-width digits, letters and the signs phone numbers and addresses are written with, as
# half-width; every dash as "-" (Chinese punctuation such as ，。 is left as it is)
_HALF_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
        **dict.fromkeys("—–‐‑−－", "-"),
        "＋": "+",
        "＠": "@",
        "．": ".",
        "\u3000": " ",
    }
)
_DATE = re.compile(r"^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_NUM = r"(?:\d+|[一二三四五六七八九十百零〇两]+)"
# house, building, unit, floor and room numbers: 幸福路12号3栋2单元502室, 3-502室, 5号楼, 十二层 (not
# document numbers such as 〔2025〕66号, dates such as 25号 after 月, or metro lines such as 3号线)
_HOUSE = re.compile(
    rf"(?<![月0-9一二三四五六七八九十百零〇两\]〕】）)]){_NUM}(?:-{_NUM})*(?=号楼|号院|号(?!线)|栋|幢|座|单元|楼|层|室|户|弄|门)|(?<!\d)\d{1, 3}(?:-\d{1, 4}){1, 2}(?=室|号|户)"
)
# a room number written bare after its building or unit (3栋502, 2单元301, 二单元五零二), after a
# block letter (A座1203) or a word for it (房号1203); building-unit-room as 5-1-302
_ROOM = re.compile(
    r"(?:(?<=单元)|(?<=[栋幢座])|(?<=号楼)|(?<=房号)|(?<=房间)|(?<=门牌))(?:\d{2,4}|[零〇一二三四五六七八九]{2,4})(?![0-9号楼层室])"
    r"|(?<![0-9-])\d{1,3}-\d{1,3}-\d{2,4}(?![0-9-])"
)
# what LAC sometimes takes for a person but is a place or a thing (贺龙体校路, 水木轩, 梁混凝土)
_NOT_A_PERSON = ("路", "路上", "街", "店", "厂", "府", "馆", "站", "混凝土", "电梯")
# a name right after the words that introduce one (我叫…, 联系人：…, 姓名：…), which LAC misses for rare
# surnames (都, 僧, 谈, 卜…)
_NAMED = re.compile(
    r"(?:我叫|名叫|本人叫|联系人[:：]?|姓名[:：]?)([\u4e00-\u9fff]{2,4}?)(?=[，。,.；;、！!？?\s（(]|$)"
)
_COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "轩辕",
    "钟离",
    "独孤",
    "南宫",
    "西门",
]
_FORMS_OF_ADDRESS = [
    "女士",
    "先生",
    "小姐",
    "师傅",
    "老师",
    "阿姨",
    "叔叔",
    "大爷",
    "大妈",
    "大姐",
    "大哥",
    "奶奶",
    "爷爷",
    "老板",
    "经理",
    "主任",
    "科长",
    "处长",
    "局长",
    "书记",
    "队长",
    "所长",
    "站长",
    "村长",
    "组长",
    "医生",
    "律师",
    "警官",
    "同志",
    "老人",
    "某",
]


def _mask_name(name: str) -> str:
    if name.startswith(("老", "小")) and len(name) == 2:  # 老王, 小李: a surname alone
        return name
    surname = next((s for s in _COMPOUND_SURNAMES if name.startswith(s)), name[:1])
    rest = name[len(surname) :]
    tail = next((f for f in _FORMS_OF_ADDRESS if rest.endswith(f)), "")
    given = rest[: len(rest) - len(tail)]
    return surname + ("某" * min(2, len(given))) + tail


def _digits(match: re.Match[str]) -> str:
    run = match.group(0)
    return run if _DATE.match(re.sub(r"[\s-]", "", run)) else PHONE


@lru_cache(maxsize=4096)
def redact(text: str) -> str:
    """Return the text with personal data replaced; the same text gives the same result (cached)."""
    if not text:
        return text
    out = text.translate(_HALF_WIDTH)
    out = _ID.sub(ID_NUMBER, out)
    out = _EMAIL.sub(EMAIL, out)
    out = _PLATE.sub(PLATE, out)
    out = _DOTTED_PHONE.sub(PHONE, out)
    out = _DIGITS.sub(_digits, out)
    out = _SPOKEN_DIGITS.sub(PHONE, out)
    out = _HOUSE.sub("*", out)
    out = _ROOM.sub("*", out)
    spans = {(e.start, e.end) for e in persons(out) if not e.text.endswith(_NOT_A_PERSON)}
    spans |= {(m.start(1), m.end(1)) for m in _NAMED.finditer(out)}
    at = len(out) + 1
    for start, end in sorted(spans, reverse=True):
        if end <= at:  # overlapping finds: the later (outer) one was masked already
            out = out[:start] + _mask_name(out[start:end]) + out[end:]
            at = start
    return out
