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
