"""The grounding facts of a request as ready-written strings (prices, dates, discounts) in one language."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.catalog import ProductInfo, category_label
from bot.generation._types import GenerationRequest
from bot.replies import date_text, price_text

#: What a bank product's ``price`` is, by category, ``{category: (English, Chinese)}``.
BANK_PRICE_LABELS: dict[str, tuple[str, str]] = {
    "credit_card": ("annual fee", "年费"),
    "debit_card": ("fee", "费用"),
    "insurance": ("premium", "保费"),
    "deposit": ("minimum deposit", "起存金额"),
    "loan": ("fee", "费用"),
}


def day_text(day: date, language: str) -> str:
    """``2026年12月14日`` / ``14 Dec 2026``."""
    return date_text(datetime.combine(day, time()), "zh" if language.startswith("zh") else "en")


def money_text(amount: float, currency: str, language: str) -> str:
    """A price as the catalog replies write it (``¥3,999``, ``¥39.90``)."""
    return price_text(amount, currency, "zh" if language.startswith("zh") else "en")


def discount_text(percent: float, language: str) -> str:
    """``12% off`` / ``8.8折``."""
    if language.startswith("zh"):
        rest = (100.0 - percent) / 10.0
        return f"{rest:g}折"
    return f"{percent:g}% off"


def features(product: ProductInfo, language: str) -> list[str]:
    """The product's feature phrases: the catalog's ``features`` (English) or its description."""
    if not language.startswith("zh"):
        raw = product.attributes.get("features")
        if isinstance(raw, list) and all(isinstance(f, str) for f in raw):
            return [str(f) for f in raw]
    description = product.description(language)
    # "Name: a, b and c." -> the part after the colon
    for colon in ("：", ": "):
        if colon in description:
            description = description.split(colon, 1)[1]
            break
    return [description.rstrip("。.")] if description else []


def fact_values(request: GenerationRequest) -> dict[str, str]:
    """Every placeholder a promotion template or prompt may use, written in the request's language.

    Keys: ``product``, ``category``, ``description``, ``features``, ``price``, ``price_label``,
    ``sale_price``, ``saving``, ``discount``, ``campaign``, ``benefit``, ``valid_from``,
    ``valid_until``, ``conditions``, ``min_spend``, ``compliance``, ``interest``.
    Missing facts are empty strings.

    Args:
        request: a promotion request (its first product is the one promoted).

    Returns:
        The values.
    """
    language = request.language
    zh = language == "zh"
    values: dict[str, str] = dict.fromkeys(
        (
            "product", "category", "description", "features", "price", "price_label",
            "sale_price", "saving", "discount", "campaign", "benefit", "valid_from",
            "valid_until", "conditions", "min_spend", "compliance", "interest",
        ),
        "",
    )
    if request.customer.interests:
        values["interest"] = category_label(request.customer.interests[0], language)
    if not request.facts.products:
        return values
    product = request.facts.products[0]
    values["product"] = product.name(language)
    values["category"] = category_label(product.category, language)
    values["description"] = product.description(language)
    sep = "、" if zh else ", "
    values["features"] = sep.join(features(product, language))
    if product.price > 0:
        values["price"] = money_text(product.price, product.currency, language)
    labels = BANK_PRICE_LABELS.get(product.category)
    if product.domain == "bank" and labels:
        values["price_label"] = labels[1] if zh else labels[0]
    else:
        values["price_label"] = "价格" if zh else "price"
    if product.domain == "bank":
        values["compliance"] = product.compliance(language) or ""
    campaign = request.facts.campaign
    if campaign is None:
        return values
    values["campaign"] = campaign.name(language)
    values["benefit"] = campaign.benefit(language) or ""
    values["valid_from"] = day_text(campaign.valid_from, language)
    values["valid_until"] = day_text(campaign.valid_until, language)
    values["conditions"] = campaign.conditions(language)
    if campaign.min_spend:
        values["min_spend"] = money_text(campaign.min_spend, product.currency, language)
    sale = campaign.sale_price(product.price)
    if sale is not None and campaign.discount_percent is not None:
        values["discount"] = discount_text(campaign.discount_percent, language)
        values["sale_price"] = money_text(sale, product.currency, language)
        values["saving"] = money_text(round(product.price - sale, 2), product.currency, language)
    return values
