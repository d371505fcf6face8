"""Sets ``aspects`` (improvement points: delivery, service, quality, price, ...) on parsed messages.

The aspect prototypes are embedded through the shared encoder at training time and
stored in the Rasa model; at run time only the message's own vector is needed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.aspects import AspectDetector, group_prototype_vectors, prototype_texts
from nlu_models._client import EmbeddingClient
from nlu_models._stored import StoredStateComponent
from nlu_models.intent_classifier import sentence_vector
from nlu_models.shared_encoder import SharedEncoderFeaturizer

logger = logging.getLogger(__name__)
ASPECTS = "aspects"
PROTOTYPES_FILE = "aspect_prototypes.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class AspectExtractor(StoredStateComponent[AspectDetector]):
    """Annotates each message with ``[{"aspect", "source", "score"}]``.

    Config:
        threshold: cosine similarity to an aspect prototype that counts when no keyword matched.
        url: embedding server for the prototypes (default as SharedEncoderFeaturizer).
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [SharedEncoderFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.86, "url": None, "token_env": "IPM_SERVER__API_TOKEN", "startup_wait": 60}

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> AspectDetector:
        with np.load(path / PROTOTYPES_FILE, allow_pickle=False) as arrays:
            vectors = {name: arrays[name] for name in arrays.files}
        return AspectDetector(vectors, float(config["threshold"]))

    def write_state(self, path: Path, state: AspectDetector) -> None:
        np.savez(path / PROTOTYPES_FILE, **state.prototype_vectors)

    @classmethod
    def missing_state(cls, config: dict[str, Any], resource: Resource) -> AspectDetector:
        logger.warning("no aspect prototypes in the model (%s); keyword detection only", resource.name)
        return AspectDetector({}, float(config["threshold"]))

    def train(self, training_data: TrainingData) -> Resource:
        client = EmbeddingClient(self._config.get("url"), token_env=self._config.get("token_env") or "")
        vectors, _ = client.embed(prototype_texts(), wait=float(self._config["startup_wait"]))
        return self.persist(AspectDetector(group_prototype_vectors(vectors), float(self._config["threshold"])))

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            negative = (message.get("sentiment") or {}).get("label") == "negative"
            message.set(
                ASPECTS, self._state.detect(text, sentence_vector(message), negative), add_to_output=True
            )
        return messages
