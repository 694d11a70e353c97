"""The base install (the production runtime) has none of the lab extras: the CLI says so in one line."""

from __future__ import annotations

import subprocess
import sys

BLOCK_AND_RUN = """
import sys
for name in ("duckdb", "pandas"):
    sys.modules[name] = None  # import of it now raises ModuleNotFoundError, as in a base install
from workbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_AND_RUN, *argv], capture_output=True, text=True, timeout=120
    )


def test_a_verb_that_needs_duckdb_names_the_extra_to_install(tmp_path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("timestamp,duration_ms\n2026-11-20 10:00:00,12.5\n")
    done = _run("data", "info", "--data", str(events))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("workbench: error: the workbench needs duckdb")
    assert "pip install 'query-workbench[lab]'" in lines[0]
    assert "Traceback" not in done.stderr


def test_spec_check_needs_no_lab_extra(tmp_path) -> None:
    spec = tmp_path / "q.json"
    spec.write_text('{"calculations": [{"op": "COUNT"}], "time_range": 3600}')
    done = _run("spec", "check", str(spec), "--json")
    assert done.returncode == 0, done.stderr
    assert '"valid": true' in done.stdout
