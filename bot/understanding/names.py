"""Catalog names masked out of a message before its intent is classified.

"not Zento" and "不要Zento的" say the same as "not this brand" and "不要这个牌子的", whatever the
brand. An intent classifier trained on a handful of brand names does not know the others
("not Zento" read as a plain "no"), and a shop's brands change with its catalog. So the
classifier sees every catalog brand replaced by one neutral phrase, in training and at
inference alike ("delexicalization"); the message itself, which actions read to know which
brand was meant, is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: What a brand becomes: English, and Chinese (for a message with Chinese characters in it).
PLACEHOLDER_EN = "this brand"
PLACEHOLDER_ZH = "这个牌子"
_HAN = re.compile(r"[\u3400-\u9fff]")


def _latin(name: str) -> str:
    words = r"\s+".join(re.escape(w) for w in name.split())
    return rf"(?<![A-Za-z0-9_]){words}(?![A-Za-z0-9_])"


class NameMasker:
    """Replaces the given names in a text by a neutral phrase ("this brand" / "这个牌子").

    Latin-script names match whole words, ignoring case ("zento", "Green Valley"); names in
    Chinese characters match wherever they occur. Longer names are matched first.

    Args:
        names: the names to mask (empty or blank ones are ignored).

    Example:
        >>> masker = NameMasker(["Zento", "臻拓", "Green Valley"])
        >>> masker.mask("not zento please")
        'not this brand please'
        >>> masker.mask("不要Zento的，也不要臻拓")
        '不要这个牌子的，也不要这个牌子'
        >>> masker.mask("green valley or Zentos?")
        'this brand or Zentos?'
    """

    def __init__(self, names: Iterable[str]) -> None:
        cleaned = {" ".join(n.split()) for n in names if isinstance(n, str) and n.strip()}
        self.names: tuple[str, ...] = tuple(sorted(cleaned, key=lambda n: (-len(n), n)))
        # Latin names stand between non-letters; Chinese characters around them count as space
        # ("不要Zento的"), which \b would not allow.
        patterns = [_latin(n) if n.isascii() else re.escape(n) for n in self.names]
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def __len__(self) -> int:
        return len(self.names)

    def mask(self, text: str) -> str:
        """``text`` with every name replaced; unchanged when it names none."""
        if self._pattern is None or not text:
            return text
        placeholder = PLACEHOLDER_ZH if _HAN.search(text) else PLACEHOLDER_EN
        return self._pattern.sub(placeholder, text)
