"""The views' shared helpers: error lines, background tasks, result tables and charts, findings."""

from __future__ import annotations

import re
import threading
from datetime import datetime

import ipywidgets as widgets
import pytest

from workbench.core.errors import ConfigError
from workbench.core.findings import error, warning
from workbench.sql.execute import QueryResult
from workbench.widgets._charts import plotly_output, result_figure
from workbench.widgets._common import (
    findings_html,
    message_of,
    result_table_html,
    with_class,
)
from workbench.widgets._ui import Task

T0, T1 = datetime(2026, 11, 20, 10), datetime(2026, 11, 20, 11)


def test_message_of_is_one_line() -> None:
    assert message_of(ConfigError("bad file", "fix it")) == "bad file (fix it)"
    assert message_of(RuntimeError("boom\n  File x, line 3")) == "RuntimeError: boom"
    assert message_of(KeyError()) == "KeyError"


def test_result_table_has_a_header_per_column_and_escapes() -> None:
    html = result_table_html(QueryResult(["http.route", "P99(duration_ms)"], [("/a<b>", 1.5), (None, 2.0)]))
    assert "<table class='wb-result-table'" in html
    assert re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html) == ["http.route", "P99(duration_ms)"]
    assert "/a&lt;b&gt;" in html and "null" in html and "2 rows" in html
    logged = {"columns": ["n"], "rows": [[1]] * 3, "row_count": 500, "truncated": False}
    assert "500 rows, first 3 shown" in result_table_html(logged)
    assert "no result" in result_table_html(None)


def test_findings_are_colored_by_severity() -> None:
    html = findings_html([error("unknown_column", "no <x>", "filters[0]", "use y"), warning("w", "careful")])
    assert "wb-error" in html and "wb-warning" in html and "no &lt;x&gt;" in html and "use y" in html
    assert "unknown_column" in findings_html(
        [{"severity": "error", "code": "unknown_column", "message": "m"}]
    )
    assert "no findings" in findings_html([])


def test_series_gives_a_line_per_group() -> None:
    series = QueryResult(["time", "service.name", "COUNT"], [(T0, "a", 1), (T1, "a", 2), (T0, "b", 3)])
    summary = QueryResult(["service.name", "COUNT"], [("a", 3), ("b", 3)], series=series)
    fig = result_figure(summary, {"breakdowns": ["service.name"]})
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert sorted(t.name for t in fig.data) == ["a", "b"]


def test_series_fill_empty_buckets_with_zero_for_counts_and_gaps_for_percentiles() -> None:
    t3 = datetime(2026, 11, 20, 13)
    rows = [(T0, "a", 1, 5.0), (t3, "a", 2, 7.0), (T1, "b", 4, 9.0)]
    series = QueryResult(["time", "service.name", "COUNT", "P95(duration_ms)"], rows)
    summary = QueryResult(["service.name", "COUNT", "P95(duration_ms)"], [("a", 3, 7.0)], series=series)
    fig = result_figure(summary, {"breakdowns": ["service.name"], "granularity": 3600})
    lines = {t.name: t for t in fig.data}
    hours = [T0, T1, datetime(2026, 11, 20, 12), t3]
    assert list(lines["a · COUNT"].x) == hours and list(lines["a · COUNT"].y) == [1, 0, 0, 2]
    assert list(lines["b · COUNT"].y) == [0, 4, 0, 0]
    assert list(lines["a · P95(duration_ms)"].y) == [5.0, None, None, 7.0]  # no events: no percentile
    one = result_figure(
        QueryResult(["COUNT"], [(3,)], series=QueryResult(["time", "COUNT"], [(T0, 1), (t3, 2)]))
    )
    assert one.layout.yaxis.title.text == "COUNT" and one.layout.xaxis.title.text == "time (UTC)"
    assert one.layout.width is None and one.layout.autosize  # sized by its column
    logged = {"columns": ["COUNT"], "rows": [[3]], "series": {"columns": ["time", "COUNT"],
              "rows": [[T0.isoformat(), 1], [t3.isoformat(), 2]]}}  # fmt: skip
    assert list(result_figure(logged, {"granularity": 3600}).data[0].y) == [1, 0, 0, 2]


def test_heatmaps_in_summary_series_and_the_log() -> None:
    cells = {0.0: 3, 10.0: 1}
    summary = QueryResult(["service.name", "HEATMAP(duration_ms)"], [("a", cells), ("b", {10.0: 4})])
    fig = result_figure(summary, {"breakdowns": ["service.name"]})
    assert fig.data[0].type == "heatmap" and list(fig.data[0].x) == ["a", "b"]
    series = QueryResult(["time", "HEATMAP(duration_ms)"], [(T0, cells), (T1, {})])
    assert (
        result_figure(QueryResult(["HEATMAP(duration_ms)"], [(cells,)], series=series)).data[0].type
        == "heatmap"
    )
    logged = {"columns": ["HEATMAP(duration_ms)"], "rows": [[[[0.0, 3], [10.0, 1]]]]}  # jsonable pairs
    assert result_figure(logged).data[0].type == "heatmap"


def test_plain_results_have_no_chart() -> None:
    assert result_figure(QueryResult(["COUNT"], [(3,)])) is None
    assert result_figure(None) is None
    out = widgets.Output()
    plotly_output(out, None)
    assert out.outputs == ()


def test_task_disables_buttons_and_reports_errors() -> None:
    button, err = widgets.Button(), widgets.HTML()
    gate = threading.Event()
    task = Task(buttons=[button], error=err)

    def work() -> int:
        gate.wait(5)
        raise ConfigError("no such run", "list runs")

    task.start(work)
    assert task.running and button.disabled
    assert task.start(work) is None  # one run at a time
    gate.set()
    assert task.join(5)
    assert not button.disabled and isinstance(task.exception, ConfigError)
    assert "no such run (list runs)" in err.value


@pytest.mark.parametrize("css", ["a", "b"])
def test_with_class_finds_nested_widgets(css: str) -> None:
    inner = widgets.HTML()
    inner.add_class(css)
    root = widgets.VBox([widgets.HBox([inner])])
    assert with_class(root, css) == [inner]
