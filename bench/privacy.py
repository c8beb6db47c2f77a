"""Redaction of what the public sees: how much personal data it removes and how much else it touches.

The real messages in ../shared/data are anonymised already (names are user ids, phones are zeros), so
personal data is planted into them: for each of N real messages (seed 7) one sentence is inserted at
a sentence boundary, from templates of how citizens write their details (我叫…, 联系人…, 电话…,
身份证号…, 住在…号…栋…室), with names drawn from common surnames and given-name characters (none
looked at against the model before the run). Measured:
- recall per kind: the planted value no longer appears in the output (a name counts as removed when
  its given name is gone; the surname may stay, as 王某某);
- over-redaction on the same messages *before* planting: the share of messages changed at all, and
  of characters changed (phones of offices such as 0731-0000-00000000 in replies are redacted too:
  the rules cannot tell a department's number from a citizen's);
- cost per message.
Side by side: the shipped redaction (rules + LAC person names) and the rules alone.

    python bench/privacy.py [--n 2000]
"""

from __future__ import annotations

import argparse
import csv
import difflib
import random
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵解强柴华车冉房边辜吉饶刁瞿戚丘古米池滕晋苑邬臧畅宫来缪苟全褚廉简娄盖符奚木穆党燕郎邸冀谈姬屠连郜晏栾郁商蒙计喻揭窦迟宇敖糜鄢冷卓花仇艾蓝都巩稽井练仲乐虞卞封竺冼原官衣楚佟栗匡宗应台巫鞠僧桑荆谌银扬明沙薄伏岑习胥保和蔺"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国建华志强志明海燕春梅晓东晓红宏亮国庆丹丹子涵浩然雨萱梓轩欣怡宇航思远文博嘉怡俊杰"
)
SENTENCE_END = re.compile(r"(?<=[。！？!?])")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random) -> str:
    weights, check = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    body = f"{rng.randint(110000, 659000)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + check[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def _phone(rng: random.Random) -> str:
    n = f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
    return rng.choice(
        [
            n,
            f"{n[:3]} {n[3:7]} {n[7:]}",
            f"{n[:3]}-{n[3:7]}-{n[7:]}",
            f"0731-{rng.randint(1000000, 99999999)}",
        ]
    )


TEMPLATES = [
    ("name", "我叫{name}，"),
    ("name", "联系人：{name}。"),
    ("name", "我是{name}的家属，"),
    ("name", "{name}说过会处理。"),
    ("phone", "我的电话是{phone}。"),
    ("phone", "联系方式{phone}，"),
    ("id", "身份证号{id}。"),
    ("id", "本人身份证{id}，"),
    ("house", "我住在{road}{n1}号{n2}栋{n3}室，"),
    ("house", "家住{road}{n1}号院{n2}单元{n3}。"),
]
ROADS = ["幸福路", "建设北路", "人民中路", "书院路", "湘江大道", "望月湖小区"]


def _plant(text: str, rng: random.Random) -> tuple[str, str, str]:
    kind, template = rng.choice(TEMPLATES)

    values = {
        "name": _name(rng),
        "phone": _phone(rng),
        "id": _id_number(rng),
        "road": rng.choice(ROADS),
        "n1": str(rng.randint(1, 300)),
        "n2": str(rng.randint(1, 30)),
        "n3": str(rng.randint(101, 2806)),
    }
    sentence = template.format(**values)
    secret = {
        "name": values["name"][1:],
        "phone": values["phone"],
        "id": values["id"],
        "house": values["n3"],
    }[kind]
    parts = [p for p in SENTENCE_END.split(text) if p]
    at = rng.randint(0, len(parts))
    if kind == "name":  # recall is told per template: some are introduced by words a rule knows
        kind = f"name {template}"
    return "".join([*parts[:at], sentence, *parts[at:]]), kind, secret


def _rules_only(text: str) -> str:
    from hotline.privacy import redact as r

    out = r._ID.sub(r.ID_NUMBER, text)
    out = r._EMAIL.sub(r.EMAIL, out)
    out = r._DIGITS.sub(r._digits, out)
    return r._ROOM.sub("*", r._HOUSE.sub("*", out))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--show-misses", action="store_true", help="print some names left in place")
    args = parser.parse_args()
    from hotline.privacy.redact import redact

    rows = []
    for name in ("messages_replies.csv", "messages_hotspot.csv"):
        with open(DATA / name, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows.append(r["留言详情"][:600])
                if "答复意见" in r:
                    rows.append(r["答复意见"][:600])
    rng = random.Random(7)
    sample = rng.sample(rows, min(args.n, len(rows)))
    methods = {"rules + LAC names (shipped)": lambda t: redact.__wrapped__(t), "rules only": _rules_only}
    print(
        f"{len(sample)} real texts (messages and replies, cut at 600 characters), one planted detail each\n"
    )
    planted = [_plant(t, rng) for t in sample]
    for label, fn in methods.items():
        fn("预热")
        hits: dict[str, list[int]] = defaultdict(list)
        costs = []
        misses: list[str] = []
        for text, kind, secret in planted:
            start = time.perf_counter()
            out = fn(text)
            costs.append((time.perf_counter() - start) * 1000)
            hits[kind].append(int(secret not in out))
            if kind.startswith("name") and secret in out and args.show_misses and len(misses) < 15:
                misses.append(out[max(0, out.find(secret) - 12) : out.find(secret) + 12])
        changed, changed_chars, total_chars = 0, 0, 0
        for text in sample:
            out = fn(text)
            if out != text:
                changed += 1
                sm = difflib.SequenceMatcher(a=text, b=out, autojunk=False)
                changed_chars += sum(i2 - i1 for tag, i1, i2, _, _ in sm.get_opcodes() if tag != "equal")
            total_chars += len(text)
        recall = ", ".join(f"{k} {sum(v) / len(v):.3f} ({len(v)})" for k, v in sorted(hits.items()))
        print(f"{label}:")
        print(f"  recall: {recall}")
        print(
            f"  unplanted texts changed: {changed / len(sample):.3f}; characters changed {changed_chars / total_chars:.4f}"
        )
        for m in misses:
            print(f"  missed name: …{m}…")
        print(
            f"  cost per text: p50 {statistics.median(costs):.2f} ms, p95 {sorted(costs)[int(len(costs) * 0.95)]:.2f} ms\n"
        )


if __name__ == "__main__":
    main()
