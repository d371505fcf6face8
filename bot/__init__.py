"""ipm-bot core library: understanding, profiles, recommendations, generation, experiments.

This package never imports ``rasa`` or ``rasa_sdk``: the Rasa graph components in
``nlu_models/`` and the custom actions in ``actions/`` are thin adapters over it.
Nothing heavy is imported or loaded at import time.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
