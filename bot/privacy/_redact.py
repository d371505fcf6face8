"""Finds and masks PII in free text: phone numbers, e-mails, bank card and Chinese ID numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PiiKind = Literal["ID_NUMBER", "BANK_CARD", "PHONE", "EMAIL"]

#: The placeholder each kind is replaced with.
PLACEHOLDERS: dict[str, str] = {
    "ID_NUMBER": "[ID_NUMBER]",
    "BANK_CARD": "[BANK_CARD]",
    "PHONE": "[PHONE]",
    "EMAIL": "[EMAIL]",
}

# Python's \b treats CJK characters as word characters, so "手机13812345678" would have no
# boundary: digit runs are delimited with explicit look-arounds instead.
_NO_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NO_DIGIT_AFTER = r"(?![0-9])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# 18-digit resident identity number: 6-digit region, YYYYMMDD birth date, 3-digit sequence,
# check character (0-9 or X).
_CN_ID = re.compile(
    _NO_DIGIT_BEFORE
    + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
    + r"(?![0-9A-Za-z])"
)
# 13-19 digits, written solid or in groups of four (6222 0212 3456 7890 128) or Amex-style
# 4-6-5; never after "+" (that is a phone number with its country code).
_CARD = re.compile(
    r"(?<![0-9A-Za-z+])(?:[1-9]\d{12,18}|[1-9]\d{3}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?"
    r"|[1-9]\d{3}[ -]\d{6}[ -]\d{5})" + _NO_DIGIT_AFTER
)
# Chinese mobile, with optional +86/0086 and 3-4-4 grouping.
_CN_MOBILE = re.compile(
    r"(?<![0-9+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NO_DIGIT_AFTER
)
# International: + or 00, country code, then 6-14 more digits with spaces, dashes, dots or
# a parenthesised area code.
_INTL_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,6}" + _NO_DIGIT_AFTER
)
# Chinese landline with area code: 010-12345678, (0755) 1234 5678.
_CN_LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)\s?|0\d{2,3}-)\d{3,4}[ -]?\d{4}" + _NO_DIGIT_AFTER
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def cn_id_checksum_ok(number: str) -> bool:
    """Whether an 18-character resident ID number has a valid ISO 7064 MOD 11-2 check character.

    Args:
        number: the 18 characters (digits, last one may be ``X``).

    Returns:
        True when the check character matches.

    Example:
        >>> cn_id_checksum_ok("11010519491231002X")
        True
    """
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn check used by payment card numbers.

    Args:
        digits: only digits.

    Returns:
        True when the checksum is valid.

    Example:
        >>> luhn_ok("4111111111111111")
        True
    """
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class PiiMatch:
    """One piece of PII found in a text.

    Attributes:
        kind: what it is.
        start: offset of the first character.
        end: offset after the last character.
        text: the matched text.
    """

    kind: PiiKind
    start: int
    end: int
    text: str


def find_pii(text: str) -> list[PiiMatch]:
    """Locate PII in ``text``; matches never overlap and are in text order.

    ID numbers are tried first (their checksum is the most specific test), then card numbers
    (Luhn), then e-mails and phone numbers. A digit run that fails its checksum is left
    alone, so order numbers and prices survive.

    Args:
        text: any text.

    Returns:
        The matches, sorted by position.
    """
    if not text:
        return []
    found: list[PiiMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(kind: PiiKind, m: re.Match[str]) -> None:
        found.append(PiiMatch(kind, m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))

    for m in _CN_ID.finditer(text):
        if cn_id_checksum_ok(m.group(0)):
            add("ID_NUMBER", m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and free(m.start(), m.end()):
            add("BANK_CARD", m)
    for m in _EMAIL.finditer(text):
        if free(m.start(), m.end()):
            add("EMAIL", m)
    for pattern in (_CN_MOBILE, _INTL_PHONE, _CN_LANDLINE):
        for m in pattern.finditer(text):
            n_digits = sum(ch.isdigit() for ch in m.group(0))
            if 7 <= n_digits <= 15 and free(m.start(), m.end()):
                add("PHONE", m)
    found.sort(key=lambda p: p.start)
    return found


def redact(text: str) -> str:
    """Replace every piece of PII in ``text`` with a typed placeholder.

    Args:
        text: any text (``None``-safe callers should pass ``""``).

    Returns:
        The text with e.g. phone numbers replaced by ``[PHONE]``.

    Example:
        >>> redact("call me on 138 1234 5678 or mail a.b@example.com")
        'call me on [PHONE] or mail [EMAIL]'
        >>> redact("我的卡号是6222021234567890128")
        '我的卡号是[BANK_CARD]'
    """
    matches = find_pii(text)
    if not matches:
        return text
    parts: list[str] = []
    pos = 0
    for m in matches:
        parts.append(text[pos : m.start])
        parts.append(PLACEHOLDERS[m.kind])
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


def contains_pii(text: str) -> bool:
    """Whether ``text`` contains anything :func:`redact` would mask.

    Args:
        text: any text.

    Returns:
        True when PII was found.
    """
    return bool(find_pii(text))
