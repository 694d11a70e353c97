"""``workbench query SPEC --question Q``: the critic's findings and the readback in the query contract;
and the critic's independence from the offline model."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from workbench.cli import main

REPO = Path(__file__).resolve().parents[1]
SPEC = {
    "calculations": [{"op": "P99", "column": "duration_ms"}],
    "filters": [{"column": "app.platform", "op": "=", "value": "ios"}],
    "breakdowns": ["http.route"],
    "time_range": 3600,
}


def run(capsys, tmp_path, small_dataset_path, *extra: str) -> tuple[int, str]:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(SPEC), encoding="utf-8")
    code = main(["query", str(path), "--data", str(small_dataset_path), *extra])
    return code, capsys.readouterr().out


def test_json_keeps_the_contract_and_adds_the_critic(capsys, tmp_path, small_dataset_path) -> None:
    code, out = run(capsys, tmp_path, small_dataset_path, "--question", "p95 latency for android users yesterday",
                    "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and {"valid", "findings", "sql", "columns", "rows", "readback", "builder"} <= set(data)
    assert data["valid"] is True
    found = {f["code"] for f in data["findings"]}
    assert {"critic_time", "critic_statistic", "critic_value"} <= found
    assert all(set(f) == {"severity", "code", "message", "path", "suggestion"} for f in data["findings"])
    assert data["readback"].startswith(
        "P99 of duration_ms for app.platform = ios, by http.route, last 1 hour"
    )
    assert data["builder"]["GROUP BY"] == ["http.route"]


def test_without_a_question_nothing_changes(capsys, tmp_path, small_dataset_path) -> None:
    _code, out = run(capsys, tmp_path, small_dataset_path, "--json")
    data = json.loads(out)
    assert "readback" not in data and not any(f["code"].startswith("critic_") for f in data["findings"])


def test_plain_output_shows_readback_and_builder(capsys, tmp_path, small_dataset_path) -> None:
    code, out = run(
        capsys, tmp_path, small_dataset_path, "--question", "p99 latency by route on ios, last hour"
    )
    assert code == 0 and "readback: P99 of duration_ms" in out and "GROUP BY     http.route" in out
    assert "critic_" not in out and "warning" not in out  # the spec answers this question


def test_the_critic_does_not_import_the_offline_model_at_run_time() -> None:
    code = ("import sys, workbench.critic, workbench.critic.constraints, workbench.critic.result;"
            "print(any(m.startswith('workbench.offline') for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": ""})  # fmt: skip
    assert out.stdout.strip() == "False"


def test_the_critic_does_not_import_the_offline_model_statically() -> None:
    files = sorted((REPO / "workbench" / "critic").glob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("workbench.offline") for n in names), path
