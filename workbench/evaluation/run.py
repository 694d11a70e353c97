"""The result of an eval: per variant its trials and metrics, the comparisons, and DESIGN.md's JSON.

An :class:`EvalRun` is built from trial records, either the ones an ``evaluate()``
call just produced or a run loaded from the experiment log
(:meth:`EvalRun.from_run`), so ``workbench eval``, ``workbench runs show`` and
``workbench compare`` all read the same object. Metrics are computed lazily
from the trials with ``workbench.evaluation.metrics``. A run built from the log with
:meth:`EvalRun.from_log` (what ``evaluate()`` returns for a logged run) keeps per trial only what
the metrics read (``logged.slim_trial``): its ``trials`` are read from the log on first access and
:meth:`EvalRun.write_json` streams them into the JSON, so the eval never holds every full trial.

Per trial, ``valid`` means the model gave a spec that passes Honeycomb's structural
rules (what ``valid_rate`` counts), ``semantic_valid`` that it also passed the checks
against the dataset and was executed, ``correct`` that its result equals the gold's or
an accepted alternative's, and ``outcome`` is ``matching.classify``'s class.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from workbench.core.errors import ConfigError
from workbench.evaluation.logged import SLIM_COLUMNS, SLIM_RESULT_COLUMNS, LoggedTrials, slim_trial
from workbench.evaluation.metrics import (
    PairedComparison,
    VariantMetrics,
    by_tag,
    counts_by_question,
    paired_comparison,
    summarize,
)
from workbench.evaluation.streamed_json import Streamed, dump_streamed

if TYPE_CHECKING:
    from workbench.store.runs import RunStore

__all__ = ["DESIGN_METRICS", "DESIGN_TRIAL", "EvalRun", "RecallSummary", "VariantRun", "recall_dict"]

#: the metric keys DESIGN.md's eval JSON promises, in its order.
DESIGN_METRICS = (
    "accuracy", "pass_k", "k", "valid_rate", "n_questions", "tokens_in_mean", "tokens_out_mean", "cost_usd",
    "latency_ms_p50", "latency_ms_p95",
)  # fmt: skip
#: the per-trial keys DESIGN.md's eval JSON promises.
DESIGN_TRIAL = ("correct", "valid", "findings", "spec", "latency_ms", "tokens_in", "tokens_out")
#: further per-trial keys written beside them.
_TRIAL_EXTRA = (
    "trial", "outcome", "semantic_valid", "repaired", "cost_usd", "cache_hit", "sql", "diff", "error",
)  # fmt: skip
#: the log's columns ``_trial_dict`` reads
_RESULT_COLUMNS = (*DESIGN_TRIAL, *_TRIAL_EXTRA, "extra")


@dataclass
class VariantRun:
    """One variant of a run: what it was, and its trials (experiment-log records).

    ``trials`` is a list, or a ``LoggedTrials`` read from the log on first access; ``metric_rows``,
    when set, are the slim records (``logged.slim_trial``) the metrics read instead of the trials.
    """

    name: str
    trials: Sequence[dict[str, Any]]
    hash: str | None = None
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    k: int | None = None
    recall: Any = None  # compress.RecallReport at eval time, a RecallSummary when loaded from the log
    metric_rows: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def rows(self) -> Sequence[dict[str, Any]]:
        """What the metrics, tables and counts read: ``metric_rows``, else the trials themselves."""
        return self.trials if self.metric_rows is None else self.metric_rows

    @property
    def effective_k(self) -> int | None:
        """``k``, lowered to the fewest trials of any question when the run is incomplete."""
        counts = counts_by_question(self.rows)
        if not counts:
            return None
        fewest = min(c.trials for c in counts.values())
        return fewest if self.k is None else min(self.k, fewest)

    @cached_property
    def metrics(self) -> VariantMetrics | None:
        """``metrics.summarize`` over the trials (None before any trial finished)."""
        if not self.rows:
            return None
        return summarize(self.rows, k=self.effective_k)

    def by_tag(self, tags: Mapping[str, Sequence[str]]) -> dict[str, VariantMetrics]:
        return by_tag(self.rows, tags, k=self.effective_k) if self.rows else {}

    def trials_by_question(self, order: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
        """Question id -> its trials by trial index, questions in ``order`` first (then as seen)."""
        out: dict[str, list[dict[str, Any]]] = {q: [] for q in order}
        for t in sorted(self.trials, key=lambda t: int(t["trial"])):
            out.setdefault(str(t["question_id"]), []).append(t)
        return {q: ts for q, ts in out.items() if ts}

    def results(self, order: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """DESIGN.md's per-question results (``{"id", "trials"}``), as ``trials_by_question(order)``;
        trials still in the log are read question by question (in the run's question order)."""
        if isinstance(self.trials, LoggedTrials) and not self.trials.loaded:
            groups: Any = self.trials.by_question(_RESULT_COLUMNS)
        else:
            groups = self.trials_by_question(order).items()
        for q, ts in groups:
            yield {"id": q, "trials": [_trial_dict(t) for t in ts]}


@dataclass
class EvalRun:
    """A finished (or interrupted) eval: variants, questions, metrics and comparisons.

    Example:
        >>> run = evaluate("questions/core.yaml", ["compact", "naive"], trials=3)  # doctest: +SKIP
        >>> run.variant("compact").metrics.pass_k, run.comparisons()["naive"].difference  # doctest: +SKIP
    """

    run_id: str | None
    variants: list[VariantRun]
    questions: list[dict[str, Any]]  # id, question, tags (in set order)
    trials_per_question: int
    k: int
    question_set: dict[str, Any] = field(default_factory=dict)  # name, hash, path
    dataset: dict[str, Any] = field(default_factory=dict)  # identity, path
    status: str = "finished"
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    created_at: str | None = None

    # ----------------------------------------------------------------- access

    @property
    def variant_names(self) -> list[str]:
        return [v.name for v in self.variants]

    def variant(self, name: str) -> VariantRun:
        for v in self.variants:
            if v.name == name:
                return v
        raise ConfigError(f"run {self.run_id} has no variant {name!r}", f"use one of {self.variant_names}")

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        return {q["id"]: tuple(q.get("tags") or ()) for q in self.questions}

    @property
    def question_ids(self) -> list[str]:
        return [q["id"] for q in self.questions]

    @property
    def n_trials(self) -> int:
        return sum(len(v.rows) for v in self.variants)

    @property
    def n_errors(self) -> int:
        """Trials whose model call failed in transport (outcome ``error``): a resume retries them."""
        return sum(t.get("outcome") == "error" for v in self.variants for t in v.rows)

    @property
    def expected_trials(self) -> int:
        return len(self.questions) * self.trials_per_question * len(self.variants)

    @property
    def complete(self) -> bool:
        return self.n_trials >= self.expected_trials

    def set_k(self, k: int) -> None:
        """Use ``k`` for pass^k (at most the trials per question)."""
        if not 1 <= k <= self.trials_per_question:
            raise ConfigError(
                f"k={k} is not between 1 and the run's {self.trials_per_question} trials per question",
                f"use k <= {self.trials_per_question}",
            )
        self.k = k
        for v in self.variants:
            v.k = k
            v.__dict__.pop("metrics", None)  # recomputed with the new k

    def comparisons(self, baseline: str | None = None) -> dict[str, PairedComparison]:
        """Each other variant against ``baseline`` (default: the first): candidate name -> comparison."""
        if not self.variants:
            return {}
        base = self.variant(baseline) if baseline else self.variants[0]
        out = {}
        for v in self.variants:
            if v is base or not v.rows or not base.rows:
                continue
            try:
                out[v.name] = paired_comparison(base.rows, v.rows)
            except ValueError:  # no question in common (an interrupted run)
                continue
        return out

    def frame(self) -> Any:
        """Every trial of every variant as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([t for v in self.variants for t in v.trials])

    # ----------------------------------------------------------------- building

    @classmethod
    def from_run(cls, run: Any, *, k: int | None = None) -> EvalRun:
        """An EvalRun from a ``runs.Run`` loaded from the experiment log."""
        s = run.summary
        k = k or s.trials_per_question
        variants = [
            VariantRun(
                name=v["variant"],
                trials=run.trials_for(v["variant"]),
                hash=v.get("variant_hash"),
                model=v.get("model"),
                params=dict(v.get("params") or {}),
                text=v.get("variant_text"),
                k=k,
                recall=RecallSummary.from_dict(v.get("column_recall")),
            )
            for v in run.variants
        ]
        questions = [
            {"id": q["question_id"], "question": q["question"], "tags": list(q.get("tags") or ())}
            for q in run.questions
        ]
        settings = dict(s.settings or {})
        return cls(
            run_id=s.run_id,
            variants=variants,
            questions=questions,
            trials_per_question=s.trials_per_question,
            k=k,
            question_set={
                "name": s.question_set_name,
                "hash": s.question_set_hash,
                "path": s.question_set_path,
            },
            dataset={"identity": s.dataset_identity, "path": s.dataset_path},
            status=s.status,
            settings=settings,
            created_at=s.created_at.isoformat() if s.created_at else None,
        )

    @classmethod
    def from_log(cls, store: RunStore, run_id: str, *, k: int | None = None) -> EvalRun:
        """``from_run`` of a logged run, holding per trial only what the metrics read: each variant's
        ``trials`` are a ``LoggedTrials`` (read from the log on first access) and its ``metric_rows``
        the slim records, read a batch at a time; ``write_json`` streams the trials."""
        recorded = store.load_run(run_id, trials=False)
        run = cls.from_run(recorded, k=k)
        results = run.trials_per_question > 1  # confidence_auroc compares a question's results
        for v in run.variants:
            columns = SLIM_RESULT_COLUMNS if results else SLIM_COLUMNS
            batches = store.trial_batches(recorded.run_id, v.name, columns=columns, question_order=False)
            v.metric_rows = [slim_trial(t, results=results) for batch in batches for t in batch]
            v.trials = LoggedTrials(store, recorded.run_id, v.name, len(v.metric_rows))
        return run

    # ----------------------------------------------------------------- JSON

    def to_dict(self, *, per_tag: bool = True) -> dict[str, Any]:
        """DESIGN.md's eval JSON (``{"variants": [{"name", "metrics", "results"}]}``) plus run details."""
        return self._document(per_tag, lambda v: list(v.results(self.question_ids)))

    def write_json(self, file: TextIO) -> None:
        """Write ``json.dump(self.to_dict(), file, indent=2, default=str)``'s exact text, each variant's
        results encoded question by question as they are read (from the log for ``from_log``)."""
        dump_streamed(self._document(True, lambda v: Streamed(v.results(self.question_ids))), file)

    def _document(self, per_tag: bool, results: Any) -> dict[str, Any]:
        comparisons = self.comparisons()
        variants = []
        for v in self.variants:
            m = v.metrics
            entry: dict[str, Any] = {
                "name": v.name,
                "metrics": _metrics_dict(m),
                "results": results(v),
                "hash": v.hash,
                "model": v.model,
                "params": v.params,
            }
            if per_tag:
                entry["by_tag"] = {
                    tag: _metrics_dict(tm, brief=True) for tag, tm in v.by_tag(self.tags).items()
                }
            if v.recall is not None:
                entry["column_recall"] = recall_dict(v.recall)
            if v.name in comparisons:
                entry["comparison"] = {"baseline": self.variants[0].name, **comparisons[v.name].to_dict()}
            variants.append(entry)
        return {
            "variants": variants,
            "run_id": self.run_id,
            "status": self.status,
            "complete": self.complete,
            "n_errors": self.n_errors,
            "question_set": {**self.question_set, "n_questions": len(self.questions)},
            "dataset": self.dataset,
            "trials": self.trials_per_question,
            "k": self.k,
            "settings": self.settings,
            "timings": {key: round(value, 3) for key, value in self.timings.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def __repr__(self) -> str:
        parts = []
        for v in self.variants:
            m = v.metrics
            parts.append(
                f"{v.name}: "
                + ("no trials" if m is None else f"accuracy {m.accuracy:.3f}, pass^{m.k} {m.pass_k:.3f}")
            )
        return f"<EvalRun {self.run_id} {self.status}; " + "; ".join(parts) + ">"


def _metrics_dict(m: VariantMetrics | None, *, brief: bool = False) -> dict[str, Any] | None:
    if m is None:
        return None
    data = m.to_dict()
    if brief:
        keys = ("accuracy", "pass_k", "k", "valid_rate", "n_questions", "n_trials")
        return {key: data[key] for key in keys}
    ordered = {key: data[key] for key in DESIGN_METRICS}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    return ordered


def _trial_dict(t: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "correct": bool(t.get("correct")),
        "valid": bool(t.get("valid")),
        "findings": list(t.get("findings") or []),
        "spec": t.get("spec"),
        "latency_ms": t.get("latency_ms"),
        "tokens_in": t.get("tokens_in"),
        "tokens_out": t.get("tokens_out"),
    }
    for key in _TRIAL_EXTRA:
        out[key] = t.get(key)
    extra = t.get("extra")
    extra = json.loads(extra) if isinstance(extra, str) else extra
    if isinstance(extra, dict):  # per call: HTTP attempts, time lost to retries, estimated token counts
        out |= {k: extra[k] for k in ("http_attempts", "retry_ms", "tokens_estimated") if k in extra}
    return out


@dataclass(frozen=True)
class RecallSummary:
    """Column recall as stored with a run (the part of ``compress.RecallReport`` the reports show)."""

    recall: float
    mean_question_recall: float
    n_gold: int
    n_missed: int
    misses: dict[str, int]
    mean_tokens: float

    @classmethod
    def from_dict(cls, data: Any) -> RecallSummary | None:
        """The stored JSON back (None when the run recorded none, or it is not a recall record)."""
        if not isinstance(data, Mapping):
            return None
        try:
            return cls(float(data["recall"]), float(data["mean_question_recall"]), int(data["n_gold"]),
                       int(data["n_missed"]), {str(k): int(n) for k, n in dict(data.get("misses") or {}).items()},
                       float(data["mean_tokens"]))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None


def recall_dict(report: Any) -> dict[str, Any]:
    """A ``RecallReport`` (or ``RecallSummary``) as the JSON stored with a run and shown in the eval JSON."""
    return {
        "recall": report.recall,
        "mean_question_recall": report.mean_question_recall,
        "n_gold": report.n_gold,
        "n_missed": report.n_missed,
        "misses": dict(report.misses),
        "mean_tokens": report.mean_tokens,
    }
