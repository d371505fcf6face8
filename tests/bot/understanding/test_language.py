"""Language detection decides which language the bot answers in."""

from __future__ import annotations

import pytest

from bot.understanding.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的快递到哪了", "zh"),
        ("where is my parcel?", "en"),
        ("我的iPhone屏幕坏了", "zh"),
        ("推荐一款 Huawei 手机", "zh"),
        ("I really love the 小米 phone I bought", "en"),
        ("好", "zh"),
        ("ok", "en"),
        ("ＯＫ，谢谢", "zh"),
    ],
)
def test_detects_chinese_and_english(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_messages_without_letters_get_the_default() -> None:
    assert detect_language("👍👍 123", default="zh") == "zh"
    assert detect_language("", default=None) is None
