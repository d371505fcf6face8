"""Intent classifier: logistic regression over the shared encoder's sentence features and the text's n-grams.

The two views are combined as in ``bot.understanding.hybrid_head`` (probabilities averaged);
``mix: 1.0`` keeps the encoder view alone.
"""

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

from bot.understanding.heads import LinearHead
from bot.understanding.hybrid_head import HybridHead, NgramTfidf, fit_hybrid_head
from nlu_models._stored import StoredStateComponent
from nlu_models.shared_encoder import ENCODER_NAME

logger = logging.getLogger(__name__)
HEAD_FILE = "intent_head.npz"  # models trained before the n-gram view: dense head only
HEAD_STEM = "intent"


def sentence_vector(message: Message) -> np.ndarray | None:
    """The message's dense sentence features (all dense featurizers, concatenated)."""
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else np.asarray(sentence.features, dtype=np.float32).reshape(-1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EncoderIntentClassifier(IntentClassifier, StoredStateComponent[HybridHead]):
    """Predicts intent and ranking from dense sentence features and character/word n-grams.

    Config:
        C: inverse L2 regularization of the encoder view's logistic regression.
        sparse_C: the same for the n-gram view.
        mix: weight of the encoder view's probabilities (1.0 = encoder only, no n-grams).
        min_df, max_features: n-gram vocabulary pruning.
        ranking_length: how many intents to list in ``intent_ranking`` (0 = all).
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 100.0, "sparse_C": 30.0, "mix": 0.5, "min_df": 1, "max_features": 60_000,
                "ranking_length": 10}

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> HybridHead:
        if (path / HEAD_FILE).exists() and not (path / f"{HEAD_STEM}_dense.npz").exists():
            dense = LinearHead.load(path / HEAD_FILE)
            empty = NgramTfidf({}, np.zeros(0, np.float32))
            return HybridHead(dense, empty, np.zeros((len(dense.labels), 0), np.float32),
                              np.zeros(len(dense.labels), np.float32), mix=1.0)
        return HybridHead.load(path, HEAD_STEM)

    def write_state(self, path: Path, state: HybridHead) -> None:
        state.save(path, HEAD_STEM)

    def train(self, training_data: TrainingData) -> Resource:
        rows, texts, labels, encoder = [], [], [], ""
        for example in training_data.intent_examples:
            vector = sentence_vector(example)
            if vector is None or not example.get(INTENT):
                continue
            rows.append(vector)
            texts.append(example.get(TEXT) or "")
            labels.append(example.get(INTENT))
            encoder = example.get(ENCODER_NAME) or encoder
        if len(set(labels)) < 2:
            logger.warning("EncoderIntentClassifier needs examples of at least two intents; not trained")
            return self._resource
        head = fit_hybrid_head(
            np.stack(rows), texts, labels, encoder,
            c_dense=float(self._config["C"]), c_sparse=float(self._config["sparse_C"]),
            mix=float(self._config["mix"]), min_df=int(self._config["min_df"]),
            max_features=int(self._config["max_features"]),
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
        probas = self._state.predict_proba(np.stack([v for _, v in todo]), [m.get(TEXT) or "" for m, _ in todo])
        limit = int(self._config["ranking_length"]) or len(self._state.labels)
        for (message, _), row in zip(todo, probas):
            order = np.argsort(-row)
            ranking = [
                {"name": self._state.labels[i], "confidence": float(row[i])} for i in order[:limit]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
