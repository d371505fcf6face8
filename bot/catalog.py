"""The shop and bank catalogs: record validation, category/aspect labels, product look-ups.

Example:
    >>> from bot.catalog import category_label
    >>> category_label("phones", "zh"), category_label("credit_card", "en")
    ('手机', 'credit cards')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select

from bot.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from bot.store import Product, Store

Language = Literal["zh", "en"]
RiskLevel = Literal["R1", "R2", "R3", "R4", "R5"]

#: Display names of the demo catalogs' categories, ``{id: (English, Chinese)}``.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "phones": ("phones", "手机"),
    "laptops": ("laptops", "笔记本电脑"),
    "headphones": ("headphones", "耳机"),
    "smartwatches": ("smartwatches", "智能手表"),
    "home_appliances": ("home appliances", "家用电器"),
    "kitchen": ("kitchenware", "厨房用品"),
    "beauty": ("beauty & skincare", "美妆护肤"),
    "sportswear": ("sportswear", "运动服饰"),
    "books": ("books", "图书"),
    "groceries": ("groceries", "食品生鲜"),
    "baby_toys": ("baby & toys", "母婴玩具"),
    "credit_card": ("credit cards", "信用卡"),
    "debit_card": ("debit cards", "借记卡"),
    "deposit": ("deposits", "存款"),
    "loan": ("loans", "贷款"),
    "insurance": ("insurance", "保险"),
}

#: Other words customers use for the demo categories (matched like the labels: English as whole
#: words, singular or plural; Chinese as substrings). Only words that name nothing else.
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "phones": ("smartphone", "cellphone", "mobile phone"),
    "laptops": ("notebook computer", "笔记本", "电脑"),
    "headphones": ("earphone", "headset", "耳麦"),
    "smartwatches": ("smart watch", "手表"),
    "home_appliances": ("家电",),
    "kitchen": ("kitchen", "cookware", "厨具", "厨房"),
    "beauty": ("skincare", "makeup", "cosmetic", "护肤", "化妆品"),
    "sportswear": ("运动服", "运动装"),
    "books": ("书",),
    "baby_toys": ("toy", "玩具"),
    "deposit": ("savings", "存钱", "储蓄"),
    "loan": ("borrow", "借钱"),
}

#: Kinds of product within a category: they name the category like an alias, and they also
#: say what the customer wants in it ("a quiet vacuum cleaner" is a vacuum cleaner, not any
#: quiet home appliance), so a request's description keeps them.
CATEGORY_KINDS: dict[str, tuple[str, ...]] = {
    "headphones": ("earbud", "耳塞"),
    "smartwatches": ("fitness tracker", "sports watch", "running watch", "gps watch", "fitness watch",
                     "health watch", "kids watch", "wristwatch", "手环", "运动手表", "儿童手表"),
    "home_appliances": ("vacuum cleaner", "robot vacuum", "fridge", "washing machine", "air purifier",
                        "吸尘器", "扫地机器人", "冰箱", "洗衣机", "空气净化器"),
    "beauty": ("lipstick", "口红", "面霜"),
    "sportswear": ("sneaker", "running shoe", "运动鞋", "跑鞋"),
    "books": ("novel", "小说", "绘本"),
    "groceries": ("snack", "零食"),
    "deposit": ("fixed deposit", "time deposit", "定期存款"),
    "loan": ("mortgage", "房贷", "车贷"),
}

#: Display names of review/conversation aspects, ``{id: (English, Chinese)}``.
ASPECT_LABELS: dict[str, tuple[str, str]] = {
    "delivery": ("delivery", "物流配送"),
    "service": ("customer service", "客服服务"),
    "quality": ("quality", "质量"),
    "price": ("price", "价格"),
    "packaging": ("packaging", "包装"),
    "fees": ("fees", "手续费"),
    "waiting_time": ("waiting time", "等待时间"),
    "app": ("the mobile app", "手机银行App"),
    "battery": ("battery life", "续航"),
    "screen": ("screen", "屏幕"),
    "sound": ("sound", "音质"),
    "size": ("size & fit", "尺码"),
    "taste": ("taste", "口味"),
    "interest_rate": ("interest rates", "利率"),
}

#: Aspects about how something was sold or served, not about the product itself: a complaint
#: about them says nothing about the product's category.
SERVICE_ASPECTS: frozenset[str] = frozenset(
    {"delivery", "service", "packaging", "waiting_time", "app", "fees", "price"}
)

#: Phrases that promise returns or deny risk; no catalog text may contain them.
FORBIDDEN_PROMISES: tuple[str, ...] = (
    "guaranteed return",
    "guaranteed returns",
    "guaranteed profit",
    "guaranteed yield",
    "risk-free",
    "risk free",
    "no risk",
    "zero risk",
    "保本保息",
    "保证收益",
    "稳赚",
    "零风险",
    "无风险",
    "稳赚不赔",
    "收益有保障",
)

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def category_label(category: str, language: str = "en") -> str:
    """The display name of ``category`` in ``language`` (the id itself if unknown).

    Args:
        category: a category id, e.g. ``"phones"``.
        language: ``"zh"`` or ``"en"`` (anything starting with ``zh`` is Chinese).

    Returns:
        The label.
    """
    labels = CATEGORY_LABELS.get(category)
    if labels is None:
        return category.replace("_", " ")
    return labels[1] if language.startswith("zh") else labels[0]


def aspect_label(aspect: str, language: str = "en") -> str:
    """The display name of ``aspect`` in ``language`` (the id itself if unknown).

    Args:
        aspect: an aspect id, e.g. ``"delivery"``.
        language: ``"zh"`` or ``"en"``.

    Returns:
        The label.
    """
    labels = ASPECT_LABELS.get(aspect)
    if labels is None:
        return aspect.replace("_", " ")
    return labels[1] if language.startswith("zh") else labels[0]


class EligibilityRules(BaseModel):
    """Who may apply for a bank product; every rule is optional."""

    model_config = ConfigDict(extra="forbid")

    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    min_annual_income: float | None = Field(default=None, ge=0)
    #: ISO country codes of residence allowed.
    residency: list[str] | None = None
    #: Employment statuses allowed (``employed``, ``self_employed``, ``retired``, ``student``).
    employment: list[str] | None = None
    requires_existing_account: bool = False

    @model_validator(mode="after")
    def _ages_ordered(self) -> EligibilityRules:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is greater than max_age")
        return self


def _no_promises(text: str | None) -> str | None:
    if text:
        lowered = text.lower()
        for phrase in FORBIDDEN_PROMISES:
            if phrase in lowered:
                raise ValueError(f"must not promise returns or deny risk ({phrase!r})")
    return text


def _json_object(value: Any) -> Any:
    """CSV cells hold JSON objects as text: parse them, leave real objects alone."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg}") from exc
    return value


class ProductRecord(BaseModel):
    """One catalog row as imported (JSONL object or CSV row).

    Bank products must carry eligibility rules, a risk level and compliance text in both
    languages; no text may promise returns.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str
    domain: Literal["shop", "bank"]
    category: str
    name_zh: str = Field(min_length=1, max_length=255)
    name_en: str = Field(min_length=1, max_length=255)
    description_zh: str = ""
    description_en: str = ""
    price: float = Field(default=0.0, ge=0)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    stock: int | None = Field(default=None, ge=0)
    brand: str | None = Field(default=None, max_length=128)
    attributes: dict[str, Any] = Field(default_factory=dict)
    eligibility: EligibilityRules | None = None
    compliance_zh: str | None = None
    compliance_en: str | None = None
    risk_level: RiskLevel | None = None
    active: bool = True

    @field_validator("sku")
    @classmethod
    def _sku_format(cls, value: str) -> str:
        if not _SKU.match(value):
            raise ValueError("use 1-64 letters, digits, '.', '_' or '-'")
        return value

    @field_validator("category")
    @classmethod
    def _category_format(cls, value: str) -> str:
        if not _CATEGORY.match(value):
            raise ValueError("use a lower-case id such as 'phones' or 'credit_card'")
        return value

    @field_validator("attributes", mode="before")
    @classmethod
    def _parse_attributes(cls, value: Any) -> Any:
        parsed = _json_object(value)
        return {} if parsed is None else parsed

    @field_validator("eligibility", mode="before")
    @classmethod
    def _parse_eligibility(cls, value: Any) -> Any:
        return _json_object(value)

    @field_validator(
        "stock", "brand", "compliance_zh", "compliance_en", "risk_level", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "description_zh", "description_en", "compliance_zh", "compliance_en", "name_en", "name_zh"
    )
    @classmethod
    def _text_promises_nothing(cls, value: str | None) -> str | None:
        return _no_promises(value)

    @model_validator(mode="after")
    def _domain_rules(self) -> ProductRecord:
        if self.domain == "bank":
            missing = [
                name
                for name in ("compliance_zh", "compliance_en", "risk_level", "eligibility")
                if getattr(self, name) in (None, "")
            ]
            if missing:
                raise ValueError(f"bank products need {', '.join(missing)}")
        elif self.stock is None:
            raise ValueError("shop products need stock")
        return self

    def to_row(self) -> dict[str, Any]:
        """The column values of the ``products`` table."""
        row = self.model_dump()
        row["eligibility"] = (
            self.eligibility.model_dump(exclude_none=True) if self.eligibility else None
        )
        return row


@dataclass(frozen=True)
class ProductInfo:
    """A product as the rest of the bot sees it (a plain value, safe outside a session).

    Attributes mirror :class:`ProductRecord`; ``id`` is the database id.
    """

    id: int
    sku: str
    domain: str
    category: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    price: float
    currency: str
    stock: int | None
    brand: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    eligibility: dict[str, Any] | None = None
    compliance_zh: str | None = None
    compliance_en: str | None = None
    risk_level: str | None = None
    active: bool = True

    @classmethod
    def from_model(cls, product: Product) -> ProductInfo:
        """Copy an ORM ``Product`` into a value."""
        return cls(
            id=product.id,
            sku=product.sku,
            domain=product.domain,
            category=product.category,
            name_zh=product.name_zh,
            name_en=product.name_en,
            description_zh=product.description_zh,
            description_en=product.description_en,
            price=float(product.price),
            currency=product.currency,
            stock=product.stock,
            brand=product.brand,
            attributes=dict(product.attributes or {}),
            eligibility=dict(product.eligibility) if product.eligibility else None,
            compliance_zh=product.compliance_zh,
            compliance_en=product.compliance_en,
            risk_level=product.risk_level,
            active=product.active,
        )

    def name(self, language: str = "en") -> str:
        """The product name in ``language``."""
        return self.name_zh if language.startswith("zh") else self.name_en

    def description(self, language: str = "en") -> str:
        """The description in ``language``."""
        return self.description_zh if language.startswith("zh") else self.description_en

    def traits(self, language: str = "en") -> list[str]:
        """What the product offers, as short phrases in ``language``: the clauses of its
        description (with its listed features, in English) and the whole description.

        Example:
            >>> p = ProductInfo(0, "P1", "shop", "phones", "诺瓦手机 A1", "Nova phone A1",
            ...                 "诺瓦手机 A1：5000毫安大电池，双卡5G。",
            ...                 "Nova phone A1: 5000 mAh battery and dual SIM 5G.", 999.0, "CNY", 5, "Nova")
            >>> p.traits("zh")
            ['5000毫安大电池', '双卡5G', '5000毫安大电池，双卡5G']
        """
        zh = language.startswith("zh")
        text = self.description(language).strip().rstrip("。.").strip()
        head, sep, rest = text.partition("：" if zh else ":")
        if sep and head.strip() == self.name(language):
            text = rest.strip()  # "Nova phone A1: ..." - the name is no trait
        # A comma inside a number ("CNY 300,000") has no space after it.
        clauses = re.split(r"[，、；。：]" if zh else r"[,;:]\s+", text)
        features = [] if zh else [str(f) for f in self.attributes.get("features", ()) if isinstance(f, str)]
        return list(dict.fromkeys(t for t in (*features, *(c.strip() for c in clauses), text) if t))

    def compliance(self, language: str = "en") -> str | None:
        """The compliance/risk text in ``language`` (bank products)."""
        return self.compliance_zh if language.startswith("zh") else self.compliance_en

    @property
    def in_stock(self) -> bool:
        """Whether it can be sold now (bank products are never out of stock)."""
        return self.active and (self.stock is None or self.stock > 0)


def eligibility_problems(product: ProductInfo, customer: Mapping[str, Any]) -> list[str]:
    """Why a customer may not apply for a bank product (empty when eligible or unknown).

    Facts the customer's ``attributes`` do not state are not held against them.

    Args:
        product: the product.
        customer: customer attributes (``age``, ``annual_income``, ``residency``,
            ``employment``, ``has_account``).

    Returns:
        Problems in English, e.g. ``["minimum age is 18"]``.
    """
    if not product.eligibility:
        return []
    rules = EligibilityRules.model_validate(product.eligibility)
    problems: list[str] = []
    age = customer.get("age")
    if isinstance(age, int | float):
        if rules.min_age is not None and age < rules.min_age:
            problems.append(f"minimum age is {rules.min_age}")
        if rules.max_age is not None and age > rules.max_age:
            problems.append(f"maximum age is {rules.max_age}")
    income = customer.get("annual_income")
    minimum = rules.min_annual_income
    if isinstance(income, int | float) and minimum is not None and income < minimum:
        problems.append(f"minimum annual income is {minimum:,.0f}")
    residency = customer.get("residency")
    if isinstance(residency, str) and rules.residency and residency not in rules.residency:
        problems.append(f"residency must be one of {', '.join(rules.residency)}")
    employment = customer.get("employment")
    if isinstance(employment, str) and rules.employment and employment not in rules.employment:
        problems.append(f"employment must be one of {', '.join(rules.employment)}")
    if rules.requires_existing_account and customer.get("has_account") is False:
        problems.append("requires an existing account")
    return problems


def load_catalog_file(path: str | Path) -> list[ProductRecord]:
    """Read and validate a catalog file (``.jsonl`` or ``.csv``) without touching a database.

    Args:
        path: the file.

    Returns:
        The records, in file order.

    Raises:
        ValidationError: some rows are invalid (``problems`` names each row and column).
    """
    from bot.importer import validate_file

    records = validate_file("catalog", path)
    return [r for r in records if isinstance(r, ProductRecord)]


def get_product(store: Store, sku: str) -> ProductInfo:
    """Look a product up by SKU.

    Args:
        store: the store.
        sku: the SKU.

    Returns:
        The product.

    Raises:
        NotFoundError: no product has this SKU.
    """
    from bot.store import Product

    with store.session() as session:
        product = session.scalars(select(Product).where(Product.sku == sku)).one_or_none()
        if product is None:
            raise NotFoundError(f"no product with SKU {sku!r}")
        return ProductInfo.from_model(product)


def list_products(
    store: Store,
    *,
    domain: str | None = None,
    category: str | None = None,
    skus: Sequence[str] | None = None,
    in_stock_only: bool = False,
    limit: int | None = None,
) -> list[ProductInfo]:
    """Products matching every filter given, active ones only, ordered by SKU.

    Args:
        store: the store.
        domain: ``"shop"`` or ``"bank"``.
        category: a category id.
        skus: only these SKUs.
        in_stock_only: leave out products with zero stock.
        limit: at most this many.

    Returns:
        The products.

    Raises:
        ValidationError: ``domain`` is not shop or bank.
    """
    from bot.store import Product

    if domain is not None and domain not in ("shop", "bank"):
        raise ValidationError(
            "unknown domain", problems=[f"domain: {domain!r} is not shop or bank"]
        )
    stmt = select(Product).where(Product.active.is_(True))
    if domain is not None:
        stmt = stmt.where(Product.domain == domain)
    if category is not None:
        stmt = stmt.where(Product.category == category)
    if skus is not None:
        stmt = stmt.where(Product.sku.in_(list(skus)))
    if in_stock_only:
        stmt = stmt.where((Product.stock.is_(None)) | (Product.stock > 0))
    stmt = stmt.order_by(Product.sku)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.session() as session:
        return [ProductInfo.from_model(p) for p in session.scalars(stmt)]


def list_categories(store: Store, domain: str | None = None) -> list[str]:
    """The category ids present in the catalog, sorted.

    Args:
        store: the store.
        domain: only this domain's categories.

    Returns:
        Category ids.
    """
    from bot.store import Product

    stmt = select(Product.category).distinct().order_by(Product.category)
    if domain is not None:
        stmt = stmt.where(Product.domain == domain)
    with store.session() as session:
        return list(session.scalars(stmt))
