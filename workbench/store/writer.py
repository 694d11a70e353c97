"""Writing the log: runs, variants, trials and run events, append-only."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from workbench.core.errors import ConfigError
from workbench.store.connection import LogConnection
from workbench.store.migrations import rollback_quietly
from workbench.store.records import KEY_FIELDS, TRIAL_FIELDS, dumps, latest_sql, trial_row, utcnow

#: questions copied into the log per INSERT statement by ``create_run`` (one statement per question took
#: 0.6 ms of CPU each, 1.2 s at 2,000 questions; 16 per statement 0.12 ms, and longer ones more memory)
QUESTIONS_PER_INSERT = 16
#: the latest outcome of a batch's trials (run id and question ids, twice): without the view's window,
#: which went over every trial of the run for each batch (DuckDB's memory and CPU growing with the run)
_LATEST_OUTCOMES = latest_sql(
    "variant, question_id, trial, outcome", "t.run_id = ? AND t.question_id IN (SELECT unnest(?::VARCHAR[]))"
)


class LogWriter(LogConnection):
    """Creates runs and records their variants and trials (each batch one commit)."""

    def create_run(
        self,
        *,
        name: str | None = None,
        questions: Any | None = None,
        question_set_name: str | None = None,
        question_set_hash: str | None = None,
        question_set_path: str | Path | None = None,
        dataset_identity: str | None = None,
        dataset_path: str | Path | None = None,
        trials_per_question: int = 1,
        settings: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a run; returns its id (``r20261124-0842-ab12``: UTC date, time, random suffix).

        ``questions`` is a ``QuestionSet``: its name, hash and path are filled in and its
        questions (text, gold, accept, tags) are copied into the log, so the run stays readable
        when the file changes later.
        """
        if trials_per_question < 1:
            raise ConfigError(f"trials per question must be >= 1, got {trials_per_question}", "use 1 or more")
        if questions is not None:
            question_set_name = question_set_name or questions.name
            question_set_hash = question_set_hash or questions.hash
            question_set_path = question_set_path or questions.path
        n_questions = len(questions) if questions is not None else None
        now = utcnow()
        with self._writing() as conn:
            run_id = self._new_id(conn, now)
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id, now, name, question_set_name, question_set_hash,
                        str(question_set_path) if question_set_path else None, n_questions,
                        dataset_identity, str(dataset_path) if dataset_path else None,
                        trials_per_question, dumps(dict(settings or {})),
                    ],
                )  # fmt: skip
                rows = [[run_id, q.id, pos, q.question, dumps(q.gold), dumps(q.accept), dumps(list(q.tags))]
                        for pos, q in enumerate(questions or ())]  # fmt: skip
                for start in range(0, len(rows), QUESTIONS_PER_INSERT):
                    batch = rows[start : start + QUESTIONS_PER_INSERT]
                    marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(batch))
                    conn.execute(
                        f"INSERT INTO run_questions VALUES {marks}", [v for row in batch for v in row]
                    )
                self._event(conn, run_id, "created", None, now)
                conn.execute("COMMIT")
            except BaseException:
                rollback_quietly(conn)
                raise
        return run_id

    @staticmethod
    def _new_id(conn: duckdb.DuckDBPyConnection, now: datetime) -> str:
        while True:
            run_id = f"r{now:%Y%m%d-%H%M}-{secrets.token_hex(2)}"
            if not conn.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
                return run_id

    @staticmethod
    def _event(conn: Any, run_id: str, event: str, detail: str | None, at: datetime | None = None) -> None:
        conn.execute(
            "INSERT INTO run_events (run_id, event_at, event, detail) VALUES (?, ?, ?, ?)",
            [run_id, at or utcnow(), event, detail],
        )

    def _require_run(self, conn: duckdb.DuckDBPyConnection, run_id: str) -> None:
        if not conn.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
            raise ConfigError(f"no run {run_id!r} in {self.path}", "list runs with `workbench runs`")

    def add_variant(
        self,
        run_id: str,
        variant: str,
        *,
        hash: str | None = None,
        text: str | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        recall: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a variant of a run: its name, content hash, full YAML text, model, parameters and
        column recall on the run's questions (``evaluation.run``'s ``column_recall`` JSON).

        Adding the same variant again (a resumed run) is a no-op; adding it with another hash
        is an error, since the finished trials were made with the other prompt.
        """
        with self._writing() as conn:
            self._require_run(conn, run_id)
            row = conn.execute(
                "SELECT variant_hash FROM run_variants WHERE run_id = ? AND variant = ?", [run_id, variant]
            ).fetchone()
            if row is not None:
                if hash is not None and row[0] is not None and row[0] != hash:
                    raise ConfigError(
                        f"run {run_id} recorded variant {variant!r} with hash {row[0]}, now it is {hash}",
                        "start a new run for the changed prompt",
                    )
                return
            conn.execute(
                "INSERT INTO run_variants (run_id, variant, variant_hash, variant_text, model, params, added_at,"
                " column_recall) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    *(run_id, variant, hash, text, model, dumps(dict(params or {})), utcnow()),
                    None if recall is None else dumps(dict(recall)),
                ],
            )

    def record_trial(self, run_id: str, trial: Mapping[str, Any] | None = None, /, **fields: Any) -> bool:
        """Insert one trial and commit it. Returns False (and changes nothing) if it is already answered.

        Give the fields as a mapping and/or keywords: ``variant``, ``question_id`` and ``trial``
        (the key) plus any of ``TRIAL_FIELDS``. JSON fields (``raw_output``, ``spec``,
        ``findings``, ``result``, ``diff``, ``extra``) take plain Python values; ``result`` is
        capped to ``RESULT_ROW_CAP`` rows. Times take datetimes, epoch seconds or ISO text.
        """
        return self.record_trials(run_id, [{**(trial or {}), **fields}]) == 1

    def record_trials(self, run_id: str, trials: Sequence[Mapping[str, Any]]) -> int:
        """Insert several trials in one transaction (all or none); returns how many were recorded.

        Each trial is what ``record_trial`` takes. A trial whose key is new goes into ``trials``;
        one whose latest record is an ``error`` (a transport failure) is recorded again in
        ``trial_retries``, superseding it; one already answered is skipped (the first answer
        stands). One commit per batch is what keeps the log's cost per trial low during an eval.
        """
        rows = [trial_row(run_id, trial) for trial in trials]  # every trial checked before any write
        if not rows:
            return 0
        columns = ", ".join(("run_id", *KEY_FIELDS, *TRIAL_FIELDS, "recorded_at"))
        with self._writing() as conn:
            self._require_run(conn, run_id)
            ids = sorted({r[2] for r in rows})
            latest = {
                (v, q, int(t)): outcome
                for v, q, t, outcome in conn.execute(_LATEST_OUTCOMES, [run_id, ids] * 2).fetchall()
            }
            new, retried, seen = [], [], set()
            for row in rows:
                key = (row[1], row[2], row[3])
                if key in seen:
                    continue
                seen.add(key)
                if key not in latest:
                    new.append(row)
                elif latest[key] == "error":
                    retried.append(row)
            conn.execute("BEGIN TRANSACTION")  # the batch lands whole or not at all
            try:
                for table, batch in (("trials", new), ("trial_retries", retried)):
                    if batch:
                        marks = ", ".join(["(" + ", ".join("?" * len(batch[0])) + ")"] * len(batch))
                        conn.execute(f"INSERT INTO {table} ({columns}) VALUES {marks}",
                                     [v for row in batch for v in row])  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:
                rollback_quietly(conn)  # a failed commit (a full disk) may have ended it already
                raise
        return len(new) + len(retried)

    def finish_run(self, run_id: str, status: str = "finished", detail: str | None = None) -> None:
        """Mark a run ``finished`` (or ``failed`` / ``cancelled``, with a detail)."""
        if status not in ("finished", "failed", "cancelled"):
            raise ValueError(f"status must be finished, failed or cancelled, got {status!r}")
        with self._writing() as conn:
            self._require_run(conn, run_id)
            self._event(conn, run_id, status, detail)

    def resume_run(self, run_id: str) -> set[tuple[str, str, int]]:
        """Mark a run as running again; returns its finished keys (skip these trials)."""
        with self._writing() as conn:
            self._require_run(conn, run_id)
            self._event(conn, run_id, "resumed", None)
        return self.finished_keys(run_id)

    # ----------------------------------------------------------------- reading
