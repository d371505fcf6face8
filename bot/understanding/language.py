"""Which language a message is written in (the bot answers in it): Chinese or English."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str, default: Language | None = None) -> Language | None:
    """Guess whether ``text`` is Chinese or English from its script.

    A message is Chinese when it has Han characters and at least half as many of them
    as Latin words (one Chinese character carries about as much as one English word),
    so "我的iPhone坏了" is Chinese and "I love 小米 phones" is English; a message without
    letters (emoji, digits) returns ``default``.

    Args:
        text: the customer's message.
        default: what to return when the text has no letters.

    Returns:
        ``"zh"``, ``"en"`` or ``default``.

    Example:
        >>> detect_language("我的快递到哪了")
        'zh'
        >>> detect_language("where is my parcel?")
        'en'
    """
    han = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    if han == 0 and latin_words == 0:
        return default
    return "zh" if han > 0 and han >= 0.5 * latin_words else "en"
