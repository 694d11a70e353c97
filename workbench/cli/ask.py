"""``workbench ask QUESTION``: one question end to end, with its spec, findings, SQL, result and cost."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.cli._common import print_json, print_result_table
from workbench.core.errors import WorkbenchError
from workbench.core.format import money


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask one question: spec, findings, SQL, result, tokens, latency, cost")
    p.add_argument("question", help="the question in plain English, quoted")
    p.add_argument(
        "--prompt", default="compact", help="prompt variant file or name in prompts/ (default: compact)"
    )
    p.add_argument("--model", help="override the variant's model (e.g. offline, gpt-4.1-mini)")
    p.add_argument("--data", help="dataset: a .duckdb file, Parquet or CSV (default: the embedded telemetry)")
    p.add_argument("--trial", type=int, default=0, help="trial index (a new index is a new, uncached call)")
    p.add_argument(
        "--samples",
        type=int,
        default=1,
        metavar="K",
        help="ask K times (trials TRIAL..TRIAL+K-1) and report how many executed results agree: a confidence "
        "score (meaningful at temperature > 0; at 0 the samples are identical)",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
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
    answers = [
        ask(args.question, prompt, dataset=dataset, trial=args.trial + i, cache=not args.no_cache)
        for i in range(args.samples)
    ]
    answer, confidence = answers[0], _agreement(answers) if args.samples > 1 else None
    if args.json:
        out = answer.to_dict()
        if confidence is not None:
            out |= {"samples": args.samples, "agreement": confidence}
        print_json(out)
        return 0
    print(f"question: {answer.question}")
    print(f"variant:  {answer.variant} (model {answer.model})")
    if answer.spec is not None:
        print("query:    " + json.dumps(answer.spec))
        _print_readback(answer, dataset)
    elif answer.message:
        print(f"model:    {answer.message}")
    _print_findings(answer.findings)
    if answer.sql:
        print("sql:\n" + answer.sql)
    if answer.result is not None:
        print_result_table(answer.result.columns, answer.result.rows)
    cost = money(answer.cost_usd)
    hit = " (cache hit)" if answer.cache_hit else ""
    repaired = ", repaired" if answer.repaired else ""
    print(
        f"tokens:   {answer.tokens_in} in / {answer.tokens_out} out; latency {answer.latency_ms:.1f} ms{hit}; "
        f"cost {cost}; {len(answer.attempts)} attempt(s){repaired}"
    )
    if confidence is not None:
        print(f"agreement: {confidence:.2f} of {args.samples} samples give the most common result")
    return 0


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
