"""The checkable facts of a Chinese text: numbers with their units, amounts, percentages, dates, times
of day and telephone numbers, each normalised so that 三个月 and 3个月, 一千五百元 and 1500元, 晚上十点
and 22时 are the same fact, and 3个月 and 3个工作日 are not.

Chinese numerals are read by cn2an (MIT). It also turns words like 一般 or 统一 into digits, so a
number written in Chinese counts only with a unit after it; a bare number counts only where the text
wrote it in digits."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import cn2an

from hotline.nlp.text import normalize

# numbers a centre's own texts name everywhere: never a made-up fact
OWN_NUMBERS = frozenset({"12345"})

_UNIT = {
    "工作日": "工作日",
    "自然日": "日",
    "日": "日",
    "天": "日",
    "小时": "小时",
    "分钟": "分钟",
    "周岁": "岁",
    "岁": "岁",
    "月": "月",
    "年": "年",
    "周": "周",
    "星期": "周",
    "次": "次",
    "人": "人",
    "份": "份",
    "件": "件",
    "户": "户",
    "项": "项",
    "条": "条",
    "平方米": "平方米",
    "平米": "平方米",
    "米": "米",
    "公里": "公里",
    "千米": "公里",
    "公斤": "公斤",
    "吨": "吨",
    "页": "页",
    "张": "张",
    "本": "本",
    "倍": "倍",
    "辆": "辆",
    "所": "所",
}
_UNITS = "|".join(sorted(_UNIT, key=len, reverse=True))
# numbers are read up to 15 digits (a longer run is not a fact a text states, and an unbounded one
# costs time and overflows)
_NUM = r"\d{1,15}(?:\.\d{1,6})?"
_LIMIT = 20_000  # characters of a text read for facts
# counting words: "one" of these is how the language counts (一年可以办一次, 一条路), rarely a fact
_COUNTING = frozenset({"年", "次", "条", "项", "件", "份", "本", "张", "人", "户", "所", "辆", "倍"})
_PM = {"下午", "晚上", "傍晚", "夜间", "夜里", "晚"}

_FACT = re.compile(
    r"(?P<phone>(?<![\d.])(?:0\d{2,3}-?)?\d{7,8}(?![\d.])|(?<![\d.])1[3-9]\d{9}(?![\d.])|(?<![\d.])\d{5}(?=热线|服务热线|专线))"
    r"|(?P<date>(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]|(?P<y2>\d{4})[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2}))"
    r"|(?P<month>(?P<y3>\d{4})年(?P<m3>\d{1,2})月)"
    r"|(?P<year>(?<![\d.])(?P<y4>\d{4})年(?!\d|以|内|后|前|左右))"
    rf"|(?P<money>(?P<mv>{_NUM})(?P<mu>万|千)?(?:元|块钱|块))"
    rf"|(?P<percent>(?P<pv>{_NUM})%|(?P<tenths>\d)成(?![本年立功为绩员熟都交人]))"
    rf"|(?P<ordinal>第(?P<ov>\d+)(?P<ou>条|款|项|步|章|节|类|档|级))"
    rf"|(?P<quantity>(?P<qv>{_NUM})(?:多|余)?个?(?P<qu>{_UNITS})(?!性))"
    r"|(?P<clock>(?P<ap>凌晨|早上|上午|中午|下午|晚上|傍晚|夜间|夜里|晚)?(?P<h>\d{1,2})[点时:：](?P<min>半|\d{1,2}分?)?)"
)
_BARE = re.compile(r"(?<![\d.])\d{1,15}(?:\.\d{1,6})?(?![\d.])")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")


@dataclass(frozen=True)
class Fact:
    kind: str  # phone, date, month, year, money, percent, ordinal, quantity, clock, number
    value: str  # normalised: "3|月", "1500", "22:00", "11-3"
    text: str  # as it was written

    def __str__(self) -> str:
        return self.text


# spoken forms written out before the numerals are read
_SPOKEN = (
    (re.compile(r"第二天|第二日|隔天"), "次日"),
    (re.compile(r"一年半"), "18个月"),
    (re.compile(r"(?<![一二三四五六七八九十\d])半年"), "6个月"),
    (re.compile(r"半个月"), "15天"),
)


def arabic(text: str) -> str:
    """The text normalised, with Chinese numerals in digits (三个月 → 3个月, 半年 → 6个月)."""
    text = _THOUSANDS.sub("", normalize(text[:_LIMIT]))
    for pattern, written in _SPOKEN:
        text = pattern.sub(written, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return str(cn2an.transform(text, "cn2an"))
        except (ValueError, KeyError, IndexError):
            return text


def _num(value: str) -> str:
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


@lru_cache(maxsize=4096)
def _facts(text: str) -> tuple[Fact, ...]:
    converted = arabic(text)
    out: list[Fact] = []
    for m in _FACT.finditer(converted):
        kind = m.lastgroup if m.lastgroup in {"phone", "date", "month", "year", "money", "percent"} else None
        g = m.groupdict()
        if g["phone"]:
            value = re.sub(r"\D", "", g["phone"])
            kind = "phone"
        elif g["date"]:
            month, day = (g["m"], g["d"]) if g["m"] else (g["m2"], g["d2"])
            value = f"{int(month)}-{int(day)}"
            kind = "date"
            year = g["y"] or g["y2"]
            if year:  # a date's year is a fact of its own: 2023年11月5日 is not 2024年11月5日
                out.append(Fact(kind="year", value=year, text=f"{year}年"))
        elif g["month"]:
            value, kind = f"{g['y3']}-{int(g['m3'])}", "month"
        elif g["year"]:
            value, kind = g["y4"], "year"
        elif g["money"]:
            scale = {"万": 10000, "千": 1000}.get(g["mu"] or "", 1)
            value, kind = _num(str(float(g["mv"]) * scale)), "money"
        elif g["percent"]:
            value, kind = _num(g["pv"]) if g["pv"] else str(int(g["tenths"]) * 10), "percent"
        elif g["ordinal"]:
            value, kind = f"{int(g['ov'])}|{g['ou']}", "ordinal"
        elif g["quantity"]:
            if _num(g["qv"]) == "1" and _UNIT[g["qu"]] in _COUNTING:
                continue  # 一年, 一次, 一条路: "one" is how the language counts, rarely a fact
            value, kind = f"{_num(g['qv'])}|{_UNIT[g['qu']]}", "quantity"
        elif g["clock"]:
            hour = int(g["h"])
            if hour > 24:
                continue
            if g["ap"] in _PM and hour < 12:
                hour += 12
            minutes = 30 if g["min"] == "半" else int(re.sub(r"\D", "", g["min"] or "") or 0)
            value, kind = f"{hour}:{minutes:02d}", "clock"
        if kind is None:
            continue
        out.append(Fact(kind=kind, value=value, text=m.group(0)))
    # a number written in digits with no unit: a fact too (a Chinese numeral alone is not one)
    rest = _FACT.sub(" ", converted)
    written = set(_BARE.findall(_THOUSANDS.sub("", normalize(text[:_LIMIT]))))
    for m in _BARE.finditer(rest):
        if m.group(0) in written:
            out.append(Fact(kind="number", value=_num(m.group(0)), text=m.group(0)))
    return tuple(out)


def facts(text: str) -> list[Fact]:
    """The facts of a text, in order (the same fact may come twice)."""
    return list(_facts(text))


def values(facts_: list[Fact]) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in facts_}


def numbers_of(facts_: list[Fact]) -> set[str]:
    """The bare numbers of a set of facts (for a number written without its unit)."""
    out = set()
    for f in facts_:
        head = f.value.split("|", 1)[0]
        out.add(head)
        if f.kind == "phone":
            out.add(f.value)
    return out


def unsupported(claimed: list[Fact], known: list[Fact]) -> list[Fact]:
    """The claimed facts the known ones do not hold (a bare number: held if any known fact has it)."""
    have = values(known)
    nums = numbers_of(known)
    out = []
    for f in claimed:
        if f.value in OWN_NUMBERS:
            continue
        if f.kind == "number":
            if f.value not in nums:
                out.append(f)
        elif f.kind == "clock":
            # 22时 is also 晚上10点; a clock time the known text wrote as a bare hour counts
            bare = {k.value for k in known if k.kind == "number"}
            if (f.kind, f.value) not in have and f.value.split(":")[0] not in bare:
                out.append(f)
        elif (f.kind, f.value) not in have:
            out.append(f)
    return out
