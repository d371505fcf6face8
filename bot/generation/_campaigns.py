"""Marketing campaigns (discount, validity, conditions, eligible products) read from YAML."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from bot.catalog import CATEGORY_LABELS, FORBIDDEN_PROMISES, ProductInfo
from bot.errors import ValidationError

logger = logging.getLogger(__name__)

#: Categories of the bank catalog; every other known category belongs to the shop.
BANK_CATEGORIES: frozenset[str] = frozenset(
    {"credit_card", "debit_card", "deposit", "loan", "insurance"}
)

#: Words a bank campaign may not use on top of :data:`bot.catalog.FORBIDDEN_PROMISES`.
BANK_FORBIDDEN_WORDS: tuple[str, ...] = (
    "guarantee",
    "guaranteed",
    "high return",
    "high yield",
    "保证",
    "保本",
    "高收益",
    "稳赚",
    "躺赚",
)


def _promises(text: str, *, bank: bool) -> str | None:
    lowered = text.lower()
    for phrase in FORBIDDEN_PROMISES + (BANK_FORBIDDEN_WORDS if bank else ()):
        if phrase in lowered:
            return phrase
    return None


class Campaign(BaseModel):
    """One campaign: what it gives, when, on what, under which conditions.

    A campaign gives a percentage off (``discount_percent``) or another benefit described
    in ``benefit_en``/``benefit_zh`` (or both). It applies to the SKUs it lists and to every
    product of the categories it lists.

    Example:
        >>> c = Campaign(id="x", domain="shop", name_en="Sale", name_zh="促销",
        ...              discount_percent=10, valid_from="2026-12-01", valid_until="2026-12-14",
        ...              categories=["phones"])
        >>> c.is_active(date(2026, 12, 5)), c.sale_price(1000.0)
        (True, 900.0)
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    domain: Literal["shop", "bank"]
    name_en: str = Field(min_length=1, max_length=120)
    name_zh: str = Field(min_length=1, max_length=120)
    discount_percent: float | None = Field(default=None, gt=0, lt=100)
    benefit_en: str | None = None
    benefit_zh: str | None = None
    valid_from: date
    valid_until: date
    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    #: Smallest order value the discount needs (shop), in the products' currency.
    min_spend: float | None = Field(default=None, gt=0)
    conditions_en: str = ""
    conditions_zh: str = ""
    #: A landing page the message may link to (the only URL it may contain).
    url: str | None = None

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CATEGORY_LABELS]
        if unknown:
            raise ValueError(f"unknown categories {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        if self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        if not self.categories and not self.skus:
            raise ValueError("name eligible categories or skus")
        if self.discount_percent is None and not (self.benefit_en and self.benefit_zh):
            raise ValueError("give a discount_percent or a benefit in both languages")
        if bool(self.benefit_en) != bool(self.benefit_zh):
            raise ValueError("benefit needs both benefit_en and benefit_zh")
        bank = self.domain == "bank"
        for category in self.categories:
            if (category in BANK_CATEGORIES) != bank:
                raise ValueError(f"category {category} is not a {self.domain} category")
        if bank and self.min_spend is not None:
            raise ValueError("bank campaigns have no min_spend")
        for name in ("name_en", "name_zh", "benefit_en", "benefit_zh", "conditions_en", "conditions_zh"):
            text = getattr(self, name) or ""
            phrase = _promises(text, bank=bank)
            if phrase:
                raise ValueError(f"{name} must not promise returns or deny risk ({phrase!r})")
        if self.url is not None and not self.url.startswith("https://"):
            raise ValueError("url must start with https://")
        return self

    def name(self, language: str = "en") -> str:
        """The campaign's name in ``language``."""
        return self.name_zh if language.startswith("zh") else self.name_en

    def benefit(self, language: str = "en") -> str | None:
        """The non-discount benefit in ``language``, if any."""
        return self.benefit_zh if language.startswith("zh") else self.benefit_en

    def conditions(self, language: str = "en") -> str:
        """The conditions in ``language``."""
        return self.conditions_zh if language.startswith("zh") else self.conditions_en

    def is_active(self, on: date | datetime) -> bool:
        """Whether the campaign runs on ``on`` (both ends included)."""
        day = on.date() if isinstance(on, datetime) else on
        return self.valid_from <= day <= self.valid_until

    def applies_to(self, product: ProductInfo) -> bool:
        """Whether ``product`` is eligible (same domain, listed SKU or category)."""
        if product.domain != self.domain:
            return False
        return product.sku in self.skus or product.category in self.categories

    def sale_price(self, price: float) -> float | None:
        """The price after the discount, rounded to cents (``None`` without a discount)."""
        if self.discount_percent is None or price <= 0:
            return None
        return round(price * (100.0 - self.discount_percent) / 100.0, 2)

    def texts(self) -> list[str]:
        """Every text of the campaign (both languages), for grounding checks."""
        parts = [self.name_en, self.name_zh, self.conditions_en, self.conditions_zh]
        parts += [self.benefit_en or "", self.benefit_zh or ""]
        return [p for p in parts if p]


def load_campaigns(
    path: str | Path, products: Iterable[ProductInfo] | None = None, *, strict: bool = True
) -> list[Campaign]:
    """Read and validate a campaigns file.

    Args:
        path: a YAML file with a top-level ``campaigns:`` list.
        products: the catalog; when given, every listed SKU must exist in the campaign's
            domain, and discounts may only apply to products with a price.
        strict: a listed SKU missing from ``products`` is an error (else only logged: the
            campaign then simply never applies to it).

    Returns:
        The campaigns, in file order.

    Raises:
        ValidationError: unreadable file or invalid campaigns (``problems`` names each one).

    Example:
        >>> from bot.settings import PROJECT_ROOT
        >>> len(load_campaigns(PROJECT_ROOT / "data" / "campaigns.yml")) > 3
        True
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read campaigns {path}", problems=[str(exc)]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("campaigns"), list):
        raise ValidationError(f"{path}: expected a top-level 'campaigns:' list", problems=[])
    problems: list[str] = []
    campaigns: list[Campaign] = []
    for index, raw in enumerate(data["campaigns"]):
        label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        try:
            campaigns.append(Campaign.model_validate(raw))
        except PydanticValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "campaign"
                problems.append(f"campaign {label}, {where}: {err['msg']}")
    seen: set[str] = set()
    for campaign in campaigns:
        if campaign.id in seen:
            problems.append(f"campaign {campaign.id}: duplicate id")
        seen.add(campaign.id)
    if products is not None:
        by_sku = {p.sku: p for p in products}
        for campaign in campaigns:
            for sku in campaign.skus:
                product = by_sku.get(sku)
                if product is None:
                    if strict:
                        problems.append(f"campaign {campaign.id}, skus: {sku} is not in the catalog")
                    else:
                        logger.warning("campaign %s lists %s, which is not in the catalog", campaign.id, sku)
                elif product.domain != campaign.domain:
                    problems.append(f"campaign {campaign.id}, skus: {sku} is not a {campaign.domain} product")
                elif campaign.discount_percent is not None and product.price <= 0:
                    problems.append(f"campaign {campaign.id}, skus: {sku} has no price to discount")
    if problems:
        raise ValidationError(f"invalid campaigns in {path}", problems=problems)
    return campaigns


def best_campaign(
    product: ProductInfo, campaigns: Sequence[Campaign], on: date | datetime
) -> Campaign | None:
    """The campaign to promote ``product`` with on ``on``: active, applicable, most generous.

    SKU-specific campaigns win over category-wide ones; then the larger discount; then the
    one ending soonest. Discounts never apply to free products.

    Args:
        product: the product.
        campaigns: every campaign.
        on: the day (or moment) of the message.

    Returns:
        The campaign, or ``None`` when none applies.
    """
    candidates = [
        c
        for c in campaigns
        if c.is_active(on)
        and c.applies_to(product)
        and (c.discount_percent is None or product.price > 0 or c.benefit_en)
    ]
    if not candidates:
        return None
    candidates.sort(
        key=lambda c: (
            product.sku not in c.skus,
            -(c.discount_percent or 0.0) if product.price > 0 else 0.0,
            c.valid_until,
            c.id,
        )
    )
    return candidates[0]
