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
