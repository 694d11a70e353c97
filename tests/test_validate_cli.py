"""`workbench spec check` and `workbench spec schema` (the CLI face of validation)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.spec.query import query_json_schema

SPECS = Path(__file__).parent / "specs"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_report_for_valid_invalid_and_malformed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(
        tmp_path, "good.json", '{"calculations": [{"op": "COUNT"}], "breakdowns": ["no.such.column"]}'
    )
    bad = write(tmp_path, "bad.json", '{"calculations": [{"op": "p99", "column": "duration_ms"}]}')
    broken = write(tmp_path, "broken.json", '{\n  "time_range": 3600,\n}\n')
    assert main(["spec", "check", good, bad, broken, "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["valid"]) for r in reports] == [(good, True), (bad, False), (broken, False)]
    assert reports[0]["findings"] == []  # unknown columns are not an error without a dataset
    assert reports[1]["findings"][0]["code"] == "unknown_op"
    assert reports[1]["findings"][0]["suggestion"] == "use 'P99' (ops are upper case)"
    (finding,) = reports[2]["findings"]
    assert finding["code"] == "invalid_json" and "line 3 column 1" in finding["message"]
    assert set(finding) == {"severity", "code", "message", "path", "suggestion"}


def test_human_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.json", '{"time_range": 7200, "granularity": 7200}')
    bad = write(tmp_path, "bad.json", '{"limit": 5000}')
    assert main(["spec", "check", good, bad]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"✓ {good}"
    assert out[1].startswith("    warning at granularity:")
    assert out[2] == f"✗ {bad}"
    assert out[3].startswith("    error at limit: limit 5000 is above Honeycomb's maximum of 1000")
    assert out[-1] == "2 files: 1 valid, 1 invalid"


def test_missing_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.json", "{}")
    assert main(["spec", "check", good, str(tmp_path / "missing.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"workbench: error: spec file not found: {tmp_path / 'missing.json'} (check the path)"
    ]


def test_non_utf8_and_non_object_files_are_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"name": "caf\xe9"}')
    array = write(tmp_path, "array.json", "[1, 2]")
    assert main(["spec", "check", str(latin), array, "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["findings"][0]["code"] for r in reports] == ["invalid_json", "not_an_object"]


def test_every_fixture_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in SPECS.glob("*/*.json"))
    assert main(["spec", "check", *files, "--json"]) == 0
    for report in json.loads(capsys.readouterr().out):
        assert report["valid"] == ("/valid/" in report["file"]), report


def test_schema_prints_the_tool_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == query_json_schema()


def test_spec_check_as_a_subprocess(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '{"query_window": 7200}')
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "spec", "check", bad, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["findings"][0]["suggestion"] == "use 'time_range'"
