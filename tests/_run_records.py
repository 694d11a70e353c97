"""A small hand-made eval run in an experiment log, for bundle and report tests.

Recorded with ``runs.RunStore`` directly (no model, no dataset): 3 questions x 2
variants x 3 trials with known correctness, latency, cost, specs and findings, so
tests can compare exact numbers. One failing trial carries HTML in its model output
to check escaping.
"""

from __future__ import annotations

from pathlib import Path

from workbench.evaluation.questions import Question, QuestionSet
from workbench.export.build import variant_yaml
from workbench.prompt.variant import load_variant
from workbench.store.runs import RunStore

QUESTIONS = QuestionSet(
    name="mini",
    questions=(
        Question("q1", "errors by service in the last hour",
                 {"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": True}],
                  "breakdowns": ["service.name"], "time_range": 3600}, tags=("count", "errors")),
        Question("q2", "p99 latency of checkout yesterday",
                 {"calculations": [{"op": "P99", "column": "duration_ms"}],
                  "filters": [{"column": "http.route", "op": "=", "value": "/api/checkout"}],
                  "start_time": 1795046400, "end_time": 1795132800}, tags=("latency",)),
        Question("q3", "how many android users today",
                 {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}],
                  "filters": [{"column": "app.platform", "op": "=", "value": "android"}],
                  "start_time": 1795132800, "end_time": 1795219200}),
    ),
)  # fmt: skip

#: (variant, question) -> correctness of trials 0, 1, 2
CORRECT = {
    ("naive", "q1"): (True, True, True),
    ("naive", "q2"): (True, False, True),
    ("naive", "q3"): (False, False, False),
    ("compact", "q1"): (True, True, True),
    ("compact", "q2"): (True, True, True),
    ("compact", "q3"): (True, False, True),
}
HOSTILE = '<script>alert("x")</script>'
BAD_SPEC = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "app.platform", "op": "=", "value": HOSTILE}],
}
BAD_FINDING = {
    "severity": "warning",
    "code": "value_not_in_domain",
    "message": f"{HOSTILE} is not a value of 'app.platform'",
    "path": "filters[0].value",
    "suggestion": "use 'android'",
}


def record_run(
    store_path: Path, *, name: str = "mini run", variants: tuple[str, ...] = ("naive", "compact")
) -> str:
    """Record the run in the log at ``store_path``; returns its id."""
    with RunStore(store_path) as store:
        run_id = store.create_run(
            name=name, questions=QUESTIONS, dataset_identity="test-dataset", trials_per_question=3,
            settings={"concurrency": 2},
        )  # fmt: skip
        for v in variants:
            variant = load_variant(v)
            store.add_variant(run_id, v, hash=variant.variant_hash, text=variant_yaml(variant), model=variant.model,
                              params={"temperature": variant.temperature})  # fmt: skip
            for qi, q in enumerate(QUESTIONS):
                for trial, correct in enumerate(CORRECT[(v, q.id)]):
                    spec = q.gold if correct else BAD_SPEC
                    store.record_trial(
                        run_id,
                        variant=v,
                        question_id=q.id,
                        trial=trial,
                        spec=spec,
                        findings=[] if correct else [BAD_FINDING],
                        sql=f'SELECT COUNT(*) FROM "events" -- {v} {q.id} {trial}',
                        result={"columns": ["COUNT"], "rows": [[qi + trial]]},
                        correct=correct,
                        outcome="correct" if correct else "wrong",
                        valid=True,
                        semantic_valid=correct,
                        repaired=False,
                        tokens_in=1000 + 100 * qi + (5000 if v == "naive" else 0),
                        tokens_out=40 + trial,
                        latency_ms=100.0 + 10 * qi + trial + (50 if v == "naive" else 0),
                        cost_usd=0.001 * (qi + 1) * (3 if v == "naive" else 1),
                        cache_hit=False,
                        started_at="2026-11-24T08:00:00Z",
                        finished_at="2026-11-24T08:00:01Z",
                    )
        store.finish_run(run_id)
    return run_id
