"""Customer profiles built from behaviour, reviews and conversation; updated live, private by design.

Example:
    >>> from bot.store import open_store
    >>> from bot.profiles import ProfileService, describe_profile
    >>> store = open_store("sqlite:///:memory:")
    >>> profiles = ProfileService(store)           # pass the shared encoder in production
    >>> profiles.record_message("alice", "My phone arrived broken and late", "en",
    ...                         sentiment="negative", aspects={"delivery": "negative"},
    ...                         categories=["phones"], event_id="e1")
    True
    >>> profiles.get_profile("alice").disliked("aspect")
    ['delivery']
"""

from __future__ import annotations

from bot.profiles._aggregate import (
    Aspects,
    Sentiment,
    rating_score,
    sentiment_label,
    sentiment_score,
)
from bot.profiles._builder import ProfileService, ensure_customer, lock_profile
from bot.profiles._config import ProfileConfig
from bot.profiles._data_rights import ErasureReport, erase_customer, export_customer
from bot.profiles._rebuild import rebuild_profiles
from bot.profiles._segments import SegmentInfo, build_segments, list_segments
from bot.profiles._view import (
    Opinion,
    ProfileView,
    SegmentRef,
    build_view,
    describe_profile,
    get_profile,
    has_marketing_consent,
)

__all__ = [
    "Aspects",
    "ErasureReport",
    "Opinion",
    "ProfileConfig",
    "ProfileService",
    "ProfileView",
    "SegmentInfo",
    "SegmentRef",
    "Sentiment",
    "build_segments",
    "build_view",
    "describe_profile",
    "ensure_customer",
    "erase_customer",
    "export_customer",
    "get_profile",
    "has_marketing_consent",
    "list_segments",
    "lock_profile",
    "rating_score",
    "rebuild_profiles",
    "sentiment_label",
    "sentiment_score",
]
