"""DSNs: parsed for the client, redacted for everything recorded; engine errors are one line."""

from __future__ import annotations

import pytest

from workbench.core.errors import WorkbenchError
from workbench.engines.base import is_dsn, parse_dsn


def test_credentials_never_reach_the_redacted_form() -> None:
    dsn = parse_dsn("postgresql://alice:s3cret@db.internal:5432/telemetry?table=spans&sslmode=require")
    assert dsn.kind == "postgres" and dsn.table == "spans"
    assert dsn.redacted == "postgresql://db.internal:5432/telemetry?table=spans"
    assert "s3cret" in dsn.url and "table=" not in dsn.url and "sslmode=require" in dsn.url
    ch = parse_dsn("clickhouse://bob:pw@ch:8123/otel?table=otel_traces&mapping=otel.yaml")
    assert ch.kind == "clickhouse" and ch.mapping == "otel.yaml"
    assert "pw" not in ch.redacted and "bob" not in ch.redacted


def test_embedded_paths_and_defaults() -> None:
    dsn = parse_dsn("chdb:///var/data/ch")
    assert dsn.kind == "chdb" and dsn.table == "events" and dsn.redacted == "chdb:///var/data/ch?table=events"


@pytest.mark.parametrize("text", ["/tmp/x.duckdb", "data/*.parquet", "mysql://h/db", "http://x"])
def test_paths_and_other_schemes_are_not_dsns(text: str) -> None:
    assert not is_dsn(text)
    with pytest.raises(WorkbenchError) as info:
        parse_dsn(text)
    assert "\n" not in str(info.value)


def test_an_unreachable_server_is_a_one_line_error() -> None:
    pytest.importorskip("psycopg")
    from workbench.dataset.source import open_dataset

    with pytest.raises(WorkbenchError) as info:
        open_dataset("postgresql://nobody:pw@127.0.0.1:1/none?table=events&connect_timeout=2")
    text = str(info.value)
    assert "\n" not in text and "pw" not in text and "cannot connect to postgresql://127.0.0.1:1/none" in text
