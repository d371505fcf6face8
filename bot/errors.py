"""The one exception tree of ipm-bot; library errors are translated into it at the boundary."""

from __future__ import annotations


class IPMError(Exception):
    """Base class of every error ipm-bot raises on purpose."""


class ConfigurationError(IPMError):
    """Settings are missing or inconsistent (bad model path, unknown backend, ...)."""


class EncoderError(IPMError):
    """The sentence encoder could not be loaded or failed to embed."""


class EncoderUnavailableError(EncoderError):
    """A remote embedding endpoint could not be reached or answered with an error."""


class ModelError(IPMError):
    """A trained model (head, recommender, ...) is missing, corrupt or does not fit the encoder."""


class ValidationError(IPMError):
    """Input at a boundary (API payload, import file, CLI argument) is invalid.

    Attributes:
        problems: human-readable problems, e.g. ``["row 3, column price: not a number"]``.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems or [])


class StoreError(IPMError):
    """The profile/catalog database failed (connection, constraint, migration)."""


class NotFoundError(IPMError):
    """A customer, product or experiment that was asked for does not exist."""


class GenerationError(IPMError):
    """Text generation failed (backend down, timeout, output rejected by the guardrails)."""


class AuthError(IPMError):
    """A request to an admin/API endpoint lacked valid credentials."""
