"""``workbench eval``: run prompt variants over a question set, print the metrics side by side, write the JSON."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from workbench.cli._common import add_call_options, add_data_option, call_options
from workbench.core.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate prompt variants on a question set: accuracy, pass^k, validity, cost, latency",
        description="Run every question through every variant --trials times, record each trial in the "
        "experiment log, print the metrics side by side and the paired comparison against the first variant.",
    )
    p.add_argument("--questions", metavar="FILE", help="question set YAML (e.g. questions/core.yaml)")
    p.add_argument("--conversations", metavar="FILE",
                   help="a conversation set YAML (e.g. questions/conversations.yaml): chains of follow-up turns")  # fmt: skip
    p.add_argument("--context", choices=("both", "own", "gold"), default="both",
                   help="conversations: the current query of each turn is the model's own previous answer (own), "
                   "the previous gold (gold), or both (default; error propagation needs both)")  # fmt: skip
    p.add_argument("--prompt", metavar="FILE", action="append", default=[],
                   help="prompt variant file or name in prompts/; repeat to compare (the first is the baseline)")  # fmt: skip
    p.add_argument("--model", help="override every variant's model (e.g. offline, gpt-4.1-mini)")
    p.add_argument("--trials", type=int, help="trials per question (default 1; pass^k uses k = trials)")
    p.add_argument("--k", type=int, help="k of pass^k (default: --trials; at most --trials)")
    p.add_argument("--concurrency", type=int, default=8, help="model calls in flight at once (default 8)")
    p.add_argument("--json", metavar="OUT", help="write DESIGN.md's eval JSON to OUT ('-' = stdout)")
    add_data_option(p)
    p.add_argument(
        "--resume", metavar="RUN_ID", help="finish an interrupted run (its questions and variants)"
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    p.add_argument("--cache-unparsed", action="store_true",
                   help="also replay cached answers that failed to parse as the output mode expects")  # fmt: skip
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions (for quick looks)")
    p.add_argument("--name", help="a label for the run in `workbench runs`")
    add_call_options(p)
    p.add_argument("--fail-under", type=float, metavar="ACCURACY",
                   help="exit 1 when a variant's accuracy is below ACCURACY (0..1), for CI")  # fmt: skip
    p.add_argument("--fail-on-errors", action="store_true",
                   help="exit 1 when a model call failed in any trial (after its retries), for CI")  # fmt: skip
    p.add_argument("--plan", action="store_true",
                   help="print the calls, prompt tokens and cost bound of the eval, then stop (no model call)")  # fmt: skip
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    if args.trials is not None and args.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {args.trials}", "use --trials 1 or more")
    if args.concurrency < 1:
        raise ConfigError(
            f"--concurrency must be at least 1, got {args.concurrency}", "use --concurrency 1 or more"
        )
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {args.limit}", "use --limit 1 or more")
    if args.k is not None:
        trials = args.trials or 1
        if args.k < 1:
            raise ConfigError(f"--k must be at least 1, got {args.k}", "use --k 1 or more")
        if args.k > trials and not args.resume:
            raise ConfigError(f"--k {args.k} is larger than --trials {trials}: pass^k needs k <= trials",
                              f"use --trials {args.k} or --k {trials}")  # fmt: skip
    if args.fail_under is not None and not 0 <= args.fail_under <= 1:
        raise ConfigError(
            f"--fail-under is an accuracy from 0 to 1, got {args.fail_under:g}", "e.g. --fail-under 0.8"
        )
    call_options(args)
    if not args.resume:
        if not args.questions:
            raise ConfigError("no question set given", "add --questions FILE (e.g. questions/core.yaml)")
        if not args.prompt:
            raise ConfigError("no prompt variant given", "add --prompt FILE (repeat it to compare variants)")


def _questions(args: argparse.Namespace):
    from workbench.evaluation.questions import load_question_set

    if not args.questions:
        return None
    qs = load_question_set(args.questions)
    if args.limit is not None:
        qs = qs.select(ids=qs.ids[: args.limit])
    return qs


def _dataset(args: argparse.Namespace, store) -> object:
    """``--data``; on resume without it, the run's own dataset, unless the run came from a bundle
    (a bundle never chooses which local file is opened: ``--data`` is required, then checked)."""
    from workbench.dataset.source import open_dataset
    from workbench.evaluation.evaluate import check_resumable, is_imported

    if args.resume:
        recorded = store.load_run(args.resume, trials=False)
        check_resumable(recorded, bool(args.prompt), args.data is not None)
        path = recorded.summary.dataset_path
        if args.data is None and not is_imported(recorded) and path and Path(path).exists():
            return open_dataset(path)
    return open_dataset(args.data)


def _free(prompt) -> bool:
    """The variant's model costs nothing (the offline model, or a declared price of 0): no bill to announce."""
    from workbench.core.prices import cost_usd

    price = prompt.variant.price
    if price is not None:
        return price.input == price.output == 0
    return cost_usd(prompt.variant.model, 1_000, 1_000) == 0


def _cache(args: argparse.Namespace):
    if args.no_cache:
        return None
    from workbench.llm.cache import ResponseCache

    return ResponseCache(serve_unparsed=args.cache_unparsed)


def _resume_command(args: argparse.Namespace, run_id: object) -> str:
    resume = ["workbench", "eval", "--resume", str(run_id)]
    if args.data:
        resume += ["--data", args.data]
    return shlex.join(resume)


def run(args: argparse.Namespace) -> int:
    from workbench.evaluation.evaluate import EvalInterrupted, evaluate
    from workbench.evaluation.plan import plan_eval
    from workbench.evaluation.text import comparison_line, metrics_table, run_header
    from workbench.prompt.render import Prompt
    from workbench.store.runs import RunStore

    if args.conversations:
        from workbench.cli._chains import run_conversations

        return run_conversations(args)
    _check(args)
    questions = _questions(args)
    store = RunStore()
    try:
        dataset = _dataset(args, store)
        prompts = []
        for ref in args.prompt:
            prompt = Prompt.load(ref, dataset)
            prompts.append(prompt.with_(model=args.model) if args.model else prompt)
        if args.plan or (questions is not None and not all(_free(p) for p in prompts)):
            plan = plan_eval(questions, prompts, args.trials or 1)
            if args.plan:
                if args.json == "-":
                    print(json.dumps(plan.to_dict(), indent=2))
                else:
                    print("\n".join(plan.lines()))
                return 0
            print("workbench: this eval:\n  " + "\n  ".join(plan.lines()), file=sys.stderr)
        settings = {"limit": args.limit, "model_override": args.model, "argv": sys.argv[1:]}
        try:
            result = evaluate(
                questions, prompts, dataset=dataset, trials=args.trials, concurrency=args.concurrency,
                cache=_cache(args), store=store, run_id=args.resume,
                progress=True if sys.stderr.isatty() else "lines", name=args.name, settings=settings,
                timeout_s=args.timeout, max_attempts=args.max_attempts,
            )  # fmt: skip
        except EvalInterrupted as exc:
            print(
                f"workbench: interrupted: {exc.finished} of {exc.total} trials of run {exc.run_id} are recorded; "
                f"resume with: {_resume_command(args, exc.run_id)}",
                file=sys.stderr,
            )
            return 130
    finally:
        store.close()
    k = args.k or result.trials_per_question
    if k != result.k:
        result.set_k(k)
    if args.json == "-":
        result.write_json(sys.stdout)
        sys.stdout.write("\n")
        return _ci_status(args, result)
    print(run_header(result))
    print()
    print(metrics_table(result.variants, k))
    comparisons = result.comparisons()
    if comparisons:
        print()
        for name, c in comparisons.items():
            print(comparison_line(result.variants[0].name, name, c))
    failures = {t["question_id"] for v in result.variants for t in v.rows
                if (t.get("extra") or {}).get("reference_errors", {}).get("gold")}  # fmt: skip
    if failures:
        print(
            f"\nwarning: the gold query of {len(failures)} question(s) did not run: {', '.join(sorted(failures))}"
        )
    if result.n_errors:
        print(
            f"\nnote: {result.n_errors} trial(s) got no answer (transport errors: not counted as answers); "
            f"retry them with: {_resume_command(args, result.run_id)}"
        )
    if args.json:
        print(f"\nwrote {_write_json(Path(args.json), result)}")
    return _ci_status(args, result)


def _write_json(out: Path, result) -> Path:
    """Write the run's eval JSON to ``out`` as it is encoded, the trials streamed from the log."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        result.write_json(f)
        f.write("\n")
    return out


def _ci_status(args: argparse.Namespace, result) -> int:
    """0, or 1 with a line on stderr when ``--fail-under`` or ``--fail-on-errors`` is not met."""
    problems = []
    for v in result.variants:
        m = v.metrics
        if args.fail_under is not None and (m is None or m.accuracy < args.fail_under):
            accuracy = "no trials" if m is None else f"accuracy {m.accuracy:.3f}"
            problems.append(f"{v.name}: {accuracy} is below --fail-under {args.fail_under:g}")
        failed = sum(1 for t in v.rows if t.get("error"))
        if args.fail_on_errors and failed:
            problems.append(f"{v.name}: {failed} trial(s) with a failed model call (--fail-on-errors)")
    for line in problems:
        print(f"workbench: {line}", file=sys.stderr)
    return 1 if problems else 0
