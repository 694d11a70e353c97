"""Is the offline model brittle to column names? The same data with six columns renamed, descriptions kept.

Builds, in a temp folder, a copy of the embedded dataset where six commonly used columns carry
neutral names (``duration_ms`` -> ``took``, ``service.name`` -> ``svc``...) while their values,
types and descriptions stay (``column_metadata`` is carried over with the new names), a copy of
the question set whose golds and accepted specs use the new names, and copies of the prompt
variants and example sets written with the new names (a team with other column names writes its
instructions, conventions and examples with its own names). Then runs ``workbench eval``
(temperature 0, 1 trial, no cache) on the original and on the renamed copy and prints, per
variant: the questions affected (a gold uses a renamed column), how many of their answers changed
(compared with the new names mapped back), and the accuracy before and after.

    python benchmarks/bench_offline_renames.py [--questions questions/core.yaml] [--prompt naive ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: six columns the core questions use most, each renamed to a name that does not say what it holds
RENAMES = {
    "duration_ms": "took",
    "http.route": "endpoint_path",
    "service.name": "svc",
    "app.platform": "origin.app",
    "error": "bad",
    "http.response.status_code": "rc",
}


def _pattern(renames: dict[str, str]) -> re.Pattern[str]:
    names = sorted(renames, key=len, reverse=True)
    # a whole name: not inside a longer name (``error`` in ``error.type``, ``service.name`` in ``k8s.service.name``)
    return re.compile(r"(?<![\w.\-])(" + "|".join(map(re.escape, names)) + r")(?![\w\-]|\.\w)")


def rename_text(text: str, renames: dict[str, str]) -> str:
    """``text`` with every whole occurrence of an old column name replaced by its new name."""
    if not renames:
        return text
    return _pattern(renames).sub(lambda m: renames[m[1]], text)


def rename_spec(spec: Any, renames: dict[str, str]) -> Any:
    """A query spec (or any part of one) with its column references renamed."""
    if isinstance(spec, list):
        return [rename_spec(x, renames) for x in spec]
    if not isinstance(spec, dict):
        return spec
    out = {}
    for key, value in spec.items():
        if key == "column" and isinstance(value, str):
            out[key] = renames.get(value, value)
        elif key == "breakdowns" and isinstance(value, list):
            out[key] = [renames.get(v, v) if isinstance(v, str) else v for v in value]
        else:
            out[key] = rename_spec(value, renames)
    return out


def _columns(spec: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "column" and isinstance(value, str):
                found.add(value)
            elif key == "breakdowns" and isinstance(value, list):
                found |= {v for v in value if isinstance(v, str)}
            else:
                found |= _columns(value)
    elif isinstance(spec, list):
        for x in spec:
            found |= _columns(x)
    return found


def renamed_dataset(source: Path, target: Path, renames: dict[str, str]) -> None:
    """A copy of ``source`` with columns renamed in ``events`` and ``column_metadata`` (descriptions kept)."""
    import duckdb

    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    try:
        for old, new in renames.items():
            con.execute(f'ALTER TABLE events RENAME COLUMN "{old}" TO "{new}"')
            con.execute("UPDATE column_metadata SET key_name = ? WHERE key_name = ?", [new, old])
        for key, desc in con.execute("SELECT key_name, description FROM column_metadata").fetchall():
            if desc and desc != (new_desc := rename_text(desc, renames)):  # "old name of http.response..."
                con.execute("UPDATE column_metadata SET description = ? WHERE key_name = ?", [new_desc, key])
        con.execute("UPDATE dataset_info SET value = 'duckdb' WHERE key = 'source'")
        con.execute(
            "INSERT INTO dataset_info VALUES ('identity', 'renamed-' || ?)", [str(sorted(renames.items()))]
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def renamed_questions(source: Path, target: Path, renames: dict[str, str]) -> set[str]:
    """A copy of the question set with golds and accepts renamed; returns the ids of affected questions."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    affected = set()
    for q in data["questions"]:
        specs = [q["gold"], *q.get("accept", [])]
        if any(_columns(s) & set(renames) for s in specs):
            affected.add(q["id"])
        q["gold"] = rename_spec(q["gold"], renames)
        if "accept" in q:
            q["accept"] = rename_spec(q["accept"], renames)
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return affected


def renamed_prompts(target: Path, renames: dict[str, str], conventions: bool = True) -> None:
    """A copy of ``prompts/`` (variants, instructions, example sets) written with the new names.

    ``conventions=False`` also drops each variant's ``conventions:`` block, so that only the schema
    (names, descriptions, values) and the examples say which column a word means.
    """
    shutil.copytree(ROOT / "prompts", target, dirs_exist_ok=True)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".md", ".txt", ".j2", ".jinja"):
            path.write_text(rename_text(path.read_text(encoding="utf-8"), renames), encoding="utf-8")
    for path in [] if conventions else target.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.pop("conventions", None)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _eval(
    questions: Path, variants: list[Path], data: Path, out: Path, home: Path
) -> dict[str, dict[str, Any]]:
    cmd = [sys.executable, "-m", "workbench", "eval", "--questions", str(questions), "--trials", "1"]
    cmd += ["--no-cache", "--data", str(data), "--json", str(out)]
    for v in variants:
        cmd += ["--prompt", str(v)]
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
    }  # the experiment log of these runs stays in the temp folder
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    return {v["name"]: v for v in json.loads(out.read_text(encoding="utf-8"))["variants"]}


def _answers(variant: dict[str, Any], back: dict[str, str] | None = None) -> dict[str, str]:
    out = {}
    for r in variant["results"]:
        spec = r["trials"][0].get("spec")
        out[r["id"]] = json.dumps(rename_spec(spec, back) if back else spec, sort_keys=True)
    return out


def _correct(variant: dict[str, Any], ids: set[str]) -> int:
    return sum(1 for r in variant["results"] if r["id"] in ids and r["trials"][0].get("correct"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default="questions/core.yaml")
    ap.add_argument(
        "--prompt", action="append", help="shipped variant name (default: naive, compact, honeycomb)"
    )
    ap.add_argument("--data", help="the dataset to copy (default: the embedded one)")
    ap.add_argument(
        "--rename", action="append", metavar="OLD=NEW", help="rename these columns instead of the six"
    )
    ap.add_argument("--show", action="store_true", help="print each changed answer, before and after")
    ap.add_argument(
        "--without-conventions",
        action="store_true",
        help="drop the variants' conventions blocks (before and after): names and descriptions only",
    )
    ap.add_argument(
        "--keep", metavar="DIR", help="write the renamed copies to DIR (kept) instead of a temp folder"
    )
    args = ap.parse_args()
    from workbench.dataset.source import open_dataset

    source = Path(args.data) if args.data else open_dataset().path
    bases = args.prompt or ["naive", "compact", "honeycomb"]
    renames = dict(r.split("=", 1) for r in args.rename) if args.rename else RENAMES
    back = {new: old for old, new in renames.items()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        renamed_dataset(source, folder / "renamed.duckdb", renames)
        affected = renamed_questions(ROOT / args.questions, folder / "questions.yaml", renames)
        conventions = not args.without_conventions
        renamed_prompts(folder / "prompts", renames, conventions)
        shipped = ROOT / "prompts"
        if not conventions:
            shipped = folder / "prompts-shipped"
            renamed_prompts(shipped, {}, conventions)
        before = _eval(ROOT / args.questions, [shipped / f"{b}.yaml" for b in bases], source,
                       folder / "before.json", folder / "home")  # fmt: skip
        after = _eval(folder / "questions.yaml", [folder / "prompts" / f"{b}.yaml" for b in bases],
                      folder / "renamed.duckdb", folder / "after.json", folder / "home")  # fmt: skip
    total = len(before[bases[0]]["results"])
    print(f"offline model, {args.questions}, temperature 0, 1 trial"
          + (", variants without their conventions" if args.without_conventions else "") + "; renamed: "
          + ", ".join(f"{o} -> {n}" for o, n in renames.items()))  # fmt: skip
    print(f"questions affected (a gold uses a renamed column): {len(affected)} of {total}")
    print(f"{'variant':<12}{'changed':>16}{'affected correct':>20}{'accuracy before':>18}{'after':>10}")
    for b in bases:
        old, new = _answers(before[b]), _answers(after[b], back)
        changed = sum(1 for q in affected if old.get(q) != new.get(q))
        right = f"{_correct(before[b], affected)} -> {_correct(after[b], affected)}"
        acc = [f"{100 * r[b]['metrics']['accuracy']:.1f}%" for r in (before, after)]
        print(f"{b:<12}{f'{changed} of {len(affected)}':>16}{right:>20}{acc[0]:>18}{acc[1]:>10}")
    if args.show:
        _show(bases, before, after, affected, back)


def _show(bases: list[str], before: dict, after: dict, affected: set[str], back: dict[str, str]) -> None:
    questions = {r["id"]: r.get("question", "") for r in before[bases[0]]["results"]}
    for b in bases:
        old, new = _answers(before[b]), _answers(after[b], back)
        for q in sorted(q for q in affected if old.get(q) != new.get(q)):
            print(f"\n{b} {q} {questions[q]}\n  before: {old[q]}\n  after:  {new[q]}")


if __name__ == "__main__":
    main()
