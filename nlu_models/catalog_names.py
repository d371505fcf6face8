"""Masks the catalog's brand names before the encoder and the intent classifier see a message.

"not Zento" is read as "not this brand" (``bot.understanding.names``), so a follow-up that
turns down any brand of the catalog is understood, not only the brands the training
examples happen to name. The names come from the bot server (``GET {url}/v1/catalog/names``):
at training, where they are stored in the model, and again every ``refresh_s`` seconds at
run time (first at the first message after loading), so brands imported after training are
masked too. The training examples are also masked with the brands of the lookup table ``brand``
(data/nlu/brands.yml), which a catalog trained against need not have. The message's ``text`` is left
as written (actions read it to know which brand was meant); the masked text is kept under
``ipm_masked_text`` and read through :func:`nlu_text`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import requests
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.names import NameMasker
from nlu_models._client import DEFAULT_URL, ServerSession
from nlu_models._stored import StoredStateComponent

logger = logging.getLogger(__name__)
#: Message key of the text the encoder and the intent classifier read (when it differs).
MASKED_TEXT = "ipm_masked_text"
NAMES_FILE = "catalog_names.json"


class CatalogNamesError(RasaException):
    """The bot server could not be asked for the catalog's names, or answered nonsense."""


def nlu_text(message: Message) -> str:
    """The text the understanding components read: the masked text if names were masked."""
    return str(message.get(MASKED_TEXT) or message.get(TEXT) or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class CatalogNameMasker(StoredStateComponent[NameMasker]):
    """Sets ``ipm_masked_text`` on messages that name a catalog brand. Put it before
    ``SharedEncoderFeaturizer``.

    Config:
        url: the bot server (default ``$IPM_EMBEDDINGS_URL``, else http://127.0.0.1:5055: the bot
            server serves the embeddings too, unless you point them elsewhere).
        token_env: environment variable holding the bearer token, if the server needs one.
        refresh_s: seconds between fetches of the names at run time (0: only the trained ones).
        timeout: seconds per fetch at run time (a failed fetch keeps the names it had).
        startup_wait: seconds to wait for the server to come up during training.
        lookup: the lookup table whose elements are masked in the training examples as well
            (the brands the examples name, whatever the catalog).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"url": None, "token_env": "IPM_SERVER__API_TOKEN", "refresh_s": 300, "timeout": 2.0,
                "startup_wait": 60, "lookup": "brand"}

    def __init__(self, config: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._url = (self._config.get("url") or os.environ.get("IPM_EMBEDDINGS_URL") or DEFAULT_URL).rstrip("/")
        # A loaded model asks the server at its first message (the catalog may have changed since
        # training, or been imported after it), then every ``refresh_s``.
        self._fetched_at = -float("inf")
        self._server = ServerSession(self._url, self._config.get("token_env") or "", CatalogNamesError, "bot server")

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> NameMasker:
        return NameMasker(json.loads((path / NAMES_FILE).read_text(encoding="utf-8"))["brands"])

    def write_state(self, path: Path, state: NameMasker) -> None:
        (path / NAMES_FILE).write_text(json.dumps({"brands": list(state.names)}, ensure_ascii=False),
                                       encoding="utf-8")

    def _fetch(self, timeout: float, wait: float = 0.0) -> NameMasker:
        resp = self._server.request("GET", "/v1/catalog/names", wait, timeout=timeout)
        if resp.status_code != 200:
            raise CatalogNamesError(
                f"the bot server {self._url} answered {resp.status_code} for its catalog names "
                f"(CatalogNameMasker's url must be the ipm-bot server): {resp.text[:200]}"
            )
        brands = resp.json().get("brands")
        if not isinstance(brands, list) or not all(isinstance(b, str) for b in brands):
            raise CatalogNamesError(f"the bot server {self._url} sent catalog names that are not a list of text")
        return NameMasker(brands)

    def _refreshed(self) -> NameMasker | None:
        """The masker, with the names fetched again if they are older than ``refresh_s``."""
        refresh = float(self._config["refresh_s"])
        if refresh <= 0 or time.monotonic() - self._fetched_at < refresh:
            return self._state
        self._fetched_at = time.monotonic()
        try:
            self._state = self._fetch(float(self._config["timeout"]))
        except (CatalogNamesError, requests.RequestException, ValueError) as exc:
            logger.warning("catalog names not refreshed (%s); masking the %d known ones", exc,
                           len(self._state) if self._state else 0)
        return self._state

    # -- graph API --------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        return self.persist(self._fetch(timeout=30.0, wait=float(self._config["startup_wait"])))

    def _mask(self, messages: list[Message], masker: NameMasker | None) -> None:
        if masker is None or not len(masker):
            return
        for message in messages:
            text = message.get(TEXT)
            masked = masker.mask(text) if text else text
            if masked != text:
                message.set(MASKED_TEXT, masked)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # The examples' own brands ("not Nova") are masked even when the catalog the model is
        # trained against lacks them (trained before the catalog is imported): the lookup table
        # named ``lookup`` (data/nlu/brands.yml) lists them.
        lookup = [str(e) for table in training_data.lookup_tables if table.get("name") == self._config["lookup"]
                  for e in table.get("elements") or []]
        known = list(self._state.names) if self._state is not None else []
        self._mask(training_data.training_examples, NameMasker(known + lookup))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._mask(messages, self._refreshed())
        return messages
