"""Sets ``language`` ("zh" or "en") on every parsed message."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding.language import detect_language

LANGUAGE = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Annotates messages with the language the bot should answer in.

    Config:
        default: language for messages without letters (emoji, digits), default "en".
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"default": "en"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._default: str | None = config.get("default", "en")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            message.set(LANGUAGE, detect_language(text, self._default), add_to_output=True)  # type: ignore[arg-type]
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
