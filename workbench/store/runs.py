"""The experiment log: every run, variant and trial, append-only, in one DuckDB file.

Why DuckDB: it is already the data's engine (one dependency, one SQL dialect);
the log is a single file under the project's ``runs/`` folder that can be
copied or shared; trials are rows you can analyse with SQL or pandas
(``RunStore.sql``) without an export step; and every insert is an ACID
commit written to the write-ahead log, so a run killed mid-way (even by
SIGKILL) keeps every trial recorded before the kill and nothing half-written.

Rules:

- **Append-only.** Rows are inserted, never updated or deleted. A trial's key
  is ``(run_id, variant, question_id, trial)``; recording an existing key is
  ignored (the first answer stands), which makes resuming safe: ask
  ``finished_keys`` and run only the rest. A run's status is its latest row
  in ``run_events`` (``created``, ``resumed``, ``finished``, ``failed``,
  ``cancelled``).
- **Each trial is committed as it is recorded**, under a lock (one writer
  thread at a time within the process).
- The schema changes only through numbered migrations (``migrations.py``).

Limits: DuckDB allows **one writer process per file**. A store keeps its
connection open once it has written (about 1 ms per trial instead of about
20 ms for open-write-close), so while an eval writes, another process
(a second eval, ``workbench runs``) cannot open the file and gets a clear
error instead; reads from a store that has not written open and close the
file each time, so a notebook does not hold the lock. Close a writing store
(``close()`` or ``with RunStore() as store:``) when done.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.paths import runs_path
from workbench.store.migrations import migrate

__all__ = ["RESULT_ROW_CAP", "TRIAL_FIELDS", "Run", "RunStore", "RunSummary", "cap_result"]

#: rows of a trial's result kept in the log (the row count is always kept).
RESULT_ROW_CAP = 200
_JSON_FIELDS = ("raw_output", "spec", "findings", "result", "diff", "extra")
#: the fields ``record_trial`` accepts besides the key.
TRIAL_FIELDS: tuple[str, ...] = (
    "request_hash", "raw_output", "spec", "findings", "sql", "result", "diff", "correct", "outcome",
    "valid", "semantic_valid", "repaired", "tokens_in", "tokens_out", "cached_tokens", "latency_ms",
    "cost_usd", "cache_hit", "error", "extra", "started_at", "finished_at",
)  # fmt: skip
_KEY_FIELDS = ("variant", "question_id", "trial")
_STATUS = {"created": "running", "resumed": "running"}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _timestamp(value: Any) -> datetime | None:
    """Naive UTC datetime from a datetime, epoch seconds or ISO text."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=_json_default)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _field(result: Any, key: str, default: Any = None) -> Any:
    return result.get(key, default) if isinstance(result, Mapping) else getattr(result, key, default)


def cap_result(result: Any, max_rows: int = RESULT_ROW_CAP) -> dict[str, Any] | None:
    """``{"columns", "rows", "row_count", "truncated"}`` (plus a capped ``series``), at most ``max_rows`` rows.

    Takes a QueryResult-like object (``.columns``, ``.rows``, optional ``.series`` and
    ``.truncated``), a mapping with those keys (a capped result stays as it is), or None.
    """
    if result is None:
        return None
    rows = list(_field(result, "rows", []))
    total = _field(result, "row_count") or len(rows)
    kept = [list(r) for r in rows[:max_rows]]
    out = {
        "columns": list(_field(result, "columns", [])),
        "rows": kept,
        "row_count": total,
        "truncated": bool(_field(result, "truncated", False)) or total > len(kept),
    }
    series = _field(result, "series")
    if series is not None:
        out["series"] = cap_result(series, max_rows)
    return out


@dataclass(frozen=True)
class RunSummary:
    """One run as ``list_runs`` shows it."""

    run_id: str
    name: str | None
    created_at: datetime
    status: str
    updated_at: datetime
    question_set_name: str | None
    question_set_hash: str | None
    question_set_path: str | None
    n_questions: int | None
    dataset_identity: str | None
    dataset_path: str | None
    trials_per_question: int
    variants: tuple[str, ...]
    n_trials: int
    n_correct: int
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def expected_trials(self) -> int | None:
        if self.n_questions is None:
            return None
        return self.n_questions * self.trials_per_question * len(self.variants)

    @property
    def complete(self) -> bool:
        return self.expected_trials is not None and self.n_trials >= self.expected_trials

    @property
    def accuracy(self) -> float | None:
        return self.n_correct / self.n_trials if self.n_trials else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["variants"] = list(self.variants)
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        out.update(expected_trials=self.expected_trials, complete=self.complete, accuracy=self.accuracy)
        return out


@dataclass(frozen=True)
class Run:
    """A loaded run: its summary, variants, questions and trials (JSON fields decoded)."""

    summary: RunSummary
    variants: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    trials: list[dict[str, Any]]

    @property
    def run_id(self) -> str:
        return self.summary.run_id

    @property
    def variant_names(self) -> list[str]:
        return [v["variant"] for v in self.variants]

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        """Question id -> tags, as recorded with the run."""
        return {q["question_id"]: tuple(q["tags"] or ()) for q in self.questions}

    def trials_for(self, variant: str) -> list[dict[str, Any]]:
        if variant not in self.variant_names:
            raise ConfigError(
                f"run {self.run_id} has no variant {variant!r}", f"use one of {self.variant_names}"
            )
        return [t for t in self.trials if t["variant"] == variant]

    def trials_frame(self) -> Any:
        """The trials as a pandas DataFrame (one row per trial)."""
        import pandas as pd

        return pd.DataFrame(self.trials)


class RunStore:
    """The append-only experiment log in a DuckDB file (default ``workbench.core.paths.runs_path()``).

    Example:
        >>> with RunStore(tmp / "runs.duckdb") as store:  # doctest: +SKIP
        ...     run_id = store.create_run(name="baseline", trials_per_question=5)
        ...     store.add_variant(run_id, "v1", hash="ab12", text="name: v1", model="offline")
        ...     store.record_trial(run_id, variant="v1", question_id="q001", trial=0, correct=True)
        ...     store.finish_run(run_id)
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else runs_path()
        self._lock = threading.RLock()
        self._conn: duckdb.DuckDBPyConnection | None = None

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ----------------------------------------------------------------- connections

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkbenchError(
                    f"the experiment log {self.path} is in use by another process",
                    "wait for the running eval to finish, or close the notebook that writes to it",
                ) from None
            raise WorkbenchError(f"cannot open the experiment log {self.path}: {exc}") from None
        except duckdb.Error as exc:
            raise WorkbenchError(
                f"{self.path} is not a readable experiment log: {exc}", "point at a runs .duckdb file"
            ) from None
        try:
            migrate(conn, f"the experiment log {self.path}")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer's connection if open, else a short-lived one (so readers do not hold the lock)."""
        with self._lock:
            if self._conn is not None:
                yield self._conn
                return
            conn = self._open()
            try:
                yield conn
            finally:
                conn.close()

    @contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            yield self._conn

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run a read query over the log and return a pandas DataFrame (tables: runs, run_events,
        run_variants, run_questions, trials, migrations)."""
        with self._reading() as conn:
            return conn.execute(query, params or []).df()

    # ----------------------------------------------------------------- writing

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
        now = _utcnow()
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
                        trials_per_question, _dumps(dict(settings or {})),
                    ],
                )  # fmt: skip
                for pos, q in enumerate(questions or ()):
                    row = [
                        run_id,
                        q.id,
                        pos,
                        q.question,
                        _dumps(q.gold),
                        _dumps(q.accept),
                        _dumps(list(q.tags)),
                    ]
                    conn.execute("INSERT INTO run_questions VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                self._event(conn, run_id, "created", None, now)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
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
            [run_id, at or _utcnow(), event, detail],
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
    ) -> None:
        """Record a variant of a run: its name, content hash, full YAML text, model and parameters.

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
                "INSERT INTO run_variants VALUES (?, ?, ?, ?, ?, ?, ?)",
                [run_id, variant, hash, text, model, _dumps(dict(params or {})), _utcnow()],
            )

    def record_trial(self, run_id: str, trial: Mapping[str, Any] | None = None, /, **fields: Any) -> bool:
        """Insert one trial and commit it. Returns False (and changes nothing) if its key exists.

        Give the fields as a mapping and/or keywords: ``variant``, ``question_id`` and ``trial``
        (the key) plus any of ``TRIAL_FIELDS``. JSON fields (``raw_output``, ``spec``,
        ``findings``, ``result``, ``diff``, ``extra``) take plain Python values; ``result`` is
        capped to ``RESULT_ROW_CAP`` rows. Times take datetimes, epoch seconds or ISO text.
        """
        return self.record_trials(run_id, [{**(trial or {}), **fields}]) == 1

    def record_trials(self, run_id: str, trials: Sequence[Mapping[str, Any]]) -> int:
        """Insert several trials in one transaction (all or none); returns how many were new.

        Each trial is what ``record_trial`` takes; a trial whose key exists is skipped. One
        commit per batch is what keeps the log's cost per trial low during an eval.
        """
        rows = [_trial_row(run_id, trial) for trial in trials]  # every trial checked before any write
        if not rows:
            return 0
        columns = ", ".join(("run_id", *_KEY_FIELDS, *TRIAL_FIELDS, "recorded_at"))
        marks = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
        with self._writing() as conn:
            self._require_run(conn, run_id)
            # one statement, one implicit transaction: the batch lands whole or not at all
            conn.execute(
                f"INSERT OR IGNORE INTO trials ({columns}) VALUES {marks}", [v for row in rows for v in row]
            )
            count = conn.fetchone()
        return int(count[0]) if count else 0

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

    def finished_keys(self, run_id: str, variant: str | None = None) -> set[tuple[str, str, int]]:
        """``(variant, question_id, trial)`` of every recorded trial of a run."""
        query = "SELECT variant, question_id, trial FROM trials WHERE run_id = ?"
        params: list[Any] = [run_id]
        if variant is not None:
            query += " AND variant = ?"
            params.append(variant)
        with self._reading() as conn:
            return {(v, q, int(t)) for v, q, t in conn.execute(query, params).fetchall()}

    _SUMMARY_SQL = """
        SELECT r.run_id, r.name, r.created_at, e.event AS status, e.at AS updated_at, r.question_set_name,
               r.question_set_hash, r.question_set_path, r.n_questions, r.dataset_identity, r.dataset_path,
               r.trials_per_question,
               (SELECT list(v.variant ORDER BY v.added_at, v.variant) FROM run_variants v
                 WHERE v.run_id = r.run_id) AS variants,
               (SELECT count(*) FROM trials t WHERE t.run_id = r.run_id) AS n_trials,
               (SELECT count(*) FROM trials t WHERE t.run_id = r.run_id AND t.correct) AS n_correct,
               r.settings
        FROM runs r
        JOIN (SELECT run_id, arg_max(event, seq) AS event, max(event_at) AS at FROM run_events GROUP BY run_id) e
          USING (run_id)
    """

    def _summaries(self, conn: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[RunSummary]:
        rows = _dicts(conn, f"{self._SUMMARY_SQL} {where}", params)
        for d in rows:
            d.update(
                status=_STATUS.get(d["status"], d["status"]),
                created_at=_aware(d["created_at"]),
                updated_at=_aware(d["updated_at"]),
                variants=tuple(d["variants"] or ()),
                settings=_loads(d["settings"]) or {},
            )
        return [RunSummary(**d) for d in rows]

    def list_runs(self) -> list[RunSummary]:
        """Every run, newest first."""
        with self._reading() as conn:
            return self._summaries(conn, "ORDER BY r.created_at DESC, r.run_id DESC", [])

    def resolve_run_id(self, ref: str) -> str:
        """A full run id from an id or a unique prefix of one."""
        with self._reading() as conn:
            rows = conn.execute("SELECT run_id FROM runs WHERE starts_with(run_id, ?)", [ref]).fetchall()
        ids = [r[0] for r in rows]
        if ref in ids:
            return ref
        if len(ids) == 1:
            return ids[0]
        if not ids:
            raise ConfigError(f"no run {ref!r} in {self.path}", "list runs with `workbench runs`")
        raise ConfigError(
            f"run id {ref!r} is ambiguous ({len(ids)} runs start with it)", "give more of the id"
        )

    def load_run(self, run_id: str) -> Run:
        """A run with its variants, questions and trials (JSON fields decoded; times UTC-aware)."""
        run_id = self.resolve_run_id(run_id)
        with self._reading() as conn:
            (summary,) = self._summaries(conn, "WHERE r.run_id = ?", [run_id])
            where = [run_id]
            variants = _dicts(
                conn, "SELECT * FROM run_variants WHERE run_id = ? ORDER BY added_at, variant", where
            )
            questions = _dicts(conn, "SELECT * FROM run_questions WHERE run_id = ? ORDER BY position", where)
            trials = _dicts(
                conn, "SELECT * FROM trials WHERE run_id = ? ORDER BY variant, question_id, trial", where
            )
        for v in variants:
            v["params"] = _loads(v["params"]) or {}
            v["added_at"] = _aware(v["added_at"])
        for q in questions:
            for key in ("gold", "accept", "tags"):
                q[key] = _loads(q[key])
        for t in trials:
            for key in _JSON_FIELDS:
                t[key] = _loads(t[key])
            for key in ("started_at", "finished_at", "recorded_at"):
                t[key] = _aware(t[key])
        return Run(summary=summary, variants=variants, questions=questions, trials=trials)

    def latest_run_for_variant(self, variant: str, variant_hash: str | None = None) -> RunSummary | None:
        """The newest run that has a variant of this name (and this hash, when given)."""
        query = "SELECT run_id FROM run_variants WHERE variant = ?"
        params: list[Any] = [variant]
        if variant_hash is not None:
            query += " AND variant_hash = ?"
            params.append(variant_hash)
        with self._reading() as conn:
            found = self._summaries(
                conn, f"WHERE r.run_id IN ({query}) ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1", params
            )
        return found[0] if found else None


def _dicts(conn: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(query, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _trial_row(run_id: str, trial: Mapping[str, Any]) -> list[Any]:
    """The ``trials`` row for one trial mapping; ``ValueError`` names a missing or unknown field."""
    data = dict(trial)
    missing = [k for k in _KEY_FIELDS if data.get(k) is None]
    if missing:
        raise ValueError(f"a trial needs {', '.join(_KEY_FIELDS)}; missing {missing[0]!r}")
    unknown = sorted(set(data) - set(_KEY_FIELDS) - set(TRIAL_FIELDS))
    if unknown:
        raise ValueError(f"unknown trial field {unknown[0]!r}; put extra data under 'extra'")
    if "result" in data:
        data["result"] = cap_result(data["result"])
    values: list[Any] = [run_id, str(data["variant"]), str(data["question_id"]), int(data["trial"])]
    for name in TRIAL_FIELDS:
        value = data.get(name)
        if name in _JSON_FIELDS:
            value = _dumps(value)
        elif name in ("started_at", "finished_at"):
            value = _timestamp(value)
        values.append(value)
    values.append(_utcnow())
    return values
