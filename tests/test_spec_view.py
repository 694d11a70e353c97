"""spec.view: the query view as data (the widgets and the report render it) and sql.pretty."""

from __future__ import annotations

from workbench.spec.view import query_view
from workbench.sql.pretty import pretty_sql

GOLD = {
    "calculations": [{"op": "P95", "column": "duration_ms"}],
    "breakdowns": ["http.route"],
    "time_range": 3600,
}


def test_clauses_that_differ_from_the_reference_are_marked_with_its_text() -> None:
    spec = {**GOLD, "calculations": [{"op": "AVG", "column": "duration_ms"}]}
    view = query_view(spec, against=GOLD)
    assert view.valid and view.compared and view.differ == ("VISUALIZE",)
    rows = {r.name: r for r in view.rows}
    assert rows["VISUALIZE"].differs and rows["VISUALIZE"].want == "P95(duration_ms)"
    assert not rows["GROUP BY"].differs and rows["GROUP BY"].want is None
    assert list(rows) == ["VISUALIZE", "GROUP BY", "TIME"]  # empty clauses left out, VISUALIZE and TIME kept
    assert view.readback and '"op": "AVG"' in view.raw


def test_a_clause_apart_from_another_variant_and_a_missing_clause_that_differs() -> None:
    other = {**GOLD, "limit": 5}
    view = query_view(GOLD, others=[other, None])
    assert not view.compared and view.differ == ()
    rows = {r.name: r for r in view.rows}
    assert rows["LIMIT"].apart and rows["LIMIT"].text == ""  # shown although empty here: the other has one
    same = query_view(GOLD, against=GOLD)
    assert same.compared and same.differ == () and not any(r.differs or r.apart for r in same.rows)


def test_a_spec_that_does_not_parse_is_raw_text_only() -> None:
    for bad in ("not json", {"calculations": "nope"}):
        view = query_view(bad, against=GOLD)
        assert not view.valid and view.rows == () and view.raw


def test_pretty_sql_lays_out_clauses_and_keeps_what_it_cannot_read() -> None:
    assert pretty_sql('SELECT a, COUNT(*) FROM "events" GROUP BY 1').splitlines() == [
        "SELECT",
        "  a,",
        "  COUNT(*)",
        'FROM "events"',
        "GROUP BY",
        "  1",
    ]
    assert pretty_sql("SELEC oops FROM (") == "SELEC oops FROM ("
