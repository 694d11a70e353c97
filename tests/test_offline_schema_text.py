"""The offline model reads columns from any common schema layout, and matches words by descriptions.

The prompts here are written for these tests (another tool's system prompt, not the workbench's
layout): a plain list under a heading, a Markdown table, CREATE TABLE DDL, a JSON array.
"""

from __future__ import annotations

import json

import pytest

from workbench.offline import complete
from workbench.offline.lexicon import description_head
from workbench.offline.schema_text import find_columns, read_columns

PLAIN = """You answer questions about the spans table.
Columns:
service_name string
route string
duration_ms float
is_error boolean
"""
MARKDOWN = """You write queries over the spans table.

| Column | Type | Description |
|---|---|---|
| component.name | string | Name of the service that emitted the span |
| rpc.service | string | RPC interface called (e.g. grpc.health.v1) |
| elapsed | float | span duration in milliseconds |
| failed | boolean | true when the span failed |
"""
DDL = """Schema:
CREATE TABLE spans (
  svc VARCHAR COMMENT 'the service that emitted the span',
  took_ms DOUBLE, -- latency in milliseconds
  failed BOOLEAN
);"""
JSON = (
    'Columns as JSON: [{"column": "svc", "type": "text", "description": "service name"}, '
    '{"column": "took_ms", "type": "double", "description": "request latency in ms"}, {"column": "ok", "type": "bool"}]'
)
LAYOUTS = {
    "plain": (PLAIN, "service_name", "duration_ms"),
    "markdown": (MARKDOWN, "component.name", "elapsed"),
    "ddl": (DDL, "svc", "took_ms"),
    "json": (JSON, "svc", "took_ms"),
}


def _ask(system: str, question: str) -> dict:
    response = complete(
        {
            "model": "offline",
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
    )
    return json.loads(response["choices"][0]["message"]["content"])


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_is_read_and_its_columns_used(layout: str) -> None:
    system, service, duration = LAYOUTS[layout]
    spec = _ask(system, "p95 latency by service in the last hour")
    assert spec["calculations"] == [{"op": "P95", "column": duration}]
    assert spec["breakdowns"] == [service]


def test_a_renamed_column_with_a_clear_description_is_found() -> None:
    """``rpc.service`` has the word in its name; the description says ``component.name`` is the service."""
    assert _ask(MARKDOWN, "event volume by service")["breakdowns"] == ["component.name"]


def test_readers_keep_names_types_and_descriptions() -> None:
    cols = {c.name: c for c in find_columns(DDL)}
    assert cols["took_ms"].type == "float" and cols["took_ms"].description == "latency in milliseconds"
    assert cols["svc"].description == "the service that emitted the span"
    table = {c.name: c for c in find_columns(MARKDOWN)}
    assert table["failed"].type == "boolean" and len(table) == 4


def test_the_workbench_layout_still_comes_first_and_prose_is_not_a_schema() -> None:
    assert [c.name for c in read_columns("duration_ms (float) : span duration\nerror (boolean)")] == [
        "duration_ms",
        "error",
    ]
    assert find_columns("You are helpful. Answer in English.\nBe concise and exact.") == []
    assert "lists no columns" in str(
        complete({"model": "offline", "messages": [{"role": "user", "content": "errors by service"}]})
    )


def test_the_description_head_is_what_the_column_holds() -> None:
    assert description_head("Name of the service that emitted the span") == {"service"}
    assert description_head("request latency in ms") == {"request", "latency"}
    assert description_head("true when the span failed") == frozenset()
