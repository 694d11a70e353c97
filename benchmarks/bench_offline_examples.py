"""Do the examples teach the offline model a team's words? No examples < random 6 < nearest 6.

Runs ``compact`` on ``questions/team_jargon.yaml`` (house words only ``prompts/examples/team_jargon.yaml``
explains) with no examples, 6 random and the 6 nearest ones (temperature 0, 1 trial, nothing stored),
as notebook 3 does, and prints each variant's accuracy; ``--verbose`` lists the questions each gets.

    python benchmarks/bench_offline_examples.py [--questions questions/team_jargon.yaml] [--set team_jargon]
"""

from __future__ import annotations

import argparse

from workbench.core.paths import project_root
from workbench.dataset.source import open_dataset
from workbench.evaluation.evaluate import evaluate
from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default="questions/team_jargon.yaml")
    ap.add_argument("--set", default="team_jargon", help="example set (prompts/examples/NAME.yaml)")
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    ds = open_dataset()
    questions = load_question_set(project_root() / args.questions)
    compact = Prompt.load("compact", ds)
    chosen = {"set": args.set, "k": args.k, "token_budget": None}
    variants = [
        compact.with_(name="no examples", examples={"set": None}),
        compact.with_(name=f"random {args.k}", examples={**chosen, "selection": "random"}),
        compact.with_(name=f"nearest {args.k}", examples={**chosen, "selection": "nearest"}),
    ]
    run = evaluate(questions, variants, dataset=ds, trials=1, store=False)
    print(f"offline model, compact, {args.questions}, examples from {args.set}, temperature 0, 1 trial")
    for v in (p.variant for p in variants):
        got = run.variant(v.name)
        n = got.metrics.n_questions
        right = round(got.metrics.accuracy * n)
        print(f"{v.name:<14} {right}/{n} ({100 * got.metrics.accuracy:.1f}%)")
        if args.verbose:
            for trial in got.trials:
                mark = "ok " if trial.get("correct") else "   "
                print(f"    {mark}{trial.get('question_id')} {trial.get('question', '')}")


if __name__ == "__main__":
    main()
