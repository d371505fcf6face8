"""Intent classifier: logistic regression over the shared encoder's sentence features and the text's n-grams.

The two views are combined as in ``bot.understanding.hybrid_head`` (probabilities averaged);
``mix: 1.0`` keeps the encoder view alone. Each intent's probability is then scaled by its
example support (``bot.understanding.support``): a message unlike every training example of
an intent loses confidence in it, so that the FallbackClassifier sends unknown requests to
the fallback instead of the nearest intent (``support_weight: 0`` switches this off).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
from bot.understanding.support import DEFAULT_QUANTILE, DEFAULT_WEIGHT, ExampleSupport
from nlu_models._stored import StoredStateComponent
from nlu_models.catalog_names import nlu_text
from nlu_models.shared_encoder import ENCODER_NAME

logger = logging.getLogger(__name__)
HEAD_FILE = "intent_head.npz"  # models trained before the n-gram view: dense head only
HEAD_STEM = "intent"


def sentence_vector(message: Message) -> np.ndarray | None:
    """The message's dense sentence features (all dense featurizers, concatenated)."""
    _, sentence = message.get_dense_features(TEXT)
    return None if sentence is None else np.asarray(sentence.features, dtype=np.float32).reshape(-1)


@dataclass
class IntentModel:
    """What the classifier persists: the two-view head and, if trained with it, the example support."""

    head: HybridHead
    support: ExampleSupport | None = None

    def predict_proba(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        probas = self.head.predict_proba(vectors, texts)
        if self.support is not None:
            probas = probas * self.support.factors(vectors, self.head.labels)
        return probas


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EncoderIntentClassifier(IntentClassifier, StoredStateComponent[IntentModel]):
    """Predicts intent and ranking from dense sentence features and character/word n-grams.

    Config:
        C: inverse L2 regularization of the encoder view's logistic regression.
        sparse_C: the same for the n-gram view.
        mix: weight of the encoder view's probabilities (1.0 = encoder only, no n-grams).
        min_df, max_features: n-gram vocabulary pruning.
        ranking_length: how many intents to list in ``intent_ranking`` (0 = all).
        support_weight: how fast an intent's confidence falls when the message is less like
            its training examples than most examples are like each other (0 = off).
        support_quantile: which quantile of the examples' own nearest-neighbour similarity
            is the level below which confidence falls.
        out_of_scope_intent: the intent trained on out-of-scope examples, never penalized.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 100.0, "sparse_C": 30.0, "mix": 0.5, "min_df": 1, "max_features": 60_000,
                "ranking_length": 10, "support_weight": DEFAULT_WEIGHT, "support_quantile": DEFAULT_QUANTILE,
                "out_of_scope_intent": "out_of_scope"}

    @classmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> IntentModel:
        if (path / HEAD_FILE).exists() and not (path / f"{HEAD_STEM}_dense.npz").exists():
            dense = LinearHead.load(path / HEAD_FILE)
            empty = NgramTfidf({}, np.zeros(0, np.float32))
            return IntentModel(HybridHead(dense, empty, np.zeros((len(dense.labels), 0), np.float32),
                                          np.zeros(len(dense.labels), np.float32), mix=1.0))
        support = ExampleSupport.load(path, HEAD_STEM) if ExampleSupport.exists(path, HEAD_STEM) else None
        return IntentModel(HybridHead.load(path, HEAD_STEM), support)

    def write_state(self, path: Path, state: IntentModel) -> None:
        state.head.save(path, HEAD_STEM)
        if state.support is not None:
            state.support.save(path, HEAD_STEM)

    def train(self, training_data: TrainingData) -> Resource:
        rows, texts, labels, encoder = [], [], [], ""
        for example in training_data.intent_examples:
            vector = sentence_vector(example)
            if vector is None or not example.get(INTENT):
                continue
            rows.append(vector)
            texts.append(nlu_text(example))
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
        support = None
        if float(self._config["support_weight"]) > 0:
            support = ExampleSupport.fit(
                np.stack(rows), labels, weight=float(self._config["support_weight"]),
                quantile=float(self._config["support_quantile"]),
                exempt=[str(self._config["out_of_scope_intent"])] if self._config["out_of_scope_intent"] else [],
            )
        return self.persist(IntentModel(head, support))

    def process(self, messages: list[Message]) -> list[Message]:
        if self._state is None:
            return messages
        todo = [(m, sentence_vector(m)) for m in messages]
        todo = [(m, v) for m, v in todo if v is not None]
        if not todo:
            return messages
        probas = self._state.predict_proba(np.stack([v for _, v in todo]), [nlu_text(m) for m, _ in todo])
        labels = self._state.head.labels
        limit = int(self._config["ranking_length"]) or len(labels)
        for (message, _), row in zip(todo, probas):
            order = np.argsort(-row, kind="stable")
            ranking = [{"name": labels[i], "confidence": float(row[i])} for i in order[:limit]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
