"""What a citizen's free-text follow-up answer says: satisfied or not, resolved or not, and whether the
complaint is about the department's own work (within its power: it can do better) or about policy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hotline.nlp.text import normalize
from hotline.tickets.enums import Satisfaction

_UNSATISFIED = re.compile(
    r"不满意|很不满|非常不满|敷衍|应付|太差|很差|失望|没用|不认可|不接受|糊弄|踢皮球|推诿|不负责"
)
_BASIC = re.compile(r"基本满意|还行|还可以|一般|凑合|马马虎虎|勉强")
_SATISFIED = re.compile(r"满意|很好|不错|感谢|谢谢|点赞|及时|辛苦了|认可")
_UNRESOLVED = re.compile(
    r"没(有)?解决|未解决|不解决|还没|依旧|依然|仍然|还是(老样子|没|不)|没人来|没有人来|没(有)?处理|不了了之|又(坏|出现|开始)|问题还在|照样"
)
_RESOLVED = re.compile(r"(已经|已)?解决了|已解决|处理好了|修好了|已经修|恢复了|搞定|没问题了|处理了")
_POLICY = re.compile(r"政策|规定|不符合条件|不符合|法律|法规|无法办理|上级|国家|标准太|门槛")


@dataclass
class Reading:
    satisfaction: Satisfaction
    resolved: bool | None
    within_power: bool
    cues: list[str]


def read(text: str) -> Reading:
    t = normalize(text)
    cues: list[str] = []
    if m := _UNSATISFIED.search(t):
        sat = Satisfaction.unsatisfied
        cues.append(m.group(0))
    elif m := _BASIC.search(t):
        sat = Satisfaction.basically_satisfied
        cues.append(m.group(0))
    elif m := _SATISFIED.search(t):
        sat = Satisfaction.satisfied
        cues.append(m.group(0))
    else:
        sat = Satisfaction.basically_satisfied
    resolved: bool | None = None
    if m := _UNRESOLVED.search(t):
        resolved = False
        cues.append(m.group(0))
        if sat == Satisfaction.satisfied:
            sat = Satisfaction.basically_satisfied
    elif m := _RESOLVED.search(t):
        resolved = True
        cues.append(m.group(0))
    if resolved is False and sat != Satisfaction.unsatisfied and not _SATISFIED.search(t):
        sat = Satisfaction.unsatisfied
    policy = _POLICY.search(t)
    within = sat == Satisfaction.unsatisfied and not policy
    if policy:
        cues.append(policy.group(0))
    return Reading(satisfaction=sat, resolved=resolved, within_power=within, cues=cues)
