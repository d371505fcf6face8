"""Intent classifier: a logistic-regression head over the shared encoder's sentence features."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.heads import LinearHead, fit_logistic_head
from nlu_models._stored import StoredStateComponent
from nlu_models.shared_encoder import ENCODER_NAME

logger = logging.getLogger(__name__)
HEAD_FILE = "intent_head.npz"


def sentence_vector(message: Message) -> np.ndarray | None:
    """The message's dense sentence features (all dense featurizers, concatenated)."""
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else np.asarray(sentence.features, dtype=np.float32).reshape(-1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EncoderIntentClassifier(IntentClassifier, StoredStateComponent[LinearHead]):
    """Predicts intent and ranking from dense sentence features.

    Config:
        C: inverse L2 regularization of the logistic regression.
        ranking_length: how many intents to list in ``intent_ranking`` (0 = all).
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 10.0, "ranking_length": 10}

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> LinearHead:
        return LinearHead.load(path / HEAD_FILE)

    def write_state(self, path: Path, state: LinearHead) -> None:
        state.save(path / HEAD_FILE)

    def train(self, training_data: TrainingData) -> Resource:
        rows, labels, encoder = [], [], ""
        for example in training_data.intent_examples:
            vector = sentence_vector(example)
            if vector is None or not example.get(INTENT):
                continue
            rows.append(vector)
            labels.append(example.get(INTENT))
            encoder = example.get(ENCODER_NAME) or encoder
        if len(set(labels)) < 2:
            logger.warning("EncoderIntentClassifier needs examples of at least two intents; not trained")
            return self._resource
        head = fit_logistic_head(
            np.stack(rows), labels, encoder, c=float(self._config["C"]),
            meta={"task": "intent", "examples": len(labels)},
        )
        return self.persist(head)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        todo = [(m, sentence_vector(m)) for m in messages]
        todo = [(m, v) for m, v in todo if v is not None]
        if not todo:
            return messages
        probas = self._state.predict_proba(np.stack([v for _, v in todo]))
        limit = int(self._config["ranking_length"]) or len(self._state.labels)
        for (message, _), row in zip(todo, probas):
            order = np.argsort(-row)
            ranking = [
                {"name": self._state.labels[i], "confidence": float(row[i])} for i in order[:limit]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
