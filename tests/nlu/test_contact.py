from __future__ import annotations

import pytest

from nlu import find_phones, mask_phone, mask_phones_in_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系电话13812345678，谢谢", ("13812345678",)),
        ("我的手机+86 138 1234 5678", ("13812345678",)),
        ("打8613812345678找我", ("13812345678",)),
        ("电话：138-1234-5678", ("13812345678",)),
        ("手机号１３９１２３４５６７８", ("13912345678",)),
        ("座机021-65123456", ("021-65123456",)),
        ("座机（021）65123456", ("021-65123456",)),
        ("老家电话0731 8412345", ("0731-8412345",)),
        ("联系电话：65123456", ("65123456",)),
        ("tel 6512-3456", ("65123456",)),
        ("先打13812345678，不通再打021-65123456", ("13812345678", "021-65123456")),
        ("13812345678，再说一遍13812345678", ("13812345678",)),
    ],
)
def test_find_phones(text: str, expected: tuple[str, ...]) -> None:
    assert find_phones(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号65123456已经三天没发货",  # a bare 8-digit number is not a phone
        "身份证310110199001011234",  # an ID number holds no mobile
        "12345热线说会转给街道",
        "2019年3月5日下午3点",
        "",
    ],
)
def test_no_phone_in_other_numbers(text: str) -> None:
    assert find_phones(text) == ()


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("021-12345678") == "021-****5678"
    assert mask_phone("0731-8412345") == "0731-***2345"
    assert mask_phone("65123456") == "****3456"


def test_mask_phones_in_text() -> None:
    text = "我的电话是138 1234 5678，座机021-65123456，房间号602"
    assert mask_phones_in_text(text) == "我的电话是138****5678，座机021-****3456，房间号602"
    assert mask_phones_in_text("没有号码") == "没有号码"


def test_mask_phone_accepts_other_spellings() -> None:
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("(021)65123456") == "021-****3456"
