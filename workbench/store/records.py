"""Records of the experiment log: runs and their summaries, trial rows, JSON and time helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from workbench.core.errors import ConfigError

#: rows of a trial's result kept in the log (the row count is always kept).
RESULT_ROW_CAP = 200
JSON_FIELDS = ("raw_output", "spec", "findings", "result", "diff", "extra")
#: the fields ``record_trial`` accepts besides the key.
TRIAL_FIELDS: tuple[str, ...] = (
    "request_hash", "raw_output", "spec", "findings", "sql", "result", "diff", "correct", "outcome",
    "valid", "semantic_valid", "repaired", "tokens_in", "tokens_out", "cached_tokens", "latency_ms",
    "cost_usd", "cache_hit", "error", "extra", "started_at", "finished_at",
)  # fmt: skip
KEY_FIELDS = ("variant", "question_id", "trial")
#: a trial's times (UTC-aware when read back)
TIME_FIELDS = ("started_at", "finished_at", "recorded_at")
STATUS = {"created": "running", "resumed": "running"}


def utcnow() -> datetime:
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


def aware(value: datetime | None) -> datetime | None:
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


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=_json_default)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def loads_many(texts: Sequence[str | None]) -> list[Any]:
    """``[loads(t) for t in texts]`` with less memory: decoded as one JSON array, so that the decoder
    shares each object key among the values (a run's trials repeat the same keys: a third less memory,
    in less time). Each value is then encoded again and must give back its text exactly (the log's
    texts are ``dumps``'s): when one does not, the texts are decoded one by one instead.
    """
    try:
        values = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
    except ValueError:
        values = None
    if (
        isinstance(values, list)
        and len(values) == len(texts)
        and all(t == dumps(v) for t, v in zip(texts, values, strict=True))
    ):
        return values
    return [loads(t) for t in texts]


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
    #: trials whose latest record is a transport failure (counted in ``n_trials``; a resume retries them)
    n_errors: int = 0

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
        """Correct over answered trials (errored ones are not answers)."""
        answered = self.n_trials - self.n_errors
        return self.n_correct / answered if answered else None

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


def dicts(conn: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(query, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


#: trials fetched and decoded at a time by ``trial_dicts``
TRIALS_BATCH = 500


def trial_batches(
    conn: duckdb.DuckDBPyConnection, query: str, params: list[Any]
) -> Iterator[list[dict[str, Any]]]:
    """Trial rows as dicts, JSON fields decoded, ``TRIALS_BATCH`` at a time: the raw JSON texts of one
    batch are alive at once, not those of the whole run beside its decoded trials."""
    cur = conn.execute(query, params)
    names = [d[0] for d in cur.description]
    json_at = [(names.index(key), key) for key in JSON_FIELDS if key in names]
    while rows := cur.fetchmany(TRIALS_BATCH):
        trials = [dict(zip(names, row, strict=True)) for row in rows]
        for i, key in json_at:
            for t, value in zip(trials, loads_many([row[i] for row in rows]), strict=True):
                t[key] = value
        del rows
        for t in trials:
            for key in TIME_FIELDS:
                if key in t:
                    t[key] = aware(t[key])
        yield trials


#: every column of a trial row, in the table's order
TRIAL_COLUMNS = ("run_id", *KEY_FIELDS, *TRIAL_FIELDS, "recorded_at")


def latest_sql(columns: str, where: str) -> str:
    """``trials_latest``'s rows (``columns`` of them) that ``where`` selects (on alias ``t``; its
    parameters are given twice), without the view's window over whole rows, which holds every column
    of the trials it reads at once (about 3 KB of DuckDB's memory per trial even for a count): a
    trial's row unless a retry supersedes it, else its latest retry, as in the view."""
    return f"""
        SELECT {columns} FROM trials t WHERE {where} AND NOT EXISTS (
            SELECT 1 FROM trial_retries r WHERE r.run_id = t.run_id AND r.variant = t.variant
            AND r.question_id = t.question_id AND r.trial = t.trial)
        UNION ALL BY NAME
        SELECT {columns} FROM trial_retries t WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY run_id, variant, question_id, trial ORDER BY recorded_at DESC) = 1
    """


def trial_columns(columns: Sequence[str] | None) -> str:
    """``columns`` of a trial row (default all; the key's question id and trial always), checked."""
    names = TRIAL_COLUMNS if columns is None else tuple(dict.fromkeys(("question_id", "trial", *columns)))
    unknown = [c for c in names if c not in TRIAL_COLUMNS]
    if unknown:
        raise ValueError(f"no trial column {unknown[0]!r}; use one of {', '.join(TRIAL_COLUMNS)}")
    return ", ".join(names)


#: one run's variant's trial keys (parameters: run id, variant, twice), in no order (the window and
#: the sort that would order them in DuckDB take more of its memory than the keys in Python)
KEYS_SQL = (
    f"SELECT question_id, trial FROM ({latest_sql('question_id, trial', 't.run_id = ? AND t.variant = ?')})"
)


def ordered_keys(keys: list[tuple[str, int]], positions: Mapping[str, int] | None) -> list[tuple[str, int]]:
    """Trial keys by question id then trial, or with ``positions`` (question id -> its place in the
    run) in the run's question order then trial; questions without a place come last, ordered by
    their first trial, then id (as ``VariantRun.trials_by_question`` orders them)."""
    if positions is None:
        return sorted(keys)
    first: dict[str, int] = {}
    for q, t in keys:
        first[q] = min(first.get(q, t), t)
    return sorted(keys, key=lambda k: (k[0] not in positions, positions.get(k[0], 0), first[k[0]], k))


def page_sql(columns: Sequence[str] | None) -> str:
    """``columns`` of one run's variant's latest trials of some questions (parameters: run id, variant,
    question ids, twice), in no order."""
    where = "t.run_id = ? AND t.variant = ? AND t.question_id IN (SELECT unnest(?::VARCHAR[]))"
    return latest_sql(trial_columns(columns), where)


def trial_dicts(conn: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> list[dict[str, Any]]:
    """Every trial row of ``query`` (``trial_batches`` joined)."""
    return [t for batch in trial_batches(conn, query, params) for t in batch]


def trial_row(run_id: str, trial: Mapping[str, Any]) -> list[Any]:
    """The ``trials`` row for one trial mapping; ``ValueError`` names a missing or unknown field."""
    data = dict(trial)
    missing = [k for k in KEY_FIELDS if data.get(k) is None]
    if missing:
        raise ValueError(f"a trial needs {', '.join(KEY_FIELDS)}; missing {missing[0]!r}")
    unknown = sorted(set(data) - set(KEY_FIELDS) - set(TRIAL_FIELDS))
    if unknown:
        raise ValueError(f"unknown trial field {unknown[0]!r}; put extra data under 'extra'")
    if "result" in data:
        data["result"] = cap_result(data["result"])
    values: list[Any] = [run_id, str(data["variant"]), str(data["question_id"]), int(data["trial"])]
    for name in TRIAL_FIELDS:
        value = data.get(name)
        if name in JSON_FIELDS:
            value = dumps(value)
        elif name in ("started_at", "finished_at"):
            value = _timestamp(value)
        values.append(value)
    values.append(utcnow())
    return values
