"""``workbench questions check FILE``: is this question set fit to measure with?

It validates and runs every gold and accepted spec on the dataset, and looks for questions
that (nearly) appear in the few-shot example sets or twice in the set (see
``workbench.evaluation.check``). Exit 0 when the check ran and found no error, 1 when it found
errors (so CI can gate on it), 2 on bad input.
"""

from __future__ import annotations

import argparse

from workbench.cli._common import add_data_option, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "questions", help="check a question set: golds that fail or prove nothing, leaks"
    )
    verbs = parser.add_subparsers(dest="questions_verb", metavar="ACTION")
    verbs.required = True
    check = verbs.add_parser(
        "check",
        help="validate and run every gold; find empty golds and questions leaked into example sets",
        description="Check a question set before trusting an eval on it: golds that do not validate or run, "
        "golds whose answer is empty or zero (a wrong query that matches nothing would count as correct), "
        "questions that nearly appear in a few-shot example set, and near-duplicates within the set. "
        "Exit 0: no error found; 1: errors found; 2: bad input.",
    )
    check.add_argument("file", metavar="FILE",
                       help="question set or conversation set YAML (e.g. questions/core.yaml, or core, or conversations)")  # fmt: skip
    add_data_option(check)
    check.add_argument("--examples", action="append", default=None, metavar="SET",
                       help="example set (name or file) to check for leaks; repeat it (default: every set in prompts/examples)")  # fmt: skip
    check.add_argument("--no-run", action="store_true", help="validate only; do not execute the golds")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from workbench.dataset.source import open_dataset
    from workbench.evaluation.check import check_question_set, load_offline_cases
    from workbench.evaluation.conversations import (
        check_conversation_set,
        is_conversation_file,
        load_conversation_set,
    )
    from workbench.evaluation.questions import load_question_set
    from workbench.prompt.examples import available_example_sets, load_example_set

    names = args.examples if args.examples is not None else available_example_sets()
    example_sets = [load_example_set(name) for name in names]
    cases = load_offline_cases()
    if is_conversation_file(args.file):  # a conversation set: every turn is screened like a question
        chains = load_conversation_set(args.file)
        report = check_conversation_set(
            chains, open_dataset(args.data), example_sets, run=not args.no_run, model_cases=cases
        )
    else:
        questions = load_question_set(args.file)
        report = check_question_set(
            questions, open_dataset(args.data), example_sets, run=not args.no_run, model_cases=cases
        )
    if args.json:
        print_json(report.to_dict())
        return 1 if report.errors else 0
    for q in report.questions:
        for f in q.findings:
            where = f" at {f.path}" if f.path else ""
            fix = f" (fix: {f.suggestion})" if f.suggestion else ""
            print(f"{q.id} {f.severity}{where}: {f.message}{fix}")
    sets = ", ".join(report.example_sets) or "none"
    print(
        f"{report.name}: {len(report.questions)} questions, {report.errors} error(s), {report.warnings} warning(s); "
        f"dataset {report.dataset}, example sets checked for leaks: {sets}"
    )
    return 1 if report.errors else 0
