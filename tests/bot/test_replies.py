"""Reply templates: every reply in both languages, placeholders consistent, data-driven lines."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.errors import ConfigurationError
from bot.replies import Replies, date_text, default_replies, price_text


def test_project_templates_load_and_render_in_both_languages() -> None:
    replies = default_replies()
    assert "complaint_aspect" in replies.names()
    assert replies.render("complaint_aspect", "zh", aspects="包装").startswith("非常抱歉包装")
    assert replies.render("complaint_aspect", "en", aspects="packaging").startswith("I'm really sorry about the packaging")


def test_inconsistent_templates_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="different placeholders"):
        Replies({"x": {"en": "Hi {name}", "zh": "您好"}})
    with pytest.raises(ConfigurationError, match="no zh"):
        Replies({"x": {"en": "Hi"}})
    with pytest.raises(ConfigurationError, match="no reply template"):
        Replies({}).render("missing", "en")


def test_prices_and_dates() -> None:
    assert price_text(3999.0, "CNY", "en") == "¥3,999"
    assert price_text(39.9, "CNY", "zh") == "¥39.90"
    assert price_text(0, "CNY", "zh") == "免费"
    assert date_text(datetime(2026, 11, 3), "zh") == "2026年11月3日"
    assert date_text(datetime(2026, 11, 3), "en") == "3 Nov 2026"


def test_category_and_brand_lists_name_each_once_in_the_language() -> None:
    from bot.catalog import ProductInfo
    from bot.replies import brand_list, category_list
    from tests.conftest import PRODUCTS

    def info(sku: str) -> ProductInfo:
        row = next(p for p in PRODUCTS if p["sku"] == sku)
        fields = {k: v for k, v in row.items() if k in ProductInfo.__dataclass_fields__}
        return ProductInfo(**{"id": 0, "brand": None, **fields})

    shown = [info("PH-1"), info("PH-3"), info("KT-1"), info("HP-1")]
    assert category_list(shown, "en") == "phones, kitchenware and headphones"
    assert category_list(shown, "zh") == "手机、厨房用品、耳机"
    assert brand_list(shown[:2], "en") == "Nova and Zen"
    assert brand_list([info("CC-1")], "zh") == "信用卡"  # no brand: its category
