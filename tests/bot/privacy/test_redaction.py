"""PII never reaches storage or logs: phones, e-mails, Luhn-valid cards, checksummed Chinese IDs."""

from __future__ import annotations

import io
import logging

import pytest

from bot.privacy import (
    RedactingFilter,
    cn_id_checksum_ok,
    find_pii,
    install_log_redaction,
    luhn_ok,
    redact,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机是13812345678谢谢", "我的手机是[PHONE]谢谢"),
        ("call 138 1234 5678 please", "call [PHONE] please"),
        ("+86 138-1234-5678", "[PHONE]"),
        ("0086 13812345678", "[PHONE]"),
        ("office +44 20 7946 0958", "office [PHONE]"),
        ("US: +1 (415) 555-2671", "US: [PHONE]"),
        ("座机 010-62345678", "座机 [PHONE]"),
        ("mail me: li.wei+shop@example.com.cn", "mail me: [EMAIL]"),
        ("邮箱zhang_san@qq.com谢谢", "邮箱[EMAIL]谢谢"),
        ("card 4111 1111 1111 1111 expires", "card [BANK_CARD] expires"),
        ("卡号6222021234567890128", "卡号[BANK_CARD]"),
        ("amex 3782 822463 10005", "amex [BANK_CARD]"),
        ("身份证号11010519491231002X", "身份证号[ID_NUMBER]"),
        ("id 110105194912310021 (bad checksum)", "id 110105194912310021 (bad checksum)"),
        ("card 4111 1111 1111 1112 fails Luhn", "card 4111 1111 1111 1112 fails Luhn"),
        ("订单号 20240612001 金额 ¥3,999.00", "订单号 20240612001 金额 ¥3,999.00"),
        ("model X200 2024-06-12 12:00 v1.2.3", "model X200 2024-06-12 12:00 v1.2.3"),
        ("", ""),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_several_kinds_in_one_text_keep_their_order() -> None:
    text = "tel 13812345678, card 4111111111111111, id 11010519491231002X, mail a@b.cn"
    assert [m.kind for m in find_pii(text)] == ["PHONE", "BANK_CARD", "ID_NUMBER", "EMAIL"]
    assert redact(text) == "tel [PHONE], card [BANK_CARD], id [ID_NUMBER], mail [EMAIL]"


def test_checksums() -> None:
    assert cn_id_checksum_ok("11010519491231002X")
    assert not cn_id_checksum_ok("110105194912310020")
    assert luhn_ok("6222021234567890128")
    assert not luhn_ok("6222021234567890127")


def _logger_with_buffer(name: str) -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, buffer


def test_logging_filter_redacts_messages_arguments_and_tracebacks() -> None:
    logger, buffer = _logger_with_buffer("test.redaction.filter")
    logger.handlers[0].addFilter(RedactingFilter())
    logger.info("customer %s wrote %r", "alice", "my phone is 13812345678")
    try:
        raise ValueError("bad card 4111111111111111")
    except ValueError:
        logger.exception("lookup failed for li@example.com")
    out = buffer.getvalue()
    assert (
        "13812345678" not in out and "4111111111111111" not in out and "li@example.com" not in out
    )
    assert "[PHONE]" in out and "[BANK_CARD]" in out and "[EMAIL]" in out
    assert "customer alice wrote" in out


def test_install_log_redaction_covers_existing_handlers_once() -> None:
    logger, buffer = _logger_with_buffer("test.redaction.install")
    install_log_redaction(logger)
    install_log_redaction(logger)
    assert len(logger.handlers[0].filters) == 1
    logger.warning("id 11010519491231002X")
    assert buffer.getvalue().strip() == "id [ID_NUMBER]"
