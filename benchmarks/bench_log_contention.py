"""A reader polling the experiment log (the dashboard, `workbench runs`) while evals start.

Prints how many of N run starts fail with "in use" when opening waits for the reader
(``LOCK_WAIT_SECONDS``, the default) and when it does not (0 s, the old behaviour).
Usage: python benchmarks/bench_log_contention.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.store import connection
from workbench.store.runs import RunStore

READER = """
import sys, time
from workbench.store.runs import RunStore
store = RunStore(sys.argv[1])
print("ready", flush=True)
while True:
    try:
        store.list_runs()
    except Exception:
        pass
    time.sleep(0.01)
"""


def starts(path: Path, n: int, wait_s: float) -> tuple[int, float]:
    connection.LOCK_WAIT_SECONDS = wait_s
    failed, slowest = 0, 0.0
    for _ in range(n):
        t = time.perf_counter()
        try:
            with RunStore(path) as store:
                store.create_run(name="contention", trials_per_question=1)
        except WorkbenchError:
            failed += 1
        slowest = max(slowest, time.perf_counter() - t)
        time.sleep(0.05)
    return failed, slowest


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.duckdb"
        RunStore(path).list_runs()
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            reader.stdout.readline()
            for wait in (0.0, connection.LOCK_WAIT_SECONDS):
                failed, slowest = starts(path, n, wait)
                print(
                    f"wait up to {wait:.1f} s: {failed} of {n} run starts failed 'in use'; slowest start {slowest:.2f} s"
                )
        finally:
            reader.kill()
            reader.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
