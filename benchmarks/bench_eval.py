"""End-to-end eval benchmark: 60 questions x 3 variants x 5 trials with the offline model, no cache.

Run: ``python benchmarks/bench_eval.py [--data PATH] [--questions 60] [--trials 5]``
(a benchmark, not a timed test). It evaluates ``compact``, ``honeycomb`` and ``naive``
from ``prompts/`` on the first N questions of ``questions/core.yaml`` through the whole
pipeline (render, model calls through the real ``openai`` client, judge, execute on
DuckDB, match, record every trial in a throw-away experiment log), then prints:

- wall time and trials per second;
- the phases: render, the model-call phase (judging, executing and recording run on a
  thread pool *during* it), the drain after the last call, and the CPU-ish totals
  (queries executed vs shared, log inserts);
- the share of wall time spent outside the model, measured two ways:
  *measured* = 1 - (wall time of the same model calls alone, no eval work) / eval wall
  time; *estimated* = 1 - (sum of model latencies / concurrency) / eval wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("compact", "honeycomb", "naive")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset (default: the embedded telemetry, generated if missing)")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="judge/execute threads")
    parser.add_argument("--skip-baseline", action="store_true", help="do not time the model calls alone")
    args = parser.parse_args()

    from workbench.dataset.source import open_dataset
    from workbench.evaluation.evaluate import evaluate
    from workbench.evaluation.questions import load_question_set
    from workbench.prompt.render import Prompt
    from workbench.store.runs import RunStore

    t0 = time.perf_counter()
    dataset = open_dataset(args.data)  # default: the embedded telemetry (generated on first use)
    qs = load_question_set(ROOT / "questions" / "core.yaml")
    qs = qs.select(ids=qs.ids[: args.questions])
    prompts = [Prompt.load(ROOT / "prompts" / f"{v}.yaml", dataset) for v in VARIANTS]
    print(f"dataset {dataset.path} ({dataset.identity}); setup {time.perf_counter() - t0:.1f} s")
    n = len(qs) * len(prompts) * args.trials
    print(f"eval: {len(qs)} questions x {len(prompts)} variants x {args.trials} trials = {n} trials, "
          f"concurrency {args.concurrency}, no cache")  # fmt: skip

    with (
        tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp,
        RunStore(Path(tmp) / "runs.duckdb") as store,
    ):
        run = evaluate(qs, prompts, dataset=dataset, trials=args.trials, concurrency=args.concurrency,
                       cache=None, store=store, workers=args.workers)  # fmt: skip
    t = run.timings
    wall = t["wall_s"]
    print(f"\nwall {wall:.1f} s, {n / wall:.1f} trials/s ({1000 * wall / n:.1f} ms per trial)")
    print(
        f"  render      {t['render_s']:6.2f} s  (as the runner takes each call: inside the model-call phase)"
    )
    print(
        f"  model calls {t['calls_s']:6.2f} s  (+ repair {t['repair_s']:.2f} s); judge/execute/record overlap"
    )
    print(f"  drain       {t['drain_s']:6.2f} s  (finishing judge/execute/record after the last call)")
    print(f"  thread time: judge {t['judge_ms'] / 1000:.1f} s, execute {t['execute_ms'] / 1000:.1f} s "
          f"({int(t['executed_queries'])} queries run, {int(t['shared_queries'])} shared), "
          f"match {t['match_ms'] / 1000:.1f} s, log inserts {t['record_ms'] / 1000:.1f} s")  # fmt: skip
    estimated = 1 - (t["model_ms"] / 1000 / args.concurrency) / wall
    print(f"  sum of model latencies {t['model_ms'] / 1000:.1f} s; / concurrency = "
          f"{t['model_ms'] / 1000 / args.concurrency:.1f} s")  # fmt: skip
    print(
        f"\nshare of wall time outside the model (estimated from latencies): {100 * max(0.0, estimated):.0f}%"
    )
    if not args.skip_baseline:
        alone = _calls_alone(prompts, qs, args.trials, args.concurrency)
        print(f"the same {n} model calls alone: {alone:.1f} s")
        print(f"share of wall time outside the model (measured): {100 * max(0.0, 1 - alone / wall):.0f}%")
    print()
    for v in run.variants:
        m = v.metrics
        print(f"{v.name:10s} accuracy {m.accuracy:.3f}  pass^{m.k} {m.pass_k:.3f}  valid {m.valid_rate:.3f}  "
              f"p50 {m.latency_ms_p50:.0f} ms")  # fmt: skip
    return 0


def _calls_alone(prompts, qs, trials: int, concurrency: int) -> float:
    """Wall time of exactly the eval's model calls through the runner, with no eval work around them."""
    from workbench.llm.backends import backend_for
    from workbench.llm.runner import Job, run_calls_sync
    from workbench.pipeline.policy import with_trial_seed

    jobs = []
    for p in prompts:
        backend = backend_for(p.variant)
        for q in qs:
            body = p.render(q.question).body
            jobs += [Job(with_trial_seed(body, t), backend, t) for t in range(trials)]
    t0 = time.perf_counter()
    run_calls_sync(jobs, concurrency=concurrency, cache=None)
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
