"""Customer-facing text the actions send, in Chinese or English.

Rasa's own responses (chosen by its policies) live in domain.yml; the texts custom actions
send live in ``data/replies.yml`` (one entry per reply, ``en`` and ``zh`` templates with the
same ``{placeholders}``); product lines, prices and dates are built here from the catalog.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.catalog import ProductInfo, category_label
from bot.errors import ConfigurationError
from bot.settings import PROJECT_ROOT

REPLIES_PATH = PROJECT_ROOT / "data" / "replies.yml"
LANGUAGES = ("en", "zh")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Replies:
    """Bilingual reply templates.

    Args:
        templates: ``{name: {"en": "...", "zh": "..."}}``.

    Raises:
        ConfigurationError: a reply lacks a language, or its languages use different placeholders.

    Example:
        >>> Replies({"hi": {"en": "Hi {name}", "zh": "{name}您好"}}).render("hi", "zh", name="王")
        '王您好'
    """

    def __init__(self, templates: dict[str, dict[str, str]]) -> None:
        problems = []
        for name, variants in templates.items():
            missing = [lang for lang in LANGUAGES if not isinstance(variants.get(lang), str)]
            if missing:
                problems.append(f"{name}: no {'/'.join(missing)} text")
            elif _placeholders(variants["en"]) != _placeholders(variants["zh"]):
                problems.append(f"{name}: en and zh use different placeholders")
        if problems:
            raise ConfigurationError("invalid reply templates: " + "; ".join(problems))
        self._templates = templates

    @classmethod
    def load(cls, path: Path = REPLIES_PATH) -> Replies:
        """Read templates from a YAML file."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read reply templates {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigurationError(f"{path} must map reply names to en/zh texts")
        return cls(data)

    def names(self) -> list[str]:
        return list(self._templates)

    def render(self, name: str, language: str, **values: Any) -> str:
        """The reply ``name`` in ``language`` ("zh" or anything else for English)."""
        variants = self._templates.get(name)
        if variants is None:
            raise ConfigurationError(f"no reply template named {name!r}")
        return variants["zh" if language == "zh" else "en"].format(**values)


@lru_cache(maxsize=1)
def default_replies() -> Replies:
    """The project's templates (``data/replies.yml``), read once."""
    return Replies.load()

_CURRENCY = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


def price_text(amount: float, currency: str, language: str) -> str:
    """``¥3,999`` / ``¥39.90``; ``0`` for bank products shows as free of charge."""
    symbol = _CURRENCY.get(currency, currency + " ")
    if amount == 0:
        return "免费" if language == "zh" else "free"
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{symbol}{number}"


def date_text(moment: datetime, language: str) -> str:
    """``2026年11月3日`` / ``3 Nov 2026``."""
    if language == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{moment.day} {moment.strftime('%b')} {moment.year}"


def stock_text(product: ProductInfo, language: str) -> str:
    """Availability in words (bank products have none)."""
    if product.domain == "bank" or product.stock is None:
        return ""
    if product.stock <= 0:
        return "暂时缺货" if language == "zh" else "out of stock"
    if product.stock < 10:
        return f"仅剩 {product.stock} 件" if language == "zh" else f"only {product.stock} left"
    return "有货" if language == "zh" else "in stock"


def _listing(names: Sequence[str], language: str) -> str:
    unique = list(dict.fromkeys(n for n in names if n))
    if language == "zh":
        return "、".join(unique)
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


def category_list(products: Sequence[ProductInfo], language: str) -> str:
    """The products' categories, once each ("phones and headphones", "手机、耳机")."""
    return _listing([category_label(p.category, language) for p in products], language)


def brand_list(products: Sequence[ProductInfo], language: str) -> str:
    """The products' brands, once each; their categories where none has a brand."""
    brands = [p.brand for p in products if p.brand]
    return _listing(brands, language) if brands else category_list(products, language)


def product_line(product: ProductInfo, language: str, reason: str | None = None) -> str:
    """One line for a product list: name, price, availability, and why it is shown."""
    parts = [product.name(language)]
    if product.domain == "shop":
        parts.append(price_text(product.price, product.currency, language))
    stock = stock_text(product, language)
    if stock:
        parts.append(stock)
    line = " · ".join(parts)
    if reason:
        line += f"（{reason}）" if language == "zh" else f" ({reason})"
    return line


def product_details(product: ProductInfo, language: str) -> str:
    """A short answer about one product; bank products always carry their compliance text."""
    lines = [product_line(product, language), product.description(language)]
    compliance = product.compliance(language)
    if product.domain == "bank" and compliance:
        lines.append(compliance)
    return "\n".join(line for line in lines if line)
