"""Numbered schema migrations of the experiment log (``runs.py``).

Each migration is a function ``mNNN_what(conn)`` registered in order. ``migrate``
applies the ones not yet listed in the ``migrations`` table, each in its own
transaction together with its row in that table, so a crash leaves the store
at a clean migration boundary. Migrations only ever add: a released migration
is never edited; a change is a new function at the end. A log that lists a
migration this code does not know was written by a newer workbench: ``migrate``
refuses it (one-line ``WorkbenchError``) rather than write to a schema it cannot read.

Times are naive ``TIMESTAMP`` values in UTC. JSON is stored as ``VARCHAR``
text (no extension needed to read the file); DuckDB's ``json_extract`` works
on it once the json extension is loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from workbench.core.errors import WorkbenchError

MIGRATIONS: list[tuple[str, Callable[[Any], None]]] = []


def rollback_quietly(conn: Any) -> None:
    """Undo an open transaction; when the engine already aborted it, the original error is what matters."""
    with contextlib.suppress(Exception):  # duckdb.Error: "no transaction is active"
        conn.execute("ROLLBACK")


def migration(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(conn: Any) -> None:
    conn.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            created_at TIMESTAMP NOT NULL,
            name VARCHAR,
            question_set_name VARCHAR,
            question_set_hash VARCHAR,
            question_set_path VARCHAR,
            n_questions INTEGER,
            dataset_identity VARCHAR,
            dataset_path VARCHAR,
            trials_per_question INTEGER NOT NULL,
            settings VARCHAR
        )
        """
    )
    # Status changes are events, so no row is ever updated: the latest event gives the status.
    conn.execute("CREATE SEQUENCE run_events_seq")
    conn.execute(
        """
        CREATE TABLE run_events (
            seq BIGINT PRIMARY KEY DEFAULT nextval('run_events_seq'),
            run_id VARCHAR NOT NULL,
            event_at TIMESTAMP NOT NULL,
            event VARCHAR NOT NULL,
            detail VARCHAR
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE run_variants (
            run_id VARCHAR NOT NULL,
            variant VARCHAR NOT NULL,
            variant_hash VARCHAR,
            variant_text VARCHAR,
            model VARCHAR,
            params VARCHAR,
            added_at TIMESTAMP NOT NULL,
            PRIMARY KEY (run_id, variant)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE run_questions (
            run_id VARCHAR NOT NULL,
            question_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            question VARCHAR NOT NULL,
            gold VARCHAR NOT NULL,
            accept VARCHAR,
            tags VARCHAR,
            PRIMARY KEY (run_id, question_id)
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE trials (
            run_id VARCHAR NOT NULL,
            variant VARCHAR NOT NULL,
            question_id VARCHAR NOT NULL,
            trial INTEGER NOT NULL,
            request_hash VARCHAR,
            raw_output VARCHAR,
            spec VARCHAR,
            findings VARCHAR,
            sql VARCHAR,
            result VARCHAR,
            diff VARCHAR,
            correct BOOLEAN,
            outcome VARCHAR,
            valid BOOLEAN,
            semantic_valid BOOLEAN,
            repaired BOOLEAN,
            tokens_in INTEGER,
            tokens_out INTEGER,
            cached_tokens INTEGER,
            latency_ms DOUBLE,
            cost_usd DOUBLE,
            cache_hit BOOLEAN,
            error VARCHAR,
            extra VARCHAR,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            recorded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (run_id, variant, question_id, trial)
        )
        """
    )


@migration
def m002_trial_retries_and_recall(conn: Any) -> None:
    """Errored trials can be retried (the log stays append-only), and a variant keeps its column recall.

    ``trial_retries`` has the columns of ``trials`` and no key: a resumed run records a new
    answer to a trial whose latest record is an ``error`` there, and the latest record of a
    trial (``trials_latest``) supersedes the earlier ones. A later migration that adds a
    column to ``trials`` adds it to ``trial_retries`` too.
    """
    conn.execute("CREATE TABLE trial_retries AS SELECT * FROM trials LIMIT 0")
    conn.execute(
        """
        CREATE VIEW trials_latest AS
        SELECT * EXCLUDE (source, rank) FROM (
            SELECT *, row_number() OVER (PARTITION BY run_id, variant, question_id, trial
                                         ORDER BY source DESC, recorded_at DESC) AS rank
            FROM (SELECT *, 0 AS source FROM trials
                  UNION ALL BY NAME SELECT *, 1 AS source FROM trial_retries)
        ) WHERE rank = 1
        """
    )
    conn.execute("ALTER TABLE run_variants ADD COLUMN column_recall VARCHAR")


def migrate(conn: Any, log: str = "the experiment log") -> list[str]:
    """Apply pending migrations; returns the names applied now (empty when up to date).

    A log that lists a migration this code does not know (``log`` names it in the error) is
    refused with a one-line ``WorkbenchError``.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations").fetchall()}
    unknown = sorted(done - {name for name, _ in MIGRATIONS})
    if unknown:
        raise WorkbenchError(
            f"{log} was written by a newer workbench: schema migration {unknown[0]} "
            f"is unknown to this version (which knows up to {MIGRATIONS[-1][0]})",
            "upgrade the workbench to read it, or use another log",
        )
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            fn(conn)
            conn.execute(
                "INSERT INTO migrations VALUES (?, ?)", [name, datetime.now(UTC).replace(tzinfo=None)]
            )
            conn.execute("COMMIT")
        except BaseException:
            rollback_quietly(conn)
            raise
        applied.append(name)
    return applied
