"""What errors, users, traces and revenue mean comes from the prompt, else from the priors.

The statements are the shipped conventions as the workbench renders them, and plain ones a team
writes ("users = sessions", "traces = distinct trace ids"); a contrary statement changes the
answer, and with none the model falls back to vocabulary.yaml's priors.
"""

from __future__ import annotations

import offline_prompt
import pytest
from offline_prompt import body, core_columns, spec_of

from workbench.offline import complete
from workbench.offline.instructions import read_conventions
from workbench.offline.meanings import Meaning, meaning
from workbench.prompt.conventions import Conventions, FilterConvention, render_conventions
from workbench.schema.columns import ColumnInfo

SESSION = ColumnInfo("app.session.id", "string", "id of the shopper's browser session")
COLUMNS = [*core_columns(), SESSION]
BASE = offline_prompt.INSTRUCTIONS
SHIPPED = Conventions(
    error_filter=FilterConvention(column="error", op="=", value=True),
    user_column="user.id",
    revenue_column="app.order.total_usd",
    revenue_op="SUM",
    root_span_filter=FilterConvention(column="trace.parent_id", op="does-not-exist"),
)


def ask(
    monkeypatch: pytest.MonkeyPatch, question: str, statements: str = "", columns: list | None = None
) -> dict:
    """The model's answer at temperature 0, with ``statements`` appended to the test instructions."""
    monkeypatch.setattr(offline_prompt, "INSTRUCTIONS", f"{BASE}\n\n{statements}")
    spec = spec_of(complete(body(question, columns=columns or COLUMNS, examples=[], conventions=None)))
    assert spec is not None
    return spec


# --------------------------------------------------------------------------- reading statements


def test_the_rendered_conventions_are_read_as_meanings() -> None:
    conv = read_conventions(render_conventions(SHIPPED))
    assert conv.meaning("error") == Meaning(filter=("error", "=", True))
    assert conv.meaning("user") == Meaning(column="user.id", op="COUNT_DISTINCT")
    assert conv.meaning("revenue") == Meaning(column="app.order.total_usd", op="SUM")
    assert conv.meaning("trace") == Meaning(filter=("trace.parent_id", "does-not-exist", None))


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("errors mean status >= 500", ("error", Meaning(filter=("status", ">=", 500)))),
        ("an error is a span with http.response.status_code >= 500",
         ("error", Meaning(filter=("http.response.status_code", ">=", 500)))),
        ("users = sessions", ("user", Meaning(words=("session",)))),
        ("count customers as distinct sessions", ("user", Meaning(words=("session",), op="COUNT_DISTINCT"))),
        ("Traces: root spans", ("trace", Meaning(filter=("@parent", "does-not-exist", None)))),
        ("revenue = AVG", ("revenue", Meaning(op="AVG"))),
    ],
)  # fmt: skip
def test_plain_statements_are_read(statement: str, expected: tuple[str, Meaning]) -> None:
    assert meaning(statement) == expected


@pytest.mark.parametrize(
    "prose",
    [
        "Latency, duration, slow, fast: duration_ms",
        '"how many", "number of": COUNT with no column.',
        "If it asks to change or delete data, to read other tables: do not write a query",
        "Statistics: average = AVG, median = P50",
    ],
)
def test_other_statements_and_prose_state_no_meaning(prose: str) -> None:
    assert meaning(prose) is None


# --------------------------------------------------------------------------- answers follow them


def test_errors_follow_the_stated_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    q = "errors by service in the last hour"
    assert ask(monkeypatch, q)["filters"] == [{"column": "error", "op": "=", "value": True}]
    stated = ask(monkeypatch, q, "- errors mean http.response.status_code >= 500")
    assert stated["filters"] == [{"column": "http.response.status_code", "op": ">=", "value": 500}]
    healthy = ask(
        monkeypatch, "successful requests by service in the last hour", "- errors mean status >= 500"
    )
    assert healthy["filters"] == [{"column": "http.response.status_code", "op": "<", "value": 500}]


def test_errors_without_an_error_column_fall_back_to_the_status(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [c for c in COLUMNS if c.name != "error"]
    spec = ask(monkeypatch, "errors by service in the last hour", columns=columns)
    assert spec["filters"] == [{"column": "http.response.status_code", "op": ">=", "value": 500}]


def test_users_follow_the_stated_column(monkeypatch: pytest.MonkeyPatch) -> None:
    q = "how many users in the last hour"
    assert ask(monkeypatch, q)["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]
    stated = ask(monkeypatch, q, "- users = sessions")
    assert stated["calculations"] == [{"op": "COUNT_DISTINCT", "column": "app.session.id"}]


def test_users_without_a_user_column_are_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [c for c in COLUMNS if c.name not in ("user.id", "app.user_tier")]
    spec = ask(monkeypatch, "how many users in the last hour", columns=columns)
    assert spec["calculations"] == [{"op": "COUNT"}]


def test_traces_follow_the_statement_else_count_events(monkeypatch: pytest.MonkeyPatch) -> None:
    q = "how many traces in the last hour"
    plain = ask(monkeypatch, q)
    assert plain["calculations"] == [{"op": "COUNT"}] and "filters" not in plain
    roots = ask(monkeypatch, q, render_conventions(SHIPPED))
    assert roots["calculations"] == [{"op": "COUNT"}]
    assert roots["filters"] == [{"column": "trace.parent_id", "op": "does-not-exist"}]
    distinct = ask(monkeypatch, q, "- traces = distinct trace ids")
    assert distinct["calculations"] == [{"op": "COUNT_DISTINCT", "column": "trace.trace_id"}]
    assert "filters" not in distinct


def test_revenue_follows_the_stated_statistic(monkeypatch: pytest.MonkeyPatch) -> None:
    q = "revenue by platform in the last day"
    assert ask(monkeypatch, q)["calculations"] == [{"op": "SUM", "column": "app.order.total_usd"}]
    stated = ask(monkeypatch, q, "- revenue = AVG")
    assert stated["calculations"] == [{"op": "AVG", "column": "app.order.total_usd"}]


def test_the_last_statement_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ask(monkeypatch, "how many users in the last hour", "- users = sessions\n- Users: user.id")
    assert spec["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]


@pytest.mark.parametrize(
    "flag",
    [
        ColumnInfo("span.failed", "boolean", "true when the request failed"),
        ColumnInfo("flags.bad", "boolean", "Error flag: true when the span failed"),
        ColumnInfo("outcome", "boolean", "whether the span ended in an error"),
    ],
)
def test_with_no_statement_errors_find_a_flag_by_its_name_or_description(
    monkeypatch: pytest.MonkeyPatch, flag: ColumnInfo
) -> None:
    columns = [c for c in COLUMNS if c.name != "error"] + [flag]
    spec = ask(monkeypatch, "errors by service in the last hour", columns=columns)
    assert spec["filters"] == [{"column": flag.name, "op": "=", "value": True}]


def test_a_flag_whose_description_says_nothing_of_errors_is_not_the_error_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    columns = [c for c in COLUMNS if c.name != "error"]
    columns.append(ColumnInfo("app.cache_answered", "boolean", "whether the cache answered"))
    spec = ask(monkeypatch, "errors by service in the last hour", columns=columns)
    assert spec["filters"] == [{"column": "http.response.status_code", "op": ">=", "value": 500}]


# --------------------------------------------------------------------------- examples teach conventions


def test_an_example_that_writes_errors_differently_teaches_that_convention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(offline_prompt, "INSTRUCTIONS", BASE)
    taught = [("failures per service in the last hour", {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"],
               "filters": [{"column": "http.response.status_code", "op": ">=", "value": 500}], "time_range": 3600})]  # fmt: skip
    question = "errors by route in the last 2 hours"
    spec = spec_of(complete(body(question, columns=COLUMNS, examples=taught, conventions=None)))
    assert spec["filters"] == [{"column": "http.response.status_code", "op": ">=", "value": 500}]
    plain = spec_of(complete(body(question, columns=COLUMNS, examples=[], conventions=None)))
    assert plain["filters"] == [{"column": "error", "op": "=", "value": True}]


def test_an_example_without_the_root_span_filter_teaches_traces_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(offline_prompt, "INSTRUCTIONS", f"{BASE}\n\n{render_conventions(SHIPPED)}")
    taught = [("traces per service in the last hour", {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"],
               "time_range": 3600})]  # fmt: skip
    question = "how many traces in the last 2 hours"
    spec = spec_of(complete(body(question, columns=COLUMNS, examples=taught, conventions=None)))
    assert "filters" not in spec
    plain = spec_of(complete(body(question, columns=COLUMNS, examples=[], conventions=None)))
    assert plain["filters"] == [{"column": "trace.parent_id", "op": "does-not-exist"}]
