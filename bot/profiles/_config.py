"""Tunables of the profile builder: decay half-lives and behaviour weights."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProfileConfig(BaseModel):
    """How events turn into interests and text vectors.

    Defaults suit a shop where a purchase says more than a glance; change them per
    deployment (e.g. ``ProfileConfig(half_life_days=14)`` for fast-moving fashion).
    """

    #: Interests halve in weight after this many days without reinforcement.
    half_life_days: float = Field(default=30.0, gt=0)
    #: Half-life of a text's weight in the recency-weighted mean of embeddings.
    text_half_life_days: float = Field(default=90.0, gt=0)
    #: Interest weight per behaviour (purchase > cart > click > view).
    behaviour_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "view": 1.0,
            "click": 2.0,
            "cart": 4.0,
            "purchase": 8.0,
            "rating": 3.0,
        }
    )
    #: Interest weight of a category the customer asked about in chat.
    chat_weight: float = Field(default=3.0, ge=0)
    #: Intents of messages that ask for products rather than judge them ("I want a phone",
    #: "anything cheaper?"): the categories they name count as interest, but their tone is
    #: not an opinion of those categories (a curt request is no complaint about phones).
    #: Not ``ask_product``: with no intent of its own, praise of a product lands there.
    request_intents: frozenset[str] = Field(
        default=frozenset({"request_recommendation", "refine_recommendation", "accept_offer", "order_status"})
    )
    #: Attempts of a profile update that lost an optimistic-concurrency race.
    max_retries: int = Field(default=20, ge=1)

    @property
    def half_life_s(self) -> float:
        """Interest half-life in seconds."""
        return self.half_life_days * 86400.0

    @property
    def text_half_life_s(self) -> float:
        """Text half-life in seconds."""
        return self.text_half_life_days * 86400.0
