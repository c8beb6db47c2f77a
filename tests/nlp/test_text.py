"""One tokenizer for every source: pre-segmented and raw text meet in the same form."""

from __future__ import annotations

from hotline.nlp.text import char_part, normalize, tokenize, word_part, words


def test_segmented_and_raw_text_tokenize_alike() -> None:
    raw = "A市西湖建筑集团占道施工有安全隐患"
    segmented = "A 市 西湖 建筑 集团 占 道 施工 有 安全隐患"
    assert normalize(segmented) == normalize(raw)
    assert tokenize(segmented) == tokenize(raw)


def test_normalize_full_width_case_and_spaces() -> None:
    assert normalize("ＡＢＣ１２３ 小区  门口") == "abc123小区门口"
    # spaces between Latin words are content and stay (one)
    assert normalize("wifi   signal 很差") == "wifi signal很差"


def test_user_dictionary_keeps_hotline_terms_whole() -> None:
    assert "物业费" in words("小区物业费太高了")
    assert "12345" in words("拨打12345反映")


def test_punctuation_is_not_a_word() -> None:
    prepared = tokenize("路灯坏了！！！请尽快修复。")
    assert "！" not in word_part(prepared).split()
    # the character part is the content words run together: no punctuation, no function words
    assert char_part(prepared) == "路灯坏请尽快修复"
