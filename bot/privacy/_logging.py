"""A logging filter that redacts PII from log records before any handler writes them."""

from __future__ import annotations

import logging

from bot.privacy._redact import redact

_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with PII masked.

    Attach it to handlers (so records from every logger are covered) or to a logger.

    Example:
        >>> handler = logging.StreamHandler()
        >>> handler.addFilter(RedactingFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops it.

        Args:
            record: the log record.

        Returns:
            Always True.
        """
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (default: the root logger).

    Call it after logging is configured; handlers added later need their own filter.

    Args:
        logger: the logger whose handlers get the filter.

    Returns:
        The filter that was installed.
    """
    target = logger or logging.getLogger()
    redacting = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
    return redacting
