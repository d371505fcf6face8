"""Rasa 3.6 graph components: thin adapters that put ipm-bot's understanding on parsed messages.

Use them in config.yml by their short paths, e.g. ``nlu_models.SharedEncoderFeaturizer``.
"""

from nlu_models.aspects import AspectExtractor
from nlu_models.catalog_names import CatalogNameMasker
from nlu_models.intent_classifier import EncoderIntentClassifier
from nlu_models.language import LanguageDetector
from nlu_models.sentiment import SentimentAnalyzer
from nlu_models.shared_encoder import SharedEncoderFeaturizer

__all__ = [
    "AspectExtractor",
    "CatalogNameMasker",
    "EncoderIntentClassifier",
    "LanguageDetector",
    "SentimentAnalyzer",
    "SharedEncoderFeaturizer",
]
