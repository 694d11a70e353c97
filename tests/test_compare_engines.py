"""`workbench compare` notes when the two runs ran on different engines (from the recorded, redacted DSN)."""

from __future__ import annotations

from workbench.cli.runs import engine_note, engine_of


def test_engine_of_reads_the_recorded_dataset() -> None:
    assert engine_of({"path": "/home/me/data/telemetry.duckdb"}) == "duckdb"
    assert engine_of({}) == engine_of(None) == "duckdb"
    assert engine_of({"path": "chdb:///tmp/ch?table=otel_traces&mapping=otel_traces"}) == "chdb"
    assert engine_of({"path": "clickhouse://ch.internal:8123/otel?table=otel_traces"}) == "clickhouse"
    assert engine_of({"path": "postgresql://db/telemetry?table=events"}) == "postgres"


def test_note_only_when_engines_differ() -> None:
    duck = {"identity": "abc", "path": "/data/telemetry.duckdb"}
    ch = {"identity": "def", "path": "chdb:///tmp/ch?table=events"}
    assert engine_note(duck, dict(duck)) is None
    assert engine_note(ch, {"path": "chdb:///other?table=events"}) is None
    note = engine_note(duck, ch)
    assert note is not None and "\n" not in note
    assert "duckdb" in note and "chdb (chdb:///tmp/ch?table=events)" in note
