"""Checks on what a large model wrote, before a person sees it. The platform, not the model, answers
for what reaches a citizen or goes out under a department's name, whichever model a centre plugs in.

- **Support** (`support`): a sentence is supported by the texts it rests on (the KB passages an
  answer cites, a ticket's record) when every fact it names — number, amount, date, time, phone,
  unit (`hotline.llm.facts`) — is in them, and a logistic model of its meaning (the shared embedding's
  closest sentence), the share of its words and character pairs found in them and a negation that
  one side has and the other not says it is. The model and its threshold are fitted by
  scripts/fit_support.py on bench/data/llm_answers_dev.csv and stored in llm/data/support.json;
  bench/llm_checks.py measures it on the held-out sentences. Without the embedding, words decide.
- **Echo** (`echo`): a sentence that repeats the instructions the model was given, or talks about the
  task instead of doing it (以下是答复：, 好的，我将…).
- **Injection** (`injection`): a citizen's text that tries to give the model instructions, and
  `fence`, which puts a citizen's text inside markers the model is told to read as data only.
- **Verdicts** (`check_answer`, `check_draft`): sentence by sentence, with a reason in Chinese for
  staff when a text is withheld or a sentence removed."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from hotline.llm import facts as facts_
from hotline.llm.facts import Fact
from hotline.nlp import embedding
from hotline.nlp.text import normalize, stopwords, words

log = logging.getLogger(__name__)

SUPPORT_FILE = Path(__file__).parent / "data" / "support.json"

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CITATION = re.compile(r"\[(\d+(?:[,，、]\s*\d+)*)\]|【(\d+)】")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATION = re.compile(
    r"不(?!超过|少于|低于|高于|多于|等)|没有|没|无需|无须|无法|未|禁止|严禁|不得|不予|不能|不可|非"
)
# what a reply says to be polite, asserting nothing a record could hold
_COURTESY = re.compile(
    r"^(市民|网友|尊敬的|亲爱的)?(您好|你好)|感谢|谢谢|欢迎|理解和支持|敬请谅解|祝您|希望.{0,8}(帮助|满意)|"
    r"如(有|还有)(其他)?(疑问|问题|需要)|请随时|可(拨打|致电)12345|12345(热线|服务热线)(咨询|反映)"
)
PLACEHOLDER = re.compile(r"【待填写[:：][^】]*】")
# the model talking about the task instead of doing it
_META = re.compile(
    r"^(好的|明白|收到|当然)[，,。！!]|^(以下|下面)(是|为)|答复(正文|如下|内容)[:：]?$|^根据(您|你)的要求|"
    r"^作为.{0,12}(助手|AI|模型)|^我(将|会)(根据|为您|按照).{0,10}(起草|撰写|回答|生成)|^(答复|回复|草稿)[:：]$"
)
# a citizen's text that tries to instruct the model
_INJECTION = re.compile(
    r"(忽略|无视|忘记|不要理会|跳过)(掉)?(以上|上面|之前|前面|先前|所有|全部|你的|系统)[^。！？\n]{0,12}(指令|指示|要求|规则|设定|提示|规定)|"
    r"ignore (all |any )?(the )?(previous|above|prior|earlier) (instructions|prompts|rules)|"
    r"(你现在是|你的新(身份|任务|角色)|从现在(开始|起)你|扮演|角色扮演)|"
    r"(系统|system)\s*(提示|prompt|指令)|(输出|打印|告诉我|泄露)(你的)?(提示词|系统提示|指令)|"
    r"(资料|参考资料|政策依据|知识库)\s*[:：]\s*\[?\d|^\s*\[\d+\]|(请|必须)(回答|输出|答复|选择)[^。\n]{0,20}(为|是)[“\"「]",
    re.IGNORECASE | re.MULTILINE,
)
FENCE_OPEN, FENCE_CLOSE = "<<<市民原文>>>", "<<<原文结束>>>"


_TRAILING_CITATION = re.compile(r"([。！？!?；;])\s*((?:\[\d+(?:[,，、]\s*\d+)*\]|【\d+】)+)")


def sentences(text: str) -> list[str]:
    """The sentences of a text, as written (a citation after a sentence's full stop kept with it)."""
    text = _TRAILING_CITATION.sub(r"\2\1", text)
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip(" ：:，,")]


def strip_citations(sentence: str) -> str:
    return _CITATION.sub("", sentence).strip()


def cited(sentence: str) -> list[int]:
    out = []
    for m in _CITATION.finditer(sentence):
        out += [int(x) for x in re.findall(r"\d+", m.group(0))]
    return out


def courtesy(sentence: str) -> bool:
    """A polite sentence that asserts nothing checkable (greeting, thanks, an invitation to ask again)."""
    s = normalize(strip_citations(sentence))
    return bool(_COURTESY.search(s)) and len(s) <= 40 and not facts_.unsupported(facts_.facts(s), [])


def _bigrams(text: str) -> set[str]:
    chars = "".join(_CJK.findall(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


_GENERIC = frozenset(
    [
        "可以",
        "需要",
        "办理",
        "申请",
        "进行",
        "相关",
        "部门",
        "市民",
        "您",
        "我们",
        "如果",
        "一般",
        "按照",
        "根据",
        "规定",
        "情况",
        "问题",
        "提供",
        "咨询",
        "包括",
        "其中",
        "以及",
        "或者",
        "并且",
        "可",
        "能",
        "会",
        "要",
        "应",
        "应当",
        "须",
        "必须",
        "的话",
        "时候",
        "哪些",
        "什么",
        "怎么",
        "如何",
    ]
)


def _content_words(text: str) -> list[str]:
    stop = stopwords()
    return [
        w
        for w in words(normalize(text))
        if len(w) > 1 and w not in stop and w not in _GENERIC and _CJK.search(w)
    ]


@dataclass(frozen=True)
class SupportModel:
    """Logistic regression over (meaning, word coverage, character-pair coverage, negation mismatch)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    model: str

    def probability(self, x: tuple[float, ...]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@cache
def support_model() -> SupportModel | None:
    try:
        data = json.loads(SUPPORT_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return SupportModel(
        weights=tuple(data["weights"]), bias=data["bias"], threshold=data["threshold"], model=data["model"]
    )


# without the embedding (or a fitted model): words alone, strictly
WORDS_ALONE = (0.75, 0.6)  # word coverage, character-pair coverage


@dataclass
class Evidence:
    """What the texts a sentence rests on say to it."""

    meaning: float | None  # cosine with the closest of their sentences
    closest: str | None
    word_coverage: float
    pair_coverage: float
    negation_mismatch: float
    missing_facts: list[Fact]
    missing_words: list[str]

    def features(self) -> tuple[float, float, float, float]:
        return (self.meaning or 0.0, self.word_coverage, self.pair_coverage, self.negation_mismatch)


class Basis:
    """The texts a generated text may rest on, prepared once: their sentences, facts, words and (when
    the embedding is had) vectors."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = [t for t in texts if t and t.strip()]
        joined = "\n".join(self.texts)
        self.normalized = normalize(joined)
        self.facts = facts_.facts(joined)
        self.pairs = _bigrams(self.normalized)
        self.sentences = [strip_citations(s) for t in self.texts for s in sentences(t)]
        self._vectors: np.ndarray | None = None
        self._embedded = False

    def vectors(self) -> np.ndarray | None:
        if not self._embedded:
            self._embedded = True
            if self.sentences:
                try:
                    self._vectors = embedding.encode(self.sentences)
                except embedding.EmbeddingUnavailable:
                    self._vectors = None
        return self._vectors

    def evidence(self, sentence: str) -> Evidence:
        s = strip_citations(sentence)
        ns = normalize(s)
        content = _content_words(s)
        found = [w for w in content if w in self.normalized]
        pairs = _bigrams(ns)
        meaning = closest = None
        vectors = self.vectors()
        if vectors is not None and len(self.sentences):
            try:
                v = embedding.encode_one(s)
            except embedding.EmbeddingUnavailable:
                v = None
            if v is not None:
                sims = vectors @ v
                best = int(np.argmax(sims))
                meaning, closest = float(sims[best]), self.sentences[best]
        if closest is None and self.sentences:
            # without meaning: the sentence sharing most character pairs
            closest = max(self.sentences, key=lambda t: len(pairs & _bigrams(normalize(t))))
        negated = bool(_NEGATION.search(ns))
        mismatch = float(closest is not None and negated != bool(_NEGATION.search(normalize(closest))))
        return Evidence(
            meaning=meaning,
            closest=closest,
            word_coverage=len(found) / len(content) if content else 1.0,
            pair_coverage=len(pairs & self.pairs) / len(pairs) if pairs else 1.0,
            negation_mismatch=mismatch,
            missing_facts=facts_.unsupported(facts_.facts(s), self.facts),
            missing_words=[w for w in content if w not in self.normalized],
        )


@dataclass
class SentenceCheck:
    text: str
    kind: str  # claim, courtesy, placeholder, echo
    supported: bool
    probability: float | None = None
    reasons: list[str] = field(default_factory=list)  # in Chinese, for staff

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "kind": self.kind,
            "supported": self.supported,
            "probability": None if self.probability is None else round(self.probability, 3),
            "reasons": self.reasons,
        }


def judge(evidence: Evidence) -> tuple[bool, float | None, list[str]]:
    """Whether the evidence supports a sentence: facts first, then the fitted model (or words alone)."""
    reasons = []
    if evidence.missing_facts:
        named = "、".join(dict.fromkeys(f.text for f in evidence.missing_facts))
        reasons.append(f"依据中没有“{named}”")
    model = support_model()
    p = None
    if model is not None and evidence.meaning is not None and model.model == embedding.MODEL_NAME:
        p = model.probability(evidence.features())
        ok = p >= model.threshold
    else:
        ok = (
            evidence.word_coverage >= WORDS_ALONE[0]
            and evidence.pair_coverage >= WORDS_ALONE[1]
            and not evidence.negation_mismatch
        )
    if not ok:
        if evidence.negation_mismatch and evidence.word_coverage >= 0.5:
            reasons.append("与依据的肯定或否定相反")
        elif evidence.missing_words:
            reasons.append(f"依据中找不到“{'、'.join(evidence.missing_words[:4])}”")
        else:
            reasons.append("意思在依据中找不到")
    return ok and not evidence.missing_facts, p, reasons


def support(sentence: str, basis: Basis) -> SentenceCheck:
    """Check one sentence against what it may rest on."""
    if courtesy(sentence):
        return SentenceCheck(text=sentence, kind="courtesy", supported=True)
    ok, p, reasons = judge(basis.evidence(sentence))
    return SentenceCheck(
        text=sentence, kind="claim", supported=ok, probability=p, reasons=[] if ok else reasons
    )


@dataclass
class Verdict:
    """The checks of one generated text: passed, or withheld with the reason."""

    passed: bool
    sentences: list[SentenceCheck]
    reason: str | None = None  # in Chinese, for staff

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "reason": self.reason,
            "sentences": [s.as_dict() for s in self.sentences],
        }


def _quote(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_answer(text: str, sources: list[str], *, prompt: str = "") -> Verdict:
    """A generated answer passes when it has a claim and every sentence is supported by the passages
    it cites (courtesy aside) and none echoes the instructions."""
    basis = Basis(sources)
    checks = []
    for s in sentences(text):
        if echo(s, prompt):
            checks.append(SentenceCheck(text=s, kind="echo", supported=False, reasons=["复述了给模型的指令"]))
        else:
            checks.append(support(s, basis))
    bad = [c for c in checks if not c.supported]
    if not any(c.kind == "claim" for c in checks):
        return Verdict(False, checks, "模型的回答没有实际内容")
    if bad:
        first = bad[0]
        return Verdict(
            False,
            checks,
            f"模型回答中有 {len(bad)} 句在所引资料中找不到依据，如“{_quote(first.text)}”：{'；'.join(first.reasons)}",
        )
    return Verdict(True, checks)


def _prompt_fragments(prompt: str, size: int = 6) -> set[str]:
    """The prompt's runs of `size` characters (placeholders' own wording aside)."""
    text = PLACEHOLDER.sub("", normalize(prompt))
    text = re.sub(r"【待填写[:：]…】", "", text)
    chars = re.sub(r"[\s，,。：:；;（）()“”\"、]", "", text)
    return {chars[i : i + size] for i in range(len(chars) - size + 1)}


def echo(sentence: str, prompt: str) -> bool:
    """The sentence repeats the model's instructions or talks about the task instead of doing it."""
    s = normalize(PLACEHOLDER.sub("", sentence)).strip()
    if _META.search(s):
        return True
    if not prompt:
        return False
    chars = re.sub(r"[\s，,。：:；;（）()“”\"、]", "", s)
    if len(chars) < 6:
        return False
    fragments = _prompt_fragments(prompt)
    runs = [chars[i : i + 6] for i in range(len(chars) - 5)]
    return sum(r in fragments for r in runs) >= max(1, len(runs) // 3)


def injection(text: str) -> list[str]:
    """The parts of a citizen's text that try to instruct the model (empty when none)."""
    return [m.group(0) for m in _INJECTION.finditer(normalize(text))]


def fence(text: str) -> str:
    """A citizen's text inside the markers the model is told to read as data, never as instructions;
    markers inside the text itself are broken so the text cannot close the fence."""
    clean = text.replace("<<<", "《《").replace(">>>", "》》")
    return f"{FENCE_OPEN}\n{clean}\n{FENCE_CLOSE}"


def placeholders(text: str) -> list[str]:
    return re.findall(r"【待填写[:：]([^】]+)】", text)


# a sentence that says something was done, by someone, with some result: only the record may hold it
_ACTION = re.compile(
    r"已(经)?[^，。；]{0,8}?(完成|处理|整改|维修|修复|修好|清理|清运|拆除|查处|立案|约谈|责令|督促|安排|协调|落实|办理|"
    r"发放|更换|解决|恢复|核实|调查|答复|告知|联系|回访|处罚|罚款|停工|停止|退还|到位|办结|上门|派员|派出|通知|"
    r"转交|移交|检查|核查|疏通|补发|支付|追回|划入|到账|受理)|"
    r"经(核查|调查|查|了解|现场|核实|检查|协调)|现场(查看|核实|勘查|检查|处置)|(进行|开展|组织)了|"
    r"(安排|派出|派遣|组织)[^，。；]{0,8}(人员|工作人员|执法人员|队员|师傅)|问题(已|已经)?(得到)?(解决|处理|整改)|"
    r"(我|我们|我单位|我局|我中心|本单位)(于|在)?[^，。；]{0,12}(到|赴|前往|对|与|向|联系|约谈|检查|核查|走访)"
)
_TITLE = re.compile(r"[\u4e00-\u9fa5]{1,3}(科长|主任|队长|所长|局长|站长|经理|书记|同志|师傅|警官|专员)")
_ACTION_FILL = "【待填写：已采取的措施及结果】"
_BASIS_FILL = "【待填写：政策依据】"
_FACT_FILL = {
    "date": "【待填写：日期】",
    "month": "【待填写：日期】",
    "year": "【待填写：日期】",
    "clock": "【待填写：时间】",
    "phone": "【待填写：联系电话】",
}


def _asserts_action(sentence: str, persons: list[str]) -> bool:
    s = normalize(PLACEHOLDER.sub("", sentence))
    return bool(_ACTION.search(s) or _TITLE.search(s) or persons)


@dataclass
class DraftCheck:
    """A generated draft after its checks: the text that may be shown (echoes removed, unsupported
    statements replaced by 【待填写】), what was removed and why, or why it is refused altogether."""

    text: str
    sentences: list[SentenceCheck]
    removed: list[SentenceCheck]
    refused: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.refused is None,
            "reason": self.refused,
            "removed": [s.as_dict() for s in self.removed],
            "sentences": [s.as_dict() for s in self.sentences],
        }


def check_draft(
    text: str,
    *,
    record: list[str],
    sources: list[str],
    request: str,
    prompt: str,
    persons: list[str] | None = None,
    find_persons: Callable[[str], list[str]] | None = None,
) -> DraftCheck:
    """Check a generated draft reply sentence by sentence against what the platform knows: an action,
    a date, a person or a result only from the ticket's record (its events and replies); a policy
    statement from the KB passages given; anything else from those or the request itself. What the
    record does not hold becomes 【待填写】; echoed instructions are removed; a draft that is mostly
    echo, or has nothing left, is refused."""
    done = Basis(record)
    known = Basis([*record, *sources, request])
    known_persons = set(persons or [])
    out: list[str] = []
    checks: list[SentenceCheck] = []
    removed: list[SentenceCheck] = []
    all_sentences = sentences(text)
    for s in all_sentences:
        if echo(s, prompt):
            c = SentenceCheck(text=s, kind="echo", supported=False, reasons=["复述了给模型的指令或模板"])
            checks.append(c)
            removed.append(c)
            continue
        if courtesy(s) and not _asserts_action(s, []):
            checks.append(SentenceCheck(text=s, kind="courtesy", supported=True))
            out.append(s)
            continue
        bare = PLACEHOLDER.sub("", s)
        names = [p for p in (find_persons(bare) if find_persons else []) if p not in known_persons]
        names = [p for p in names if p not in done.normalized]
        if _asserts_action(s, names):
            ev = done.evidence(bare)
            ok, p, reasons = judge(ev) if done.texts else (False, None, ["办理记录中还没有任何办理情况"])
            if names:
                ok = False
                reasons = [*reasons, f"办理记录中没有“{'、'.join(names)}”"]
            if (
                not ok
                and PLACEHOLDER.search(s)
                and not ev.missing_facts
                and not names
                and not _ACTION.search(normalize(bare))
            ):
                ok = True  # a sentence of placeholders around a title: nothing asserted
            c = SentenceCheck(
                text=s, kind="action", supported=ok, probability=p, reasons=[] if ok else reasons
            )
            checks.append(c)
            if ok:
                out.append(s)
            else:
                removed.append(c)
                out.append(_ACTION_FILL + ("。" if not s.endswith(("。", "！", "？")) else s[-1]))
            continue
        if PLACEHOLDER.search(s) and not facts_.unsupported(facts_.facts(bare), known.facts):
            checks.append(SentenceCheck(text=s, kind="placeholder", supported=True))
            out.append(s)
            continue
        ev = known.evidence(bare)
        ok, p, reasons = judge(ev)
        c = SentenceCheck(text=s, kind="claim", supported=ok, probability=p, reasons=[] if ok else reasons)
        checks.append(c)
        if ok:
            out.append(s)
        elif ev.missing_facts and ev.word_coverage >= 0.8:
            # the statement is the record's or the KB's but for a date, a time or a number: leave the
            # words, mark what must be filled in
            fixed = s
            for f in ev.missing_facts:
                fixed = fixed.replace(f.text, _FACT_FILL.get(f.kind, f"【待填写：{f.text}须核实】"), 1)
            if fixed == s:  # a fact written in Chinese numerals: the whole sentence
                fixed = _BASIS_FILL + "。"
            removed.append(c)
            out.append(fixed)
        else:
            removed.append(c)
            out.append(_BASIS_FILL + ("。" if not s.endswith(("。", "！", "？")) else s[-1]))
    echoes = sum(c.kind == "echo" for c in checks)
    substantive = [c for c in checks if c.kind in ("claim", "action", "placeholder") and c.supported]
    if all_sentences and echoes * 3 >= len(all_sentences):
        refused = f"模型的草稿有 {echoes} 句复述了给它的指令或模板，没有采用"
    elif not substantive and not any(c.kind in ("action", "claim") for c in checks):
        refused = "模型的草稿没有实际内容"
    else:
        refused = None
    # adjacent identical placeholders collapse into one
    merged: list[str] = []
    for s in out:
        if not (merged and merged[-1] == s and PLACEHOLDER.fullmatch(s.rstrip("。！？"))):
            merged.append(s)
    return DraftCheck(text="".join(merged), sentences=checks, removed=removed, refused=refused)
