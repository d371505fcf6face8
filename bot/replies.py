"""Customer-facing text built from data (product lines, prices, dates) in Chinese or English.

Static replies live in domain.yml; these are the parts that depend on the catalog.
"""

from __future__ import annotations

from datetime import datetime

from bot.catalog import ProductInfo

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
