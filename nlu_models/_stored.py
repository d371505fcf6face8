"""Base of the trainable components: config merging, ``create``, and state kept in ModelStorage."""

from __future__ import annotations

import logging
from abc import abstractmethod
from pathlib import Path
from typing import Any, Generic, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.errors import ModelError

logger = logging.getLogger(__name__)
State = TypeVar("State")


class StoredStateComponent(GraphComponent, Generic[State]):
    """A component whose trained state lives in its ModelStorage resource.

    Subclasses implement ``read_state`` and ``write_state`` (plain files: npz + JSON, no
    pickle) and may override ``missing_state`` for a model trained without them.
    """

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: State | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._state = state

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StoredStateComponent[State]:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredStateComponent[State]:
        merged = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as path:
                state: State | None = cls.read_state(path, merged)
        except (ValueError, OSError, KeyError, ModelError):
            state = cls.missing_state(merged, resource)
        return cls(config, model_storage, resource, state)

    @classmethod
    @abstractmethod
    def read_state(cls, path: Path, config: dict[str, Any]) -> State:
        """Read what ``write_state`` wrote into ``path``."""

    @abstractmethod
    def write_state(self, path: Path, state: State) -> None:
        """Write ``state`` into the resource directory ``path``."""

    @classmethod
    def missing_state(cls, config: dict[str, Any], resource: Resource) -> State | None:
        """The state of a component that was never trained (default: none)."""
        logger.debug("%s: nothing trained in %s", cls.__name__, resource.name)
        return None

    def persist(self, state: State) -> Resource:
        """Keep ``state`` and write it to the model."""
        self._state = state
        with self._model_storage.write_to(self._resource) as path:
            self.write_state(path, state)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
