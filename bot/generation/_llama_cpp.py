"""Embedded backend: a local GGUF instruct model through llama-cpp-python, run in a worker thread."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.cpu import cpu_has_amx
from bot.errors import ConfigurationError
from bot.generation._openai import clean_completion
from bot.generation._prompts import STOP_SEQUENCES, ChatMessage, build_messages
from bot.generation._types import BackendError, Generation, GenerationRequest, Generator

logger = logging.getLogger(__name__)

#: Patching llama-cpp-python's default model parameters is process-wide: one load at a time.
_PARAMS_LOCK = threading.Lock()


class LlamaCppGenerator(Generator):
    """Runs a GGUF chat model in-process (``pip install llama-cpp-python``; imported on first use).

    The model loads on the first request (or :meth:`load`), once per process; calls run
    one at a time in the backend's own worker thread, so the event loop stays free and
    calls waiting for the model queue there, not in asyncio's shared thread pool (where
    they would hold up every ``asyncio.to_thread`` of the server: database reads, the
    encoder; measured before the change: promotions with a 2 s deadline waited 5.4 s at
    the median). A call that takes longer than ``timeout_s`` raises :class:`BackendError`
    (the model finishes it in the background and the next call waits for it).

    Args:
        model_path: the ``.gguf`` file (e.g. Qwen2.5 0.5B/1.5B Instruct Q4).
        n_ctx: context window in tokens.
        threads: CPU threads.
        max_tokens: longest answer.
        temperature: sampling temperature.
        seed: sampling seed (same seed and prompt: same text).
        timeout_s: limit per call.
        repeat_penalty: penalty on tokens already generated (llama-cpp-python's call
            default is 1.0, its OpenAI-compatible server's 1.1).
        repack: let llama.cpp repack the weights into its extra CPU buffer types (AMX,
            AVX-512/AVX2 repacking) for speed. ``None`` (default): on, unless the CPU has
            Intel AMX: llama.cpp's AMX matrix kernels crash the process on such machines
            (seen here on a Xeon with AMX: a segmentation fault in the first decode of a
            prompt longer than a few tokens; llama.cpp issue #20824), so there the weights
            stay as they are (a warning is logged).

    Raises:
        ConfigurationError: (on load) llama-cpp-python is missing or the file is not there.

    Example:
        >>> gen = LlamaCppGenerator("models/qwen2.5-0.5b-instruct-q4_0.gguf")
        >>> gen.model
        'qwen2.5-0.5b-instruct-q4_0'
    """

    name = "llama-cpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 2048,
        threads: int = 2,
        max_tokens: int = 200,
        temperature: float = 0.7,
        seed: int = 0,
        timeout_s: float = 30.0,
        repack: bool | None = None,
        repeat_penalty: float = 1.1,
    ) -> None:
        self.model_path = Path(model_path)
        self.model = self.model_path.stem
        self.n_ctx = n_ctx
        self.threads = threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.timeout_s = timeout_s
        self.repack = repack
        self.repeat_penalty = repeat_penalty
        self._llama: Any = None
        self._load_lock = threading.Lock()
        # One worker: model calls run one at a time, in the order they came.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipm-llama")

    def load(self) -> Any:
        """Load the model (idempotent, thread-safe); returns the ``llama_cpp.Llama``."""
        if self._llama is None:
            with self._load_lock:
                if self._llama is None:
                    # llama.cpp's OpenMP threads spin while waiting: on a busy machine with
                    # few cores that makes a call 30x slower (measured: 13 s instead of
                    # 0.4 s). Must be set before the library loads.
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    try:
                        from llama_cpp import Llama
                    except ImportError as exc:
                        raise ConfigurationError(
                            "the llama-cpp backend needs llama-cpp-python: pip install llama-cpp-python"
                        ) from exc
                    if not self.model_path.is_file():
                        raise ConfigurationError(f"no GGUF model at {self.model_path}")
                    repack = self.repack
                    if repack is None:
                        repack = not cpu_has_amx()
                        if not repack:
                            logger.warning(
                                "this CPU has Intel AMX, whose llama.cpp kernels crash; loading %s "
                                "without weight repacking (IPM_LLM__REPACK=true to force it)",
                                self.model_path.name,
                            )
                    started = time.perf_counter()
                    try:
                        self._llama = self._construct(Llama, repack)
                    except (ValueError, RuntimeError, OSError) as exc:
                        raise ConfigurationError(f"cannot load {self.model_path}: {exc}") from exc
                    logger.info("loaded %s in %.1f s", self.model_path.name, time.perf_counter() - started)
        return self._llama

    def _construct(self, llama_class: Any, repack: bool) -> Any:
        kwargs = {
            "model_path": str(self.model_path),
            "n_ctx": self.n_ctx,
            "n_threads": self.threads,
            "seed": self.seed,
            "verbose": False,
        }
        if repack:
            return llama_class(**kwargs)
        # llama-cpp-python's constructor takes no argument for llama.cpp's
        # use_extra_bufts, but reads its defaults from llama_model_default_params.
        import llama_cpp.llama_cpp as native

        with _PARAMS_LOCK:
            original = native.llama_model_default_params

            def without_repack() -> Any:
                params = original()
                params.use_extra_bufts = False
                return params

            native.llama_model_default_params = without_repack
            try:
                return llama_class(**kwargs)
            finally:
                native.llama_model_default_params = original

    def _complete(self, messages: list[ChatMessage]) -> tuple[str, int | None, float]:
        llama = self.load()
        started = time.perf_counter()
        try:
            result = llama.create_chat_completion(
                messages=messages,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                seed=self.seed,
                repeat_penalty=self.repeat_penalty,
                stop=list(STOP_SEQUENCES),
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"llama.cpp failed: {exc}", "server_error") from exc
        elapsed = time.perf_counter() - started
        try:
            text = result["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError("llama.cpp returned no message", "bad_response") from exc
        usage = result.get("usage") or {}
        tokens = usage.get("completion_tokens")
        return str(text), int(tokens) if isinstance(tokens, int) else None, elapsed

    async def generate(self, request: GenerationRequest) -> Generation:
        """Write the text with the local model (unvalidated).

        Raises:
            BackendError: the model failed or took longer than ``timeout_s``.
            ConfigurationError: llama-cpp-python or the model file is missing.
        """
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            text, tokens, gen_s = await asyncio.wait_for(
                loop.run_in_executor(self._executor, self._complete, build_messages(request)), self.timeout_s
            )
        except TimeoutError as exc:
            raise BackendError(f"no answer within {self.timeout_s:g} s", "timeout") from exc
        return Generation(
            text=clean_completion(text),
            backend=self.name,
            style=request.style,
            variant=request.variant,
            model=self.model,
            latency_s=time.perf_counter() - started,
            completion_tokens=tokens,
            generation_s=gen_s,
        )

    async def aclose(self) -> None:
        """Drop the calls still queued for the model (the one running finishes in its thread)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
