"""The eval plan: calls, exact prompt tokens and a money bound, computed before any model call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.prices import cost_usd
from workbench.evaluation.plan import plan_eval
from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def five():
    qs = load_question_set(REPO / "questions" / "core.yaml")
    return qs.select(ids=qs.ids[:5])


def test_tokens_are_the_rendered_requests_and_money_a_bound(small_dataset, five) -> None:
    prompt = Prompt.load(REPO / "prompts" / "compact.yaml", small_dataset).with_(model="gpt-4.1-mini")
    plan = plan_eval(five, [prompt], trials=3)
    (v,) = plan.variants
    rendered = [prompt.render(q.question) for q in five]
    assert (v.calls, v.max_calls) == (15, 15)
    assert v.prompt_tokens == 3 * sum(r.total_tokens for r in rendered)
    assert v.input_usd == pytest.approx(
        3 * sum(cost_usd("gpt-4.1-mini", r.total_tokens, 0) for r in rendered)
    )
    assert v.input_cached_usd <= v.input_usd
    assert v.max_output_tokens == 15 * prompt.variant.max_tokens
    assert plan.max_usd == pytest.approx(v.input_usd + cost_usd("gpt-4.1-mini", 0, v.max_output_tokens))
    assert not plan.free and "at most $" in plan.lines()[-1]


def test_repairs_and_unknown_prices(small_dataset, five) -> None:
    base = Prompt.load(REPO / "prompts" / "honeycomb.yaml", small_dataset)
    assert plan_eval(five, [base]).free
    repairing = base.with_(repair=True)
    assert plan_eval(five, [repairing], trials=2).variants[0].max_calls == 20
    with pytest.warns(UserWarning, match="unknown model"):
        unpriced = base.with_(model="my-local-llama")
    plan = plan_eval(five, [unpriced])
    assert plan.variants[0].input_usd is None and plan.max_usd is None
    assert "not in the price data" in plan.lines()[0] and "not bounded" in plan.lines()[-1]


def test_eval_plan_flag_calls_no_model(capsys, small_dataset_path, monkeypatch) -> None:
    import workbench.evaluation.evaluate as ev

    monkeypatch.setattr(ev, "evaluate", lambda *a, **k: pytest.fail("--plan must not evaluate"))
    args = ["eval", "--questions", str(REPO / "questions" / "core.yaml"), "--data", str(small_dataset_path),
            "--prompt", "compact", "--model", "gpt-4.1-mini", "--limit", "4", "--trials", "2", "--plan"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "compact (gpt-4.1-mini): 8 calls" in out and "at most $" in out
    assert main([*args, "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["calls"] == 8 and data["variants"][0]["model"] == "gpt-4.1-mini" and data["max_usd"] > 0


def test_with_trials_is_the_plan_for_that_many_trials(small_dataset, five) -> None:
    prompt = Prompt.load(REPO / "prompts" / "naive.yaml", small_dataset).with_(
        model="gpt-4.1-mini", repair=True
    )
    one, three = plan_eval(five, [prompt], 1), plan_eval(five, [prompt], 3)
    scaled = one.with_trials(3)
    a, b = scaled.variants[0], three.variants[0]
    assert (a.calls, a.max_calls, a.prompt_tokens, a.max_output_tokens) == (
        b.calls,
        b.max_calls,
        b.prompt_tokens,
        b.max_output_tokens,
    )
    assert a.max_usd == pytest.approx(b.max_usd) and scaled.trials == 3
    back = three.with_trials(2).variants[0]  # from 3 trials to 2: whole numbers stay exact
    assert (back.calls, back.prompt_tokens) == (2 * len(five), 2 * one.variants[0].prompt_tokens)


def test_a_priced_run_announces_its_plan_before_it_starts(capsys, small_dataset_path, monkeypatch) -> None:
    import workbench.evaluation.evaluate as ev
    from workbench.core.errors import WorkbenchError

    def stop(*args, **kwargs):
        raise WorkbenchError("stopped before any call", "this is a test")

    monkeypatch.setattr(ev, "evaluate", stop)
    args = ["eval", "--questions", str(REPO / "questions" / "core.yaml"), "--data", str(small_dataset_path),
            "--prompt", "compact", "--limit", "2"]  # fmt: skip
    assert main([*args, "--model", "gpt-4.1-mini"]) == 2
    err = capsys.readouterr().err
    assert err.index("workbench: this eval:") < err.index("stopped before any call")
    assert main(args) == 2  # the offline model: nothing to announce
    assert "this eval" not in capsys.readouterr().err
