"""The offline model's latency: the first call in a fresh process, and time against question length.

Run: ``python benchmarks/bench_offline.py [--json]``. The request is built here (DESIGN.md's
core columns, no examples); questions are a repeated everyday clause cut to each length, up to
the model's cap (``guard.MAX_QUESTION_CHARS``). It prints milliseconds per call and per 100
characters: with the parse budget (``understand.parse_budget``) the per-character cost stays flat
or falls, i.e. time grows at most linearly with the question's length.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CLAUSES = (
    "top 5 routes by p99 latency for android and ios users on version 5.2.0 in us-east-1 since monday ",
    "the quick brown fox checks which cart items were slow for each user while most people sleep ",
)
LENGTHS = (100, 250, 500, 1000, 2000)

_FIRST = """
import time
from offline_prompt import body
b = body("p95 latency by route yesterday")
t0 = time.perf_counter()
from workbench.offline import complete, warm_up
warm_up()  # what offline_backend() and serve-model do when they load the model
t1 = time.perf_counter()
complete(b)
t2 = time.perf_counter()
print(round((t1 - t0) * 1000), round((t2 - t1) * 1000))
"""


def first_call() -> tuple[int, int]:
    """(import + warm-up ms, first call ms) in a fresh interpreter."""
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"}
    out = subprocess.run([sys.executable, "-c", _FIRST], capture_output=True, text=True, env=env, check=True)
    load, call = out.stdout.split()
    return int(load), int(call)


def by_length(repeats: int = 3) -> list[dict[str, float]]:
    from offline_prompt import body

    from workbench.offline import complete

    rows = []
    for clause in CLAUSES:
        for length in LENGTHS:
            question = (clause * (length // len(clause) + 1))[:length].strip()
            best = float("inf")
            for _ in range(repeats):
                request = body(question, temperature=0.7, seed=1)  # a new body: no per-question cache
                start = time.perf_counter()
                complete(request)
                best = min(best, time.perf_counter() - start)
            rows.append({"clause": CLAUSES.index(clause), "chars": len(question), "ms": best * 1000})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load, call = first_call()
    rows = by_length()
    if args.json:
        print(json.dumps({"import_ms": load, "first_call_ms": call, "by_length": rows}))
        return
    print(f"fresh process: import (with warm-up) {load} ms, first call {call} ms")
    print(f"{'clause':>6} {'chars':>6} {'ms':>8} {'ms/100 chars':>13}")
    for r in rows:
        print(f"{r['clause']:>6} {r['chars']:>6} {r['ms']:>8.1f} {100 * r['ms'] / r['chars']:>13.1f}")


if __name__ == "__main__":
    main()
