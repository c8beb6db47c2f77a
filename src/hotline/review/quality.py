"""Score a reply against its request: relevance, completeness (every point answered; what was done, by
whom, when), explanation (the basis cited), timeliness and politeness; flag template-only and evasive
replies. Plain rules over the text — explainable, and the same for every department."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.kb.search import GENERIC, _credit, analyze
from hotline.nlp.text import normalize

WEIGHTS = {
    "relevance": 0.25,
    "completeness": 0.30,
    "explanation": 0.15,
    "timeliness": 0.15,
    "politeness": 0.15,
}
_POINT = re.compile(r"请求|恳请|希望|要求|能否|可否|是否|为什么|为何|何时|什么时候|怎么办|如何|吗|\?|？")
_DONE = re.compile(
    r"已(经)?(完成|处理|整改|维修|修复|清理|清运|拆除|查处|立案|约谈|责令|督促|安排|协调|落实|办理|发放|更换|解决|恢复|核实|调查)|经(核查|调查|查|了解|现场)|现场(查看|核实|勘查)"
)
_WHO = re.compile(
    r"[\u4e00-\u9fa5]{1,12}(局|委|办|中心|街道|社区|公司|大队|中队|所|站|处|科|部门|政府|管委会|物业)|工作人员|执法人员"
)
_WHEN = re.compile(
    r"\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}日|\d+个?(工作)?日内|\d+天内|月底|年底|近期|目前|下一步|预计|计划"
)
_BASIS = re.compile(
    r"《[^》]{2,40}》|依据|根据|按照|依照|规定|条例|办法|第[一二三四五六七八九十百\d]+条|政策|文件|标准"
)
_GREETING = re.compile(r"^(网友|市民|尊敬的|您好|你好|[\u4e00-\u9fa5]{1,4}(先生|女士))")
_THANKS = re.compile(r"感谢|谢谢|欢迎.{0,6}(监督|支持)|理解和支持|如有疑问|咨询电话|联系电话")
_RUDE = re.compile(r"无理取闹|别再|不要再打|自己看着办|不关我们|与我们无关|少管|你们自己")
_DEFLECT = re.compile(
    r"已转(交|办)|请(您)?(向|到|与).{0,14}(咨询|反映|联系|申请|起诉)|不属于.{0,10}(职责|范围|管辖)|建议(您)?(通过|走|采取).{0,6}(法律|诉讼|司法)|自行协商|无法(处理|办理|解决)"
)
_TEMPLATE = re.compile(r"留言已收悉|已收悉|高度重视|转交相关部门|正在处理中|正在调查|将尽快|会尽快")


@dataclass
class Review:
    scores: dict[str, float]
    overall: float
    verdict: str  # good | fair | poor
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "overall": round(self.overall, 3),
            "verdict": self.verdict,
            "flags": self.flags,
            "notes": self.notes,
        }


def _topic_words(text: str, n: int = 12) -> list[str]:
    counts = Counter(t for t in analyze(text) if not t.startswith("~") and len(t) >= 2 and t not in GENERIC)
    return [w for w, _ in counts.most_common(n)]


def _covered(words: list[str], reply_terms: set[str]) -> float:
    return sum(_credit(w, reply_terms) for w in words) / len(words) if words else 0.0


def score(
    title: str,
    content: str,
    reply: str,
    *,
    replied_at: datetime | None = None,
    due_at: datetime | None = None,
) -> Review:
    request = normalize(f"{title}。{content}")
    text = normalize(reply)
    reply_terms = set(analyze(text))
    notes: list[str] = []
    flags: list[str] = []

    relevance = min(1.0, _covered(_topic_words(request), reply_terms) / 0.6)

    points = [s for s in re.split(r"[。！!；;\n]", request) if _POINT.search(s) and len(s) >= 4]
    answered = [p for p in points if _covered(_topic_words(p, 6), reply_terms) >= 0.4]
    point_share = len(answered) / len(points) if points else relevance
    facts = [bool(_DONE.search(text)), bool(_WHO.search(text)), bool(_WHEN.search(text))]
    completeness = 0.6 * point_share + 0.4 * sum(facts) / 3
    if points and len(answered) < len(points):
        notes.append(f"{len(points) - len(answered)} 个诉求点未回应")
    for ok, what in zip(facts, ("做了什么", "由谁办理", "何时办理/办结"), strict=True):
        if not ok:
            notes.append(f"未说明{what}")

    explanation = (
        1.0
        if re.search(r"《[^》]{2,40}》|第[一二三四五六七八九十百\d]+条", text)
        else (0.6 if _BASIS.search(text) else 0.0)
    )
    if explanation == 0:
        notes.append("未引用政策或依据")

    if replied_at is None or due_at is None or replied_at <= due_at:
        timeliness = 1.0
    else:
        late_days = (replied_at - due_at).total_seconds() / 86400
        timeliness = max(0.0, 0.5 - 0.1 * late_days)
        notes.append(f"超期 {late_days:.1f} 天答复")

    politeness = 0.5 * bool(_GREETING.search(text)) + 0.5 * bool(_THANKS.search(text))
    if _RUDE.search(text):
        politeness = 0.0
        flags.append("rude")

    specific = bool(_DONE.search(text)) or bool(re.search(r"\d", text))
    if len(text) < 60 or (_TEMPLATE.search(text) and not specific and relevance < 0.5):
        flags.append("template_only")
        notes.append("答复空泛，只有套话")
    if _DEFLECT.search(text) and not _DONE.search(text):
        flags.append("evasive")
        notes.append("推诿：只说转交或不属职责，未说明理由与去向")

    scores = {
        "relevance": relevance,
        "completeness": completeness,
        "explanation": explanation,
        "timeliness": timeliness,
        "politeness": politeness,
    }
    overall = sum(WEIGHTS[k] * v for k, v in scores.items())
    verdict = "poor" if overall < 0.5 or flags else ("good" if overall >= 0.7 else "fair")
    return Review(scores=scores, overall=overall, verdict=verdict, flags=flags, notes=notes)
