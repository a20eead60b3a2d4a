"""The segmenter gives exactly jieba's words, only faster."""

from __future__ import annotations

import jieba

from nlu.tokens import cut, cut_with_offsets, rarity, tokenizer, vocabulary

SENTENCES = (
    "您好，杨浦区五角场街道国权路小区3号楼楼道灯坏了一个多星期，晚上一片漆黑，老人上下楼很危险。",
    "物业不作为，电梯困人三次没人管，强烈要求更换物业公司！联系电话13812345678",
    "建议在政通路和国权北路路口增设红绿灯，早晚高峰学生过马路太危险了",
    "Wi-Fi信号差，ABC小区B座1203室的宽带报修了5次都没修好",
)


def test_same_words_as_stock_jieba() -> None:
    stock = jieba.Tokenizer()
    stock.initialize()
    for word in vocabulary():
        stock.add_word(word)
    for sentence in SENTENCES:
        assert tokenizer().lcut(sentence, HMM=False) == stock.lcut(sentence, HMM=False)


def test_offsets_point_at_the_words() -> None:
    text = SENTENCES[0]
    for start, word in cut_with_offsets(text):
        assert text[start : start + len(word)] == word
    assert "楼道灯" in cut(text)  # a taxonomy word stays whole


def test_rarity_ranks_content_above_function_words() -> None:
    rare, common = rarity("玻璃"), rarity("的")
    assert rare is not None and common is not None and rare > common
    assert rarity("不是一个词语吧") is None
