"""Product search: which catalog categories a message names, and which products it is about."""

from __future__ import annotations

import pytest

from bot.catalog import ProductInfo
from bot.product_search import ProductSearch
from tests.conftest import PRODUCTS

EXTRA = [
    dict(sku="DP-1", domain="bank", category="deposit", name_en="1-year time deposit", name_zh="1年期定期存款",
         description_en="Fixed rate for a year.", description_zh="一年期固定利率。", price=50.0, currency="CNY",
         stock=None, brand="IPM Bank"),
    dict(sku="LN-1", domain="bank", category="loan", name_en="Car loan", name_zh="汽车贷款",
         description_en="Loans for new cars.", description_zh="新车贷款。", price=0.0, currency="CNY",
         stock=None, brand="IPM Bank"),
    dict(sku="TY-1", domain="shop", category="baby_toys", name_en="Wooden blocks", name_zh="木制积木",
         description_en="Blocks for toddlers.", description_zh="幼儿积木。", price=89.0, currency="CNY",
         stock=10, brand="Kiddo"),
]


@pytest.fixture(scope="module")
def search(encoder) -> ProductSearch:
    fields = ProductInfo.__dataclass_fields__
    products = [ProductInfo(**{"id": i, "brand": None, **{k: v for k, v in row.items() if k in fields}})
                for i, row in enumerate(PRODUCTS + EXTRA)]
    return ProductSearch(products, encoder)


@pytest.mark.parametrize(("text", "categories"), [
    ("recommend me a phone", ["phones"]),                  # the label
    ("推荐一款耳机", ["headphones"]),
    ("any good smartphones?", ["phones"]),                 # other words for it
    ("I need new earbuds", ["headphones"]),
    ("I'd like a savings product", ["deposit"]),
    ("我想存钱", ["deposit"]),
    ("can I borrow money for a car", ["loan"]),
    ("有没有房贷", ["loan"]),
    ("toys for a toddler", ["baby_toys"]),
    ("recommend something good", []),                      # names none
    ("I want to watch a movie tonight", []),
])
def test_categories_a_message_names(search: ProductSearch, text: str, categories: list[str]) -> None:
    assert search.categories(text) == categories


@pytest.mark.parametrize(("text", "details"), [
    ("recommend me a phone", ""),                              # a category and asking, nothing more
    ("我想买个耳机", ""),
    ("推荐一款存款产品", ""),                                  # "product" describes nothing either
    ("a good phone for my mom", ""),                            # praise and who it is for describe nothing
    ("a Nova phone, please", ""),                               # a brand is looked up, not described
    ("I'd like some earbuds", ""),                              # a kind of product alone
    ("a phone with a long battery life", "long battery life"),
    ("推荐一款拍照好的手机", "拍照"),
    ("noise cancelling earbuds", "noise cancelling earbuds"),    # the kind stays with its description
    ("买房的贷款", "买房"),
])
def test_details_are_what_a_request_describes(search: ProductSearch, text: str, details: str) -> None:
    assert search.details(text) == details


def test_products_that_have_what_is_described(search: ProductSearch) -> None:
    phones = [p.sku for p in search.products if p.category == "phones"]
    wanted = search.wanted("big battery", phones, "en")
    assert list(wanted) == ["PH-1"]
    assert "5000 mAh battery" in wanted["PH-1"]                 # the trait that shows it, quoted
    assert "5000毫安电池" in search.wanted("电池大", phones, "zh")["PH-1"]
    # Only among the candidates given; nothing for no description.
    assert "PH-1" not in search.wanted("big battery", ["PH-2", "PH-3"], "en")
    assert search.wanted("", phones, "en") == {}


def test_a_description_nothing_in_the_catalog_answers_finds_nothing(search: ProductSearch) -> None:
    everything = [p.sku for p in search.products]
    assert search.wanted("asap", everything, "en") == {}
    assert search.wanted("谢谢", everything, "zh") == {}


def test_the_chinese_brand_is_taken_only_where_both_names_start_with_the_brand() -> None:
    from bot.product_search import brand_zh

    def product(name_en: str, name_zh: str, brand: str) -> ProductInfo:
        return ProductInfo(0, "X", "shop", "phones", name_zh, name_en, "", "", 1.0, "CNY", 1, brand)

    assert brand_zh(product("Nova Pro smartphone A6", "诺瓦Pro 智能手机 A6", "Nova")) == "诺瓦"
    assert brand_zh(product("Online shopping co-brand card", "网购联名信用卡", "IPM Bank")) == ""
    assert brand_zh(product("Nova X5 smartphone", "Nova X5 智能手机", "Nova")) == ""


def test_product_traits_are_its_description_clauses() -> None:
    p = ProductInfo(0, "BK-1", "bank", "credit_card", "旅行信用卡", "Travel card", "航空里程，机场贵宾厅。",
                    "Airline miles, lounge access and CNY 300,000 cover.", 0.0, "CNY", None, "IPM Bank",
                    attributes={"features": ["airline miles"]})
    assert p.traits("en") == ["airline miles", "Airline miles", "lounge access and CNY 300,000 cover",
                              "Airline miles, lounge access and CNY 300,000 cover"]
    assert p.traits("zh") == ["航空里程", "机场贵宾厅", "航空里程，机场贵宾厅"]


def test_a_kind_of_product_alone_is_matched_by_name(search: ProductSearch) -> None:
    assert search.kind("I'd like some earbuds") == "earbuds"
    assert search.kind("recommend me a phone") == "" and search.kind("noise cancelling earbuds") == ""
    headphones = [p.sku for p in search.products if p.category == "headphones"]
    assert list(search.wanted("earbuds", headphones, "en", names_only=True)) == ["HP-2"]


def test_the_kind_of_product_is_its_name_without_brand_and_model() -> None:
    from bot.product_search import product_type

    def product(name_en: str, name_zh: str, brand: str) -> ProductInfo:
        return ProductInfo(id=1, sku="x", domain="shop", category="c", name_en=name_en, name_zh=name_zh,
                           description_en="", description_zh="", price=1.0, currency="CNY", stock=1, brand=brand)

    assert product_type(product("Kite Gaming laptop 16 E4", "风筝游戏本16 E4", "Kite"), "en") == "gaming laptop"
    assert product_type(product("Kite Gaming laptop 16 E4", "风筝游戏本16 E4", "Kite"), "zh") == "游戏本"
    assert product_type(product("Mountain organic rice 5 kg B3", "山野有机大米5公斤 B3", "Mountain"), "en") \
        == "organic rice"
    assert product_type(product("Panda Kids baby stroller C8", "熊猫婴儿推车 C8", "Panda Kids"), "en") == "baby stroller"


def test_the_kind_a_request_names_comes_from_product_names(search: ProductSearch) -> None:
    phones = [p.sku for p in search.products if p.category == "phones"]
    assert search.kind_of("budget", phones, "en") == ({"PH-3": "lite budget phone"}, "")
    # What the names do not say is left for ``wanted`` to match among that kind.
    assert search.kind_of("quiet budget", phones, "en") == ({"PH-3": "lite budget phone"}, "quiet")
    assert search.kind_of("入门 大屏", phones, "zh") == ({"PH-3": "入门"}, "大屏")
    # No name says it, or every candidate's does: no kind.
    assert search.kind_of("5000 mah battery", phones, "en") == ({}, "5000 mah battery")
    assert search.kind_of("budget", ["PH-3"], "en") == ({}, "budget")


def test_words_of_features_or_of_several_kinds_name_no_kind(encoder) -> None:
    def product(sku: str, name: str, description: str) -> ProductInfo:
        return ProductInfo(id=1, sku=sku, domain="shop", category="baby_toys", name_en=f"Tiny {name}",
                           name_zh="", description_en=description, description_zh="", price=1.0, currency="CNY",
                           stock=1, brand="Tiny")

    search = ProductSearch([product("S", "baby stroller", "Foldable."), product("B", "baby bottle set", "BPA free."),
                            product("T", "plush toy", "Soft. Organic cotton."),
                            product("R", "organic rattle", "Wooden.")], encoder)
    skus = ["S", "B", "T", "R"]
    assert search.kind_of("baby", skus, "en") == ({}, "baby")  # strollers or bottles?
    assert search.kind_of("organic", skus, "en") == ({}, "organic")  # a feature: wanted's job
    assert search.kind_of("stroller", skus, "en") == ({"S": "baby stroller"}, "")
