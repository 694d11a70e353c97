"""``workbench ask QUESTION``: one question end to end, with its spec, findings, SQL, result and cost."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.cli._common import (
    add_call_options,
    add_data_option,
    call_options,
    print_json,
    print_result_table,
    read_spec_file,
)
from workbench.core.errors import WorkbenchError
from workbench.core.format import money


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask one question: spec, findings, SQL, result, tokens, latency, cost")
    p.add_argument("question", help="the question in plain English, quoted")
    p.add_argument(
        "--prompt", default="compact", help="prompt variant file or name in prompts/ (default: compact)"
    )
    p.add_argument("--model", help="override the variant's model (e.g. offline, gpt-4.1-mini)")
    add_data_option(p)
    p.add_argument("--trial", type=int, default=0, help="trial index (a new index is a new, uncached call)")
    p.add_argument(
        "--samples",
        type=int,
        default=1,
        metavar="K",
        help="ask K times (trials TRIAL..TRIAL+K-1) and report how many executed results agree: a confidence "
        "score (meaningful at temperature > 0; at 0 the samples are identical)",
    )
    p.add_argument(
        "--current",
        metavar="SPEC_FILE",
        help="a query spec (JSON) the question follows up on: shown to the model, and the answer shows "
        "what changed against it",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    add_call_options(p)
    p.add_argument("--json", action="store_true", help="print DESIGN.md's ask JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.core.question import checked_question
    from workbench.dataset.source import open_dataset
    from workbench.pipeline.ask import ask
    from workbench.prompt.render import Prompt

    checked_question(args.question)  # empty or overlong: refused before the dataset or a model is touched
    dataset = open_dataset(args.data)
    prompt = Prompt.load(args.prompt, dataset)
    if args.model:
        prompt = prompt.with_(model=args.model)
    if args.samples < 1:
        raise WorkbenchError(f"--samples must be at least 1, not {args.samples}", "give a positive count")
    timeout_s, max_attempts = call_options(args)
    current = read_spec_file(args.current) if args.current else None
    answers = [
        ask(args.question, prompt, dataset=dataset, trial=args.trial + i, cache=not args.no_cache,
            timeout_s=timeout_s, max_attempts=max_attempts, current=current)
        for i in range(args.samples)
    ]  # fmt: skip
    answer, confidence = answers[0], _agreement(answers) if args.samples > 1 else None
    status = 0 if answer.valid else 1  # no usable query: a script or CI step must see it
    if args.json:
        out = answer.to_dict()
        if confidence is not None:
            out |= {"samples": args.samples, "agreement": confidence}
        if current is not None:
            out |= {"current": current, "diff": _diff(current, answer, dataset)}
        print_json(out)
        return status
    print(f"question: {answer.question}")
    print(f"variant:  {answer.variant} (model {answer.model})")
    if answer.spec is not None:
        print("query:    " + json.dumps(answer.spec))
        _print_readback(answer, dataset)
        if current is not None and answer.valid:
            print_change(current, answer.spec, dataset.schema().now_epoch)
    elif answer.message:
        print(f"model:    {answer.message}")
    _print_findings(answer.findings)
    if answer.sql:
        print("sql:\n" + answer.sql)
    if answer.result is not None:
        print_result_table(answer.result.columns, answer.result.rows)
    print(_usage_line(answer))
    if confidence is not None:
        print(f"agreement: {confidence:.2f} of {args.samples} samples give the most common result")
    return status


def _usage_line(answer: Any) -> str:
    """Tokens (marked when estimated), latency (retries apart), cost, model calls and HTTP attempts."""
    estimate = " (estimate: the server reported no usage)" if answer.tokens_estimated else ""
    hit = " (cache hit)" if answer.cache_hit else ""
    lost = f" + {answer.retry_ms / 1000:.1f} s lost to retries" if answer.retry_ms >= 1 else ""
    calls = len(answer.attempts)
    tries = f", {answer.http_attempts} HTTP attempts" if answer.http_attempts > calls else ""
    repaired = ", repaired" if answer.repaired else ""
    return (
        f"tokens:   {answer.tokens_in} in / {answer.tokens_out} out{estimate}; latency "
        f"{answer.latency_ms:.1f} ms{lost}{hit}; cost {money(answer.cost_usd)}; "
        f"{calls} model call{'s' if calls > 1 else ''}{tries}{repaired}"
    )


def _diff(current: dict[str, Any], answer: Any, dataset: Any) -> dict[str, Any] | None:
    from workbench.spec.diff import spec_diff

    if not answer.valid or answer.spec is None:
        return None
    return spec_diff(current, answer.spec, dataset.schema().now_epoch).to_dict()


def print_change(current: Any, spec: Any, now: int) -> None:
    """What a follow-up changed against the current query (``spec.diff``), one line per change."""
    from workbench.spec.diff import spec_diff

    lines = spec_diff(current, spec, now).lines()
    print("changed:  " + (lines[0] if lines else "nothing"))
    for line in lines[1:]:
        print(f"          {line}")


def _agreement(answers: list[Any]) -> float:
    """The share of the samples whose executed results equal the most common one (self-consistency)."""
    from workbench.critic import agreement
    from workbench.spec.matching import spec_is_ordered

    ordered = any(a.spec is not None and spec_is_ordered(a.spec) for a in answers)
    return agreement([a.result.to_dict() if a.result is not None else None for a in answers], ordered=ordered)


def _print_readback(answer: Any, dataset: Any) -> None:
    """What ran, as a person reads it: one line, then Honeycomb's query builder (only for a valid spec)."""
    from workbench.spec.readback import builder_text, readback

    if not answer.valid:
        return
    now = dataset.schema().now_epoch
    print(f"readback: {readback(answer.spec, now)}")
    for line in builder_text(answer.spec, now).splitlines():
        print(f"  {line}")


def _print_findings(findings: Any) -> None:
    """Validation findings, then the critic's warnings under their own heading (both with suggestions)."""
    from workbench.critic import is_critic_finding

    checks = [f for f in findings if not is_critic_finding(f.code)]
    critic = [f for f in findings if is_critic_finding(f.code)]
    if not findings:
        print("findings: none")
    for f in checks:
        print(f"  {f}")
    if critic:
        print("critic:   the query may answer a different question")
        for f in critic:
            print(f"  {f.code}: {f}")
