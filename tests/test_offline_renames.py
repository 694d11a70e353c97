"""Columns with names that say nothing are still found: by their descriptions, the prompt's statements, examples.

A team's columns need not be called ``duration_ms`` or ``service.name``. Each test builds a schema
where the column a question needs has an opaque name and a rival column's name matches the
question's word, and shows that the rival wins without the signal under test (so the test can fail)
and the opaque column wins with it. Columns, descriptions and questions are written here.
"""

from __future__ import annotations

from offline_prompt import body, spec_of

from workbench.offline import complete
from workbench.offline.lexicon import row_concepts
from workbench.schema.columns import ColumnInfo

_SERVICES = ("gateway", "cart", "search", "billing")


def _columns(took: str, bad: str) -> list[ColumnInfo]:
    """An opaque duration (``took``), error flag (``bad``) and service (``svc``) beside name-matching rivals."""
    c = ColumnInfo
    return [
        c("timestamp", "timestamp", "when the span started (UTC)"),
        c("svc", "string", "", values=_SERVICES),
        c("rpc.service", "string", "", values=("grpc.health.v1.Health", "billing.v2.Ledger")),
        c("took", "float", took),
        c("app.vendor.latency_ms", "float", "Time the shipping vendor took to answer, in milliseconds."),
        c("bad", "boolean", bad),
        c("app.error.retryable", "boolean", "Whether the client may retry the failed request."),
        c("endpoint_path", "string", "", values=("/api/cart", "/api/search", "/api/pay")),
    ]


def _ask(question: str, columns: list[ColumnInfo], examples=None, conventions: str | None = None) -> dict:
    spec = spec_of(
        complete(body(question, columns=columns, examples=examples or [], conventions=conventions))
    )
    assert spec is not None
    return spec


def _calc_columns(spec: dict) -> list:
    return [c.get("column") for c in spec["calculations"]]


def _filter_columns(spec: dict) -> list:
    return [f["column"] for f in spec.get("filters", [])]


def test_a_description_that_says_what_the_row_measures_names_the_concept_column() -> None:
    described = _columns("How long the request took, in milliseconds.", "True when the request failed.")
    vague = _columns("A number in milliseconds.", "A flag.")
    for question in ("median latency over the past day", "calls longer than 3 seconds in the last hour"):
        assert "took" in str(_ask(question, described))
        assert "took" not in str(_ask(question, vague))  # the name-matching rival without the description
    assert _filter_columns(_ask("failures per endpoint this week", described)) == ["bad"]
    assert _filter_columns(_ask("failures per endpoint this week", vague)) == ["app.error.retryable"]


def test_only_a_description_about_the_row_itself_counts() -> None:
    assert row_concepts("How long the span took, in milliseconds.") == {"duration"}
    assert row_concepts("Duration of each request in seconds") == {"duration"}
    assert row_concepts("Set when the call errored") == {"error"}
    assert row_concepts("Time the payment provider took to answer, in milliseconds.") == set()
    assert row_concepts("Whether the client may retry the failed request.") == set()
    assert row_concepts("Pause during the request, in milliseconds.") == set()


def test_a_stated_concept_column_holds_when_the_question_uses_another_term() -> None:
    cols = [
        *_columns("A number in milliseconds.", "A flag."),
        ColumnInfo("rc", "integer", "", values=(200, 404, 500, 503)),
        ColumnInfo("otel.status_code", "string", "", values=("OK", "ERROR")),
    ]
    stated = "- Latency, duration: took.\n- 5xx: rc >= 500. 4xx: rc >= 400 and < 500 (two filters)."
    question = "spans over 2 seconds with a 5xx in the last hour"
    assert set(_filter_columns(_ask(question, cols, conventions=stated))) == {"took", "rc"}
    assert not {"took", "rc"} & set(_filter_columns(_ask(question, cols)))


def test_an_example_teaches_which_listed_column_a_word_means() -> None:
    cols = _columns("", "")
    example = [("span count for every service over the last 30 minutes",
                {"calculations": [{"op": "COUNT"}], "breakdowns": ["svc"], "time_range": 1800})]  # fmt: skip
    question = "p95 of took by service in the last 6 hours"
    assert _ask(question, cols)["breakdowns"] == ["rpc.service"]
    assert _ask(question, cols, examples=example)["breakdowns"] == ["svc"]


def test_an_example_teaches_the_concept_column() -> None:
    cols = _columns("", "")
    example = [("p90 duration of the cart service, past 3 days",
                {"calculations": [{"op": "P90", "column": "took"}],
                 "filters": [{"column": "svc", "op": "=", "value": "cart"}], "time_range": 259200})]  # fmt: skip
    question = "average latency per endpoint in the last hour"
    assert _calc_columns(_ask(question, cols)) == ["app.vendor.latency_ms"]
    assert _calc_columns(_ask(question, cols, examples=example)) == ["took"]


def test_a_synonym_of_what_the_description_says_the_column_holds_finds_it() -> None:
    def cols(description: str) -> list[ColumnInfo]:
        return [
            ColumnInfo("timestamp", "timestamp", "when the span started (UTC)"),
            ColumnInfo("handler", "string", description, values=("/api/cart", "/api/search")),
            ColumnInfo("url.path", "string", "Path of the requested URL, with its query string."),
            ColumnInfo("took", "float", "How long the span took, in milliseconds."),
        ]

    question = "p95 latency for each endpoint over the past day"
    assert _ask(question, cols("Route template that matched the request."))["breakdowns"] == ["handler"]
    assert _ask(question, cols("Name of the code that ran."))["breakdowns"] == ["url.path"]
