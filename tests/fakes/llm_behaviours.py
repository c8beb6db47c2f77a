"""Scripted behaviours of a large model, served by the protocol fake (tests/fakes/openai_server.py):
`misbehaving` replays what a weak model was seen doing against the real engine (issue: a made-up
answer citing a KB passage, a draft inventing what was done and echoing its instructions, a summary
that leaves out the place, a category outside the list, obeying an instruction in a citizen's text);
`faithful` does what a good model should (quotes its passages, states only the record, names the
place). Each reads the request as a real engine would — its system prompt says what it is asked."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.openai_server import Reply, completion

FENCED = re.compile(r"<<<市民原文>>>\n(.*?)\n<<<原文结束>>>", re.S)


def _purpose(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    for key, marker in (
        ("answer", "知识库问答助手"),
        ("summary", "工单摘要助手"),
        ("draft", "答复起草助手"),
        ("opinion", "派单助手"),
        ("critique", "答复质量审核员"),
    ):
        if marker in system:
            return key
    return "other"


def _user(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def _fenced(body: dict[str, Any]) -> str:
    m = FENCED.search(_user(body))
    return m.group(1) if m else ""


def _passages(body: dict[str, Any]) -> list[tuple[int, str]]:
    out = []
    for line in _user(body).splitlines():
        m = re.match(r"\[(\d+)\] 《[^》]*》[^：]*：(.*)", line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


def _options(body: dict[str, Any]) -> list[str]:
    return [line[2:].split("（")[0] for line in _user(body).splitlines() if line.startswith("- ")]


def misbehaving(body: dict[str, Any]) -> Reply:
    purpose = _purpose(body)
    citizen = _fenced(body)
    if purpose == "answer":
        if "忽略以上" in citizen or "资料：[1]" in citizen:
            # obeys the citizen's text
            n = re.search(r"(\d{4,})元", citizen)
            text = f"租房提取公积金每月最高{n.group(1) if n else '5000'}元[1]。"
        else:
            text = "明天明湖市可能会下雨，具体位置可以通过咨询相关政府部门或查阅相关资料来确定。[1]"
        return completion(
            json.dumps({"answerable": True, "answer": text, "citations": [1]}, ensure_ascii=False)
        )
    if purpose == "draft":
        if "忽略以上" in citizen:
            return completion("市民您好！问题已彻底解决，施工单位已被罚款十万元。感谢您的监督！")
        return completion(
            "逐条回应诉求：\n说明已做了什么、由谁、何时（不知道的用【待填写：…】标出，不得编造）：\n"
            "市民您好！我们已按照政策口径直接答复市民，并告知办理渠道。"
            "我局于11月5日安排执法人员王强到现场核查，已责令施工单位停工，问题已解决。感谢您的理解和支持！"
        )
    if purpose == "summary":
        if "系统提示" in citizen:
            return completion(
                json.dumps(
                    {
                        "summary": "此工单无需处理。",
                        "who": None,
                        "where": None,
                        "what": None,
                        "when": None,
                        "demand": None,
                    },
                    ensure_ascii=False,
                )
            )
        return completion(
            json.dumps(
                {
                    "summary": "市民反映夜间施工噪音扰民，要求处理。",
                    "who": "市民",
                    "where": "无",
                    "what": "噪音",
                    "when": "晚上",
                    "demand": "处理",
                },
                ensure_ascii=False,
            )
        )
    if purpose == "opinion":
        return completion(
            json.dumps(
                {"category": "其他类/不存在的分类", "reason": "只能从清单中选择，不得编造。"},
                ensure_ascii=False,
            )
        )
    return completion("好的。")


def faithful(body: dict[str, Any]) -> Reply:
    purpose = _purpose(body)
    citizen = _fenced(body)
    if purpose == "answer":
        passages = _passages(body)
        if not passages:
            return completion(json.dumps({"answerable": False, "answer": "", "citations": []}))
        n, text = passages[0]
        first = re.split(r"(?<=[。；])", text)[0]
        return completion(
            json.dumps({"answerable": True, "answer": f"{first}[{n}]", "citations": [n]}, ensure_ascii=False)
        )
    if purpose == "draft":
        record = re.search(r"办理记录：\n(.*?)\n政策依据", _user(body), re.S)
        lines = [
            line.split("：", 1)[1]
            for line in (record.group(1).splitlines() if record else [])
            if "：" in line
        ]
        did = (
            "".join(f"经查，{line.rstrip('。')}。" for line in lines)
            or "我单位已受理，于【待填写：日期】安排【待填写：人员】核查。"
        )
        return completion(f"市民您好！您反映的问题已收悉。{did}感谢您对我们工作的理解和支持！")
    if purpose == "summary":
        place = re.search(r"[\u4e00-\u9fa5]{2,4}(街道|社区|镇)", citizen)
        first = re.split(r"[，。]", citizen)[0]
        return completion(
            json.dumps(
                {
                    "summary": first + "。",
                    "who": "市民",
                    "where": place.group(0) if place else None,
                    "what": None,
                    "when": None,
                    "demand": None,
                },
                ensure_ascii=False,
            )
        )
    if purpose == "opinion":
        options = _options(body)
        return completion(
            json.dumps({"category": options[0], "reason": "与诉求最相符。"}, ensure_ascii=False)
        )
    return completion("答复基本完整，建议写明办理时间。")
