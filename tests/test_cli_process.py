"""The ``workbench`` process's exit (``cli.run``): what the ordinary exit does that matters still happens."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _process(body: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import atexit, threading, time, workbench.cli as cli\n" + textwrap.dedent(body) + "\ncli.run([])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)


def test_run_flushes_the_streams_runs_atexit_handlers_and_keeps_the_exit_code():
    proc = _process(
        """
        atexit.register(lambda: print("atexit ran"))
        def main(argv=None):
            print("answer", end="")  # no newline: still in the buffer of a piped stdout
            print("a warning", end="", file=__import__("sys").stderr)
            return 3
        cli.main = main
        """
    )
    assert proc.returncode == 3
    assert proc.stdout == "answeratexit ran\n"
    assert proc.stderr == "a warning"


def test_run_waits_for_a_running_non_daemon_thread():
    proc = _process(
        """
        def late():
            time.sleep(0.3)
            print("thread finished", flush=True)
        def main(argv=None):
            threading.Thread(target=late).start()
            return 0
        cli.main = main
        """
    )
    assert proc.returncode == 0
    assert "thread finished" in proc.stdout


def test_python_m_workbench_uses_run():
    assert "run()" in (ROOT / "workbench" / "__main__.py").read_text()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "spec", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0 and "usage: workbench spec" in proc.stdout
