"""How much does the critic catch? Mutated golds, and the offline model's wrong answers.

Run: ``python benchmarks/bench_critic.py [--questions questions/core.yaml] [--prompt compact]``
     (a conversation set, e.g. ``questions/conversations.yaml``, is measured on its chains' opening turns)
     ``python benchmarks/bench_critic.py --offline-eval [--trials 1]``

Mutation mode: every gold (and accepted alternative) of the question set is mutated the way models
really go wrong (a dropped filter, a neighbouring value from the column's domain, another
percentile, another time window, a window shifted by a day, a dropped or swapped breakdown, a
flipped order, a negated filter, another status threshold, another limit). Only mutants that still
validate and whose executed result differs from the gold's are kept. Printed: the share caught (any
critic warning) per kind and overall, and the false-alarm rate on the untouched golds and accepted
alternatives.

Offline-eval mode: the offline model answers the set with the shipped variants; printed per
variant: critic recall on executed-but-wrong trials and false alarms on correct trials.

Targets (issue 12): >= 75% of mutants caught, <= 5% of golds flagged; >= 50% of the offline
model's executed-but-wrong answers flagged, <= 5% of its correct answers flagged. The critic is
developed on its own tests and this mutation corpus; the question set is only measured.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.critic import critique
from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.prompt.variant import load_variant
from workbench.spec.matching import results_match, spec_is_ordered
from workbench.spec.query import PERCENTILE_OPS
from workbench.spec.validate.layers import validate
from workbench.sql.execute import run_query

_PCTS = list(PERCENTILE_OPS)
_OTHER_WINDOW = {3600: 86400, 86400: 3600, 21600: 86400, 604800: 86400, 1209600: 604800, 7200: 86400}


def _neighbour(values: tuple[Any, ...], value: Any) -> Any:
    vals = list(values)
    if value not in vals or len(vals) < 2:
        return None
    return vals[(vals.index(value) + 1) % len(vals)]


def mutants(gold: dict[str, Any], schema: Any, now: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, mutated spec) pairs for one gold spec."""

    def m() -> dict[str, Any]:
        return copy.deepcopy(gold)

    for i, f in enumerate(gold.get("filters", [])):
        s = m()
        del s["filters"][i]
        yield "drop_filter", s
        col = schema.get(f["column"]) if hasattr(schema, "get") else None
        if (
            f["op"] == "="
            and col is not None
            and col.values
            and (n := _neighbour(col.values, f["value"])) is not None
        ):
            s = m()
            s["filters"][i]["value"] = n
            yield "neighbour_value", s
        neg = {"=": "!=", "!=": "=", "exists": "does-not-exist", "does-not-exist": "exists", "in": "not-in"}
        if f["op"] in neg:
            s = m()
            s["filters"][i]["op"] = neg[f["op"]]
            yield "negate_filter", s
        if "status_code" in f["column"] and isinstance(f.get("value"), int):
            s = m()
            s["filters"][i]["value"] = 400 if f["value"] >= 500 else 500
            yield "status_threshold", s
    for i, c in enumerate(gold.get("calculations", [])):
        if c["op"] in _PCTS:
            other = "P95" if c["op"] == "P99" else "P99"
            s = m()
            s["calculations"][i]["op"] = other
            for o in s.get("orders", []):
                if o.get("op") == c["op"]:
                    o["op"] = other
            for h in s.get("havings", []):
                if h.get("calculate_op") == c["op"]:
                    h["calculate_op"] = other
            yield "percentile", s
    yield from _time_mutants(gold, now, m)
    for i, b in enumerate(gold.get("breakdowns", [])):
        s = m()
        s["breakdowns"].pop(i)
        s["orders"] = [o for o in s.get("orders", []) if o.get("column") != b or o.get("op")]
        if not s["breakdowns"]:
            s.pop("limit", None)
        yield "drop_breakdown", s
        swap = next((c.name for c in schema.columns if c.type == "string" and c.values and 2 < len(c.values) < 12
                     and c.name != b and c.name not in gold.get("breakdowns", [])), None)  # fmt: skip
        s = m()
        s["breakdowns"][i] = swap
        for o in s.get("orders", []):
            if o.get("column") == b and not o.get("op"):
                o["column"] = swap
        yield "swap_breakdown", s
    for i, o in enumerate(gold.get("orders", [])):
        s = m()
        s["orders"][i]["order"] = "ascending" if o.get("order") == "descending" else "descending"
        yield "flip_order", s
    if gold.get("limit"):
        s = m()
        s["limit"] = gold["limit"] + 5
        yield "limit", s


def _time_mutants(gold: dict[str, Any], now: int, m: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    tr, st, et = gold.get("time_range"), gold.get("start_time"), gold.get("end_time")
    if st is not None and et is not None:
        s = m()
        s["start_time"], s["end_time"] = st - 86400, et - 86400
        yield "shift_day", s
        s = m()
        s.pop("start_time"), s.pop("end_time")
        s["time_range"] = et - st
        yield "time_window", s
    elif tr is not None and st is None and et is None:
        s = m()
        s["time_range"] = _OTHER_WINDOW.get(tr, 86400 if tr != 86400 else 3600)
        yield "time_window", s
        s = m()
        s.pop("time_range")
        s["start_time"], s["end_time"] = now - tr - 86400, now - 86400
        yield "shift_day", s


def _questions(path: str) -> Any:
    """A question set, or a conversation set's opening turns (questions that stand alone)."""
    from workbench.evaluation.conversations import is_conversation_file, load_conversation_set
    from workbench.evaluation.questions import QuestionSet

    if not is_conversation_file(path):
        return load_question_set(path)
    chains = load_conversation_set(path)
    return QuestionSet(name=chains.name, questions=tuple(c.turns[0] for c in chains.chains), path=chains.path)


def _run(dataset: Any, spec: Any) -> Any:
    try:
        return run_query(dataset, spec)
    except Exception:
        return None


def _flagged(question: str, spec: Any, schema: Any, conv: Any, result: Any) -> list[str]:
    return [f.code for f in critique(question, spec, schema, conv, result) if f.severity == "warning"]


def mutation_mode(args: argparse.Namespace) -> None:
    dataset = open_dataset(args.data)
    schema = dataset.schema()
    conv = load_variant(args.prompt).conventions
    qs = _questions(args.questions)
    caught, total = Counter(), Counter()
    alarms, golds = 0, 0
    missed: list[str] = []
    false: list[str] = []
    for q in qs.questions:
        for gold in q.specs:
            gold_result = _run(dataset, gold)
            if gold_result is None:
                continue
            golds += 1
            codes = _flagged(q.question, gold, schema, conv, gold_result)
            if codes:
                alarms += 1
                false.append(f"{q.id} {codes} {q.question}")
            ordered = spec_is_ordered(gold)
            for kind, spec in mutants(gold, schema, schema.now_epoch):
                v = validate(spec, schema)
                if not v.ok or any(f.severity == "error" for f in v.findings):
                    continue
                res = _run(dataset, spec)
                if res is None or results_match(res, gold_result, ordered=ordered):
                    continue
                total[kind] += 1
                if _flagged(q.question, spec, schema, conv, res):
                    caught[kind] += 1
                else:
                    missed.append(f"{q.id} {kind}: {q.question}")
    print(f"mutation catch rate on {args.questions} (result-changing mutants that validate)")
    for kind in sorted(total):
        print(f"  {kind:<18} {caught[kind]:>4}/{total[kind]:<4} {caught[kind] / total[kind]:6.1%}")
    n, c = sum(total.values()), sum(caught.values())
    print(f"  {'overall':<18} {c:>4}/{n:<4} {c / max(n, 1):6.1%}")
    print(f"false alarms on golds and accepted: {alarms}/{golds} = {alarms / max(golds, 1):.1%}")
    if args.verbose:
        print("\nmissed:\n  " + "\n  ".join(missed) + "\nfalse alarms:\n  " + "\n  ".join(false))


def offline_mode(args: argparse.Namespace) -> None:
    from workbench.evaluation.evaluate import evaluate

    dataset = open_dataset(args.data)
    schema = dataset.schema()
    qs = _questions(args.questions)
    text = {q.id: q.question for q in qs.questions}
    variants = args.variants or ["compact", "honeycomb", "naive"]
    run = evaluate(qs, variants, dataset=dataset, trials=args.trials, store=None)
    print(f"critic on the offline model's answers ({args.questions}, {args.trials} trial(s))")
    for vr in run.variants:
        conv = load_variant(vr.name).conventions
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        misses = []
        for t in vr.trials:
            if t["outcome"] not in ("correct", "wrong") or t.get("spec") is None:
                continue
            flagged = bool(_flagged(text[t["question_id"]], t["spec"], schema, conv, t.get("result")))
            stats[t["outcome"]][0] += flagged
            stats[t["outcome"]][1] += 1
            if args.verbose and flagged == (t["outcome"] == "correct"):
                misses.append(f"{t['outcome']} {t['question_id']} {text[t['question_id']]}")
        (fw, nw), (fc, nc) = stats["wrong"], stats["correct"]
        print(
            f"  {vr.name:<10} recall {fw}/{nw} = {fw / max(nw, 1):.1%}   false alarms {fc}/{nc} = {fc / max(nc, 1):.1%}"
        )
        if misses:
            print("    " + "\n    ".join(misses))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--questions", default="questions/core.yaml")
    p.add_argument("--data", default=None)
    p.add_argument("--prompt", default="compact", help="the variant whose conventions the critic reads")
    p.add_argument("--offline-eval", action="store_true", help="measure on the offline model's answers")
    p.add_argument("--variants", nargs="*", default=None)
    p.add_argument("--trials", type=int, default=1)
    p.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    args = p.parse_args()
    (offline_mode if args.offline_eval else mutation_mode)(args)


if __name__ == "__main__":
    main()
