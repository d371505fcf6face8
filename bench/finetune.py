"""What fine-tuning the shared encoder's top layers on the CPU buys, against the frozen encoder, in one run.

Issue 3 asks whether contrastive or supervised fine-tuning of the encoder beats frozen vectors
within the CPU's training budget. Fine-tuning all 12 layers took 8.8 minutes an epoch of
BANKING77 on an earlier machine; this script fine-tunes only the top ``--top`` layers. The
states after the lower layers do not change while the top ones learn, so they are computed
once (one forward pass, the "cache") and each training step runs only the top layers:
roughly ``top / 12`` of a full fine-tuning step.

Systems, each on the same files in the same run (one JSON line each, ``frozen`` first):
    ``frozen``     the checkpoint's mean-pooled vectors, a logistic regression on them
                   (``fit_logistic_head``, ``--c``): what the project's dense view does.
    ``top{K}``     top K layers and a cosine-softmax head fine-tuned together (AdamW, warm-up
                   then linear decay, label smoothing 0.1, length-bucketed batches); scored by
                   its own head (``accuracy``) and by the same logistic regression refitted on
                   its vectors (``accuracy_lr``).

Keys: ``system, accuracy, macro_f1, train_s`` (wall time: encoding plus fitting for
``frozen``; the cache plus training for ``top{K}``), ``n_train, n_test``; ``top{K}`` also
``accuracy_lr``, ``cache_s``, ``steps`` and ``extra_encoder_share`` (K / layers: the share of an
encoder pass a served branch with these layers would add to every message).

Usage (bot environment; the default checkpoint is the one ``make install`` exports)::

    OMP_NUM_THREADS=2 .venv/bin/python bench/finetune.py --train TRAIN.csv --test TEST.csv \\
        [--label-col label] [--text-col text] [--top 6] [--epochs 4] [--model DIR] \\
        [--save-vectors OUT.npz]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.intent import accuracy, macro_f1, read_csv  # imports only the standard library

#: Logit scale of the cosine-softmax head (its inputs and weights are unit vectors).
SCALE = 20.0


class TopLayers:
    """A BERT-family checkpoint split at layer ``n_layers - top``: a frozen bottom, a trainable top."""

    def __init__(self, model_dir: Path, top: int, prefix: str, max_tokens: int = 128) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel

        self.torch = torch
        self.model = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False, attn_implementation="eager")
        self.model.eval()
        layers = self.model.encoder.layer
        if not 1 <= top <= len(layers):
            raise SystemExit(f"--top must be between 1 and {len(layers)}")
        self.n_layers = len(layers)
        self.cut = len(layers) - top
        self.top = torch.nn.ModuleList(layers[self.cut :])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.prefix = prefix
        self.dim = int(self.model.config.hidden_size)

    def _mask(self, mask: Any) -> Any:
        torch = self.torch
        return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    @staticmethod
    def _states(output: Any) -> Any:
        return output[0] if isinstance(output, tuple) else output

    def lower_states(self, texts: list[str], batch: int = 64, desc: str = "cache") -> list[Any]:
        """Hidden states after the frozen layers, one unpadded ``(tokens, dim)`` fp16 tensor a text."""
        from tqdm import tqdm

        torch = self.torch
        ids = [e.ids for e in self.tokenizer.encode_batch([self.prefix + t for t in texts])]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        out: list[Any] = [None] * len(texts)
        with torch.no_grad():
            for start in tqdm(range(0, len(order), batch), desc=desc, file=sys.stderr, leave=False):
                idx = order[start : start + batch]
                width = max(len(ids[i]) for i in idx)
                tokens = torch.zeros(len(idx), width, dtype=torch.long)
                mask = torch.zeros(len(idx), width, dtype=torch.long)
                for j, i in enumerate(idx):
                    tokens[j, : len(ids[i])] = torch.tensor(ids[i])
                    mask[j, : len(ids[i])] = 1
                h = self.model.embeddings(input_ids=tokens)
                extended = self._mask(mask)
                for layer in self.model.encoder.layer[: self.cut]:
                    h = self._states(layer(h, attention_mask=extended))
                for j, i in enumerate(idx):
                    out[i] = h[j, : len(ids[i])].to(torch.float16)
        return out

    def batch(self, states: list[Any], idx: list[int]) -> tuple[Any, Any]:
        torch = self.torch
        width = max(len(states[i]) for i in idx)
        x = torch.zeros(len(idx), width, self.dim)
        mask = torch.zeros(len(idx), width, dtype=torch.long)
        for j, i in enumerate(idx):
            x[j, : len(states[i])] = states[i].float()
            mask[j, : len(states[i])] = 1
        return x, mask

    def pooled(self, x: Any, mask: Any) -> Any:
        """Unit-length mean-pooled output of the top layers."""
        extended = self._mask(mask)
        for layer in self.top:
            x = self._states(layer(x, attention_mask=extended))
        weights = mask.unsqueeze(-1).float()
        return self.torch.nn.functional.normalize((x * weights).sum(1) / weights.sum(1), dim=-1)

    def vectors(self, states: list[Any], batch: int = 128) -> Any:
        import numpy as np

        self.top.eval()
        out = np.zeros((len(states), self.dim), dtype=np.float32)
        order = sorted(range(len(states)), key=lambda i: len(states[i]))
        with self.torch.no_grad():
            for start in range(0, len(order), batch):
                idx = order[start : start + batch]
                out[idx] = self.pooled(*self.batch(states, idx)).numpy()
        return out


def fine_tune(
    net: TopLayers, states: list[Any], targets: list[int], n_labels: int, epochs: float, lr: float,
    head_lr: float, batch: int, seed: int = 0,
) -> tuple[Any, int]:
    """Train ``net.top`` and a cosine-softmax head; returns ``(head, steps)``."""
    import numpy as np
    from tqdm import tqdm

    torch = net.torch
    torch.manual_seed(seed)
    for param in net.top.parameters():
        param.requires_grad_(True)
    head = torch.nn.Linear(net.dim, n_labels)
    optimizer = torch.optim.AdamW(
        [{"params": net.top.parameters(), "lr": lr}, {"params": head.parameters(), "lr": head_lr}], weight_decay=0.01)
    total = int(math.ceil(len(states) / batch) * epochs)
    warm = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))
    y = torch.tensor(targets)
    rng = np.random.default_rng(seed)
    step = 0
    bar = tqdm(total=total, desc=f"top{len(net.top)}", file=sys.stderr, leave=False)
    while step < total:
        # Shuffle, then sort runs of 50 batches by length: less padding, still random batches.
        perm = rng.permutation(len(states))
        batches: list[list[int]] = []
        for start in range(0, len(perm), batch * 50):
            run = sorted(perm[start : start + batch * 50].tolist(), key=lambda i: len(states[i]))
            batches += [run[i : i + batch] for i in range(0, len(run), batch)]
        rng.shuffle(batches)  # type: ignore[arg-type]
        net.top.train()
        for idx in batches[: total - step]:
            z = net.pooled(*net.batch(states, idx))
            logits = SCALE * z @ torch.nn.functional.normalize(head.weight, dim=-1).T + head.bias
            loss = torch.nn.functional.cross_entropy(logits, y[idx], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    return head, step


def scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    return {"accuracy": round(accuracy(truth, predicted), 4), "macro_f1": round(macro_f1(truth, predicted), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--top", type=int, default=6, help="layers to fine-tune, counted from the last")
    parser.add_argument("--epochs", type=float, default=4.0)
    parser.add_argument("--lr", type=float, default=5e-5, help="learning rate of the layers")
    parser.add_argument("--head-lr", type=float, default=5e-3, help="learning rate of the head")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--c", type=float, default=100.0, help="inverse regularization of the logistic regressions")
    parser.add_argument("--model", type=Path, default=None,
                        help="a BERT-family checkpoint folder with tokenizer.json (default: the packaged encoder)")
    parser.add_argument("--prefix", default=None, help="text put before every input (default: the encoder setting)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-vectors", type=Path, default=None,
                        help="write the frozen and fine-tuned train/test vectors to this .npz")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from bot.settings import get_settings
    from bot.understanding.heads import fit_logistic_head

    torch.set_num_threads(args.threads)
    settings = get_settings().encoder
    model_dir = args.model or settings.onnx_model_dir()
    prefix = settings.prefix if args.prefix is None else args.prefix
    train_x, train_y = (list(side) for side in zip(*read_csv(args.train, args.text_col, args.label_col)))
    test_x, test_y = (list(side) for side in zip(*read_csv(args.test, args.text_col, args.label_col)))
    labels = sorted(set(train_y))
    if len(labels) < 2:
        raise SystemExit(f"{args.train}: need at least two labels")
    index = {label: i for i, label in enumerate(labels)}
    common = {"n_train": len(train_x), "n_test": len(test_x)}

    net = TopLayers(Path(model_dir), args.top, prefix)
    started = time.perf_counter()
    train_states = net.lower_states(train_x, desc="cache train")
    cache_s = time.perf_counter() - started
    test_states = net.lower_states(test_x, desc="cache test")

    # frozen: the untouched top layers' vectors (the same forward pass as the full encoder).
    started = time.perf_counter()
    frozen_train, frozen_test = net.vectors(train_states), net.vectors(test_states)
    head = fit_logistic_head(frozen_train, train_y, "frozen", c=args.c)
    frozen_s = cache_s + time.perf_counter() - started
    predicted = [head.labels[i] for i in head.predict_proba(frozen_test).argmax(1)]
    print(json.dumps({"system": "frozen", **scores(test_y, predicted), "train_s": round(frozen_s, 1), **common}),
          flush=True)

    started = time.perf_counter()
    cosine, steps = fine_tune(net, train_states, [index[y] for y in train_y], len(labels), args.epochs,
                              args.lr, args.head_lr, args.batch, args.seed)
    tuned_s = cache_s + time.perf_counter() - started
    tuned_train, tuned_test = net.vectors(train_states), net.vectors(test_states)
    with torch.no_grad():
        weight = torch.nn.functional.normalize(cosine.weight, dim=-1).numpy()
        own = SCALE * tuned_test @ weight.T + cosine.bias.numpy()
    predicted = [labels[i] for i in own.argmax(1)]
    refit = fit_logistic_head(tuned_train, train_y, "tuned", c=args.c)
    predicted_lr = [refit.labels[i] for i in refit.predict_proba(tuned_test).argmax(1)]
    print(json.dumps({
        "system": f"top{args.top}", **scores(test_y, predicted), "train_s": round(tuned_s, 1), **common,
        "accuracy_lr": scores(test_y, predicted_lr)["accuracy"], "cache_s": round(cache_s, 1), "steps": steps,
        "extra_encoder_share": round(args.top / net.n_layers, 3),
    }), flush=True)
    if args.save_vectors:
        np.savez(args.save_vectors, frozen_train=frozen_train, frozen_test=frozen_test,
                 tuned_train=tuned_train, tuned_test=tuned_test)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
