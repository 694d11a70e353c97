"""``RunView``: one evaluation run as the dashboard shows it, and the small formatters of its cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.core import format as fmt
from workbench.evaluation.metrics import QuestionCounts, VariantMetrics, counts_by_question
from workbench.evaluation.run import EvalRun
from workbench.widgets._common import ERROR_COLOR, OK_COLOR

__all__ = ["RunView", "cell_color", "pct", "versus"]


@dataclass
class RunView:
    """What the dashboard shows of a run: ``eval_run.EvalRun`` (variants, trials, metrics) plus the golds."""

    run: EvalRun
    golds: dict[str, Any] = field(default_factory=dict)  # question id -> gold spec

    @classmethod
    def from_log(cls, run: Any) -> RunView:
        """From a ``runs.Run`` loaded from the experiment log."""
        return cls(EvalRun.from_run(run), {str(q["question_id"]): q.get("gold") for q in run.questions})

    @property
    def run_id(self) -> str | None:
        return self.run.run_id

    @property
    def variants(self) -> list[str]:
        return self.run.variant_names

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.run.questions

    @property
    def trials(self) -> list[dict[str, Any]]:
        return [t for v in self.run.variants for t in v.trials]

    @property
    def metrics(self) -> dict[str, VariantMetrics]:
        return {v.name: v.metrics for v in self.run.variants if v.metrics is not None}

    def counts(self) -> dict[tuple[str, str], QuestionCounts]:
        """``(question_id, variant) -> QuestionCounts(trials, correct)``."""
        return {
            (qid, v.name): counts
            for v in self.run.variants
            for qid, counts in counts_by_question(v.trials).items()
        }

    def cell_trials(self, question_id: str, variant: str) -> list[dict[str, Any]]:
        return self.run.variant(variant).trials_by_question().get(question_id, [])


def pct(x: float | None) -> str:
    return fmt.pct(x, missing="n/a")


def versus(c: Any) -> str:
    """A paired comparison as ``+12.5 pts [-3.0, +28.0], 3 wins / 1 loss``."""
    if c is None:
        return "<span style='color:#999'>baseline</span>"
    lo, hi = c.ci
    color = OK_COLOR if lo > 0 else ERROR_COLOR if hi < 0 else "#555"
    return (
        f"<span style='color:{color}'>{100 * c.difference:+.1f} pts</span> "
        f"<span style='color:#666'>{fmt.signed_ci(c.ci)}, {c.wins} wins / {c.losses} losses, "
        f"p={c.p_value:.2g}</span>"
    )


def cell_color(c: int, n: int) -> str:
    if n == 0:
        return "#eeeeee"
    return "#7fc97f" if c == n else "#f28e8e" if c == 0 else "#fdc86e"
