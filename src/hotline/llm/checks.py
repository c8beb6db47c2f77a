"""Checks on what a large model wrote, before a person sees it. The platform, not the model, answers
for what reaches a citizen or goes out under a department's name, whichever model a centre plugs in.

- **Support** (`support`): a sentence is supported by the texts it rests on (the KB passages an
  answer cites, a ticket's record) when every fact it names — number, amount, date, time, phone,
  unit (`hotline.llm.facts`) — is in them, and a logistic model of its meaning (the shared embedding's
  closest sentence), the share of its words and character pairs found in them and a clash of
  polarity (it negates what they say plainly, or the reverse) says it is. The model and its threshold are fitted by
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
from hotline.nlp import embedding, entities
from hotline.nlp.text import normalize, stopwords, words

log = logging.getLogger(__name__)

SUPPORT_FILE = Path(__file__).parent / "data" / "support.json"

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CITATION = re.compile(r"\[(\d+(?:[,，、]\s*\d+)*)\]|【(\d+)】")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATION = re.compile(
    r"不得|不予|不能|不可|不用|不需|无需|无须|无法|没有|禁止|严禁|不(?!超过|少于|低于|高于|多于|等)|没|未|非"
)
# what a reply says to be polite, asserting nothing a record could hold
_COURTESY = re.compile(
    r"^[\u4e00-\u9fa5]{0,6}[，,]?(您好|你好)|^(尊敬|亲爱)的|感谢|谢谢|欢迎|理解和支持|敬请谅解|请您?(谅解|放心)|"
    r"(深表|表示)(歉意|抱歉)|带来(的)?(不便|困扰)|^祝|希望.{0,8}(帮助|满意)|"
    r"如(有|还有|再有)|(还有|有任何)(疑问|问题)|请随时|(拨打|致电|通过)12345|12345(热线|服务热线)?(咨询|反映)"
)
# saying the request arrived: true of every ticket a department drafts a reply to
_RECEIPT = re.compile(
    r"(已|已经)(收到|收悉|受理|了解|知悉)|(诉求|来电|问题|情况)(我们)?(已|已经)?(收到|收悉|受理)|已转(至|到|交)(我|本)(单位|局|中心|办)(办理|处理)?|高度重视"
)
PLACEHOLDER = re.compile(r"【待填写[:：][^】]*】")
# the model talking about the task instead of doing it
_META = re.compile(
    r"^(好的|明白|收到|当然)[，,。！!]|^(以下|下面)(是|为)|答复(正文|如下|内容)[:：]?$|^根据(您|你)的要求|"
    r"^作为.{0,12}(助手|AI|模型)|^我(将|会)(根据|为您|按照).{0,10}(起草|撰写|回答|生成)|^(答复|回复|草稿)[:：]$|"
    r"^(要求|注意|说明|提示|格式|诉求要点|答复要点|答复须|回复须|输出)[:：]|[:：]$|"
    r"(起草|撰写|拟写|生成)(一份|一篇)?(给市民的)?(答复|回复)|^请(用|根据|按照|先|务必)|称呼市民|逐条回应|"
    r"【待填写】标出|不得编造|(正式|礼貌)的?语气"
)
# a citizen's text that tries to instruct the model
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|别管|不用管|跳过)(掉)?(以上|上面|之前|前面|先前|所有|全部|你的|系统)[^。！？\n]{0,12}(指令|指示|要求|规则|设定|提示|规定|话|内容)|"
    r"(以上|上面|之前)(的)?(内容|要求|指令|规则)(全部|都)?(作废|无效|不算)|新(的)?(指令|任务|规则)\s*[:：]|"
    r"(在|于)(摘要|答复|回复|回答|草稿|总结)(中|里|里面)?(写|写明|写上|注明|说明|填)|(ai|人工智能|模型|助手)[^。\n]{0,6}请注意|"
    r"#+\s*(system|系统|指令|instruction)|从今以后你|"
    r"(ignore|disregard|forget) (all |any )?(the )?(previous |above |prior |earlier )?(instructions|prompts|rules)( above)?|"
    r"(你现在是|你的新(身份|任务|角色)|从现在(开始|起)你|扮演|角色扮演)|"
    r"(系统|system)\s*(提示|prompt|指令)|(输出|打印|告诉我|泄露)(你的)?(提示词|系统提示|指令)|"
    r"(资料|参考资料|政策依据|知识库)\s*[:：]\s*\[?\d|^\s*\[\d+\]|(请|必须)(回答|输出|答复|选择)[^。\n]{0,20}(为|是)[“\"「]",
    re.IGNORECASE | re.MULTILINE,
)
FENCE_OPEN, FENCE_CLOSE = "<<<市民原文>>>", "<<<原文结束>>>"


_TITLE_MARKS = re.compile(r"《[^》]{2,40}》")
_TRAILING_CITATION = re.compile(r"([。！？!?；;])\s*((?:\[\d+(?:[,，、]\s*\d+)*\]|【\d+】)+)")


def sentences(text: str) -> list[str]:
    """The sentences of a text, as written (a citation after a sentence's full stop kept with it)."""
    text = _TRAILING_CITATION.sub(r"\2\1", text)
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip(" ：:，,")]


def strip_citations(sentence: str) -> str:
    return _CITATION.sub("", sentence).strip()


def _negated(text: str) -> list[str]:
    """What a text negates: the two characters after each negation (不可以 → 可以, 无需提供 → 提供)."""
    out = []
    for m in _NEGATION.finditer(text):
        for start in (m.end(), m.end() + 1):
            # 不会制发 negates 制发 as well as 会制: a modal after the negation is skipped too
            if start > m.end() and text[m.end() : m.end() + 1] not in _MODALS:
                break
            head = text[start : start + 2]
            if len(head) == 2 and _CJK.fullmatch(head[0]) and _CJK.fullmatch(head[1]):
                out.append(head)
    return out


_MODALS = frozenset("会能可需要用得予必应该")


_SCOPE_END = re.compile(r"[，,。；;！!？?、：:]")


def _scopes(text: str) -> list[tuple[int, int]]:
    """Where a text's negations reach: from each to the end of its clause (40 characters at most)."""
    out = []
    for m in _NEGATION.finditer(text):
        end = _SCOPE_END.search(text, m.end())
        out.append((m.end(), min(end.start() if end else len(text), m.end() + 40)))
    return out


def _plain(head: str, text: str) -> bool:
    """The text says `head` somewhere outside the reach of its negations."""
    scopes = _scopes(text)
    start = text.find(head)
    while start >= 0:
        if not any(a <= start < b for a, b in scopes):
            return True
        start = text.find(head, start + 1)
    return False


def _negates(head: str, text: str) -> bool:
    """The text says `head` within the reach of one of its negations."""
    return any(head in text[a:b] for a, b in _scopes(text))


def clash(sentence: str, closest: str) -> bool:
    """The sentence and the closest sentence of what it rests on disagree in polarity: it negates what
    that sentence only says plainly (不可以 where it says 可以), or says plainly what that sentence
    only negates."""
    if any(
        _plain(h, closest) and not _negates(h, closest) and not _plain(h, sentence)
        for h in _negated(sentence)
    ):
        return True
    return any(
        _plain(h, sentence) and not _negates(h, sentence) and not _plain(h, closest)
        for h in _negated(closest)
    )


# what makes a sentence say something that could be checked, beside a polite formula
_ASSERTIVE = re.compile(
    r"免费|收费|费用|\d|元|标准|条件|材料|规定|政策|办理|申请|提供|领取|取证|当天|完成|解决|处理|修复|维修|"
    r"已(?!经?(收到|收悉|受理|了解|知悉))|不再|不会|可以(?!随时|再次|拨打|致电|通过|联系)|需要(?!帮助)|须|应当|必须|不得|禁止"
)


def _only_politeness(sentence: str, formula: re.Pattern[str]) -> bool:
    """The sentence holds its formula and nothing more that could be checked: no fact, no deed, no
    rule or price (感谢您的咨询，居住证办理完全免费 is not polite)."""
    s = normalize(strip_citations(sentence))
    if not formula.search(s) or len(s) > 40 or facts_.unsupported(facts_.facts(s), []):
        return False
    rest = formula.sub("", s)
    return not _ASSERTIVE.search(rest.replace("12345", "")) and not _ACTION.search(rest)


def courtesy(sentence: str) -> bool:
    """A polite sentence that asserts nothing checkable (greeting, thanks, an invitation to ask again)."""
    return _only_politeness(sentence, _COURTESY)


def cjk(text: str) -> str:
    """The Chinese characters of a text."""
    return "".join(_CJK.findall(text))


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
    missing_names: list[str] = field(default_factory=list)  # documents, offices and places it names

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
        mismatch = float(closest is not None and clash(ns, normalize(closest)))
        return Evidence(
            meaning=meaning,
            closest=closest,
            word_coverage=len(found) / len(content) if content else 1.0,
            pair_coverage=len(pairs & self.pairs) / len(pairs) if pairs else 1.0,
            negation_mismatch=mismatch,
            missing_facts=facts_.unsupported(facts_.facts(s), self.facts),
            missing_words=[w for w in content if w not in self.normalized],
            missing_names=self._missing_names(s),
        )

    def _missing_names(self, sentence: str) -> list[str]:
        """The documents (《…》), offices and places the sentence names that the texts do not (an
        office named partly, 公积金中心 for 住房公积金管理中心, is theirs)."""
        names = [m.group(0) for m in _TITLE_MARKS.finditer(sentence)]
        try:
            names += [
                e.text
                for e in entities.entities(sentence, frozenset({entities.PLACE, entities.ORGANISATION}))
            ]
        except Exception:  # the entity model is optional help: the other checks stand without it
            log.warning("names not read", exc_info=True)
        out = []
        for name in dict.fromkeys(names):
            pairs = _bigrams(normalize(name))
            if name.startswith("《"):
                if normalize(name) not in self.normalized:
                    out.append(name)
            elif pairs and len(pairs & self.pairs) / len(pairs) < 0.5:
                out.append(name)
        return out


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


def words_alone(evidence: Evidence) -> bool:
    """The rule without the embedding: most of the words and character pairs are the basis's, and
    nothing it says plainly is negated (facts aside)."""
    return (
        evidence.word_coverage >= WORDS_ALONE[0]
        and evidence.pair_coverage >= WORDS_ALONE[1]
        and not evidence.negation_mismatch
    )


def judge(evidence: Evidence) -> tuple[bool, float | None, list[str]]:
    """Whether the evidence supports a sentence: facts first, then the fitted model (or words alone)."""
    reasons = []
    if evidence.missing_facts:
        named = "、".join(dict.fromkeys(f.text for f in evidence.missing_facts))
        reasons.append(f"依据中没有“{named}”")
    if evidence.missing_names:
        reasons.append(f"依据中没有“{'、'.join(evidence.missing_names)}”")
    model = support_model()
    p = None
    if model is not None and evidence.meaning is not None and model.model == embedding.MODEL_NAME:
        p = model.probability(evidence.features())
        ok = p >= model.threshold
    else:
        ok = words_alone(evidence)
    # a sentence that negates what its basis says plainly, or the reverse, is never supported: a close
    # meaning is what such a sentence has
    ok = ok and not evidence.negation_mismatch
    if not ok:
        if evidence.negation_mismatch:
            reasons.append("与依据的肯定或否定相反")
        elif evidence.missing_words:
            reasons.append(f"依据中找不到“{'、'.join(evidence.missing_words[:4])}”")
        else:
            reasons.append("意思在依据中找不到")
    return ok and not evidence.missing_facts and not evidence.missing_names, p, reasons


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


_UNSPACED = re.compile(r"[\s，,。：:；;（）()“”\"、]")  # what a run of characters is read without


@cache
def _prompt_fragments(prompt: str, size: int = 6) -> frozenset[str]:
    """The prompt's runs of `size` characters (placeholders' own wording aside); one prompt serves
    every sentence of every reply, so they are read once."""
    chars = _UNSPACED.sub("", PLACEHOLDER.sub("", normalize(prompt)))
    return frozenset(chars[i : i + size] for i in range(len(chars) - size + 1))


def echo(sentence: str, prompt: str) -> bool:
    """The sentence repeats the model's instructions or talks about the task instead of doing it."""
    s = normalize(PLACEHOLDER.sub("", sentence)).strip()
    if _META.search(s):
        return True
    if not prompt:
        return False
    chars = _UNSPACED.sub("", s)
    if len(chars) < 6:
        return False
    fragments = _prompt_fragments(prompt)
    runs = [chars[i : i + 6] for i in range(len(chars) - 5)]
    return sum(r in fragments for r in runs) >= max(1, len(runs) // 3)


_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


def _visible(text: str) -> str:
    return normalize(_INVISIBLE.sub("", text))


def injection(text: str) -> list[str]:
    """The parts of a citizen's text that try to instruct the model (empty when none)."""
    return [m.group(0) for m in _INJECTION.finditer(_visible(text))]


def without_injection(text: str) -> str:
    """The text up to its first sentence that tries to instruct the model: what that sentence and
    everything after it ask for is no basis for anything the model writes."""
    if not _INJECTION.search(_visible(text)):
        return text
    kept = []
    for s in sentences(_INVISIBLE.sub("", text)):
        if _INJECTION.search(normalize(s)):
            break
        kept.append(s)
    return "".join(kept)


def carries_injection(generated: str, text: str, *, size: int = 4) -> bool:
    """The generated text repeats what a sentence of the citizen's text that tries to instruct the
    model asked for (a run of `size` characters found there and nowhere else in the text)."""
    clean = normalize(without_injection(text))
    whole = sentences(_INVISIBLE.sub("", text))
    kept = len(sentences(clean)) if clean else 0
    injected = whole[kept:]  # the instructing sentence and all after it
    if not injected:
        return False
    runs = set()
    for s in injected:
        chars = "".join(_CJK.findall(normalize(s)))
        runs |= {chars[i : i + size] for i in range(len(chars) - size + 1)}
    runs = {r for r in runs if r not in clean}
    out = "".join(_CJK.findall(normalize(generated)))
    return any(out[i : i + size] in runs for i in range(len(out) - size + 1))


def fence(text: str) -> str:
    """A citizen's text inside the markers the model is told to read as data, never as instructions;
    markers inside the text itself are broken so the text cannot close the fence."""
    clean = _INVISIBLE.sub("", text)
    for marker, broken in (("<<<", "《《"), (">>>", "》》"), ("＜＜＜", "《《"), ("＞＞＞", "》》")):
        clean = clean.replace(marker, broken)
    return f"{FENCE_OPEN}\n{clean}\n{FENCE_CLOSE}"


def placeholders(text: str) -> list[str]:
    return re.findall(r"【待填写[:：]([^】]+)】", text)


# a sentence that says something was done, by someone, with some result: only the record may hold it
# the deeds a reply may say were done; one group is one deed however it is worded
_DEEDS = (
    "完成|办结|办理|处理|落实|解决",
    "整改|整治",
    "维修|修复|修好|抢修|更换|疏通|恢复",
    "清理|清运|清扫|拆除",
    "查处|立案|处罚|罚款|处以|作出|给予|下达",
    "约谈|责令|督促|要求|停工|停止|暂停",
    "安排|派员|派出|派遣|调派|组织|上门|到场|前往",
    "核实|调查|检查|核查|查看|巡查|勘查|走访|查询",
    "答复|告知|通知|联系|回访|回复|电话",
    "转交|移交|转办|转至|转到",
    "发放|补发|支付|退还|追回|划入|到账|制发",
    "协调|调解|协商",
)
_DEED_OF = {verb: i for i, group in enumerate(_DEEDS) for verb in group.split("|")}
_VERB = "|".join(sorted(_DEED_OF, key=len, reverse=True))
# a sentence that says something was done, by someone, with some result: only the record may hold it
_ACTION = re.compile(
    rf"已(经)?[^，。；]{{0,10}}?({_VERB})|经(核查|调查|查|了解|现场|核实|检查|协调)|现场(查看|核实|勘查|检查|处置)|"
    r"(进行|开展|组织)了|行政处罚|(安排|派出|派遣|组织)[^，。；]{0,8}(人员|工作人员|执法人员|队员|师傅)|"
    r"问题(已|已经)?(得到)?(解决|处理|整改)|"
    r"(我|我们|我单位|我局|我中心|本单位)(于|在)?[^，。；]{0,12}(到|赴|前往|对|与|向|联系|约谈|检查|核查|走访)"
)
_VERBS = re.compile(_VERB)
_TITLE = re.compile(r"[\u4e00-\u9fa5](科长|主任|队长|所长|局长|站长|经理|书记|同志|师傅|警官|专员)")
_ACTION_FILL = "【待填写：已采取的措施及结果】"
_BASIS_FILL = "【待填写：政策依据】"
_FACT_FILL = {
    "date": "【待填写：日期】",
    "month": "【待填写：日期】",
    "year": "【待填写：日期】",
    "clock": "【待填写：时间】",
    "phone": "【待填写：联系电话】",
}


def _end(sentence: str) -> str:
    return sentence[-1] if sentence.endswith(("。", "！", "？")) else "。"


# a step's name in a record line (【受理】), not a note of what was done
LABEL = re.compile(r"【[^】]*】")
_PERFECT = re.compile(r"已(?:经)?(?:被)?([\u4e00-\u9fff]{2})")
_FUNCTION = frozenset("对于在向与给将把被经由从按通")


def _perfects(text: str) -> list[str]:
    """What a text says has come about without naming a deed: the two characters after each 已/已经
    (已撤场 → 撤场), unless a deed follows within a few characters (已打电话, 已经到现场检查: the deed
    is checked as a deed) or they start with a preposition (已对该路段…, 已通过短信…)."""
    return [
        m.group(1)
        for m in _PERFECT.finditer(text)
        if m.group(1)[0] not in _FUNCTION and not _VERBS.search(text, m.start(), m.start() + 8)
    ]


def _deed(bare: str, done: Basis, known: Basis, missing: list[Fact]) -> tuple[bool, float | None, list[str]]:
    """Whether the record holds what a sentence says was done: the deed itself (its words) is the
    record's, its dates and numbers are the record's or the request's, and its meaning is the
    record's (judged against the record and the request, so the place it names may be the
    request's)."""
    if not done.texts:
        return False, None, ["办理记录中还没有任何办理情况"]
    if missing:
        return False, None, [f"办理记录中没有“{'、'.join(dict.fromkeys(f.text for f in missing))}”"]
    # every deed the sentence names is one the record's notes name plainly (in any of its words):
    # not a step's label (恢复办理), not one the record says is not done (尚未维修)
    notes = LABEL.sub("", done.normalized)
    held = {_DEED_OF[v] for v in set(_VERBS.findall(notes)) if _plain(v, notes)}
    said = normalize(bare)
    missing_deeds = [v for v in _VERBS.findall(said) if _DEED_OF[v] not in held]
    # and what it says is now so (施工单位已撤场, 路灯已经亮了) the record says too
    missing_deeds += [p for p in _perfects(said) if not _plain(p, notes)]
    if missing_deeds:
        return False, None, [f"办理记录中没有“{'、'.join(dict.fromkeys(missing_deeds))}”"]
    ev = known.evidence(bare)
    ok, p, reasons = judge(ev)
    # the deeds are the record's: the rest of the sentence need only be worded from the record and
    # the request
    ok = ok or (ev.word_coverage >= 0.6 and ev.pair_coverage >= 0.4 and not ev.negation_mismatch)
    return ok, p, reasons


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
    record does not hold becomes 【待填写】; echoed instructions are removed; a draft more than half
    echo, or with nothing left, is refused."""
    done = Basis(record)
    known = Basis([*record, *sources, without_injection(request)])
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
        if carries_injection(s, request):
            c = SentenceCheck(text=s, kind="echo", supported=False, reasons=["照搬了市民原文中给模型的指令"])
            checks.append(c)
            removed.append(c)
            continue
        bare = PLACEHOLDER.sub("", s)
        names = [p for p in (find_persons(bare) if find_persons else []) if p not in known_persons]
        plain = normalize(bare)
        # a person the record does not name, by name (LAC) or by title (张科长, 李师傅)
        names += [m.group(0) for m in _TITLE.finditer(plain)]
        names = [p for p in dict.fromkeys(names) if p not in done.normalized]
        missing = facts_.unsupported(facts_.facts(bare), known.facts)
        if (
            not names
            and not missing
            and (
                (courtesy(s) and not _ACTION.search(plain))
                or (not _ACTION.search(_RECEIPT.sub("", plain)) and _only_politeness(s, _RECEIPT))
            )
        ):
            checks.append(SentenceCheck(text=s, kind="courtesy", supported=True))
            out.append(s)
            continue
        if PLACEHOLDER.search(s) and not names and not missing:
            # what is unknown is marked: the sentence asserts no date, person or number of its own
            checks.append(SentenceCheck(text=s, kind="placeholder", supported=True))
            out.append(s)
            continue
        if _asserts_action(s, names):
            ok, p, reasons = _deed(bare, done, known, missing)
            if names:
                ok = False
                reasons = [*reasons, f"办理记录中没有“{'、'.join(names)}”"]
            c = SentenceCheck(
                text=s, kind="action", supported=ok, probability=p, reasons=[] if ok else reasons
            )
            checks.append(c)
            if ok:
                out.append(s)
            else:
                removed.append(c)
                out.append(_ACTION_FILL + _end(s))
            continue
        ev = known.evidence(bare)
        ok, p, reasons = judge(ev)
        c = SentenceCheck(text=s, kind="claim", supported=ok, probability=p, reasons=[] if ok else reasons)
        checks.append(c)
        if ok:
            out.append(s)
            continue
        removed.append(c)
        fixed = s
        if ev.missing_facts and ev.word_coverage >= 0.8:
            # the statement is the record's or the KB's but for a date, a time or a number: leave the
            # words, mark what must be filled in
            for f in ev.missing_facts:
                fixed = fixed.replace(f.text, _FACT_FILL.get(f.kind, f"【待填写：{f.text}须核实】"), 1)
        out.append(fixed if fixed != s else _BASIS_FILL + _end(s))
    echoes = sum(c.kind == "echo" for c in checks)
    substantive = [c for c in checks if c.kind in ("claim", "action", "placeholder") and c.supported]
    if all_sentences and echoes * 2 > len(all_sentences):
        refused = f"模型的草稿有 {echoes} 句复述了给它的指令或模板，没有采用"
    elif not substantive and not any(c.kind in ("action", "claim") for c in checks):
        refused = "模型的草稿没有实际内容"
    else:
        refused = None
    # a telephone number goes out under the department's name only as a person writes it: one from the
    # record may be anyone's (a note's contact, the citizen's own), one the KB gives is public
    public = facts_.facts("\n".join(sources))
    for i, sentence in enumerate(out):
        for f in facts_.facts(PLACEHOLDER.sub("", sentence)):
            if f.kind == "phone" and facts_.unsupported([f], public) and f.text in sentence:
                out[i] = out[i].replace(f.text, _FACT_FILL["phone"])
    # adjacent identical placeholders collapse into one
    merged: list[str] = []
    for s in out:
        if not (merged and merged[-1] == s and PLACEHOLDER.fullmatch(s.rstrip("。！？"))):
            merged.append(s)
    return DraftCheck(text="".join(merged), sentences=checks, removed=removed, refused=refused)
