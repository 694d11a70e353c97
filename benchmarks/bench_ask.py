"""The interactive path: everything but the model in a warm process (the widgets' path).

Run: ``python benchmarks/bench_ask.py [--prompt compact] [--n 30]``

Asks the first N questions of ``questions/core.yaml`` with the offline model through a prompt bound
to the opened embedded dataset (500,000 rows), as the side-by-side does, and prints the p50 / p90
of the wall time minus the model's own latency: render, judge (validation and critic), compile,
execute and the result checks. Target (issue 19): p50 <= 50 ms. Also times ``workbench --help``
in a fresh interpreter (target < 0.5 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.pipeline.ask import ask, bind_prompt


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--prompt", default="compact")
    p.add_argument("--n", type=int, default=30)
    args = p.parse_args()
    dataset = open_dataset(None)
    prompt = bind_prompt(args.prompt, dataset)
    questions = [q.question for q in load_question_set("questions/core.yaml").questions][: args.n]
    ask(questions[0], prompt, dataset=dataset, cache=False)  # warm: the model, the connection, the caches
    outside, model = [], []
    for q in questions:
        t0 = time.perf_counter()
        answer = ask(q, prompt, dataset=dataset, cache=False)
        wall = (time.perf_counter() - t0) * 1000
        outside.append(wall - answer.latency_ms)
        model.append(answer.latency_ms)
    q90 = sorted(outside)[int(0.9 * (len(outside) - 1))]
    print(f"ask, warm process, {len(questions)} questions, {args.prompt}, offline model, embedded dataset:")
    print(
        f"  everything but the model: p50 {statistics.median(outside):.0f} ms, p90 {q90:.0f} ms (target p50 <= 50)"
    )
    print(f"  the model itself:         p50 {statistics.median(model):.0f} ms")
    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench", "--help"], capture_output=True, check=True)
        starts.append(time.perf_counter() - t0)
    print(
        f"  workbench --help in a fresh interpreter: {min(starts):.2f}-{max(starts):.2f} s (target < 0.5 s)"
    )


if __name__ == "__main__":
    main()
