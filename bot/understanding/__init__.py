"""Understanding: language detection, linear heads over the shared encoder, sentiment.

``heads`` and ``language`` depend only on numpy and the standard library, so that the
Rasa graph components (Python 3.10, Rasa's pins) can import them too.
"""

from __future__ import annotations
