"""CatalogNameMasker: brands fetched from the bot server, stored in the model, refreshed, masked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_models import CatalogNameMasker, EncoderIntentClassifier, SharedEncoderFeaturizer
from nlu_models.catalog_names import MASKED_TEXT, CatalogNamesError, nlu_text


class _Names:
    """A stand-in bot server answering ``GET /v1/catalog/names`` with ``brands`` (or ``status``)."""

    def __init__(self) -> None:
        self.brands: list[str] = ["Nova", "Lumi", "诺瓦", "流明"]
        self.status = 200
        self.requests = 0
        names = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                names.requests += 1
                ok = self.path == "/v1/catalog/names" and names.status == 200
                body = json.dumps({"brands": names.brands} if ok else {"error": "no"}).encode()
                self.send_response(200 if ok else names.status if names.status != 200 else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def names():
    server = _Names()
    yield server
    server.server.shutdown()


def _masker(storage, context, url, **config):
    config = {**CatalogNameMasker.get_default_config(), "url": url, **config}
    return config, CatalogNameMasker.create(config, storage, Resource("names"), context)


def test_trained_names_are_stored_and_mask_messages_without_changing_their_text(storage, context, names) -> None:
    config, masker = _masker(storage, context, names.url)
    masker.train(TrainingData([]))
    names.status = 500  # the loaded model works from what training stored
    loaded = CatalogNameMasker.load(config, storage, Resource("names"), context)
    messages = loaded.process([Message(data={TEXT: "not Nova"}), Message(data={TEXT: "不要流明的"}),
                               Message(data={TEXT: "where is my order"})])
    assert [m.get(TEXT) for m in messages] == ["not Nova", "不要流明的", "where is my order"]
    assert [nlu_text(m) for m in messages] == ["not this brand", "不要这个牌子的", "where is my order"]
    assert messages[2].get(MASKED_TEXT) is None
    data = loaded.process_training_data(TrainingData([Message(data={TEXT: "not Lumi", INTENT: "refine"})]))
    assert nlu_text(data.training_examples[0]) == "not this brand"


def test_names_imported_after_training_are_masked_after_a_refresh(storage, context, names) -> None:
    config, masker = _masker(storage, context, names.url, refresh_s=0.05)
    names.brands = []  # trained before the catalog was imported
    masker.train(TrainingData([]))
    names.brands = ["Nova", "Zento"]
    loaded = CatalogNameMasker.load(config, storage, Resource("names"), context)
    # The first message after loading asks the server.
    assert nlu_text(loaded.process([Message(data={TEXT: "not Zento"})])[0]) == "not this brand"
    names.brands = ["Nova", "Zento", "Kite"]
    assert nlu_text(loaded.process([Message(data={TEXT: "not Kite"})])[0]) == "not Kite"  # not yet
    import time

    time.sleep(0.1)
    assert nlu_text(loaded.process([Message(data={TEXT: "not Kite"})])[0]) == "not this brand"
    # A failed refresh keeps the names it had (and says so in the log).
    names.status, asked = 500, names.requests
    time.sleep(0.1)
    assert nlu_text(loaded.process([Message(data={TEXT: "not Zento"})])[0]) == "not this brand"
    assert names.requests == asked + 1


def test_the_examples_own_brands_are_masked_from_the_lookup_table(storage, context, names) -> None:
    config, masker = _masker(storage, context, names.url)
    names.brands = []
    masker.train(TrainingData([]))
    loaded = CatalogNameMasker.load(config, storage, Resource("names"), context)
    data = TrainingData([Message(data={TEXT: "not Kite", INTENT: "refine"}),
                         Message(data={TEXT: "不要风筝的", INTENT: "refine"})],
                        lookup_tables=[{"name": "brand", "elements": ["Kite", "风筝"]},
                                       {"name": "city", "elements": ["Paris"]}])
    assert [nlu_text(m) for m in loaded.process_training_data(data).training_examples] == [
        "not this brand", "不要这个牌子的"]


def test_training_against_a_server_without_catalog_names_is_a_clear_error(storage, context, names) -> None:
    names.status = 404
    _, masker = _masker(storage, context, names.url, startup_wait=0)
    with pytest.raises(CatalogNamesError, match="must be the ipm-bot server"):
        masker.train(TrainingData([]))
    _, unreachable = _masker(storage, context, "http://127.0.0.1:9", startup_wait=0)
    with pytest.raises(CatalogNamesError, match="cannot reach the bot server"):
        unreachable.train(TrainingData([]))


def test_encoder_and_intent_classifier_read_the_masked_text(storage, context, names, embeddings_url) -> None:
    _, masker = _masker(storage, context, names.url)
    masker.train(TrainingData([]))
    masker = CatalogNameMasker.load({"url": names.url}, storage, Resource("names"), context)
    fconfig = {**SharedEncoderFeaturizer.get_default_config(), "url": embeddings_url}
    featurizer = SharedEncoderFeaturizer.create(fconfig, storage, Resource("featurizer"), context)
    featurizer.train(TrainingData([]))
    examples = {"refine_recommendation": ["not Nova", "no Lumi please", "不要诺瓦的", "除了流明还有别的吗"],
                "deny": ["no", "nope", "不要", "不用了"],
                "greet": ["hello", "hi there", "你好", "您好"]}
    data = TrainingData([Message(data={TEXT: t, INTENT: i}) for i, ts in examples.items() for t in ts])
    data = featurizer.process_training_data(masker.process_training_data(data))
    config = {**EncoderIntentClassifier.get_default_config(), "support_weight": 0}
    EncoderIntentClassifier.create(config, storage, Resource("intent"), context).train(data)
    classifier = EncoderIntentClassifier.load(config, storage, Resource("intent"), context)

    def parse(text: str) -> Message:
        return classifier.process(featurizer.process(masker.process([Message(data={TEXT: text})])))[0]

    # A brand the examples never named is read as any brand: the same vector as "this brand".
    names.brands = ["Nova", "Lumi", "Zento", "臻拓"]
    masker._fetched_at = float("-inf")  # as after refresh_s
    zento, plain = parse("not Zento"), parse("not this brand")
    assert np.allclose(zento.get_dense_features(TEXT)[1].features, plain.get_dense_features(TEXT)[1].features)
    assert zento.get(INTENT)["name"] == "refine_recommendation"
    assert parse("不要臻拓的").get(INTENT)["name"] == "refine_recommendation"
    assert parse("nope").get(INTENT)["name"] == "deny"
