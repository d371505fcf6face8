"""Fixtures for the Rasa component tests (run in the Rasa environment, .venv-rasa).

They need the embedding endpoint: IPM_EMBEDDINGS_URL if it answers, else a real bot
server started from .venv for the session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402

from tests.embedding_server import bot_server  # noqa: E402


@pytest.fixture()
def storage(tmp_path):
    """A real ModelStorage in a temporary folder."""
    return LocalModelStorage(tmp_path)


@pytest.fixture()
def context():
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="session")
def embeddings_url(tmp_path_factory):
    try:
        with bot_server(tmp_path_factory.mktemp("bot")) as url:
            yield url
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.fail(str(exc))
