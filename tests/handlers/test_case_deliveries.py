"""What 消息送达 shows of a message: its words (no addresses, phones masked) and its purpose."""

from __future__ import annotations

from handlers.case_deliveries import preview, purpose_label


def test_a_preview_reads_words_not_addresses_and_masks_phones() -> None:
    text = {"msgtype": "text", "text": {"content": "请致电13812345678联系"}}
    assert preview(text) == "请致电138****5678联系"
    menu = {
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": "您的诉求已办结，请评价",
            "list": [{"id": "s:1:satisfied", "content": "满意"}],
            "tail_content": "",
        },
    }
    assert preview(menu) == "您的诉求已办结，请评价 满意"
    template = {
        "template_id": "tpl-xyz",
        "url": "https://example.org/c/1",
        "data": {"first": {"value": "已办结"}, "keyword1": {"value": "2612070001"}},
    }
    assert preview(template) == "已办结 2612070001"
    assert len(preview({"text": {"content": "长" * 500}})) == 81
    assert preview({"text": {"content": "第一行\n\n  第二行"}}) == "第一行 第二行"
    cut_through_a_phone = {"text": {"content": "长" * 75 + "13812345678"}}
    assert preview(cut_through_a_phone) == "长" * 75 + "138**…"


def test_purposes_are_named_by_their_front_and_unknown_ones_generally() -> None:
    assert purpose_label("case_merged-12") == "合并告知"
    assert purpose_label("case_finished") == "办结告知"
    assert purpose_label("something_new") == "通知"
