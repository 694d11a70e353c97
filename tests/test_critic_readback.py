"""Readback: every valid spec reads back to one non-empty line; a fixture table of expected lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.test_validate_fuzz import SCHEMA, spec_like
from workbench.spec.readback import builder, builder_text, readback
from workbench.spec.validate.layers import validate

NOW = 1795176000
CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "readbacks.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["line"][:40])
def test_readback_table(case: dict) -> None:
    assert readback(case["spec"], NOW) == case["line"]


def test_builder_has_honeycombs_clauses() -> None:
    b = builder(CASES[0]["spec"], NOW)
    assert list(b)[:8] == [
        "VISUALIZE",
        "WHERE",
        "GROUP BY",
        "ORDER BY",
        "HAVING",
        "LIMIT",
        "TIME",
        "GRANULARITY",
    ]
    assert b["VISUALIZE"] == ["P95(duration_ms)"] and b["LIMIT"] == 10 and b["TIME"].startswith("yesterday")
    assert "GROUP BY     http.route" in builder_text(CASES[0]["spec"], NOW)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_like())
def test_every_valid_spec_reads_back(raw) -> None:
    result = validate(raw, SCHEMA)
    if not result.ok or result.spec is None:
        return
    line = readback(result.spec, NOW)
    assert line and "\n" not in line
    assert readback(result.spec) and builder(result.spec)
