"""Sets ``aspects`` (improvement points: delivery, service, quality, price, ...) on parsed messages.

The aspect prototypes are embedded through the shared encoder at training time and
stored in the Rasa model; at run time only the message's own vector is needed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.aspects import AspectDetector, group_prototype_vectors, prototype_texts
from nlu_models._client import EmbeddingClient
from nlu_models.intent_classifier import sentence_vector
from nlu_models.shared_encoder import SharedEncoderFeaturizer

logger = logging.getLogger(__name__)
ASPECTS = "aspects"
PROTOTYPES_FILE = "aspect_prototypes.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class AspectExtractor(GraphComponent):
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

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        detector: AspectDetector | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._detector = detector

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AspectExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> AspectExtractor:
        merged = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as path:
                with np.load(path / PROTOTYPES_FILE, allow_pickle=False) as arrays:
                    vectors = {name: arrays[name] for name in arrays.files}
            detector: AspectDetector | None = AspectDetector(vectors, float(merged["threshold"]))
        except (ValueError, OSError):
            logger.warning("no aspect prototypes in the model (%s); keyword detection only", resource.name)
            detector = AspectDetector({}, float(merged["threshold"]))
        return cls(config, model_storage, resource, detector)

    def train(self, training_data: TrainingData) -> Resource:
        client = EmbeddingClient(self._config.get("url"), token_env=self._config.get("token_env") or "")
        vectors, _ = client.embed(prototype_texts(), wait=float(self._config["startup_wait"]))
        out = group_prototype_vectors(vectors)
        with self._model_storage.write_to(self._resource) as path:
            np.savez(path / PROTOTYPES_FILE, **out)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._detector is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            negative = (message.get("sentiment") or {}).get("label") == "negative"
            message.set(
                ASPECTS, self._detector.detect(text, sentence_vector(message), negative), add_to_output=True
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
