"""Order look-ups for the chat: the customer's latest purchase (from the interactions table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.catalog import ProductInfo
from bot.store import Customer, Interaction, Product, Store


@dataclass(frozen=True)
class OrderSummary:
    """A purchase as the chat shows it."""

    product: ProductInfo
    ordered_at: datetime
    amount: float | None


def latest_purchase(store: Store, sender_id: str) -> OrderSummary | None:
    """The most recent purchase of the customer behind ``sender_id``, or ``None``.

    Args:
        store: the store.
        sender_id: the channel's sender id.

    Returns:
        The order, or ``None`` when the customer is unknown or has bought nothing.
    """
    stmt = (
        select(Interaction, Product)
        .join(Customer, Customer.id == Interaction.customer_id)
        .join(Product, Product.id == Interaction.product_id)
        .where(Customer.sender_id == sender_id, Interaction.kind == "purchase")
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    with store.session() as session:
        row = session.execute(stmt).first()
        if row is None:
            return None
        interaction, product = row
        return OrderSummary(ProductInfo.from_model(product), interaction.occurred_at, interaction.value)
