"""The three schema block formats round-trip through parse_schema_block."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.schema.columns import ColumnInfo
from workbench.schema.format import (
    FORMATS,
    SchemaFormat,
    detect_format,
    format_column,
    format_schema,
    parse_schema_block,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
COLUMNS = (
    ColumnInfo("duration_ms", "float", "Span duration in milliseconds.", NOW, 5000, (12.5, 230.0)),
    ColumnInfo(
        "app.platform", "string", "Client platform.", NOW, 3, ("android", "ios"), ("android", "ios", "web")
    ),
    ColumnInfo("error", "boolean", "True on failed spans.", NOW, 2, (False, True), (False, True)),
    ColumnInfo(
        "http.response.status_code",
        "integer",
        "HTTP status: 200, 500 and so on.",
        NOW,
        3,
        (200,),
        (200, 404, 500),
    ),
    ColumnInfo("name", "string", "Span name [odd | chars].", NOW, 90, ("POST /api/checkout", "a | b", "x]")),
    ColumnInfo("timestamp", "timestamp", "Span start time.", NOW, 10_000, ("2026-11-20",)),
)


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_round_trip_keeps_names_types_descriptions_and_values(fmt_name: str) -> None:
    fmt = SchemaFormat(format=fmt_name)
    text = format_schema(COLUMNS, fmt)
    assert detect_format(text) == fmt_name
    parsed = {p.name: p for p in parse_schema_block(text)}
    assert list(parsed) == [c.name for c in COLUMNS]
    for col in COLUMNS:
        p = parsed[col.name]
        assert p.type == col.type
        if fmt_name != "ddl" or "[" not in col.description:
            assert p.description == col.description
        if col.values is not None:
            assert p.values == col.values
        elif col.type != "timestamp":
            assert p.examples == col.sample_values[:3]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (SchemaFormat(), "app.platform (string) : Client platform. [values: android | ios | web]"),
        (SchemaFormat(types=False, descriptions=False), "app.platform [values: android | ios | web]"),
        (SchemaFormat(domains=False), "app.platform (string) : Client platform. [e.g.: android | ios]"),
        (SchemaFormat(domains=False, samples=False), "app.platform (string) : Client platform."),
        (
            SchemaFormat(format="ddl"),
            '  "app.platform" VARCHAR, -- Client platform. [values: android | ios | web]',
        ),
        (
            SchemaFormat(format="json", descriptions=False),
            '{"name": "app.platform", "type": "string", "values": ["android", "ios", "web"]}',
        ),
    ],
)
def test_format_column_settings(fmt: SchemaFormat, expected: str) -> None:
    assert format_column(COLUMNS[1], fmt) == expected


def test_minimal_lines_parse_back_names_only() -> None:
    text = format_schema(COLUMNS, SchemaFormat(types=False, descriptions=False, domains=False, samples=False))
    assert [p.name for p in parse_schema_block(text)] == [c.name for c in COLUMNS]
    assert all(p.type is None for p in parse_schema_block(text))
