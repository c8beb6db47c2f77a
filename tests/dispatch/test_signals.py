"""Request type and urgency cues, including emergencies that belong to 110/119/120/122."""

from __future__ import annotations

import pytest

from hotline.dispatch import signals

EMERGENCIES = [
    ("着火了", "东桥一社区5栋3楼着火了，浓烟很大，楼里还有老人", "119"),
    ("煤气泄漏", "楼道里闻到很浓的煤气味，好像是302煤气泄漏了", "119"),
    ("有人打架", "菜市场门口现在有人持刀伤人，很多人在跑", "110"),
    ("紧急", "我邻居说不想活了，正站在楼顶要跳楼", "110"),
    ("求救", "公园里一位老人突然晕倒，口吐白沫，叫不醒", "120"),
    ("车祸", "滨江大道刚刚发生车祸，有人被撞倒在地", "122"),
]

NOT_EMERGENCIES = [
    ("消防通道被堵", "小区消防通道长期被私家车占用，存在火灾隐患，请督促物业整改"),
    ("燃气安全检查", "燃气公司上门检查说有漏气隐患要收费，是否合规"),
    ("交通事故理赔", "去年发生车祸至今保险公司不理赔，事故认定书早就出了"),
    ("医疗纠纷", "母亲去年在医院手术后昏迷，医院拒绝承担责任，要求医疗事故鉴定"),
]


@pytest.mark.parametrize(("title", "content", "service"), EMERGENCIES)
def test_emergencies_name_their_service(title: str, content: str, service: str) -> None:
    sig = signals.urgency(title, content)
    assert sig.value == "emergency", sig
    assert service in (sig.service or "").split("、")  # "110、120": every service it belongs to
    assert sig.cues


@pytest.mark.parametrize(("title", "content"), NOT_EMERGENCIES)
def test_hazards_and_past_events_are_not_emergencies(title: str, content: str) -> None:
    assert signals.urgency(title, content).value != "emergency"


def test_urgent_and_normal() -> None:
    assert signals.urgency("井盖丢失", "人民路口井盖丢失，晚上很危险").value == "urgent"
    assert signals.urgency("咨询公积金", "请问公积金怎么提取").value == "normal"


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        ("请问公积金提取需要哪些材料", "我想咨询一下租房提取公积金的流程", "consult"),
        ("投诉某物业公司乱收费", "物业公司强制收取停车费，态度恶劣", "complaint"),
        ("举报小区违建", "12栋业主私自在楼顶搭建违章建筑", "report"),
        ("建议增设公交线路", "建议在高新一社区增设一条公交线路", "suggestion"),
        ("表扬社区工作人员", "感谢社区网格员帮助我家老人办理医保，特此表扬", "praise"),
        ("路灯坏了", "小区门口路灯坏了一周，请尽快维修", "help"),
    ],
)
def test_request_types(title: str, content: str, expected: str) -> None:
    sig = signals.request_type(title, content)
    assert sig.value == expected, sig
    assert sig.cues


def test_a_request_that_says_nothing_is_read_with_low_confidence() -> None:
    from hotline.dispatch import type_reading

    sig = signals.request_type("关于小区的情况", "小区情况如上")
    assert sig.confidence < type_reading.packaged().heads["request_type"].threshold and sig.cues == []
    words = signals.words_request_type("关于小区的情况", "小区情况如上")
    assert words.value == "help" and words.confidence < 0.5 and words.cues == []


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        # a grievance that asks for handling is a complaint, not a plea for help
        (
            "楼上KTV太吵",
            "楼下新开的KTV每晚唱到两三点，音响震得窗户响，严重影响休息，请相关部门处理",
            "complaint",
        ),
        # a wish for an improvement is a suggestion
        ("地铁口缺少非机动车停放点", "希望在地铁站出口附近规划一片非机动车停放区", "suggestion"),
        # wrongdoing told for enforcement, without the word 举报
        ("河边有人夜里倒渣土", "最近每天半夜都有几辆渣土车把建筑垃圾直接倒在河堤边上", "report"),
    ],
)
def test_request_types_by_meaning_where_the_cue_words_are_missing(
    title: str, content: str, expected: str
) -> None:
    assert signals.words_request_type(title, content).value != expected  # the words alone miss it
    sig = signals.request_type(title, content)
    assert sig.value == expected, sig


def test_without_the_embedding_request_types_fall_back_to_the_cues(damaged_embedding: object) -> None:
    sig = signals.request_type("举报小区违建", "12栋业主私自在楼顶搭建违章建筑")
    assert sig.value == "report" and "举报" in sig.cues
