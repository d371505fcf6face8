"""Process-wide Prometheus metrics: what a fallback, a slow encoder or a failing backend looks like."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

EMBED_REQUESTS = Counter(
    "ipm_embedding_requests_total", "Requests to /v1/embeddings", ["status"], registry=REGISTRY
)
EMBED_TEXTS = Counter("ipm_embedded_texts_total", "Texts embedded by the shared encoder", registry=REGISTRY)
EMBED_SECONDS = Histogram(
    "ipm_embedding_seconds",
    "Time to embed one request",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10),
    registry=REGISTRY,
)
ACTION_RUNS = Counter(
    "ipm_action_runs_total", "Custom action executions", ["action", "status"], registry=REGISTRY
)
FALLBACKS = Counter(
    "ipm_fallbacks_total",
    "Times a degraded path answered instead of the primary one",
    ["component", "reason"],
    registry=REGISTRY,
)
GENERATIONS = Counter(
    "ipm_generations_total",
    "Texts generated, by backend that produced them, purpose and outcome (ok, fallback, cached, stored)",
    ["backend", "purpose", "outcome"],
    registry=REGISTRY,
)
GENERATION_SECONDS = Histogram(
    "ipm_generation_seconds",
    "Time to produce one validated text (all attempts and the fallback included)",
    ["backend"],
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
    registry=REGISTRY,
)
GUARDRAIL_VIOLATIONS = Counter(
    "ipm_guardrail_violations_total",
    "Problems the guardrails found in generated drafts",
    ["kind"],
    registry=REGISTRY,
)
LLM_REQUESTS = Counter(
    "ipm_llm_requests_total",
    "HTTP requests to the LLM server, by result (ok, retry, timeout, error)",
    ["backend", "status"],
    registry=REGISTRY,
)
EXPERIMENT_EVENTS = Counter(
    "ipm_experiment_events_total",
    "Experiment exposures and conversions recorded",
    ["experiment", "variant", "kind"],
    registry=REGISTRY,
)
