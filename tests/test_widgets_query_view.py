"""The query view: builder rows, clause-by-clause marks against the gold and between variants, pretty SQL."""

from __future__ import annotations

import re
from html import unescape

import pytest

from workbench.spec.readback import builder, differing_clauses
from workbench.widgets._query_view import query_html, sql_html

BASE = {
    "calculations": [{"op": "P95", "column": "duration_ms"}],
    "breakdowns": ["http.route"],
    "time_range": 3600,
}


def marked(html: str, css: str) -> list[str]:
    return re.findall(rf"<tr class='wb-clause {css}' data-clause='([^']+)'", html)


@pytest.mark.parametrize(
    ("change", "clauses"),
    [
        ({}, []),
        ({"breakdowns": ["service.name"]}, ["GROUP BY"]),
        ({"breakdowns": ["http.route", "service.name"]}, ["GROUP BY"]),
        ({"calculations": [{"op": "P99", "column": "duration_ms"}]}, ["VISUALIZE"]),
        ({"time_range": 86400}, ["TIME"]),
        ({"limit": 10}, ["LIMIT"]),
        ({"filters": [{"column": "error", "op": "=", "value": True}]}, ["WHERE"]),
        ({"orders": [{"op": "P95", "column": "duration_ms", "order": "descending"}]}, ["ORDER BY"]),
        ({"breakdowns": [], "limit": 5}, ["GROUP BY", "LIMIT"]),
    ],
)
def test_differing_clauses(change: dict, clauses: list[str]) -> None:
    assert differing_clauses(builder({**BASE, **change}), builder(BASE)) == clauses


def test_filter_order_does_not_matter_but_and_or_does() -> None:
    a = {"column": "error", "op": "=", "value": True}
    b = {"column": "app.platform", "op": "=", "value": "ios"}
    x, y = builder({**BASE, "filters": [a, b]}), builder({**BASE, "filters": [b, a]})
    assert differing_clauses(x, y) == []
    assert differing_clauses(x, builder({**BASE, "filters": [a, b], "filter_combination": "OR"})) == ["WHERE"]


def test_query_view_marks_the_gold_difference_and_shows_the_golds_clause() -> None:
    html = query_html({**BASE, "breakdowns": ["service.name"]}, against=BASE)
    assert marked(html, "wb-diff") == ["GROUP BY"]
    assert "differs from gold in: GROUP BY" in html and "gold: http.route" in html
    assert marked(query_html(BASE, against=BASE), "wb-diff") == [] and "same clauses as gold" in query_html(
        BASE, against=BASE
    )


def test_query_view_marks_what_sets_a_variant_apart_in_amber() -> None:
    other = {**BASE, "limit": 10}
    html = query_html(BASE, others=[other, BASE])
    assert marked(html, "wb-vdiff") == ["LIMIT"] and marked(html, "wb-diff") == []
    assert "gold" not in html


def test_query_view_is_the_builder_form_with_raw_json_one_click_away() -> None:
    html = query_html(BASE)
    rows = marked(html, "") + re.findall(r"<tr class='wb-clause' data-clause='([^']+)'", html)
    assert rows == ["VISUALIZE", "GROUP BY", "TIME"]  # empty clauses left out
    assert "P95 of duration_ms, by http.route, last 1 hour" in unescape(html)
    assert re.search(r"<details class='wb-raw-json'><summary", html)  # closed until clicked
    assert '"time_range": 3600' in unescape(html)


def test_an_unparseable_query_still_shows_its_json_and_none_shows_a_grey_line() -> None:
    html = query_html({"calculations": "nonsense"})
    assert "not a valid query" in html and "wb-raw-json" in html and "wb-builder" not in html
    assert "no query" in query_html(None)


def test_sql_is_pretty_and_scrolls_instead_of_wrapping() -> None:
    html = sql_html('SELECT "route", COUNT(*) AS n FROM events WHERE error GROUP BY "route" ORDER BY n DESC')
    text = unescape(re.search(r"<pre[^>]*>(.*)</pre>", html, re.S).group(1))
    assert text.splitlines()[0] == "SELECT" and "GROUP BY" in text.splitlines()
    assert "white-space:pre;" in html and "overflow-x:auto" in html
    assert "no SQL" in sql_html(None)
    assert "SELEC FROM (" in unescape(sql_html("SELEC FROM ("))  # kept as given when sqlglot cannot read it
