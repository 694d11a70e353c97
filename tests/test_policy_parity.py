"""One judge-and-repair policy: the workbench, the runtime and evaluation send the same requests.

The same scripted answers (one that needs a repair, then a good one; a declined answer; a
failed call; a good first answer) go through the sync path (``pipeline.ask``), the async
driver, the runtime (``Assistant.ask`` / ``aask`` from an exported artifact) and an eval;
each must send the same request bodies and end with the same attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from _scripted_model import ScriptedModel

from workbench.core.findings import warning
from workbench.evaluation.evaluate import evaluate
from workbench.evaluation.questions import QuestionSet, load_question_set
from workbench.export.build import build_artifact, write_json
from workbench.llm.runner import Job, call, run_calls
from workbench.pipeline.answer import Answer
from workbench.pipeline.ask import ask
from workbench.pipeline.judge import Attempt
from workbench.pipeline.policy import RepairPolicy, adrive, drive, with_trial_seed
from workbench.prompt.render import Prompt
from workbench.runtime import Assistant
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
BAD = {"calculations": [{"op": "AVG", "column": "duration_msec"}], "time_range": 3600}  # unknown column
TRIALS = 2


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # example sets are found by name under the project's prompts/


@pytest.fixture(scope="module")
def questions() -> QuestionSet:
    core = load_question_set(REPO / "questions" / "core.yaml")
    return core.select(ids=core.ids[:4])


@pytest.fixture(scope="module")
def prompt(small_dataset) -> Prompt:
    # sampled, so trial 1 carries its own seed: the trial seeds must agree too
    return Prompt.load("honeycomb", small_dataset).with_(repair=True, temperature=0.7, seed=10)


def scripted(questions: QuestionSet) -> ScriptedModel:
    """Question 0 needs a repair, 1 is declined, 2 fails (HTTP 400), 3 is right the first time."""
    q = [item.question for item in questions]
    first = {q[0]: BAD, q[1]: "TEXT", q[2]: "FAIL", q[3]: questions[questions.ids[3]].gold}
    gold = {item.question: item.gold for item in questions}
    return ScriptedModel(lambda question, body: first[question], repair=lambda question, body: gold[question])


def sent(model: ScriptedModel) -> list[str]:
    """The request bodies the model received, canonical and in a stable order."""
    return sorted(json.dumps(body, sort_keys=True) for body in model.history)


def outcome(attempts: tuple[Attempt, ...] | list[Attempt], spec: Any) -> dict[str, Any]:
    final = attempts[-1]
    return {
        "attempts": len(attempts),
        "valid": [a.ok for a in attempts],
        "declined": final.declined,
        "failed": final.call.error is not None,
        "spec": spec,
    }


def test_sync_async_runtime_and_eval_send_the_same_requests(
    prompt, questions, small_dataset, tmp_path
) -> None:
    texts = [q.question for q in questions]

    models = [scripted(questions) for _ in range(TRIALS)]  # one per trial: what each trial sent
    answers = {
        (q, t): ask(q, prompt, dataset=small_dataset, trial=t, backend=models[t].backend(), execute=False)
        for t in range(TRIALS)
        for q in texts
    }
    workbench = {key: outcome(a.attempts, a.spec) for key, a in answers.items()}
    trial0_sent = sent(models[0])
    workbench_sent = sorted(trial0_sent + sent(models[1]))
    assert len(trial0_sent) == 5 and len(set(workbench_sent)) == 5 * TRIALS  # a repair for question 0 only
    assert [workbench[q, 0]["attempts"] for q in texts] == [2, 1, 1, 1]
    assert [workbench[q, 0]["valid"][-1] for q in texts] == [True, False, False, True]
    assert workbench[texts[1], 0]["declined"] and workbench[texts[2], 0]["failed"]

    # the async driver over the same policy
    model = scripted(questions)
    backend = model.backend()
    policy = RepairPolicy.for_variant(prompt.variant, prompt.schema)

    async def send(body: dict[str, Any]) -> Any:
        async with contextlib.aclosing(run_calls([Job(body, backend)])) as results:
            async for result in results:
                return result.call

    async def run_async() -> dict[tuple[str, int], dict[str, Any]]:
        out = {}
        for t in range(TRIALS):
            for q in texts:
                body = with_trial_seed(prompt.render(q).body, t, q)
                attempts = await adrive(policy.steps(body, q), send)
                answer = Answer(
                    question=q, variant=prompt.variant.name, model=prompt.variant.model, attempts=attempts
                )
                out[q, t] = outcome(attempts, answer.spec)
        return out

    async_out = asyncio.run(run_async())
    assert async_out == workbench
    assert sent(model) == workbench_sent

    # the runtime, from an exported artifact (trial 0: a service has no trials)
    assistant = Assistant.from_artifact(write_json(build_artifact(prompt, store=False), tmp_path / "a.json"))
    for method in ("ask", "aask"):
        model = scripted(questions)
        backend = model.backend()
        if method == "ask":
            got = {q: assistant.ask(q, client=backend) for q in texts}
        else:
            got = {q: asyncio.run(assistant.aask(q, client=backend)) for q in texts}
        assert {q: outcome(a.attempts, a.spec) for q, a in got.items()} == {q: workbench[q, 0] for q in texts}
        assert sent(model) == trial0_sent, method

    # evaluation: batched first calls, then the repairs, one policy run per trial
    model = scripted(questions)
    with RunStore(tmp_path / "runs.duckdb") as store:
        run = evaluate(questions, [prompt], dataset=small_dataset, trials=TRIALS, store=store,
                       backend=model.backend())  # fmt: skip
    assert sent(model) == workbench_sent
    by_text = {q.id: q.question for q in questions}
    for t in run.variants[0].trials:
        expected = workbench[by_text[t["question_id"]], t["trial"]]
        assert t["extra"]["attempts"] == expected["attempts"]
        assert t["semantic_valid"] == expected["valid"][-1] and t["spec"] == expected["spec"]
        assert t["extra"]["declined"] == expected["declined"] and bool(t["error"]) == expected["failed"]


def _calls(model: ScriptedModel) -> Any:
    backend = model.backend()
    return lambda body: call(body, backend=backend)


def test_extra_checks_and_repair_on_warnings(prompt, questions) -> None:
    """A check's warning leaves a valid answer alone by default; ``repair_on="warnings"`` repairs it."""
    q = questions[questions.ids[3]]
    body = prompt.render(q.question).body

    def nag(question: str, spec: Any, schema: Any) -> list[Any]:
        return [warning("nag", "a check that always has something to say")]

    model = ScriptedModel(lambda question, b: q.gold, repair=lambda question, b: q.gold)
    errors_only = RepairPolicy.for_variant(prompt.variant, prompt.schema, checks=[nag])
    (only,) = drive(errors_only.steps(body, q.question), _calls(model))
    assert only.ok and any(f.code == "nag" for f in only.findings) and len(model.history) == 1

    on_warnings = RepairPolicy.for_variant(prompt.variant, prompt.schema, checks=[nag], repair_on="warnings")
    first, second = drive(on_warnings.steps(body, q.question), _calls(model))
    assert first.ok and second.ok
    note = model.history[-1]["messages"][-1]["content"]
    assert "always has something to say" in note and "with warnings" in note

    silent = RepairPolicy.for_variant(prompt.variant, prompt.schema, checks=[], repair_on="warnings")
    (clean,) = drive(silent.steps(body, q.question), _calls(model))
    assert clean.ok and not clean.findings


def test_a_variant_opts_in_to_repairing_the_critics_warnings(prompt, questions) -> None:
    """``repair_on: warnings`` in the variant sends the critic's warning back; the default does not."""
    q = questions[questions.ids[3]]
    body = prompt.render(q.question).body
    wrong = {**q.gold, "time_range": 60}  # valid, but not the window the question asks for
    model = ScriptedModel(lambda question, b: wrong, repair=lambda question, b: q.gold)

    default = RepairPolicy.for_variant(prompt.variant.with_(repair=True), prompt.schema)
    assert default.repair_on == "errors"
    (only,) = drive(default.steps(body, q.question), _calls(model))
    assert only.ok and any(f.code.startswith("critic_") for f in only.findings)

    opted = RepairPolicy.for_variant(prompt.variant.with_(repair=True, repair_on="warnings"), prompt.schema)
    first, second = drive(opted.steps(body, q.question), _calls(model))
    assert any(f.code.startswith("critic_") for f in first.findings)
    assert second.ok and second.validation is not None
    assert "time" in model.history[-1]["messages"][-1]["content"]


def test_repair_on_round_trips_and_the_default_keeps_old_hashes(prompt) -> None:
    base = prompt.variant
    assert "repair_on" not in base.to_dict()
    opted = base.with_(repair_on="warnings")
    assert opted.to_dict()["repair_on"] == "warnings" and opted.variant_hash != base.variant_hash
    assert base.with_(repair_on="errors").variant_hash == base.variant_hash
