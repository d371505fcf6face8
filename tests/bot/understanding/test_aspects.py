"""Aspect (improvement point) detection in Chinese and English."""

from __future__ import annotations

import pytest

from bot.understanding.aspects import AspectDetector, aspect_name, detect_aspects_by_keywords


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("快递太慢了，包装也破了", ["delivery", "packaging"]),
        ("客服态度太差了", ["service"]),
        ("the price is way too high", ["price"]),
        ("手机银行登录不上", ["app"]),
        ("they charged me an annual fee without telling me", ["fees"]),
        ("I had to queue for two hours at the branch", ["waiting_time"]),
        ("great phone, love it", []),
    ],
)
def test_keywords(text: str, expected: list[str]) -> None:
    assert detect_aspects_by_keywords(text) == expected


def test_similarity_finds_aspects_the_lexicon_misses(encoder) -> None:
    detector = AspectDetector.from_encoder(encoder)
    text = "东西用了一天就不亮了"  # "stopped lighting up after a day": no quality keyword
    assert detect_aspects_by_keywords(text) == []
    found = detector.detect(text, encoder.encode([text])[0])
    assert [a["aspect"] for a in found] == ["quality"] and found[0]["source"] == "similarity"
    # An unrelated message gets no aspect; a non-negative one only keyword hits.
    neutral = "what time do you open tomorrow?"
    assert detector.detect(neutral, encoder.encode([neutral])[0]) == []
    assert detector.detect(text, encoder.encode([text])[0], negative=False) == []


def test_aspect_names_are_localized() -> None:
    assert aspect_name("delivery", "zh") == "物流配送"
    assert aspect_name("delivery", "en") == "delivery"
