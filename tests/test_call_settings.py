"""Per-call settings for real servers: timeout and attempts (flag > variant > environment > default),
retry time apart from the answering attempt, a declared price, server pass-through parameters,
unknown prices and estimated tokens in the accounting, exit status and progress for CI."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

import httpx2
import pytest
from openai_wire import FakeEndpoint

from workbench.cli import main
from workbench.core.errors import ConfigError
from workbench.evaluation.accounting import estimated_share, total_cost
from workbench.evaluation.metrics import summarize
from workbench.evaluation.progress import ProgressLines, progress_callback
from workbench.llm.backends import backend_for, call_settings
from workbench.llm.client import ModelCall
from workbench.llm.runner import Backoff, Job, Result, run_calls
from workbench.prompt.variant import load_variant

REQUEST = {
    "model": "qwen2.5-coder-0.5b-instruct",
    "messages": [{"role": "user", "content": "x"}],
    "temperature": 0,
}


async def _hang(_request) -> None:
    await asyncio.sleep(30)


def _one(job: Job, **options) -> ModelCall:
    async def main() -> ModelCall:
        async with contextlib.aclosing(run_calls([job], **options)) as results:
            async for result in results:
                return result.call
        raise AssertionError("no result")

    return asyncio.run(main())


# --------------------------------------------------------------------------- timeout and attempts


def test_timeout_and_attempts_come_from_flag_then_variant_then_environment(monkeypatch) -> None:
    variant = load_variant("compact")
    assert call_settings(variant) == (60.0, 4)
    monkeypatch.setenv("WORKBENCH_TIMEOUT_S", "150")
    monkeypatch.setenv("WORKBENCH_MAX_ATTEMPTS", "2")
    assert call_settings(variant) == (150.0, 2)
    slow = variant.with_(timeout_s=120, max_attempts=1)
    assert call_settings(slow) == (120.0, 1)
    assert call_settings(slow, 90, 3) == (90.0, 3)
    backend = backend_for(slow)
    assert (backend.timeout_s, backend.max_attempts) == (120.0, 1)


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
def test_a_bad_environment_value_is_a_one_line_error(monkeypatch, value: str) -> None:
    monkeypatch.setenv("WORKBENCH_TIMEOUT_S", value)
    with pytest.raises(ConfigError, match=r"WORKBENCH_TIMEOUT_S=.*not a number of seconds"):
        call_settings(load_variant("compact"))


def test_the_backend_timeout_and_attempts_bound_each_call() -> None:
    endpoint = FakeEndpoint(httpx2, default=_hang, asynchronous=True)
    backend = endpoint.backend()
    backend.timeout_s = 0.05
    backend = backend.configured(max_attempts=2)
    call = _one(Job(REQUEST, backend), backoff=Backoff(sleep=lambda _s: asyncio.sleep(0)))
    assert call.attempts == 2 and len(endpoint.history) == 2
    assert call.error == "timeout: no answer within 0.05 s (gave up after 2 attempts)"


def test_latency_is_the_answering_attempts_and_retries_are_apart() -> None:
    """A first attempt that times out is time lost to retries, not the model's latency."""
    endpoint = FakeEndpoint(httpx2, _hang, "tool_call", asynchronous=True)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0.2)

    call = _one(
        Job(REQUEST, endpoint.backend()), timeout_s=0.3, backoff=Backoff(sleep=sleep, random=lambda: 1)
    )
    assert call.ok and call.attempts == 2
    assert call.retry_ms >= 450  # the 0.3 s timeout and the 0.2 s backoff
    assert call.latency_ms < 250  # the answer itself came at once
    hit = call.as_cache_hit(0.1, "now")
    assert hit.retry_ms == 0 and hit.attempts == 0


def test_ask_prints_model_calls_and_http_attempts() -> None:
    from workbench.cli import ask as ask_cli

    class Fake:  # an answer whose one call needed 3 HTTP attempts
        tokens_in, tokens_out, latency_ms, retry_ms, cost_usd = 693, 232, 1500.0, 61_000.0, None
        cache_hit = repaired = False
        tokens_estimated = True
        attempts = ("one model call",)
        http_attempts = 3

    line = ask_cli._usage_line(Fake())
    assert "1 model call, 3 HTTP attempts" in line and "61.0 s lost to retries" in line
    assert "(estimate" in line and "cost n/a" in line


# --------------------------------------------------------------------------- variant fields


def test_extra_body_reaches_the_request_and_is_recorded(small_dataset) -> None:
    from workbench.evaluation.evaluate import _params
    from workbench.prompt.render import Prompt

    variant = load_variant("compact").with_(extra_body={"cache_prompt": False, "top_k": 20})
    prompt = Prompt.load(variant, small_dataset)
    body = prompt.render("errors by service").body
    assert body["cache_prompt"] is False and body["top_k"] == 20
    assert body["model"] == "offline" and body["tools"]
    assert _params(prompt)["extra_body"] == {"cache_prompt": False, "top_k": 20}
    assert "extra_body" in variant.dump()
    assert variant.variant_hash != load_variant("compact").variant_hash


@pytest.mark.parametrize(
    "key",
    ["model", "messages", "tools", "response_format", "temperature", "base_url", "api_key", "extra_headers"],
)
def test_extra_body_cannot_replace_the_request_or_the_endpoint(key: str) -> None:
    with pytest.raises(ConfigError, match=f"extra_body: '{key}'"):
        load_variant("compact").with_(extra_body={key: "x"})


def test_new_fields_at_their_defaults_keep_old_variants_hash_and_yaml() -> None:
    variant = load_variant("compact")
    text = variant.dump()
    for key in ("text_query", "timeout_s", "max_attempts", "price", "extra_body"):
        assert f"{key}:" not in text
    assert variant.with_(text_query="reject").variant_hash != variant.variant_hash


def test_a_declared_price_is_used_and_zero_is_shown_as_declared(small_dataset) -> None:
    variant = load_variant("compact").with_(model="my-local-model", base_url="http://127.0.0.1:9/v1",
                                            price={"input": 0, "output": 0})  # fmt: skip
    assert backend_for(variant).price == (0.0, 0.0, 0.0)
    priced = variant.with_(price={"input": 2, "output": 8, "cached_input": 0.5})
    assert backend_for(priced).price == (2.0, 0.5, 8.0)
    assert backend_for(variant.with_(price=None)).price is None


# --------------------------------------------------------------------------- accounting


def _row(cost, *, error=None, tokens=100, estimated=False) -> dict:
    return {"question_id": "q", "correct": True, "cost_usd": cost, "error": error, "tokens_in": tokens,
            "extra": {"tokens_estimated": estimated}}  # fmt: skip


def test_an_unknown_price_is_never_summed_as_zero() -> None:
    assert total_cost([_row(0.01), _row(0.02)]) == pytest.approx(0.03)
    assert total_cost([_row(0.01), _row(None)]) is None
    assert total_cost([_row(0.01), _row(None, error="timeout", tokens=None)]) == pytest.approx(0.01)
    m = summarize([_row(None), _row(None)])
    assert m.cost_usd is None and m.cost_per_1k_questions is None
    assert m.to_dict()["cost_usd"] is None


def test_the_share_of_estimated_token_counts_is_kept() -> None:
    rows = [
        _row(0.0, estimated=True),
        _row(0.0),
        {**_row(0.0), "extra": json.dumps({"tokens_estimated": True})},
        _row(0.0),
    ]
    assert estimated_share(rows) == 0.5
    assert summarize(rows).tokens_estimated_share == 0.5


def test_the_eval_table_marks_estimates_and_unknown_cost() -> None:
    from workbench.evaluation.run import VariantRun
    from workbench.evaluation.text import metrics_table

    run = VariantRun("local", [_row(None, estimated=True), _row(None, estimated=True)])
    table = metrics_table([run])
    assert "(estimate)" in table and "n/a" in table and "$0" not in table


def test_a_cache_hit_of_an_unpriced_call_stays_unpriced() -> None:
    call = ModelCall("h", "m", {"choices": []}, 10.0, prompt_tokens=5, completion_tokens=1, cost_usd=None)
    assert call.as_cache_hit(0.1, "now").cost_usd is None
    assert ModelCall("h", "m", {}, 1.0, cost_usd=0.02).as_cache_hit(0.1, "now").cost_usd == 0.0


# --------------------------------------------------------------------------- exit status and progress


def test_ask_exits_1_without_a_usable_query(small_dataset_path, tmp_path, capsys) -> None:
    strict = tmp_path / "tiny.yaml"
    load_variant("compact").with_(name="tiny", max_tokens=1).save(strict)  # the answer is cut off
    code = main(["ask", "errors by service", "--prompt", str(strict), "--data", str(small_dataset_path),
                 "--no-cache", "--json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["spec"] is None and data["findings"]
    code = main(["ask", "errors by service", "--data", str(small_dataset_path), "--no-cache", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["http_attempts"] == 1


def test_eval_fails_under_an_accuracy_for_ci(small_dataset_path, tmp_path, capsys) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "questions:\n"
        "  - id: q1\n    question: how many events\n    gold: {calculations: [{op: COUNT}]}\n"
        "  - id: q2\n    question: errors by service\n"
        "    gold: {calculations: [{op: SUM, column: duration_ms}], breakdowns: [http.route]}\n"
    )
    base = ["eval", "--questions", str(questions), "--prompt", "compact", "--data", str(small_dataset_path),
            "--no-cache", "--json", "-"]  # fmt: skip
    assert main(base) == 0  # the default stays: exit 0 whatever the accuracy
    variant = json.loads(capsys.readouterr().out)["variants"][0]
    accuracy = variant["metrics"]["accuracy"]
    trial = variant["results"][0]["trials"][0]
    assert (trial["http_attempts"], trial["retry_ms"], trial["tokens_estimated"]) == ([1], 0.0, False)
    assert variant["metrics"]["retry_ms_total"] == 0 and variant["metrics"]["tokens_estimated_share"] == 0
    assert accuracy < 1
    assert main([*base, "--fail-under", str(accuracy)]) == 0
    capsys.readouterr()
    assert main([*base, "--fail-under", "1"]) == 1
    assert "below --fail-under 1" in capsys.readouterr().err
    assert main([*base, "--fail-on-errors"]) == 0
    assert main([*base, "--fail-under", "1.5"]) == 2


def test_progress_lines_every_interval_and_at_the_end() -> None:
    out, now = io.StringIO(), [0.0]
    lines = ProgressLines(every_s=30, stream=out, clock=lambda: now[0])
    ok = Result(Job(REQUEST, None), ModelCall("h", "m", {}, 1.0), 0)
    failed = Result(Job(REQUEST, None), ModelCall("h", "m", None, 1.0, error="timeout"), 1)
    for i in range(1, 11):
        now[0] = i * 10.0
        lines(i, 10, failed if i == 3 else ok)
    text = out.getvalue().splitlines()
    # timed from the first result (at 10 s): a line at 40 s, 70 s and the last result
    assert [line.split()[3] for line in text] == ["4/10", "7/10", "10/10"]
    assert text[0].endswith("30s elapsed, about 45s left")
    assert text[-1] == "workbench: model calls 10/10 (100%), 1 errors, 0 cached, 1m30s elapsed"
    assert isinstance(progress_callback("lines"), ProgressLines)


@pytest.mark.filterwarnings("ignore:unknown model")
def test_the_plan_marks_estimated_tokens_and_uses_a_declared_price(small_dataset) -> None:
    from workbench.evaluation.plan import plan_eval
    from workbench.evaluation.questions import Question
    from workbench.prompt.render import Prompt

    local = load_variant("compact").with_(
        model="qwen2.5-coder-1.5b-instruct", base_url="http://127.0.0.1:9/v1"
    )
    questions = [Question(id="q1", question="errors by service", gold={"calculations": [{"op": "COUNT"}]})]
    unknown = plan_eval(questions, [Prompt.load(local, small_dataset)])
    (v,) = unknown.variants
    assert v.tokens_estimated and v.max_usd is None and "prompt tokens (estimate)" in unknown.lines()[0]
    declared = plan_eval(
        questions, [Prompt.load(local.with_(price={"input": 0, "output": 0}), small_dataset)]
    )
    assert declared.max_usd == 0 and declared.lines()[0].endswith("free")
    paid = plan_eval(questions, [Prompt.load(local.with_(price={"input": 1, "output": 2}), small_dataset)])
    (p,) = paid.variants
    assert p.input_usd == pytest.approx(p.prompt_tokens / 1e6)
    assert p.max_output_usd == pytest.approx(1000 * 2 / 1e6)
    offline = plan_eval(questions, [Prompt.load(load_variant("compact"), small_dataset)])
    assert not offline.variants[0].tokens_estimated


def test_time_lost_to_retries_is_summed_apart_from_latency() -> None:
    from workbench.evaluation.run import VariantRun
    from workbench.evaluation.text import metrics_table

    rows = [
        {**_row(0.0), "latency_ms": 900.0, "extra": {"retry_ms": 61_000.0}},
        {**_row(0.0), "latency_ms": 800.0},
    ]
    m = summarize(rows)
    assert m.retry_ms_total == 61_000.0 and m.latency_ms_p95 < 1000
    assert "(+61.0 s lost to retries)" in metrics_table([VariantRun("local", rows)])


def test_an_answer_costs_nothing_for_a_failed_call_and_unknown_for_an_unpriced_one() -> None:
    from workbench.llm.modes import ParseOutcome
    from workbench.pipeline.answer import Answer
    from workbench.pipeline.judge import Attempt

    failed = ModelCall("h", "m", None, 1.0, error="timeout", attempts=4, retry_ms=5000.0)
    unpriced = ModelCall(
        "h", "m", {"choices": []}, 900.0, prompt_tokens=5, completion_tokens=1, cost_usd=None
    )

    def answer(*calls: ModelCall) -> Answer:
        return Answer("q", "v", "m", tuple(Attempt(c, ParseOutcome(None)) for c in calls))

    assert answer(failed).cost_usd == 0.0
    assert answer(unpriced).cost_usd is None and answer(failed, unpriced).cost_usd is None
    both = answer(failed, unpriced).to_dict()
    assert (both["attempts"], both["http_attempts"], both["retry_ms"], both["latency_ms"]) == (
        2,
        5,
        5000.0,
        901.0,
    )


def test_the_report_never_draws_an_unknown_cost_at_zero() -> None:
    from types import SimpleNamespace

    from workbench.report.html import _charts

    def column(label: str, cost: float | None) -> SimpleNamespace:
        rows = [{**_row(cost), "latency_ms": 500.0, "extra": {"tokens_estimated": True}}]
        return SimpleNamespace(label=label, metrics=summarize(rows))

    charts = _charts([column("paid", 0.02), column("local", None)])
    assert "cost per 1,000 questions" not in str(charts) and "(a price is unknown)" in str(charts)
    assert "cost per 1,000 questions" in str(_charts([column("paid", 0.02), column("other", 0.01)]))
