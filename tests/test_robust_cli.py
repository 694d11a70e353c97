"""`spec check --strict` and `query --strict` exit non-zero on an invalid spec, so CI can gate on them."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.cli import main


def _specs(tmp_path: Path) -> tuple[str, str]:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"calculations": [{"op": "COUNT"}], "time_range": 3600}), encoding="utf-8")
    bad.write_text(json.dumps({"calculations": [{"op": "P99"}], "limit": 5000}), encoding="utf-8")
    return str(good), str(bad)


def test_spec_check_strict(tmp_path: Path, capsys) -> None:
    good, bad = _specs(tmp_path)
    assert main(["spec", "check", good, bad]) == 0  # the default stays exit 0 (DESIGN.md)
    assert main(["spec", "check", "--strict", good]) == 0
    assert main(["spec", "check", "--strict", good, bad]) == 1
    assert main(["spec", "check", "--strict", "--json", good, bad]) == 1
    capsys.readouterr()


def test_query_strict(tmp_path: Path, small_dataset_path: Path, capsys) -> None:
    good, bad = _specs(tmp_path)
    data = ["--data", str(small_dataset_path)]
    assert main(["query", bad, *data]) == 0
    assert main(["query", bad, *data, "--strict"]) == 1
    assert main(["query", bad, *data, "--strict", "--json"]) == 1
    assert main(["query", good, *data, "--strict"]) == 0


def test_data_info_on_a_refused_view_is_one_line(tmp_path: Path, capsys) -> None:
    import duckdb

    path = tmp_path / "hostile.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE VIEW events AS SELECT TIMESTAMP '2024-01-01' AS timestamp, content AS leak "
        "FROM read_text('/etc/hostname')"
    )
    con.close()
    for extra in ([], ["--json"]):
        assert main(["data", "info", "--data", str(path), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("workbench: error:") and err.count("\n") == 1
