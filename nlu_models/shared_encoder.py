"""Dense sentence features from the shared encoder, fetched over the OpenAI embeddings API.

The encoder is loaded once, in the bot server; this component only calls
``POST {url}/v1/embeddings``, so a production embedding server can replace it by
configuration (``url`` in config.yml or ``IPM_EMBEDDINGS_URL``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.encoder._base import same_space
from bot.encoder._wire import ENCODING_FORMATS
from nlu_models._client import EmbeddingClient, EmbeddingServiceError
from nlu_models.catalog_names import nlu_text

logger = logging.getLogger(__name__)
__all__ = ["ENCODER_NAME", "EmbeddingServiceError", "SharedEncoderFeaturizer"]

#: Message key holding the name of the encoder that produced the features.
ENCODER_NAME = "ipm_encoder"
FEATURE_TYPE_SENTENCE = "sentence"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SharedEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one dense sentence feature (the shared encoder's embedding) to every message.

    Config:
        url: embedding server root (default ``$IPM_EMBEDDINGS_URL`` or http://127.0.0.1:5055).
        model: model name sent with each request ("" lets the server use its own).
        token_env: environment variable holding the bearer token, if the server needs one.
        batch_size: texts per request when featurizing training data.
        timeout: seconds per request.
        startup_wait: seconds to wait for the server to come up during training.
        encoding_format: ``base64`` (default; float32 bytes, as OpenAI's client asks) or ``float``.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "url": None,
            "model": "",
            "token_env": "IPM_SERVER__API_TOKEN",
            "batch_size": 256,
            "timeout": 120,
            "startup_wait": 60,
            "encoding_format": "base64",
        }

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        trained_encoder: str | None = None,
    ) -> None:
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._client = EmbeddingClient(
            config.get("url"),
            config.get("model") or "",
            config.get("token_env") or "",
            config["timeout"],
            config.get("encoding_format") or "base64",
        )
        self._trained_encoder = trained_encoder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SharedEncoderFeaturizer:
        return cls(config, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SharedEncoderFeaturizer:
        trained = None
        try:
            with model_storage.read_from(resource) as path:
                trained = json.loads((path / "encoder.json").read_text(encoding="utf-8"))["encoder"]
        except (ValueError, OSError, KeyError):
            logger.debug("no encoder record in %s; features are not checked", resource.name)
        return cls(config, execution_context.node_name, model_storage, resource, trained)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("batch_size must be at least 1")
        if config.get("encoding_format", "base64") not in ENCODING_FORMATS:
            raise ValueError(f"encoding_format must be one of {', '.join(ENCODING_FORMATS)}")

    def _featurize(self, messages: list[Message], wait: float = 0.0) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors, encoder = self._client.embed([nlu_text(m) for m in batch], wait)
            if self._trained_encoder is None:
                self._trained_encoder = encoder
            elif not same_space(encoder, self._trained_encoder):
                raise EmbeddingServiceError(
                    f"the model was trained on encoder {self._trained_encoder!r} but {self._client.url} "
                    f"serves {encoder!r}: retrain (rasa train) or point url at the right server"
                )
            for message, vector in zip(batch, vectors):
                message.add_features(
                    Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
                )
                message.set(ENCODER_NAME, encoder)

    # -- graph API --------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        # Rasa runs train() on its own instance before process_training_data(): ask the
        # server which encoder it serves now and record it, so a model never silently
        # runs on another encoder's vectors.
        _, encoder = self._client.embed(["ping"], wait=float(self._config["startup_wait"]))
        with self._model_storage.write_to(self._resource) as path:
            (path / "encoder.json").write_text(
                json.dumps({"encoder": encoder, "url": self._client.url}), encoding="utf-8"
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples, wait=float(self._config["startup_wait"]))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
