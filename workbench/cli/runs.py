"""``workbench runs`` (list, show) and ``workbench compare RUN RUN``: the experiment log from the shell."""

from __future__ import annotations

import argparse

from workbench.cli._common import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list recorded eval runs, or show one (`runs show RUN`)")
    p.add_argument("--json", action="store_true", help="print the runs as JSON")
    p.add_argument(
        "--store", metavar="PATH", help="the experiment log (default: runs/runs.duckdb in the home)"
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one run's metrics side by side (its eval JSON with --json)")
    show.add_argument("run", metavar="RUN", help="run id (or a unique prefix of one)")
    show.add_argument("--k", type=int, help="k of pass^k (default: the run's trials per question)")
    # SUPPRESS: given before or after `show`, these reach the same place
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                      help="print DESIGN.md's eval JSON of the run")  # fmt: skip
    show.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.set_defaults(func=run_runs)

    c = sub.add_parser(
        "compare", help="compare two runs: metrics side by side, per-question wins and losses",
        description="Variants are paired by content hash: a variant of the same name whose content differs "
        "is not compared (a warning says so), variants in one run only are listed; --pair picks pairs.",
    )  # fmt: skip
    c.add_argument("a", metavar="RUN", help="the baseline run id (or a unique prefix)")
    c.add_argument("b", metavar="RUN", help="the candidate run id (or a unique prefix)")
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c.add_argument("--pair", metavar="A:B", action="append", default=[],
                   help="compare variant A of the first run with variant B of the second (repeatable); "
                   "default: the variants with the same content (hash)")  # fmt: skip
    c.add_argument(
        "--store", metavar="PATH", help="the experiment log (default: runs/runs.duckdb in the home)"
    )
    c.set_defaults(func=run_compare)


def _store(args: argparse.Namespace):
    from workbench.store.runs import RunStore

    return RunStore(args.store)


def _load(store, ref: str, k: int | None = None):
    from workbench.evaluation.run import EvalRun

    run = EvalRun.from_run(store.load_run(ref))
    if k is not None:
        run.set_k(k)
    return run


def run_runs(args: argparse.Namespace) -> int:
    from workbench.evaluation.text import comparison_line, metrics_table, run_header, runs_table

    store = _store(args)
    if args.action != "show":
        summaries = store.list_runs()
        if args.json:
            print_json([s.to_dict() for s in summaries])
        else:
            print(runs_table(summaries))
        return 0
    run = _load(store, args.run, args.k)
    if args.json:
        print_json(run.to_dict())
        return 0
    print(run_header(run))
    print()
    print(metrics_table(run.variants, run.k))
    comparisons = run.comparisons()
    if comparisons:
        print()
        for name, c in comparisons.items():
            print(comparison_line(run.variants[0].name, name, c))
    _print_chains(store, args.run, args.k)
    return 0


def _print_chains(store, ref: str, k: int | None) -> None:
    """A conversation run (``eval --conversations``) also gets its chain table."""
    from workbench.cli._chains import chain_table
    from workbench.evaluation.chains import chain_eval_from_run

    chains = chain_eval_from_run(store.load_run(ref))
    if chains is not None:
        print("\nconversations (accuracy above is per turn):\n" + chain_table(chains, k))


def run_compare(args: argparse.Namespace) -> int:
    from workbench.evaluation.text import compare_runs

    store = _store(args)
    a, b = _load(store, args.a), _load(store, args.b)
    text, data = compare_runs(a, b, args.pair)
    note = engine_note(a.dataset, b.dataset)
    if note:
        text, data = f"{text}\n{note}", {**data, "engine_note": note}
    if args.json:
        print_json(data)
    else:
        print(text)
    return 0


def engine_of(dataset: dict | None) -> str:
    """The engine a run's recorded dataset ran on: the DSN's kind (``chdb``, ``clickhouse``,
    ``postgres``), else ``duckdb`` (a file path, or nothing recorded)."""
    from workbench.engines.base import is_dsn, parse_dsn

    path = str((dataset or {}).get("path") or "")
    return parse_dsn(path).kind if is_dsn(path) else "duckdb"


def engine_note(a: dict | None, b: dict | None) -> str | None:
    """A line saying that two runs ran on different engines (their results may differ for that), else None."""
    ea, eb = engine_of(a), engine_of(b)
    if ea == eb:
        return None
    where = [str((d or {}).get("path") or "the embedded dataset") for d in (a, b)]
    return f"note: the runs used different engines: {ea} ({where[0]}) vs {eb} ({where[1]})"
