"""An eval's trials left in the experiment log: slim rows for the metrics, full trials read on demand.

A trial record read back from the log is about 9 KB of Python objects (findings with their
messages, the raw output, the SQL, the result), and the metrics read a few fields of it. So an
``EvalRun`` built from the log (``EvalRun.from_log``, what ``evaluate()`` returns for a logged
run) keeps per trial only :func:`slim_trial`'s record, and :class:`LoggedTrials` stands in for
the full trials: its length is known, the first access to an item reads them from the log (and
keeps them), and :meth:`LoggedTrials.by_question` streams them question by question for the eval
JSON, so that at no point does the eval hold every full trial.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from workbench.store.runs import RunStore

__all__ = ["SLIM_COLUMNS", "SLIM_RESULT_COLUMNS", "LoggedTrials", "slim_trial"]

#: the fields that ``metrics`` (summarize, by_tag, paired_comparison, counts), the eval's tables
#: and the CLI read of every trial, kept as they are
_FIELDS = (
    "variant", "question_id", "trial", "correct", "outcome", "valid", "semantic_valid", "repaired", "tokens_in",
    "tokens_out", "cached_tokens", "latency_ms", "cost_usd", "cache_hit", "error",
)  # fmt: skip
#: the keys of ``extra`` they read (``accounting``, the CLI's gold-failure warning)
_EXTRA = ("tokens_estimated", "retry_ms", "reference_errors")
#: the log's columns ``slim_trial`` reads, without and with ``results``
SLIM_COLUMNS = (*_FIELDS, "findings", "extra", "diff")
SLIM_RESULT_COLUMNS = (*SLIM_COLUMNS, "result", "spec")


def slim_trial(trial: Mapping[str, Any], *, results: bool) -> dict[str, Any]:
    """What the metrics and the eval's tables read of a trial record, with the same values.

    The findings keep their ``code`` and ``severity`` (``critic_metrics.critic_rate``), ``extra``
    its keys above and the severities of the first attempt's findings (``warning_repairs``), and
    a wrong trial its ``diff`` (the table's "wrong parts"). With ``results`` (more than one trial
    per question: ``confidence_auroc`` compares the results of a question's executed trials), an
    executed trial also keeps its ``result`` and ``spec``.
    """
    row = {key: trial[key] for key in _FIELDS if key in trial}
    findings = trial.get("findings")
    if findings is not None:
        row["findings"] = [_finding(f) for f in findings if isinstance(f, Mapping)]
    if "extra" in trial:
        row["extra"] = _extra(trial["extra"])
    if trial.get("outcome") == "wrong" and "diff" in trial:
        row["diff"] = trial["diff"]
    if results and trial.get("outcome") in ("correct", "wrong"):
        row["result"], row["spec"] = trial.get("result"), trial.get("spec")
    return row


def _finding(f: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": f.get("code"), "severity": f.get("severity")}


def _extra(extra: Any) -> Any:
    if not isinstance(extra, Mapping):
        return extra
    out = {key: extra[key] for key in _EXTRA if key in extra}
    attempts = extra.get("attempt_records")
    if isinstance(attempts, list) and attempts and isinstance(attempts[0], Mapping):
        first = attempts[0].get("findings") or ()
        out["attempt_records"] = [{"findings": [_finding(f) for f in first if isinstance(f, Mapping)]}]
    return out


class LoggedTrials(Sequence[dict[str, Any]]):
    """One variant's full trials in the experiment log, read from it on first access (then kept).

    In the log's order (question id, then trial), as ``Run.trials_for`` gives them. Reading needs
    the log: a log another process writes to at that moment gives the usual one-line "in use" error.
    """

    def __init__(self, store: RunStore, run_id: str, variant: str, count: int) -> None:
        self.store, self.run_id, self.variant = store, run_id, variant
        self._count = count
        self._trials: list[dict[str, Any]] | None = None

    @property
    def loaded(self) -> bool:
        """Whether the trials were read from the log (and are kept)."""
        return self._trials is not None

    def _load(self) -> list[dict[str, Any]]:
        if self._trials is None:
            batches = self.store.trial_batches(self.run_id, self.variant, question_order=False)
            self._trials = [t for batch in batches for t in batch]
        return self._trials

    def __len__(self) -> int:
        return self._count if self._trials is None else len(self._trials)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._load()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable like the list it stands for

    def __repr__(self) -> str:
        where = "loaded" if self.loaded else "in the log"
        return f"<LoggedTrials {self.variant!r} of run {self.run_id}: {len(self)} trials, {where}>"

    def by_question(self, columns: Sequence[str] | None = None) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(question id, its trials by trial index) in the run's question order, read from the log a
        batch at a time, one question's trials alive at once (the kept trials are not used); only
        ``columns`` of each trial (and its question id and trial index) when given."""
        batches = self.store.trial_batches(self.run_id, self.variant, columns=columns)
        with contextlib.closing(batches):
            current: str | None = None
            group: list[dict[str, Any]] = []
            for batch in batches:
                for t in batch:
                    q = str(t["question_id"])
                    if group and q != current:
                        yield str(current), group
                        group = []
                    current = q
                    group.append(t)
            if group:
                yield str(current), group
