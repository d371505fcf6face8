"""Intent benchmark: ipm-bot's Rasa pipeline against stock Rasa (DIET), trained and tested in one run.

Both systems are trained with ``rasa train nlu`` on the same CSV (converted to Rasa NLU
YAML in a temporary folder) and every test message is parsed through the loaded model
in-process (``rasa.core.agent.Agent``); the ipm pipeline's parse goes over HTTP to the
embedding server, as in production. Run it with the Rasa environment's Python, with a bot
server serving embeddings::

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python -m actions --port 5255 &
    PYTHONPATH=. TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false \\
      IPM_EMBEDDINGS_URL=http://127.0.0.1:5255 \\
      .venv-rasa/bin/python bench/intent.py --train TRAIN.csv --test TEST.csv \\
        [--label-col label] [--text-col text] [--oos-label oos [--val VAL.csv [--min-in-scope 0.95] [--refit]]] \\
        [--diet-epochs 40]

``--train``, ``--test`` and ``--val`` also take Rasa NLU YAML (a file, or a folder such as
``data/nlu``): ``--train data/nlu --val bench/data/bot_intents_val.csv --test
bench/data/bot_intents_test.csv --oos-label out_of_scope`` calibrates the bot's own fallback
threshold on held-out messages written for that purpose.

Systems:
    ``ipm``        the NLU pipeline of the project's ``config.yml`` (``--config``).
    ``rasa-diet``  the ``rasa init`` pipeline (WhitespaceTokenizer, RegexFeaturizer,
                   LexicalSyntacticFeaturizer, CountVectorsFeaturizer word and char_wb 1-4,
                   DIETClassifier with ``--diet-epochs``, EntitySynonymMapper, FallbackClassifier
                   0.3 / 0.1); its ResponseSelector is left out (no responses in the data).

Output: one JSON line per system on stdout (``ipm`` first), keys ``system, accuracy,
macro_f1, train_s, parse_p50_ms, parse_p95_ms`` (plus ``n_test``, ``fallback_rate``).
Accuracy and macro-F1 (over the labels of the test file) score the top intent the
classifier ranks, i.e. what the bot would act on if the fallback did not intervene;
``fallback_rate`` is the share of test messages the pipeline's own FallbackClassifier sent
to ``nlu_fallback``. ``train_s`` is the wall time of ``rasa train nlu`` (including Rasa's
start-up, and for ``ipm`` embedding the training texts). Parse times are per message,
after a warm-up on texts of its own, one message at a time.

With ``--oos-label L``, rows labelled ``L`` are out of scope (they are trained as an intent
when the training file has them). A message counts as out of scope when its top intent is
``L`` or its confidence is below a threshold: chosen on ``--val`` (the threshold that
maximizes the mean of in-scope accuracy and out-of-scope recall there), else the system's
FallbackClassifier threshold (``--min-in-scope X`` instead picks the threshold with the best
out-of-scope recall among those keeping in-scope accuracy on ``--val`` at X or more). Extra keys: ``oos_recall``, ``in_scope_accuracy`` (at the
threshold), ``in_scope_accuracy_raw`` (no threshold), ``threshold``; ``accuracy`` and
``macro_f1`` then count ``L`` as a class, at the threshold.

With ``--refit`` (needs ``--val``), each system is trained once more after its threshold is
chosen, on the training rows plus the validation rows (those whose text is not already a
training example), and that model is the one tested, at the threshold chosen with the first:
the usual "choose on validation, then refit on everything" practice, and what the bot does
when ``rasa train`` sees all its data. Extra keys: ``refit`` (true), ``n_train`` (rows the
tested model was trained on) and ``choose_train_s`` (training time of the first model);
``train_s`` is the tested model's.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

csv.field_size_limit(sys.maxsize)
FALLBACK_INTENT = "nlu_fallback"
SYSTEMS = ("ipm", "rasa-diet")
# Rasa reads "[text](entity)", "[text]{...}" and "[text][...]" in examples as entity annotations.
_ENTITY_MARKUP = re.compile(r"\[[^\]]*\]\s*[\(\{\[]")


def stock_pipeline(diet_epochs: int) -> list[dict[str, Any]]:
    """The NLU pipeline ``rasa init`` (3.6) writes, less the ResponseSelector."""
    return [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": diet_epochs, "constrain_similarities": True},
        {"name": "EntitySynonymMapper"},
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
    ]


# ---------------------------------------------------------------------------- data


def read_csv(path: Path, text_col: str, label_col: str) -> list[tuple[str, str]]:
    """``(text, label)`` rows; whitespace collapsed, rows with an empty text or label skipped."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {text_col, label_col} - set(reader.fieldnames or [])
        if missing:
            raise SystemExit(f"{path}: no column(s) {sorted(missing)}; columns are {reader.fieldnames}")
        rows = []
        for row in reader:
            text = " ".join((row.get(text_col) or "").split())
            label = (row.get(label_col) or "").strip()
            if text and label:
                rows.append((text, label))
    if not rows:
        raise SystemExit(f"{path}: no labelled rows")
    return rows


_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def read_rasa_nlu(path: Path) -> list[tuple[str, str]]:
    """``(text, intent)`` rows of Rasa NLU YAML: one file, or every ``.yml``/``.yaml`` under a folder.

    Entity annotations are reduced to their text (``[Beijing](city)`` → ``Beijing``).
    """
    import yaml

    files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml")) if path.is_dir() else [path]
    rows: list[tuple[str, str]] = []
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = block.get("intent") if isinstance(block, dict) else None
            if not intent:
                continue  # synonyms, regexes, lookups
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = " ".join(_ANNOTATION.sub(r"\1", line[2:]).split())
                    if text:
                        rows.append((text, str(intent)))
    if not rows:
        raise SystemExit(f"{path}: no intent examples")
    return rows


def read_rows(path: Path, text_col: str, label_col: str) -> list[tuple[str, str]]:
    """A CSV file, or Rasa NLU YAML (a ``.yml`` file or a folder of them)."""
    if path.is_dir() or path.suffix in (".yml", ".yaml"):
        return read_rasa_nlu(path)
    return read_csv(path, text_col, label_col)


def intent_names(labels: Sequence[str]) -> dict[str, str]:
    """Map each label to a name Rasa accepts as an intent (no '/', no spaces), kept unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for label in sorted(set(labels)):
        base = re.sub(r"[^\w\-]+", "_", label).strip("_") or "intent"
        if base == FALLBACK_INTENT:
            base = f"{base}_"
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        names[label] = name
    return names


def write_nlu_yaml(rows: Sequence[tuple[str, str]], names: dict[str, str], path: Path) -> None:
    """Write ``rows`` as Rasa NLU YAML, one block per intent, texts as plain examples."""
    by_intent: dict[str, list[str]] = {}
    for text, label in rows:
        if _ENTITY_MARKUP.search(text):  # keep it a plain example, not an entity annotation
            text = text.replace("[", "(").replace("]", ")")
        by_intent.setdefault(names[label], []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines.append(f"- intent: {json.dumps(intent)}")
        lines.append("  examples: |")
        lines.extend(f"    - {t}" for t in dict.fromkeys(texts))  # Rasa rejects exact duplicates
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_config(pipeline: list[dict[str, Any]], language: str, path: Path) -> None:
    import yaml

    path.write_text(
        yaml.safe_dump({"recipe": "default.v1", "language": language, "pipeline": pipeline,
                        "policies": []}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


def project_pipeline(config_path: Path) -> tuple[list[dict[str, Any]], str]:
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    return list(config["pipeline"]), str(config.get("language") or "en")


def mark_out_of_scope(pipeline: list[dict[str, Any]], intent: str) -> list[dict[str, Any]]:
    """Tell the project's intent classifier which intent holds the out-of-scope examples."""
    return [{**c, "out_of_scope_intent": intent} if c.get("name") == "nlu_models.EncoderIntentClassifier" else c
            for c in pipeline]


def fallback_threshold(pipeline: list[dict[str, Any]]) -> float:
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


# ---------------------------------------------------------------------------- metrics


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in ``gold``."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold)


@dataclass
class Parsed:
    """What a system said about each message of one file."""

    gold: list[str]
    top: list[str] = field(default_factory=list)  # top intent, fallback excluded
    confidence: list[float] = field(default_factory=list)
    fell_back: list[bool] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)


def oos_predictions(parsed: Parsed, oos: str, threshold: float) -> list[str]:
    return [oos if (t == oos or c < threshold) else t for t, c in zip(parsed.top, parsed.confidence)]


def oos_scores(parsed: Parsed, oos: str, threshold: float) -> dict[str, float]:
    predicted = oos_predictions(parsed, oos, threshold)
    in_scope = [(g, p) for g, p in zip(parsed.gold, predicted) if g != oos]
    out = [p for g, p in zip(parsed.gold, predicted) if g == oos]
    return {
        "in_scope_accuracy": sum(g == p for g, p in in_scope) / len(in_scope) if in_scope else float("nan"),
        "oos_recall": sum(p == oos for p in out) / len(out) if out else float("nan"),
        "accuracy": accuracy(parsed.gold, predicted),
        "macro_f1": macro_f1(parsed.gold, predicted),
    }


def choose_threshold(parsed: Parsed, oos: str, min_in_scope: float | None = None) -> float:
    """The confidence threshold chosen on ``parsed`` (validation data).

    Without ``min_in_scope``: the threshold that maximizes mean(in-scope accuracy, OOS recall).
    With it: the one with the highest OOS recall among those keeping in-scope accuracy at
    ``min_in_scope`` or more (the lowest threshold, 0, when none does).
    """
    candidates = sorted({0.0, *(round(c, 4) for c in parsed.confidence)})
    best_t, best = 0.0, -1.0
    for t in candidates:
        s = oos_scores(parsed, oos, t)
        if min_in_scope is None:
            parts = [v for v in (s["in_scope_accuracy"], s["oos_recall"]) if v == v]
            score = sum(parts) / len(parts)
        elif s["in_scope_accuracy"] >= min_in_scope:
            score = s["oos_recall"]
        else:
            continue
        if score > best + 1e-12:
            best_t, best = t, score
    return best_t


# ---------------------------------------------------------------------------- rasa


def train(config: Path, nlu: Path, out: Path, name: str, workdir: Path) -> float:
    """``rasa train nlu`` in a subprocess (fresh cache in ``workdir``); returns wall seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    log = workdir / f"train-{name}.log"
    command = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(nlu),
               "--out", str(out), "--fixed-model-name", name]
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        status = subprocess.run(command, cwd=workdir, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - started
    model = out / f"{name}.tar.gz"
    if status != 0 or not model.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"rasa train nlu failed for {name} (exit {status}); end of {log}:\n{tail}")
    return seconds


def load_agent(model: Path) -> Any:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse to stdout at debug level
    return Agent.load(str(model))


WARM_UP = ("warm-up message one", "warm-up message two", "预热消息三", "warm-up message four", "预热消息五")


def parse_all(agent: Any, rows: Sequence[tuple[str, str]], names: dict[str, str], desc: str) -> Parsed:
    """Parse every text through ``agent``, one message at a time, timing each parse."""
    from tqdm import tqdm

    back = {v: k for k, v in names.items()}
    loop = asyncio.new_event_loop()
    try:
        # Warm-up (connections, lazy graph set-up) on texts of its own: a test text parsed here
        # would be timed later from the bot server's embedding cache.
        for text in WARM_UP:
            loop.run_until_complete(agent.parse_message(text))
        parsed = Parsed(gold=[label for _, label in rows])
        for text, _ in tqdm(rows, desc=desc, unit="msg", file=sys.stderr, mininterval=2):
            started = time.perf_counter()
            result = loop.run_until_complete(agent.parse_message(text))
            parsed.ms.append((time.perf_counter() - started) * 1000)
            ranking = [r for r in (result.get("intent_ranking") or []) if r.get("name") != FALLBACK_INTENT]
            if not ranking and (result.get("intent") or {}).get("name") not in (None, FALLBACK_INTENT):
                ranking = [result["intent"]]
            top: dict[str, Any] = ranking[0] if ranking else {"name": None, "confidence": 0.0}
            parsed.top.append(back.get(str(top["name"]), str(top["name"])))
            parsed.confidence.append(float(top.get("confidence") or 0.0))
            parsed.fell_back.append((result.get("intent") or {}).get("name") == FALLBACK_INTENT)
    finally:
        loop.close()
    return parsed


def refit_rows(train_rows: Sequence[tuple[str, str]], val_rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The training rows followed by the validation rows whose text is not a training example yet.

    A validation text that is already a training example keeps its training label (Rasa keeps
    one label per example text).
    """
    seen = {text for text, _ in train_rows}
    return [*train_rows, *((text, label) for text, label in val_rows if text not in seen)]


def report(system: str, train_s: float, test: Parsed, oos: str | None, threshold: float) -> dict[str, Any]:
    line: dict[str, Any] = {
        "system": system,
        "accuracy": accuracy(test.gold, test.top),
        "macro_f1": macro_f1(test.gold, test.top),
        "train_s": round(train_s, 1),
        "parse_p50_ms": round(percentile(test.ms, 0.50), 2),
        "parse_p95_ms": round(percentile(test.ms, 0.95), 2),
        "n_test": len(test.gold),
        "fallback_rate": sum(test.fell_back) / len(test.fell_back),
    }
    if oos is not None:
        scores = oos_scores(test, oos, threshold)
        raw = oos_scores(test, oos, 0.0)
        line.update(accuracy=scores["accuracy"], macro_f1=scores["macro_f1"],
                    oos_recall=scores["oos_recall"], in_scope_accuracy=scores["in_scope_accuracy"],
                    in_scope_accuracy_raw=raw["in_scope_accuracy"], threshold=threshold)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()}


def dump(path: Path, rows: Sequence[tuple[str, str]], parsed: Parsed) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for (text, gold), top, conf, ms in zip(rows, parsed.top, parsed.confidence, parsed.ms):
            fh.write(json.dumps({"text": text, "gold": gold, "top": top, "confidence": round(conf, 5),
                                 "ms": round(ms, 2)}, ensure_ascii=False) + "\n")


def check_embedding_server() -> None:
    import requests

    url = (os.environ.get("IPM_EMBEDDINGS_URL") or "http://127.0.0.1:5055").rstrip("/")
    try:
        requests.get(f"{url}/health", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise SystemExit(
            f"no embedding server at {url} ({exc.__class__.__name__}): start one "
            "(PYTHONPATH=. .venv/bin/python -m actions --port 5255) and set IPM_EMBEDDINGS_URL"
        ) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True,
                        help="CSV, or Rasa NLU YAML (a file or a folder such as data/nlu)")
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--oos-label", default=None, help="label of out-of-scope rows")
    parser.add_argument("--val", type=Path, default=None, help="CSV to choose the OOS threshold on")
    parser.add_argument("--min-in-scope", type=float, default=None,
                        help="choose the threshold with the best OOS recall keeping val in-scope accuracy >= this")
    parser.add_argument("--refit", action="store_true",
                        help="after choosing the threshold on --val, retrain on train + val and test that model")
    parser.add_argument("--diet-epochs", type=int, default=40)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml", help="config of the ipm system")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of ipm,rasa-diet")
    parser.add_argument("--keep", type=Path, default=None, help="keep the work folder (models, logs) here")
    parser.add_argument("--dump", type=Path, default=None, help="write per-message predictions here")
    args = parser.parse_args(argv)
    systems = [s for s in SYSTEMS if s in args.systems.split(",")]
    if not systems:
        parser.error(f"--systems: choose from {SYSTEMS}")

    logging.basicConfig(level=logging.ERROR)
    for name in ("rasa", "tensorflow", "absl", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    train_rows = read_rows(args.train, args.text_col, args.label_col)
    test_rows = read_rows(args.test, args.text_col, args.label_col)
    val_rows = read_rows(args.val, args.text_col, args.label_col) if args.val else None
    if args.refit and not val_rows:
        parser.error("--refit needs --val")
    final_rows = refit_rows(train_rows, val_rows) if args.refit and val_rows else train_rows
    names = intent_names([label for _, label in final_rows])
    unseen = {label for _, label in test_rows} - set(names) - {args.oos_label}
    if unseen:
        print(f"note: {len(unseen)} test label(s) never occur in training", file=sys.stderr)
    if "ipm" in systems:
        check_embedding_server()

    work_parent = args.keep
    if work_parent is not None:
        work_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ipm-intent-bench-", dir=work_parent) as tmp:
        work = Path(tmp)
        nlu = work / "nlu.yml"
        write_nlu_yaml(train_rows, names, nlu)
        our_pipeline, language = project_pipeline(args.config)
        if args.oos_label and args.oos_label in names:
            our_pipeline = mark_out_of_scope(our_pipeline, names[args.oos_label])
        pipelines = {"ipm": our_pipeline, "rasa-diet": stock_pipeline(args.diet_epochs)}
        trained: dict[str, float] = {}
        for system in systems:
            config = work / f"config-{system}.yml"
            write_config(pipelines[system], language, config)
            print(f"training {system} on {len(train_rows)} examples, {len(names)} intents ...", file=sys.stderr)
            trained[system] = train(config, nlu, work / "models", system, work)
            print(f"trained {system} in {trained[system]:.1f} s", file=sys.stderr)
        if args.refit:
            write_nlu_yaml(final_rows, names, work / "nlu-refit.yml")
        lines = []
        for system in systems:
            agent = load_agent(work / "models" / f"{system}.tar.gz")
            threshold = fallback_threshold(pipelines[system])
            val = None
            if args.oos_label and val_rows:
                val = parse_all(agent, val_rows, names, f"val {system}")
                threshold = choose_threshold(val, args.oos_label, args.min_in_scope)
            extra: dict[str, Any] = {}
            if args.refit:
                del agent
                print(f"refitting {system} on {len(final_rows)} examples (train + val) ...", file=sys.stderr)
                extra = {"refit": True, "n_train": len(final_rows), "choose_train_s": round(trained[system], 1)}
                trained[system] = train(work / f"config-{system}.yml", work / "nlu-refit.yml", work / "models",
                                        f"{system}-refit", work)
                agent = load_agent(work / "models" / f"{system}-refit.tar.gz")
            test = parse_all(agent, test_rows, names, f"parse {system}")
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                dump(args.dump / f"{system}.jsonl", test_rows, test)
                if val is not None and val_rows:
                    dump(args.dump / f"{system}-val.jsonl", val_rows, val)
            lines.append({**report(system, trained[system], test, args.oos_label, threshold), **extra})
            print(json.dumps(lines[-1]), flush=True)
            del agent
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
            _keep(work)
    return 0


def _keep(work: Path) -> None:
    """Copy the work folder next to itself before TemporaryDirectory removes it."""
    import shutil

    shutil.copytree(work, work.with_name(work.name + "-kept"), dirs_exist_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
