"""Sets ``sentiment`` ({label, confidence, polarity}) on every parsed message.

The head (logistic regressions over the shared encoder's vector and the text's n-grams,
trained by ``python -m bot.understanding.train_sentiment``) is copied into the Rasa model
at training time, so a trained model is self-contained.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.errors import ModelError
from bot.understanding.hybrid_head import HybridHead
from bot.understanding.sentiment import (
    DEFAULT_HEAD,
    SentimentHead,
    load_sentiment_head,
    positive_proba,
    sentiment_from_proba,
)
from nlu_models._stored import StoredStateComponent
from nlu_models.intent_classifier import sentence_vector
from nlu_models.shared_encoder import ENCODER_NAME

logger = logging.getLogger(__name__)
SENTIMENT = "sentiment"
HEAD_STEM = "sentiment_head"  # sentiment_head_dense.npz + _sparse.* (sentiment_head.npz: older models)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentimentAnalyzer(StoredStateComponent[SentimentHead]):
    """Annotates each message with its sentiment.

    Config:
        head: the trained sentiment head: a stem (``{head}_dense.npz`` and ``{head}_sparse.*``)
            or a one-view head's ``.npz``.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"head": str(DEFAULT_HEAD)}

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> SentimentHead:
        return load_sentiment_head(path / HEAD_STEM)

    def write_state(self, path: Path, state: SentimentHead) -> None:
        if isinstance(state, HybridHead):
            state.save(path, HEAD_STEM)
        else:
            state.save(path / f"{HEAD_STEM}.npz")

    @classmethod
    def missing_state(cls, config: dict[str, Any], resource: Resource) -> SentimentHead | None:
        logger.warning("no sentiment head in the model (%s); messages get no sentiment", resource.name)
        return None

    def train(self, training_data: TrainingData) -> Resource:
        try:
            head = load_sentiment_head(Path(self._config["head"]))
        except ModelError as exc:
            raise RasaException(f"SentimentAnalyzer: {exc}") from exc
        for example in training_data.training_examples:
            vector = sentence_vector(example)
            if vector is not None and example.get(ENCODER_NAME):
                try:
                    head.check_encoder(example.get(ENCODER_NAME), vector.shape[0])
                except ModelError as exc:
                    raise RasaException(f"SentimentAnalyzer: {exc}") from exc
                break
        return self.persist(head)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        for message in messages:
            vector = sentence_vector(message)
            if vector is None:
                continue
            positive = float(positive_proba(self._state, vector, [message.get("text") or ""])[0])
            message.set(SENTIMENT, sentiment_from_proba(positive, self._state.meta), add_to_output=True)
        return messages
