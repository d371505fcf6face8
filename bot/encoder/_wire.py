"""The OpenAI embeddings wire format, shared by the bot server and both of its clients.

A vector travels as a list of JSON numbers (``encoding_format: float``) or as base64 of its
little-endian float32 bytes (``base64``, what OpenAI's own client asks for). Numpy and the
standard library only: the Rasa environment's featurizer imports it too.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

ENCODING_FORMATS = ("float", "base64")
logger = logging.getLogger(__name__)


class _Answer(Protocol):
    """What both HTTP clients' responses (httpx, requests) have in common here."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


AnswerT = TypeVar("AnswerT", bound=_Answer)


def encode_embedding(vector: npt.NDArray[np.float32], encoding_format: str) -> list[float] | str:
    """One vector as the response carries it in ``encoding_format``.

    Example:
        >>> encode_embedding(np.array([1.0, -2.0], dtype=np.float32), "base64")
        'AACAPwAAAMA='
    """
    if encoding_format == "base64":
        return base64.b64encode(np.ascontiguousarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return vector.tolist()  # type: ignore[no-any-return]


def decode_embeddings(items: Sequence[Sequence[float] | str]) -> npt.NDArray[np.float32]:
    """The rows of an embeddings response, in either format.

    Raises:
        ValueError: a row is not valid base64 of float32 values, or the rows differ in length.

    Example:
        >>> decode_embeddings(["AACAPwAAAMA="]).tolist()
        [[1.0, -2.0]]
    """
    if not items:
        return np.zeros((0, 0), dtype=np.float32)
    if not any(isinstance(item, str) for item in items):
        return np.asarray(items, dtype=np.float32)
    try:
        rows = [np.frombuffer(base64.b64decode(item, validate=True), dtype="<f4") for item in items]  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable base64 embedding: {exc}") from exc
    if len({len(row) for row in rows}) > 1:
        raise ValueError("embeddings of different lengths")
    return np.stack(rows).astype(np.float32)


def refuses_base64(status: int, body: str) -> bool:
    """Whether a server's answer to a base64 request says it serves JSON floats only."""
    return status == 400 and "encoding_format" in body


def post_in_format(post: Callable[[str], AnswerT], encoding_format: str, server: object) -> tuple[AnswerT, str]:
    """Send an embeddings request with ``post(encoding_format)``, falling back to floats once.

    Where the server refuses base64 (``refuses_base64``), the request is sent again asking for
    JSON floats, with a warning. Returns the answer and the format to ask for from then on, which
    the caller keeps, so the warning comes once per client.
    """
    answer = post(encoding_format)
    if encoding_format == "base64" and refuses_base64(answer.status_code, answer.text):
        logger.warning("%s does not serve base64 embeddings; asking for JSON floats from now on", server)
        return post("float"), "float"
    return answer, encoding_format
