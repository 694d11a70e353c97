"""Migrations of the experiment log (``workbench.store.migrations``), in the style of simonw/llm's tests.

A blank log gets every migration; a log written by the first schema version (its DDL and rows
frozen here as that version wrote them) is migrated on open and reads back through ``RunStore``;
migrating twice changes nothing; a log from a newer workbench is refused in one line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.store.migrations import MIGRATIONS, migrate
from workbench.store.runs import RunStore

#: the current schema: every table and column with its type, in order. A new migration changes
#: this (and only ever adds to it).
EXPECTED = {
    "migrations": {"name": "VARCHAR", "applied_at": "TIMESTAMP"},
    "runs": {
        "run_id": "VARCHAR", "created_at": "TIMESTAMP", "name": "VARCHAR", "question_set_name": "VARCHAR",
        "question_set_hash": "VARCHAR", "question_set_path": "VARCHAR", "n_questions": "INTEGER",
        "dataset_identity": "VARCHAR", "dataset_path": "VARCHAR", "trials_per_question": "INTEGER",
        "settings": "VARCHAR",
    },
    "run_events": {
        "seq": "BIGINT", "run_id": "VARCHAR", "event_at": "TIMESTAMP", "event": "VARCHAR", "detail": "VARCHAR",
    },
    "run_variants": {
        "run_id": "VARCHAR", "variant": "VARCHAR", "variant_hash": "VARCHAR", "variant_text": "VARCHAR",
        "model": "VARCHAR", "params": "VARCHAR", "added_at": "TIMESTAMP", "column_recall": "VARCHAR",
    },
    "run_questions": {
        "run_id": "VARCHAR", "question_id": "VARCHAR", "position": "INTEGER", "question": "VARCHAR",
        "gold": "VARCHAR", "accept": "VARCHAR", "tags": "VARCHAR",
    },
    "trials": {
        "run_id": "VARCHAR", "variant": "VARCHAR", "question_id": "VARCHAR", "trial": "INTEGER",
        "request_hash": "VARCHAR", "raw_output": "VARCHAR", "spec": "VARCHAR", "findings": "VARCHAR",
        "sql": "VARCHAR", "result": "VARCHAR", "diff": "VARCHAR", "correct": "BOOLEAN", "outcome": "VARCHAR",
        "valid": "BOOLEAN", "semantic_valid": "BOOLEAN", "repaired": "BOOLEAN", "tokens_in": "INTEGER",
        "tokens_out": "INTEGER", "cached_tokens": "INTEGER", "latency_ms": "DOUBLE", "cost_usd": "DOUBLE",
        "cache_hit": "BOOLEAN", "error": "VARCHAR", "extra": "VARCHAR", "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP", "recorded_at": "TIMESTAMP",
    },
}  # fmt: skip
#: m002: a retried trial's later records (the columns of trials), and the latest record of each trial (a view)
EXPECTED["trial_retries"] = dict(EXPECTED["trials"])
EXPECTED["trials_latest"] = dict(EXPECTED["trials"])

#: schema version 1 (m001_initial) exactly as it was released: never edit this, it is history.
V1_DDL = [
    "CREATE TABLE migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)",
    """CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, name VARCHAR,
        question_set_name VARCHAR, question_set_hash VARCHAR, question_set_path VARCHAR, n_questions INTEGER,
        dataset_identity VARCHAR, dataset_path VARCHAR, trials_per_question INTEGER NOT NULL, settings VARCHAR)""",
    "CREATE SEQUENCE run_events_seq",
    """CREATE TABLE run_events (seq BIGINT PRIMARY KEY DEFAULT nextval('run_events_seq'),
        run_id VARCHAR NOT NULL, event_at TIMESTAMP NOT NULL, event VARCHAR NOT NULL, detail VARCHAR)""",
    """CREATE TABLE run_variants (run_id VARCHAR NOT NULL, variant VARCHAR NOT NULL, variant_hash VARCHAR,
        variant_text VARCHAR, model VARCHAR, params VARCHAR, added_at TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, variant))""",
    """CREATE TABLE run_questions (run_id VARCHAR NOT NULL, question_id VARCHAR NOT NULL,
        position INTEGER NOT NULL, question VARCHAR NOT NULL, gold VARCHAR NOT NULL, accept VARCHAR,
        tags VARCHAR, PRIMARY KEY (run_id, question_id))""",
    """CREATE TABLE trials (run_id VARCHAR NOT NULL, variant VARCHAR NOT NULL, question_id VARCHAR NOT NULL,
        trial INTEGER NOT NULL, request_hash VARCHAR, raw_output VARCHAR, spec VARCHAR, findings VARCHAR,
        sql VARCHAR, result VARCHAR, diff VARCHAR, correct BOOLEAN, outcome VARCHAR, valid BOOLEAN,
        semantic_valid BOOLEAN, repaired BOOLEAN, tokens_in INTEGER, tokens_out INTEGER, cached_tokens INTEGER,
        latency_ms DOUBLE, cost_usd DOUBLE, cache_hit BOOLEAN, error VARCHAR, extra VARCHAR,
        started_at TIMESTAMP, finished_at TIMESTAMP, recorded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, variant, question_id, trial))""",
]
RUN_ID = "r20261120-1200-ab12"
AT = datetime(2026, 11, 20, 12, 0)
GOLD = {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"], "time_range": 3600}


def _v1_trial(question_id: str, trial: int, correct: bool) -> list:
    """A ``trials`` row in version 1's column order, JSON fields as the text version 1 wrote."""
    spec = json.dumps(GOLD if correct else {"calculations": [{"op": "COUNT"}], "time_range": 60})
    result = json.dumps({"columns": ["COUNT"], "rows": [[7]], "row_count": 1, "truncated": False})
    return [
        RUN_ID, "v1", question_id, trial, "ab" * 32, json.dumps({"tool_calls": []}), spec, "[]",
        'SELECT COUNT(*) AS "COUNT" FROM "events"', result, None, correct,
        "correct" if correct else "wrong_result", True, True, False, 1800, 40, 1536, 812.5, 0.0004,
        False, None, json.dumps({"note": "v1"}), AT, AT, AT,
    ]  # fmt: skip


def write_v1_log(path: Path) -> None:
    """A log as schema version 1 wrote it: its DDL, its ``migrations`` row, one finished run."""
    conn = duckdb.connect(str(path))
    for ddl in V1_DDL:
        conn.execute(ddl)
    conn.execute("INSERT INTO migrations VALUES ('m001_initial', ?)", [AT])
    conn.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [RUN_ID, AT, "baseline", "core", "qs-hash", "questions/core.yaml", 2, "gen-42", None, 2,
         json.dumps({"temperature": 0})],
    )  # fmt: skip
    for event in ("created", "finished"):
        conn.execute(
            "INSERT INTO run_events (run_id, event_at, event, detail) VALUES (?, ?, ?, NULL)",
            [RUN_ID, AT, event],
        )
    conn.execute(
        "INSERT INTO run_variants VALUES (?, 'v1', 'h1', 'name: v1\n', 'offline', ?, ?)",
        [RUN_ID, json.dumps({"temperature": 0}), AT],
    )
    for pos, qid in enumerate(("q1", "q2")):
        conn.execute(
            "INSERT INTO run_questions VALUES (?, ?, ?, ?, ?, NULL, ?)",
            [RUN_ID, qid, pos, f"question {qid}", json.dumps(GOLD), json.dumps(["count"])],
        )
    for qid, trial, correct in (("q1", 0, True), ("q1", 1, True), ("q2", 0, True), ("q2", 1, False)):
        conn.execute(f"INSERT INTO trials VALUES ({', '.join('?' * 27)})", _v1_trial(qid, trial, correct))
    conn.close()


def schema_of(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, {})[column] = kind
    return out


def _v1_columns(table: str) -> list[str]:
    conn = duckdb.connect(":memory:")
    for ddl in V1_DDL:
        conn.execute(ddl)
    return list(schema_of(conn)[table])


def applied(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name").fetchall()]


def test_migrate_blank(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "runs.duckdb"))
    assert migrate(conn) == [name for name, _ in MIGRATIONS]
    assert schema_of(conn) == EXPECTED
    assert applied(conn) == sorted(name for name, _ in MIGRATIONS)
    conn.close()
    store = RunStore(tmp_path / "runs.duckdb")
    assert store.list_runs() == []


def test_the_frozen_first_version_is_what_the_first_migration_builds(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "v1.duckdb"))
    for ddl in V1_DDL:
        conn.execute(ddl)
    first = duckdb.connect(str(tmp_path / "m001.duckdb"))
    MIGRATIONS[0][1](first)  # the released m001 must still build exactly version 1
    first.execute("CREATE TABLE migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    assert schema_of(first) == schema_of(conn)
    assert MIGRATIONS[0][0] == "m001_initial"


def test_migrate_from_the_first_version(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    write_v1_log(path)
    with RunStore(path) as store:  # opening migrates
        (summary,) = store.list_runs()
        run = store.load_run(RUN_ID[:-1])
    conn = duckdb.connect(str(path), read_only=True)
    assert schema_of(conn) == EXPECTED  # the same tables and columns as a blank log
    assert applied(conn) == sorted(name for name, _ in MIGRATIONS)
    conn.close()

    assert summary.run_id == RUN_ID and summary.name == "baseline" and summary.status == "finished"
    assert summary.created_at == AT.replace(tzinfo=UTC) and summary.updated_at == AT.replace(tzinfo=UTC)
    assert summary.variants == ("v1",) and summary.settings == {"temperature": 0}
    assert (summary.n_trials, summary.n_correct, summary.expected_trials) == (4, 3, 4)
    assert summary.complete and summary.accuracy == 0.75
    assert run.variants[0]["params"] == {"temperature": 0} and run.variants[0]["variant_hash"] == "h1"
    assert [q["question_id"] for q in run.questions] == ["q1", "q2"] and run.tags == {
        "q1": ("count",),
        "q2": ("count",),
    }
    assert run.questions[0]["gold"] == GOLD and run.questions[0]["accept"] is None
    first = run.trials[0]
    assert (first["question_id"], first["trial"], first["correct"]) == ("q1", 0, True)
    assert first["spec"] == GOLD and first["findings"] == [] and first["extra"] == {"note": "v1"}
    assert first["result"]["rows"] == [[7]] and first["diff"] is None
    assert first["recorded_at"] == AT.replace(tzinfo=UTC) and first["latency_ms"] == 812.5
    # columns added after version 1 read back empty for old trials, never missing
    added = set(EXPECTED["trials"]) - set(_v1_columns("trials"))
    assert set(first) == set(EXPECTED["trials"]) and all(first[c] is None for c in added)


def test_a_migrated_log_takes_new_writes(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    write_v1_log(path)
    with RunStore(path) as store:
        keys = store.resume_run(RUN_ID)
        assert keys == {("v1", "q1", 0), ("v1", "q1", 1), ("v1", "q2", 0), ("v1", "q2", 1)}
        assert not store.record_trial(RUN_ID, variant="v1", question_id="q1", trial=0, correct=False)
        assert store.record_trial(RUN_ID, variant="v1", question_id="q2", trial=2, correct=True)
        assert store.list_runs()[0].status == "running"  # the event sequence carried on after v1's rows
        store.finish_run(RUN_ID)
        (summary,) = store.list_runs()
    assert (summary.status, summary.n_trials, summary.n_correct) == ("finished", 5, 4)


@pytest.mark.parametrize("start", ["blank", "v1"])
def test_migrating_twice_is_a_no_op(tmp_path: Path, start: str) -> None:
    path = tmp_path / "runs.duckdb"
    if start == "v1":
        write_v1_log(path)
    conn = duckdb.connect(str(path))
    migrate(conn)
    before = (schema_of(conn), conn.execute("SELECT * FROM migrations ORDER BY name").fetchall())
    trials = conn.execute("SELECT * FROM trials ORDER BY ALL").fetchall()
    assert migrate(conn) == []
    assert (schema_of(conn), conn.execute("SELECT * FROM migrations ORDER BY name").fetchall()) == before
    assert conn.execute("SELECT * FROM trials ORDER BY ALL").fetchall() == trials
    conn.close()
    for _ in range(2):  # and through the store, which migrates on every open
        assert len(RunStore(path).list_runs()) == (1 if start == "v1" else 0)
    conn = duckdb.connect(str(path), read_only=True)
    assert conn.execute("SELECT * FROM migrations ORDER BY name").fetchall() == before[1]
    conn.close()


def test_a_log_from_a_newer_workbench_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "runs.duckdb"
    write_v1_log(path)
    conn = duckdb.connect(str(path))
    migrate(conn)
    conn.execute("INSERT INTO migrations VALUES ('m999_from_the_future', ?)", [AT])
    conn.execute("ALTER TABLE trials ADD COLUMN judged_by VARCHAR")
    conn.close()
    with pytest.raises(WorkbenchError) as info:
        RunStore(path).list_runs()
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "newer workbench" in message and "m999_from_the_future" in message
    assert info.value.fix == "upgrade the workbench to read it, or use another log"
    assert main(["runs", "--store", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "m999_from_the_future" in err and "upgrade the workbench" in err
    conn = duckdb.connect(str(path), read_only=True)  # the file was left as it was
    assert applied(conn)[-1] == "m999_from_the_future" and len(applied(conn)) == len(MIGRATIONS) + 1
    conn.close()
