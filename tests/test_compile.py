"""compile_spec: results checked against an independent pandas reference on a tiny hand-made table."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
import sqlglot
from _events_fixture import COLUMNS, NOW, NOW_EPOCH, ROWS, StubDataset, make_events_db, make_rows, make_schema
from sqlglot import exp

from workbench.core.errors import WorkbenchError
from workbench.spec.query import PERCENTILE_OPS, parse_spec
from workbench.sql.compiler import DIALECTS, HEATMAP_BUCKETS, compile_spec, transpile
from workbench.sql.execute import QueryError, run_query, run_sql
from workbench.sql.timewindow import auto_granularity

ALL_TIME = {"time_range": 3 * 86400}  # covers every fixture row


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> StubDataset:
    ds = StubDataset(make_events_db(tmp_path_factory.mktemp("events") / "events.duckdb"))
    yield ds
    ds.close()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.DataFrame(make_rows(), columns=[name for name, _, _ in COLUMNS])


# --------------------------------------------------------------------------- pandas reference


def _norm(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text(value: Any) -> str:
    value = _norm(value)
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def ref_mask(df: pd.DataFrame, f: dict[str, Any]) -> pd.Series:
    """Honeycomb filter semantics, written independently of the compiler."""
    s, op, v = df[f["column"]].map(_norm), f["op"], f.get("value")
    present = s.notna()
    negated = {"!=": "=", "not-in": "in", "does-not-start-with": "starts-with",
               "does-not-end-with": "ends-with", "does-not-contain": "contains"}  # fmt: skip
    if op in negated:
        return ~ref_mask(df, {**f, "op": negated[op]})
    if op == "exists":
        return present
    if op == "does-not-exist":
        return ~present
    if op in ("starts-with", "ends-with", "contains"):
        test = {"starts-with": str.startswith, "ends-with": str.endswith, "contains": str.__contains__}[op]
        return present & s.map(lambda x: x is not None and test(_text(x), v))
    values = v if op == "in" else [v]
    coerce = {"integer": int, "float": float, "boolean": lambda x: x if isinstance(x, bool) else x == "true"}
    ctype = dict((n, t) for n, _, t in COLUMNS)[f["column"]]
    values = [coerce.get(ctype, lambda x: x)(x) for x in values]
    compare = {"=": lambda x: x in values, ">": lambda x: x > values[0], ">=": lambda x: x >= values[0],
               "<": lambda x: x < values[0], "<=": lambda x: x <= values[0], "in": lambda x: x in values}  # fmt: skip
    return present & s.map(lambda x: x is not None and compare[op](x))


def ref_window(df: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    start, end = parse_spec(spec).time_window(NOW_EPOCH)
    ts = df["timestamp"]
    lo, hi = (datetime.fromtimestamp(t, UTC).replace(tzinfo=None) for t in (start, end))
    return df[(ts >= lo) & (ts < hi)]


def ref_filtered(df: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    df = ref_window(df, spec)
    masks = [ref_mask(df, f) for f in spec.get("filters", [])]
    if not masks:
        return df
    combined = masks[0]
    for m in masks[1:]:
        combined = (combined | m) if spec.get("filter_combination") == "OR" else (combined & m)
    return df[combined]


def ref_agg(df: pd.DataFrame, calc: dict[str, Any]) -> Any:
    if calc.get("filters"):
        df = ref_filtered(
            df,
            {
                "time_range": 10**9,
                "filters": calc["filters"],
                "filter_combination": calc.get("filter_combination", "AND"),
            },
        )
    op, col = calc["op"], calc.get("column")
    if op == "COUNT":
        return len(df) if not col else int(df[col].notna().sum())
    s = df[col].dropna()
    if op == "COUNT_DISTINCT":
        return s.nunique()
    if s.empty:
        return None
    if op in PERCENTILE_OPS:
        return float(s.astype(float).quantile(PERCENTILE_OPS[op]))
    return {"SUM": s.sum, "AVG": s.mean, "MAX": s.max, "MIN": s.min}[op]()


def ref_groups(df: pd.DataFrame, spec: dict[str, Any]) -> dict[tuple, list[Any]]:
    """{breakdown key: [calculation values]} over the filtered window."""
    df = ref_filtered(df, spec)
    bks = spec.get("breakdowns", [])
    calcs = spec.get("calculations") or [{"op": "COUNT"}]
    if not bks:
        return {(): [ref_agg(df, c) for c in calcs]}
    keys = df[bks].apply(lambda r: tuple(_norm(x) for x in r), axis=1)
    return {key: [ref_agg(g, c) for c in calcs] for key, g in df.groupby(keys, sort=False)}


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def rows_as_groups(result, n_keys: int) -> dict[tuple, list[Any]]:
    return {tuple(_norm(x) for x in row[:n_keys]): list(row[n_keys:]) for row in result.rows}


def assert_groups(result, expected: dict[tuple, list[Any]], n_keys: int) -> None:
    got = rows_as_groups(result, n_keys)
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert all(close(_norm(a), _norm(b)) for a, b in zip(got[key], values, strict=True)), (
            key,
            got[key],
            values,
        )


# --------------------------------------------------------------------------- calculations

SIMPLE_OPS = ["COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MAX", "MIN", *PERCENTILE_OPS]
NUMERIC_COLUMNS = ["duration_ms", "http.response.status_code", "app.order.total_usd"]


@pytest.mark.parametrize("column", NUMERIC_COLUMNS)
@pytest.mark.parametrize("op", SIMPLE_OPS)
def test_calculation_matches_pandas(dataset, frame, op: str, column: str) -> None:
    spec = {"calculations": [{"op": op, "column": column}], "breakdowns": ["service.name"], **ALL_TIME}
    result = run_query(dataset, spec)
    assert result.columns == ["service.name", f"{op}({column})"]
    assert_groups(result, ref_groups(frame, spec), 1)


def test_count_without_column_and_default_calculation(dataset, frame) -> None:
    spec = {"breakdowns": ["app.platform", "error"], **ALL_TIME}
    result = run_query(dataset, spec)
    assert result.columns == ["app.platform", "error", "COUNT"]
    assert_groups(result, ref_groups(frame, spec), 2)
    assert sum(r[-1] for r in result.rows) == ROWS
    assert any(r[0] is None for r in result.rows), "the NULL group is kept"


def test_count_distinct_on_strings_and_count_star(dataset, frame) -> None:
    spec = {
        "calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}, {"op": "COUNT", "column": "*"}],
        **ALL_TIME,
    }
    result = run_query(dataset, spec)
    assert result.rows == [(frame["user.id"].nunique(), ROWS)]


def test_named_calculations_with_their_own_filters(dataset, frame) -> None:
    spec = {
        "calculations": [
            {"op": "COUNT"},
            {"op": "COUNT", "name": "errors", "filters": [{"column": "error", "op": "=", "value": True}]},
            {"op": "P90", "column": "duration_ms", "name": "slow_or_android", "filter_combination": "OR",
             "filters": [{"column": "duration_ms", "op": ">", "value": 50},
                         {"column": "app.platform", "op": "=", "value": "android"}]},
        ],
        "breakdowns": ["service.name"],
        **ALL_TIME,
    }  # fmt: skip
    result = run_query(dataset, spec)
    assert result.columns == ["service.name", "COUNT", "errors", "slow_or_android"]
    expected = ref_groups(frame, spec)
    slow_or_android = frame[(frame["duration_ms"] > 50) | (frame["app.platform"] == "android")]
    for service, g in slow_or_android.groupby("service.name"):
        assert close(expected[(service,)][2], g["duration_ms"].quantile(0.9))
    assert_groups(result, expected, 1)


# --------------------------------------------------------------------------- filters

FILTER_CASES: list[tuple[str, str, Any]] = [
    ("http.route", "=", "/api/cart"),
    ("http.route", "!=", "/api/cart"),
    ("http.response.status_code", ">", 404),
    ("http.response.status_code", ">=", 404),
    ("http.response.status_code", "<", 404),
    ("http.response.status_code", "<=", 404),
    ("http.response.status_code", "=", "500"),
    ("http.response.status_code", "!=", 500),
    ("error", "=", True),
    ("error", "!=", True),
    ("error", "=", "false"),
    ("app.cache_hit", "!=", False),
    ("app.platform", "in", ["android", "ios"]),
    ("app.platform", "not-in", ["android"]),
    ("app.platform", "in", []),
    ("app.platform", "not-in", []),
    ("it's", "in", [1, 2, "3"]),
    ("it's", "<=", 0),
    ("http.route", "starts-with", "/api/100%"),
    ("http.route", "starts-with", "/api/1_0"),
    ("http.route", "ends-with", "_off"),
    ("http.route", "ends-with", "off"),
    ("http.route", "contains", "%"),
    ("http.route", "contains", "_"),
    ("http.route", "contains", "'s/\""),
    ("http.route", "does-not-contain", "cart"),
    ("http.route", "does-not-start-with", "/api"),
    ("http.route", "does-not-end-with", "s"),
    ("http.response.status_code", "starts-with", "50"),
    ("trace.parent_id", "exists", None),
    ("trace.parent_id", "does-not-exist", None),
    ("app.order.total_usd", "exists", None),
    ("app.order.total_usd", ">", 100.5),
    ("user.id", "<", "user-010"),
    ('weird "quoted" col', "=", "it's"),
    ('weird "quoted" col', "contains", '"hi"'),
    ('weird "quoted" col', "starts-with", "50% off_"),
    ("http.route", "=", "'; DELETE FROM events; --"),
]


@pytest.mark.parametrize(("column", "op", "value"), FILTER_CASES, ids=lambda x: str(x))
def test_filter_matches_pandas(dataset, frame, column: str, op: str, value: Any) -> None:
    f = {"column": column, "op": op} | ({} if value is None else {"value": value})
    spec = {"filters": [f], **ALL_TIME}
    (count,) = run_query(dataset, spec).rows[0]
    assert count == int(ref_mask(frame, f).sum())


def test_filter_combination_or_and(dataset, frame) -> None:
    filters = [
        {"column": "app.platform", "op": "=", "value": "android"},
        {"column": "error", "op": "=", "value": True},
    ]
    for how in ("AND", "OR"):
        spec = {"filters": filters, "filter_combination": how, "breakdowns": ["service.name"], **ALL_TIME}
        assert_groups(run_query(dataset, spec), ref_groups(frame, spec), 1)


def test_negative_filters_match_missing_fields(dataset, frame) -> None:
    spec = {"filters": [{"column": "app.platform", "op": "!=", "value": "android"}], **ALL_TIME}
    (count,) = run_query(dataset, spec).rows[0]
    assert count == int((frame["app.platform"] != "android").sum())  # pandas: None != "android" too
    assert count > int(frame["app.platform"].isin(["ios", "web"]).sum())


def test_like_wildcards_are_literal(dataset, frame) -> None:
    spec = {"filters": [{"column": "http.route", "op": "contains", "value": "100%_"}], **ALL_TIME}
    (count,) = run_query(dataset, spec).rows[0]
    assert count == int((frame["http.route"] == "/api/100%_off").sum()) > 0
    spec = {"filters": [{"column": "http.route", "op": "starts-with", "value": "/api/1__%"}], **ALL_TIME}
    assert run_query(dataset, spec).rows == [(0,)]


# --------------------------------------------------------------------------- breakdowns, orders, limit, havings


def test_default_order_is_first_calculation_descending_then_breakdowns(dataset) -> None:
    spec = {"calculations": [{"op": "COUNT"}, {"op": "AVG", "column": "duration_ms"}],
            "breakdowns": ["service.name", "app.platform"], **ALL_TIME}  # fmt: skip
    rows = run_query(dataset, spec).rows
    keys = [(-r[2], r[0], (r[1] is None, r[1] or "")) for r in rows]
    assert keys == sorted(keys)
    assert 'ORDER BY "COUNT" DESC' in compile_spec(parse_spec(spec), NOW_EPOCH).sql


@pytest.mark.parametrize(
    ("orders", "sort_key"),
    [
        ([{"column": "service.name"}], lambda r: r[0]),
        ([{"column": "service.name", "order": "descending"}], lambda r: [-ord(c) for c in r[0]]),
        ([{"op": "AVG", "column": "duration_ms"}], lambda r: r[2]),
        ([{"op": "COUNT", "order": "descending"}], lambda r: (-r[1], r[0])),
        ([{"column": "fast", "order": "descending"}], lambda r: (-r[3], r[0])),
    ],
)
def test_orders(dataset, orders, sort_key) -> None:
    spec = {
        "calculations": [{"op": "COUNT"}, {"op": "AVG", "column": "duration_ms"},
                         {"op": "COUNT", "name": "fast", "filters": [{"column": "duration_ms", "op": "<", "value": 20}]}],
        "breakdowns": ["service.name"], "orders": orders, **ALL_TIME,
    }  # fmt: skip
    rows = run_query(dataset, spec).rows
    assert len(rows) == 5
    assert rows == sorted(rows, key=sort_key)


def test_limit_and_default_limit(dataset, frame) -> None:
    spec = {
        "breakdowns": ["user.id"],
        "orders": [{"op": "COUNT", "order": "descending"}],
        "limit": 3,
        **ALL_TIME,
    }
    rows = run_query(dataset, spec).rows
    top = frame["user.id"].value_counts()
    top = sorted(top.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert rows == [(user, n) for user, n in top]
    compiled = compile_spec(parse_spec({"breakdowns": ["user.id"]}), NOW_EPOCH)
    assert compiled.sql.endswith("LIMIT 1000")


@pytest.mark.parametrize(
    ("having", "keep"),
    [
        ({"calculate_op": "COUNT", "op": ">", "value": 70}, lambda v: v[0] > 70),
        ({"calculate_op": "COUNT", "op": "<=", "value": 70}, lambda v: v[0] <= 70),
        ({"calculate_op": "P99", "column": "duration_ms", "op": ">=", "value": 200}, lambda v: v[1] >= 200),
        ({"calculate_op": "COUNT", "op": "!=", "value": 71}, lambda v: v[0] != 71),
        ({"calculate_op": "COUNT", "op": "=", "value": 71}, lambda v: v[0] == 71),
        ({"calculate_op": "P99", "column": "duration_ms", "op": "<", "value": 250}, lambda v: v[1] < 250),
    ],
)
def test_havings(dataset, frame, having, keep) -> None:
    spec = {"calculations": [{"op": "COUNT"}, {"op": "P99", "column": "duration_ms"}],
            "breakdowns": ["service.name"], "havings": [having], **ALL_TIME}  # fmt: skip
    expected = {k: v for k, v in ref_groups(frame, spec).items() if keep(v)}
    assert 0 < len(expected) < 5, "the case should keep some groups and drop others"
    assert_groups(run_query(dataset, spec), expected, 1)


def test_order_or_having_on_heatmap_is_refused() -> None:
    base = {"calculations": [{"op": "HEATMAP", "column": "duration_ms"}]}
    with pytest.raises(WorkbenchError, match="HEATMAP"):
        compile_spec(parse_spec({**base, "orders": [{"op": "HEATMAP", "column": "duration_ms"}]}), NOW_EPOCH)
    with pytest.raises(WorkbenchError, match="matches no"):
        compile_spec(parse_spec({"orders": [{"column": "nope"}]}), NOW_EPOCH)


# --------------------------------------------------------------------------- time windows


@pytest.mark.parametrize(
    "times",
    [
        {},
        {"time_range": 3600},
        {"time_range": 86400},
        {"start_time": NOW_EPOCH - 86400, "end_time": NOW_EPOCH - 3600},
        {"start_time": NOW_EPOCH - 86400},
        {"end_time": NOW_EPOCH - 3600},
        {"time_range": 7200, "end_time": NOW_EPOCH - 86400},
        {"time_range": 3600, "start_time": NOW_EPOCH - 10000},
    ],
)
def test_time_windows(dataset, frame, times) -> None:
    spec = {"breakdowns": ["service.name"], **times}
    compiled = compile_spec(parse_spec(spec), make_schema())
    assert compiled.window == parse_spec(spec).time_window(NOW_EPOCH)
    result = run_query(dataset, spec)
    assert_groups(result, {k: v for k, v in ref_groups(frame, spec).items()}, 1)


def test_default_window_is_two_hours_before_now(dataset, frame) -> None:
    compiled = compile_spec(parse_spec({}), make_schema())
    assert compiled.window == (NOW_EPOCH - 7200, NOW_EPOCH)
    (count,) = run_query(dataset, {}).rows[0]
    ts = frame["timestamp"]
    assert count == int(
        ((ts >= NOW.replace(tzinfo=None) - pd.Timedelta(hours=2)) & (ts < NOW.replace(tzinfo=None))).sum()
    )
    assert 0 < count < ROWS


# --------------------------------------------------------------------------- series


def ref_series(df: pd.DataFrame, spec: dict[str, Any], g: int) -> Counter:
    df = ref_filtered(df, spec)
    buckets = df["timestamp"].dt.floor(f"{g}s")
    keys = [tuple(_norm(x) for x in r) for r in df[spec.get("breakdowns", [])].itertuples(index=False)]
    return Counter((b.to_pydatetime(), *k) for b, k in zip(buckets, keys, strict=True))


@pytest.mark.parametrize("granularity", [3600, 4200])
def test_series_counts_per_bucket(dataset, frame, granularity: int) -> None:
    spec = {"breakdowns": ["service.name"], "granularity": granularity, "time_range": 86400}
    result = run_query(dataset, spec)
    assert result.series is not None
    assert result.series.columns == ["time", "service.name", "COUNT"]
    got = Counter({(r[0], r[1]): r[2] for r in result.series.rows})
    assert got == ref_series(frame, spec, granularity)
    times = [r[0] for r in result.series.rows]
    assert times == sorted(times)


def test_series_keeps_only_the_summary_groups(dataset, frame) -> None:
    spec = {"breakdowns": ["http.route"], "granularity": 3600, "limit": 2, **ALL_TIME}
    result = run_query(dataset, spec)
    kept = {r[0] for r in result.rows}
    assert len(kept) == 2
    assert {r[1] for r in result.series.rows} == kept
    expected = Counter({k: n for k, n in ref_series(frame, spec, 3600).items() if k[1] in kept})
    assert Counter({(r[0], r[1]): r[2] for r in result.series.rows}) == expected


def test_series_null_group_is_kept(dataset) -> None:
    spec = {"breakdowns": ["http.route"], "granularity": 86400, **ALL_TIME}
    result = run_query(dataset, spec)
    assert None in {r[0] for r in result.rows}
    assert None in {r[1] for r in result.series.rows}


def test_auto_granularity() -> None:
    assert auto_granularity(7200) == 60
    assert auto_granularity(86400) == 600
    assert auto_granularity(14 * 86400) == 7200
    compiled = compile_spec(parse_spec({"granularity": 0}), NOW_EPOCH)
    assert compiled.granularity == 60 and compiled.series_columns == ("time", "COUNT")
    assert compile_spec(parse_spec({}), NOW_EPOCH).series_sql is None


# --------------------------------------------------------------------------- HEATMAP, RATE_*, CONCURRENCY


def test_heatmap_buckets_match_hand_computation(dataset, frame) -> None:
    spec = {"calculations": [{"op": "HEATMAP", "column": "duration_ms"}, {"op": "COUNT"}],
            "breakdowns": ["app.platform"], "granularity": 86400, **ALL_TIME}  # fmt: skip
    result = run_query(dataset, spec)
    values = frame["duration_ms"].dropna()
    lo, width = values.min(), (values.max() - values.min()) / HEATMAP_BUCKETS
    lower = {x: lo + width * min(math.floor((x - lo) / width), HEATMAP_BUCKETS - 1) for x in values}
    for platform, cell, count in result.rows:
        rows = (
            frame[frame["app.platform"].map(_norm) == platform]
            if platform
            else frame[frame["app.platform"].isna()]
        )
        expected = Counter(lower[x] for x in rows["duration_ms"])
        assert sorted(cell) == pytest.approx(sorted(expected))
        assert [cell[k] for k in sorted(cell)] == [expected[k] for k in sorted(expected)]
        assert sum(cell.values()) == count
    assert len({k for _, cell, _ in result.rows for k in cell}) <= HEATMAP_BUCKETS
    first_day = [r for r in result.series.rows if r[0] == min(r[0] for r in result.series.rows)]
    assert all(isinstance(r[2], dict) for r in first_day)
    assert result.to_dict()["rows"][0][1][0] == [
        pytest.approx(min(result.rows[0][1])),
        result.rows[0][1][min(result.rows[0][1])],
    ]


@pytest.mark.parametrize("op", ["RATE_AVG", "RATE_SUM", "RATE_MAX"])
def test_rates_match_hand_computation(dataset, frame, op: str) -> None:
    g = 600
    spec = {"calculations": [{"op": op, "column": "duration_ms"}], "breakdowns": ["service.name"],
            "granularity": g, "time_range": 86400}  # fmt: skip
    result = run_query(dataset, spec)
    df = ref_filtered(frame, spec)
    agg = {"RATE_AVG": "mean", "RATE_SUM": "sum", "RATE_MAX": "max"}[op]
    series: dict[tuple, Any] = {}
    summary: dict[tuple, Any] = {}
    for service, g_df in df.groupby("service.name"):
        per_bucket = g_df.groupby(g_df["timestamp"].dt.floor(f"{g}s"))["duration_ms"].agg(agg).sort_index()
        diffs = per_bucket.diff()
        for t, d in diffs.items():
            series[(t.to_pydatetime(), service)] = None if pd.isna(d) else d
        summary[(service,)] = [diffs.dropna().mean() if diffs.notna().any() else None]
    assert_groups(result, summary, 1)
    got = {(r[0], r[1]): r[2] for r in result.series.rows}
    assert len(series) > 20 and sum(v is not None for v in series.values()) > 10
    assert set(got) == set(series)
    assert all(close(got[k], series[k]) for k in series)


def test_rate_summary_uses_auto_granularity_without_one(dataset) -> None:
    spec = {"calculations": [{"op": "RATE_SUM", "column": "duration_ms"}]}
    compiled = compile_spec(parse_spec(spec), NOW_EPOCH)
    assert "INTERVAL '60' SECOND" in compiled.sql and compiled.series_sql is None
    assert len(run_query(dataset, spec).rows) == 1


SPANS = [  # (service, start second after 11:00, duration in seconds or None)
    ("a", 0, 10),
    ("a", 5, 10),
    ("a", 10, 10),
    ("a", 12, 1),  # peak 3 at t=12; at t=10 one ends as one starts
    ("b", 100, 50),
    ("b", 100, 5),
    ("b", 150, 1),  # peak 2 at t=100; at t=150 one ends as one starts
    ("a", 700, None),
    ("a", 700, 2),  # next 10-minute bucket: the span without duration is left out
]


def sweep(spans: list[tuple[str, int, Any]]) -> int:
    points = sorted(
        [(s, 1) for _, s, d in spans if d is not None] + [(s + d, -1) for _, s, d in spans if d is not None]
    )
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    return peak


@pytest.fixture(scope="module")
def spans_dataset(tmp_path_factory: pytest.TempPathFactory) -> StubDataset:
    base = pd.Timestamp(NOW.replace(tzinfo=None)) - pd.Timedelta(hours=1)
    template = list(make_rows()[0])
    rows = []
    for service, start, duration in SPANS:
        row = list(template)
        row[0] = (base + pd.Timedelta(seconds=start)).to_pydatetime()
        row[4], row[7] = service, (duration * 1000.0 if duration is not None else None)
        rows.append(tuple(row))
    ds = StubDataset(make_events_db(tmp_path_factory.mktemp("spans") / "spans.duckdb", rows))
    yield ds
    ds.close()


def test_concurrency_matches_sweep(spans_dataset) -> None:
    assert sweep(SPANS) == 3
    result = run_query(spans_dataset, {"calculations": [{"op": "CONCURRENCY"}, {"op": "COUNT"}]})
    assert result.rows == [(3, len(SPANS))]
    by_service = run_query(
        spans_dataset, {"calculations": [{"op": "CONCURRENCY"}], "breakdowns": ["service.name"]}
    )
    assert by_service.rows == [("a", sweep([s for s in SPANS if s[0] == "a"])), ("b", 2)]


def test_concurrency_series_and_calculation_filter(spans_dataset) -> None:
    spec = {
        "calculations": [{"op": "CONCURRENCY"},
                         {"op": "CONCURRENCY", "name": "b_only", "filters": [{"column": "service.name", "op": "=", "value": "b"}]}],
        "granularity": 600,
    }  # fmt: skip
    result = run_query(spans_dataset, spec)
    assert result.rows == [(3, 2)]
    hour = datetime(2026, 11, 20, 11, 0)
    assert result.series.rows == [(hour, 3, 2), (hour.replace(minute=10), 1, None)]


# --------------------------------------------------------------------------- safety: model text never becomes SQL

INJECTIONS = [
    "'; DELETE FROM events; --",
    "x' OR '1'='1",
    "\\'; DROP TABLE events; --",
    'a"b\\c',
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injected_values_are_plain_literals(dataset, value: str) -> None:
    for op in ("=", "contains", "starts-with"):
        spec = {"filters": [{"column": "http.route", "op": op, "value": value}], **ALL_TIME}
        assert run_query(dataset, spec).rows == [(0,)]
    compiled = compile_spec(
        parse_spec({"filters": [{"column": "http.route", "op": "=", "value": value}]}), NOW_EPOCH
    )
    for dialect in DIALECTS:
        sql = compile_spec(parse_spec({"filters": [{"column": "http.route", "op": "=", "value": value}]}),
                           NOW_EPOCH, dialect=dialect).sql  # fmt: skip
        statements = sqlglot.parse(sql, read=dialect)
        assert len(statements) == 1
        literals = {lit.this for lit in statements[0].find_all(exp.Literal) if lit.is_string}
        assert value in literals, (dialect, sql)
    assert run_sql(dataset, "SELECT count(*) FROM events").rows == [(ROWS,)]
    assert compiled.sql.count(";") == value.count(";")


@pytest.mark.parametrize("column", ['x"; DROP TABLE events; --', "http.route\" = 'a' OR \"1", "it's"])
def test_injected_column_names_are_quoted_identifiers(dataset, column: str) -> None:
    spec = parse_spec({"breakdowns": [column], "filters": [{"column": column, "op": "exists"}], **ALL_TIME})
    if column != "it's":
        with pytest.raises(WorkbenchError, match="unknown column"):
            compile_spec(spec, make_schema())
    sql = compile_spec(spec, NOW_EPOCH).sql  # no schema: compiled, names quoted
    (statement,) = sqlglot.parse(sql, read="duckdb")
    assert column in {i.this for i in statement.find_all(exp.Identifier)}
    if column == "it's":
        assert run_query(dataset, spec).columns == ["it's", "COUNT"]
    else:
        with pytest.raises(QueryError, match="not found"):
            run_sql(dataset, sql)
    assert run_sql(dataset, "SELECT count(*) FROM events").rows == [(ROWS,)]


def test_non_finite_numbers_stay_numbers() -> None:
    spec = parse_spec('{"filters": [{"column": "duration_ms", "op": ">", "value": NaN}]}')
    sql = compile_spec(spec, make_schema()).sql
    assert "CAST('NaN' AS DOUBLE)" in sql
    (statement,) = sqlglot.parse(sql, read="duckdb")
    assert {c.name for c in statement.find_all(exp.Column)} == {
        "timestamp",
        "duration_ms",
        "COUNT",
    }  # COUNT: ORDER BY


# --------------------------------------------------------------------------- dialects

DIALECT_SPECS: list[dict[str, Any]] = [
    {},
    {"calculations": [{"op": "P99", "column": "duration_ms"}, {"op": "COUNT_DISTINCT", "column": "user.id"}],
     "breakdowns": ["http.route"], "filters": [{"column": "app.platform", "op": "=", "value": "android"}],
     "orders": [{"op": "P99", "column": "duration_ms", "order": "descending"}], "limit": 10,
     "havings": [{"calculate_op": "P99", "column": "duration_ms", "op": ">", "value": 100}]},
    {"filters": [{"column": c, "op": op, **({"value": v} if v is not None else {})} for c, op, v in FILTER_CASES],
     "filter_combination": "OR"},
    {"calculations": [{"op": "COUNT"}, {"op": "COUNT", "name": "errors", "filters": [{"column": "error", "op": "=", "value": True}]}],
     "breakdowns": ["service.name"], "granularity": 3600, "time_range": 86400},
    {"calculations": [{"op": "RATE_AVG", "column": "duration_ms"}, {"op": "CONCURRENCY"}, {"op": "P50", "column": "duration_ms"}],
     "breakdowns": ["service.name"], "granularity": 600},
    {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}], "breakdowns": ["user.id"],
     "orders": [{"op": "SUM", "column": "app.order.total_usd", "order": "descending"}], "limit": 10},
]  # fmt: skip


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("index", range(len(DIALECT_SPECS)))
def test_every_dialect_parses_back(index: int, dialect: str) -> None:
    compiled = compile_spec(parse_spec(DIALECT_SPECS[index]), make_schema(), dialect=dialect)
    assert compiled.dialect == dialect
    for sql in (compiled.sql, compiled.series_sql):
        if sql is not None:
            assert len(sqlglot.parse(sql, read=dialect)) == 1


def test_dialect_spellings() -> None:
    spec = parse_spec(DIALECT_SPECS[1])
    assert "QUANTILE_CONT" in compile_spec(spec, NOW_EPOCH).sql
    assert "WITHIN GROUP" in compile_spec(spec, NOW_EPOCH, dialect="postgres").sql
    assert "APPROX_PERCENTILE" in compile_spec(spec, NOW_EPOCH, dialect="trino").sql
    assert "APPROX_QUANTILES" in compile_spec(spec, NOW_EPOCH, dialect="bigquery").sql
    assert "`http.route`" in compile_spec(spec, NOW_EPOCH, dialect="bigquery").sql
    ends = parse_spec({"filters": [{"column": "http.route", "op": "ends-with", "value": "x"}]})
    assert "RIGHT(" in compile_spec(ends, NOW_EPOCH, dialect="postgres").sql
    assert "ENDS_WITH(" in compile_spec(ends, NOW_EPOCH).sql
    series = parse_spec({"granularity": 60})
    assert "toStartOfInterval" in compile_spec(series, NOW_EPOCH, dialect="clickhouse").series_sql
    assert "TIME_BUCKET" in compile_spec(series, NOW_EPOCH).series_sql


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d not in ("duckdb", "clickhouse", "postgres")])
def test_heatmap_has_no_equivalent_elsewhere(dialect: str) -> None:
    spec = parse_spec({"calculations": [{"op": "HEATMAP", "column": "duration_ms"}]})
    with pytest.raises(WorkbenchError, match=f"HEATMAP.*{dialect}"):
        compile_spec(spec, NOW_EPOCH, dialect=dialect)


def test_unknown_dialect_and_unsupported_fields() -> None:
    with pytest.raises(WorkbenchError, match="unknown SQL dialect 'oracle'"):
        compile_spec(parse_spec({}), NOW_EPOCH, dialect="oracle")
    assert compile_spec(parse_spec({}), NOW_EPOCH, dialect="postgresql").dialect == "postgres"
    with pytest.raises(WorkbenchError, match="formulas"):
        compile_spec(parse_spec({"formulas": [{"name": "f", "expression": "$a"}]}), NOW_EPOCH)
    with pytest.raises(WorkbenchError, match="empty"):
        compile_spec(parse_spec({"start_time": NOW_EPOCH, "end_time": NOW_EPOCH}), NOW_EPOCH)


def test_identifiers_are_quoted_and_columns_labelled() -> None:
    compiled = compile_spec(parse_spec(DIALECT_SPECS[1]), make_schema())
    assert '"http.route"' in compiled.sql and '"P99(duration_ms)"' in compiled.sql
    assert compiled.columns == ("http.route", "P99(duration_ms)", "COUNT_DISTINCT(user.id)")
    assert compiled.window == (NOW_EPOCH - 7200, NOW_EPOCH)


def test_transpile_helper() -> None:
    assert transpile('SELECT "a.b" FROM t', "bigquery") == "SELECT `a.b` FROM t"
    with pytest.raises(WorkbenchError, match="dialect"):
        transpile("SELECT 1", "nope")


HEATMAP = {"op": "HEATMAP", "column": "duration_ms"}


@pytest.mark.parametrize(
    ("calculations", "order_by"),
    [
        ([HEATMAP], None),  # a histogram has no order: no ORDER BY at all
        ([HEATMAP, {"op": "CONCURRENCY"}], 'ORDER BY "CONCURRENCY" DESC'),  # the first other calculation
        ([{"op": "CONCURRENCY"}, HEATMAP], 'ORDER BY "CONCURRENCY" DESC'),
    ],
)
def test_heatmap_is_never_the_default_order(dataset, calculations, order_by) -> None:
    spec = {"calculations": calculations}
    compiled = compile_spec(parse_spec(spec), make_schema())
    outer = sqlglot.parse_one(compiled.sql, read="duckdb").args.get("order")
    assert (outer.sql(dialect="duckdb") if outer else None) == order_by
    assert len(run_query(dataset, spec).rows) == 1
