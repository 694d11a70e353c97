from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from workbench.core.findings import error, warning
from workbench.spec.matching import (
    DIFF_PARTS,
    classify,
    findings_flags,
    results_match,
    spec_is_ordered,
    structural_diff,
)

GOLD = (["service.name", "COUNT"], [("cart", 10), ("search", 25), ("auth", 3)])


@dataclass
class FakeResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    series: FakeResult | None = None


@pytest.mark.parametrize(
    ("pred", "expected"),
    [
        # same rows in another order
        ((["service.name", "COUNT"], [("auth", 3), ("cart", 10), ("search", 25)]), True),
        # renamed columns
        ((["svc", "n"], [("cart", 10), ("search", 25), ("auth", 3)]), True),
        # columns swapped (calculation first, breakdown last)
        ((["COUNT", "service.name"], [(25, "search"), (3, "auth"), (10, "cart")]), True),
        # float noise, ints as floats, Decimal, numpy scalars
        ((["s", "c"], [("cart", 10.0000000001), ("search", np.int64(25)), ("auth", Decimal("3"))]), True),
        # a different value
        ((["s", "c"], [("cart", 11), ("search", 25), ("auth", 3)]), False),
        # a missing row
        ((["s", "c"], [("cart", 10), ("search", 25)]), False),
        # an extra row
        ((["s", "c"], [("cart", 10), ("search", 25), ("auth", 3), ("payment", 1)]), False),
        # a different label
        ((["s", "c"], [("cart", 10), ("search", 25), ("Auth", 3)]), False),
        # an extra column
        ((["s", "c", "d"], [("cart", 10, 1), ("search", 25, 1), ("auth", 3, 1)]), False),
        # counts moved between labels: each column matches on its own, the rows do not
        ((["s", "c"], [("cart", 25), ("search", 10), ("auth", 3)]), False),
        # a number where the gold has text
        ((["s", "c"], [("cart", 10), ("search", 25), (3, "auth")]), False),
    ],
)
def test_results_match_table(pred: Any, expected: bool) -> None:
    assert results_match(pred, GOLD) is expected


def test_relative_and_absolute_tolerance() -> None:
    assert results_match((["a"], [(1e9 + 0.5,)]), (["a"], [(1e9,)]))  # 5e-10 relative
    assert not results_match((["a"], [(1.001,)]), (["a"], [(1.0,)]))
    assert results_match((["a"], [(1e-12,)]), (["a"], [(0,)]))  # near zero: absolute tolerance
    assert not results_match((["a"], [(1e-3,)]), (["a"], [(0,)]))
    assert results_match((["a"], [(1.01,)]), (["a"], [(1.0,)]), rel_tol=0.02)


def test_special_values() -> None:
    assert results_match((["a"], [(None,), (float("nan"),)]), (["b"], [(float("nan"),), (None,)]))
    assert not results_match((["a"], [(True,)]), (["a"], [(1,)]))  # booleans only equal booleans
    assert not results_match((["a"], [("3",)]), (["a"], [(3,)]))
    when = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert results_match((["t"], [(when,)]), (["t"], [("2026-11-20T12:00:00",)]))
    assert results_match((["t"], [(when.replace(tzinfo=None),)]), (["t"], [("2026-11-20 12:00:00",)]))
    heat = {0.0: 3, 100.0: 1}
    assert results_match((["h"], [({100.0: 1, 0.0: 3},)]), (["h"], [(heat,)]))


def test_ordered_comparison() -> None:
    gold = (["route", "P99"], [("/a", 30.0), ("/b", 20.0), ("/c", 10.0)])
    reordered = (["route", "P99"], [("/b", 20.0), ("/a", 30.0), ("/c", 10.0)])
    assert results_match(reordered, gold)
    assert not results_match(reordered, gold, ordered=True)
    assert results_match((["x", "y"], [(30.0, "/a"), (20.0, "/b"), (10.0, "/c")]), gold, ordered=True)


def test_empty_results() -> None:
    assert results_match((["a", "b"], []), (["x", "y"], []))
    assert not results_match((["a"], []), (["x", "y"], []))
    assert not results_match((["a"], [(1,)]), (["a"], []))


def test_result_shapes_objects_mappings_and_series() -> None:
    series = FakeResult(["time", "COUNT"], [("2026-11-20T10:00:00", 4), ("2026-11-20T11:00:00", 6)])
    gold = FakeResult(["COUNT"], [(10,)], series=series)
    flipped = FakeResult(["n", "time"], [(6, "2026-11-20T11:00:00"), (4, "2026-11-20T10:00:00")])
    assert results_match(FakeResult(["c"], [(10,)], series=flipped), gold)
    assert not results_match(FakeResult(["c"], [(10,)]), gold)  # the question asked for a series
    wrong_series = FakeResult(["time", "c"], [("2026-11-20T10:00:00", 5), ("2026-11-20T11:00:00", 5)])
    assert not results_match(FakeResult(["c"], [(10,)], series=wrong_series), gold)
    # a series the gold does not have is ignored
    assert results_match(FakeResult(["c"], [(10,)], series=series), FakeResult(["c"], [(10,)]))
    # the JSON form (QueryResult.to_dict) works too, rows as lists
    as_dict = {
        "columns": ["c"],
        "rows": [[10]],
        "series": {"columns": ["t", "c"], "rows": [list(r) for r in series.rows]},
    }
    assert results_match(as_dict, gold)
    with pytest.raises(TypeError):
        results_match(42, gold)


def test_many_rows_and_duplicate_values() -> None:
    rows = [(f"u{i}", i % 7, float(i) / 3) for i in range(1000)]
    shuffled = list(reversed(rows))
    assert results_match((["a", "b", "c"], shuffled), (["x", "y", "z"], rows))
    broken = [*shuffled[:-1], ("u0", 1, 0.0)]
    assert not results_match((["a", "b", "c"], broken), (["x", "y", "z"], rows))
    # identical columns: any pairing works
    assert results_match((["a", "b"], [(1, 1), (2, 2)]), (["x", "y"], [(2, 2), (1, 1)]))


def test_spec_is_ordered() -> None:
    assert spec_is_ordered({"orders": [{"op": "COUNT", "order": "descending"}]})
    assert not spec_is_ordered({"calculations": [{"op": "COUNT"}]})


# --------------------------------------------------------------------------- structural diff

BASE = {
    "calculations": [{"op": "P99", "column": "duration_ms"}, {"op": "COUNT"}],
    "filters": [
        {"column": "app.platform", "op": "in", "value": ["android", "ios"]},
        {"column": "error", "op": "=", "value": True},
    ],
    "breakdowns": ["http.route", "service.name"],
    "orders": [{"op": "COUNT", "order": "descending"}],
    "limit": 10,
    "havings": [{"calculate_op": "COUNT", "op": ">", "value": 5}],
    "time_range": 86400,
}


def _with(**changes: Any) -> dict[str, Any]:
    out = {**BASE, **changes}
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize(
    ("pred", "differs"),
    [
        (BASE, set()),
        # order-insensitive parts: calcs, filters, in-lists, breakdowns, havings; AND is the default
        (
            _with(
                calculations=[{"op": "COUNT"}, {"op": "P99", "column": "duration_ms"}],
                filters=[
                    {"column": "error", "op": "=", "value": True},
                    {"column": "app.platform", "op": "in", "value": ["ios", "android"]},
                ],
                filter_combination="AND",
                breakdowns=["service.name", "http.route"],
            ),
            set(),
        ),
        # the same window written as absolute times
        (_with(time_range=None, start_time=1795176000 - 86400, end_time=1795176000), set()),
        (_with(calculations=[{"op": "P95", "column": "duration_ms"}, {"op": "COUNT"}]), {"calculations"}),
        (_with(filters=[{"column": "error", "op": "=", "value": True}]), {"filters"}),
        (_with(filter_combination="OR"), {"filters"}),
        (_with(breakdowns=["http.route"]), {"breakdowns"}),
        (_with(time_range=3600), {"time"}),
        (_with(granularity=3600), {"time"}),
        (_with(limit=5), {"orders_limit"}),
        (_with(orders=[{"op": "COUNT"}]), {"orders_limit"}),
        (_with(havings=None), {"havings"}),
        (None, set(DIFF_PARTS)),
        ("not json", set(DIFF_PARTS)),
    ],
)
def test_structural_diff(pred: Any, differs: set[str]) -> None:
    diff = structural_diff(pred, BASE)
    assert list(diff) == list(DIFF_PARTS)
    assert {k for k, v in diff.items() if v} == differs


def test_structural_diff_defaults() -> None:
    # no calculations = COUNT; one filter: the combination does not matter; 500 == 500.0
    a = {"filters": [{"column": "http.response.status_code", "op": ">=", "value": 500}]}
    b = {
        "calculations": [{"op": "COUNT"}],
        "filters": [{"column": "http.response.status_code", "op": ">=", "value": 500.0}],
        "filter_combination": "OR",
    }
    assert not any(structural_diff(a, b).values())


# --------------------------------------------------------------------------- outcome classes


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [
        ({"error": "timeout", "valid": False, "semantic_valid": False, "correct": None}, "error"),
        ({"error": "boom", "valid": True, "semantic_valid": True, "correct": True}, "error"),
        ({"valid": False, "semantic_valid": False, "correct": None}, "invalid"),
        ({"valid": True, "semantic_valid": False, "correct": None}, "rejected"),
        ({"valid": True, "semantic_valid": True, "correct": False}, "wrong"),
        ({"valid": True, "semantic_valid": True, "correct": None}, "wrong"),  # failed while executing
        ({"valid": True, "semantic_valid": True, "correct": True}, "correct"),
    ],
)
def test_classify(kwargs: dict[str, Any], outcome: str) -> None:
    assert classify(**kwargs) == outcome


def test_findings_flags() -> None:
    structural = [error("unknown_op", "no such op").to_dict()]
    semantic = [error("unknown_column", "no such column")]
    assert findings_flags([], []) == (True, True)
    assert findings_flags([warning("w", "just a warning")], [warning("w", "x")]) == (True, True)
    assert findings_flags(structural, []) == (False, False)
    assert findings_flags([], semantic) == (True, False)
