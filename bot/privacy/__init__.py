"""PII redaction for everything stored, logged or sent to an LLM.

Example:
    >>> from bot.privacy import redact
    >>> redact("手机 13812345678，邮箱 li@example.cn")
    '手机 [PHONE]，邮箱 [EMAIL]'
"""

from __future__ import annotations

from bot.privacy._logging import RedactingFilter, install_log_redaction
from bot.privacy._redact import (
    PLACEHOLDERS,
    PiiKind,
    PiiMatch,
    cn_id_checksum_ok,
    contains_pii,
    find_pii,
    luhn_ok,
    redact,
)

__all__ = [
    "PLACEHOLDERS",
    "PiiKind",
    "PiiMatch",
    "RedactingFilter",
    "cn_id_checksum_ok",
    "contains_pii",
    "find_pii",
    "install_log_redaction",
    "luhn_ok",
    "redact",
]
