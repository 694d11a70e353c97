"""Does the offline model listen to the prompt's instructions? Accuracy with shipped, no and contrary ones.

Builds edited copies of shipped variants in a temp folder and runs ``workbench eval`` on each
(temperature 0, 1 trial, no cache), then prints, per variant, the accuracy and how many answers
changed against the shipped instructions:

- shipped: the variant as it is (instructions + its ``conventions:`` block);
- none: one neutral sentence as the instructions, no conventions;
- contrary: the shipped instructions with every convention turned around (no time = 1 day,
  right now = 15 min, slowest = P50, errors = status >= 500, users = sessions, revenue = AVG,
  traces = distinct trace ids);
- contrary concepts: only the last four (what errors, users, revenue and traces mean).

    python benchmarks/bench_offline_instructions.py [--questions questions/core.yaml] [--prompt naive ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
NEUTRAL = "You turn questions about the data into queries."
CONTRARY_TIME = {"default_time_range": 86400, "now_time_range": 900, "slow_op": "P50"}
CONTRARY_CONCEPTS = {
    "error_filter": {"column": "http.response.status_code", "op": ">=", "value": 500},
    "user_column": "app.session.id",
    "revenue_op": "AVG",
    "root_span_filter": None,
}
#: the conventions block has no field for counting traces by id: a plain statement in the instructions
TRACES_STATEMENT = "\n- Traces: distinct trace ids (COUNT_DISTINCT of trace.trace_id).\n"


def _variant(
    folder: Path, base: str, label: str, instructions: str, conventions: dict[str, Any] | None
) -> Path:
    data = yaml.safe_load((ROOT / "prompts" / f"{base}.yaml").read_text(encoding="utf-8"))
    data["name"] = f"{base}-{label}"
    (folder / "instructions" / f"{label}.md").write_text(instructions, encoding="utf-8")
    data["instructions_file"] = f"instructions/{label}.md"
    if conventions is None:
        data.pop("conventions", None)
    else:
        merged = {**(data.get("conventions") or {}), **conventions}
        data["conventions"] = {k: v for k, v in merged.items() if v is not None}
    path = folder / f"{base}-{label}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _eval(questions: str, variants: list[Path], out: Path) -> dict[str, dict[str, Any]]:
    cmd = [sys.executable, "-m", "workbench", "eval", "--questions", questions, "--trials", "1", "--no-cache"]
    for v in variants:
        cmd += ["--prompt", str(v)]
    subprocess.run([*cmd, "--json", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    found = json.loads(out.read_text(encoding="utf-8"))
    return {v["name"]: v for v in found["variants"]}


def _answers(variant: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: json.dumps(r["trials"][0].get("spec"), sort_keys=True) for r in variant["results"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default="questions/core.yaml")
    ap.add_argument("--prompt", action="append", help="shipped variant name (default: naive, honeycomb)")
    args = ap.parse_args()
    bases = args.prompt or ["naive", "honeycomb"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "prompts"
        shutil.copytree(ROOT / "prompts", folder)
        default = (ROOT / "prompts" / "instructions" / "default.md").read_text(encoding="utf-8")
        runs = {
            "shipped": (default, {}),
            "none": (NEUTRAL, None),
            "contrary": (default + TRACES_STATEMENT, {**CONTRARY_TIME, **CONTRARY_CONCEPTS}),
            "contrary concepts": (default + TRACES_STATEMENT, CONTRARY_CONCEPTS),
        }
        paths = [
            _variant(folder, base, label.replace(" ", "-"), text, conv)
            for base in bases
            for label, (text, conv) in runs.items()
        ]
        results = _eval(args.questions, paths, Path(tmp) / "eval.json")
    print(f"offline model, {args.questions}, temperature 0, 1 trial")
    print(f"{'instructions':<20}" + "".join(f"{b:>28}" for b in bases))
    for label in runs:
        cells = []
        for base in bases:
            mine = results[f"{base}-{label.replace(' ', '-')}"]
            shipped = _answers(results[f"{base}-shipped"])
            changed = sum(1 for q, spec in _answers(mine).items() if shipped.get(q) != spec)
            cell = f"{100 * mine['metrics']['accuracy']:.1f}%"
            cells.append(cell if label == "shipped" else f"{cell} ({changed} change)")
        print(f"{label:<20}" + "".join(f"{c:>28}" for c in cells))


if __name__ == "__main__":
    main()
