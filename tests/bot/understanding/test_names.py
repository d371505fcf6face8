"""Catalog names masked before intent classification."""

from __future__ import annotations

import pytest

from bot.understanding.names import NameMasker


@pytest.fixture()
def masker() -> NameMasker:
    return NameMasker(["Zento", "臻拓", "Green Valley", "Nova", "", "  "])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("not Zento", "not this brand"),
        ("NOT ZENTO!", "NOT this brand!"),
        ("anything but green   valley?", "anything but this brand?"),
        ("不要Zento的", "不要这个牌子的"),  # Chinese around a Latin name: still a whole word
        ("除了臻拓还有别的吗", "除了这个牌子还有别的吗"),
        ("Nova or Zento, not both", "this brand or this brand, not both"),
    ],
)
def test_names_become_one_neutral_phrase_in_the_message_language(masker, text, masked) -> None:
    assert masker.mask(text) == masked


@pytest.mark.parametrize("text", ["a novas supernova", "zentos", "my Zento2", "", "hello"])
def test_only_whole_names_are_masked(masker, text) -> None:
    assert masker.mask(text) == text


def test_blank_names_are_ignored_and_longer_names_match_first() -> None:
    masker = NameMasker(["Green", "Green Valley", " "])
    assert masker.names == ("Green Valley", "Green") and len(masker) == 2
    assert masker.mask("Green Valley tea") == "this brand tea"
    assert NameMasker([]).mask("not Zento") == "not Zento"
