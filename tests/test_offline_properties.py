"""The offline model's measured properties (issue 4), on the shipped question set through the real pipeline.

Each property is measured with ``evaluate()``: the shipped prompts, ``questions/core.yaml``, the
offline model behind the real ``openai`` client, validation, execution on the small dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.evaluation.evaluate import evaluate
from workbench.evaluation.questions import QuestionSet, load_question_set
from workbench.prompt.render import Prompt
from workbench.spec.query import parse_spec

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def core() -> QuestionSet:
    return load_question_set(REPO / "questions" / "core.yaml")


def _prompt(dataset, file: str, **changes) -> Prompt:
    p = Prompt.load(REPO / "prompts" / f"{file}.yaml", dataset)
    return p.with_(**changes) if changes else p


def _specs_by_question(variant) -> dict[str, set[str]]:
    return {
        q: {json.dumps(t["spec"], sort_keys=True) for t in ts}
        for q, ts in variant.trials_by_question().items()
    }


#: A team's own wording, which no instruction explains: only examples can teach it.
_TEAM_EXAMPLES = [
    {"question": "latency for mobile users", "query": {"calculations": [{"op": "P99", "column": "duration_ms"}],
        "filters": [{"column": "app.platform", "op": "in", "value": ["android", "ios"]}], "time_range": 1209600}},
    {"question": "orders per PSP over the past week", "query": {"calculations": [{"op": "COUNT"}],
        "breakdowns": ["app.payment.provider"], "time_range": 604800}},
]  # fmt: skip
_TEAM_QUESTIONS = {"questions": [
    {"id": "t1", "question": "revenue by PSP", "gold": {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}],
        "breakdowns": ["app.payment.provider"], "time_range": 1209600}},
    {"id": "t2", "question": "errors per PSP yesterday", "gold": {"calculations": [{"op": "COUNT"}],
        "filters": [{"column": "error", "op": "=", "value": True}], "breakdowns": ["app.payment.provider"],
        "start_time": 1795046400, "end_time": 1795132800}},
    {"id": "t3", "question": "p95 latency per PSP in the last day", "gold": {
        "calculations": [{"op": "P95", "column": "duration_ms"}], "breakdowns": ["app.payment.provider"], "time_range": 86400}},
    {"id": "t4", "question": "average order value by PSP", "gold": {
        "calculations": [{"op": "AVG", "column": "app.order.total_usd"}], "breakdowns": ["app.payment.provider"], "time_range": 1209600}},
]}  # fmt: skip


def test_accuracy_drops_without_the_examples(small_dataset) -> None:
    """Measured with evaluate(): examples that carry a team's wording raise accuracy; removing them lowers it.

    On questions/core.yaml the shipped examples currently add nothing for the offline model (it
    already reads everyday wording the way the default instructions teach): the README says so.
    """
    from workbench.prompt.examples import Example, ExampleSet

    team = QuestionSet.from_dict(_TEAM_QUESTIONS, name="team")
    examples = ExampleSet(
        name="team", examples=tuple(Example(e["question"], e["query"]) for e in _TEAM_EXAMPLES)
    )
    base = _prompt(small_dataset, "honeycomb")  # every active column: the taught ones are in the block
    with_examples = Prompt(base.variant.with_(name="team-examples", examples={"set": None, "selection": "all"}),
                           base.schema, examples)  # fmt: skip
    without = base.with_(name="no-examples", examples={"set": None})
    assert without.example_set is None and "## Examples" not in str(without.render("errors by service").body)
    run = evaluate(team, [with_examples, without], dataset=small_dataset, store=None)
    a, b = (v.metrics for v in run.variants)
    assert a.accuracy >= 0.75 and b.accuracy <= 0.25
    c = run.comparisons()["no-examples"]
    assert c.losses > c.wins


@pytest.mark.parametrize("column", ["app.platform", "http.route"])
def test_a_column_missing_from_the_schema_block_is_never_used(small_dataset, core, column) -> None:
    needing = core.select(ids=[q.id for q in core if column in q.gold_columns])
    assert len(needing) >= 5
    prompt = _prompt(small_dataset, "honeycomb", name="without-column", schema={"excluded": [column]})
    assert column not in prompt.render(needing.questions[0].question).compressed.kept
    run = evaluate(needing, [prompt], dataset=small_dataset, trials=2, store=None)
    trials = run.variants[0].trials
    assert len(trials) == 2 * len(needing)
    used = [t["question_id"] for t in trials if t["spec"] and column in parse_spec(t["spec"]).columns_used()]
    assert used == []
    # and the prompt with the column does use it: the exclusion, not the questions, made the difference
    control = evaluate(needing, [_prompt(small_dataset, "honeycomb")], dataset=small_dataset, store=None)
    assert any(
        t["spec"] and column in parse_spec(t["spec"]).columns_used() for t in control.variants[0].trials
    )


def test_temperature_zero_is_deterministic_across_trials(small_dataset, core) -> None:
    qs = core.select(ids=core.ids[:25])
    run = evaluate(qs, [_prompt(small_dataset, "honeycomb")], dataset=small_dataset, trials=3, store=None)
    specs = _specs_by_question(run.variants[0])
    assert len(specs) == 25 and all(len(s) == 1 for s in specs.values())
    m = run.variants[0].metrics
    assert m.pass_k == m.accuracy  # identical trials: all right or all wrong per question


def test_sampling_gives_differing_trials(small_dataset, core) -> None:
    qs = core.select(ids=core.ids[:25])
    prompt = _prompt(small_dataset, "honeycomb", name="sampled", temperature=1.0, seed=7)
    run = evaluate(qs, [prompt], dataset=small_dataset, trials=3, store=None)
    specs = _specs_by_question(run.variants[0])
    differing = [q for q, s in specs.items() if len(s) > 1]
    assert len(differing) >= 3
    m = run.variants[0].metrics
    assert m.pass_k < m.pass_at_k  # not the same verdict on every trial
    # reproducible: the same seeds give the same trials
    again = evaluate(qs, [prompt], dataset=small_dataset, trials=3, store=None)
    assert _specs_by_question(again.variants[0]) == specs
