"""The offline model follows the naming conventions its instructions state, and only those.

Column bindings (``Latency, slow: <column>``) and what "slow" means (``slow means
P95``) come from the request's instructions; without them the model answers as
it always did. Bindings to columns the schema block does not list are ignored.
"""

from __future__ import annotations

from pathlib import Path

import offline_prompt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from offline_prompt import body, core_columns, spec_of

from workbench.offline import complete
from workbench.offline.instructions import NONE, phrases_of, read_conventions
from workbench.schema.columns import ColumnInfo

DEFAULT_MD = Path(__file__).resolve().parents[1] / "prompts" / "instructions" / "default.md"
PROVIDER = "app.payment.provider_latency_ms"
COLUMNS = [
    *core_columns(),
    ColumnInfo(PROVIDER, "float", "latency of the call to the payment provider in ms"),
]
NAMES = {c.name for c in COLUMNS}
BASE = offline_prompt.INSTRUCTIONS


def ask(
    monkeypatch: pytest.MonkeyPatch, question: str, conventions: str = "", columns: list | None = None
) -> dict:
    """The model's answer at temperature 0, with ``conventions`` appended to the test instructions."""
    monkeypatch.setattr(offline_prompt, "INSTRUCTIONS", f"{BASE}\n\n{conventions}")
    spec = spec_of(complete(body(question, columns=columns or COLUMNS, examples=[], conventions=None)))
    assert spec is not None
    return spec


def calc_columns(spec: dict) -> list[str | None]:
    return [c.get("column") for c in spec["calculations"]]


# --------------------------------------------------------------------------- column bindings


def test_a_binding_in_the_instructions_names_the_latency_column(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = ask(monkeypatch, "p95 latency by service", "- Latency, slow: app.payment.provider_latency_ms")
    assert bound["calculations"] == [{"op": "P95", "column": PROVIDER}]
    assert bound["breakdowns"] == ["service.name"]
    slowest = ask(monkeypatch, "slowest routes", "- Latency, slow: app.payment.provider_latency_ms")
    assert calc_columns(slowest) == [PROVIDER]
    plain = ask(monkeypatch, "p95 latency by service")
    assert plain["calculations"] == [{"op": "P95", "column": "duration_ms"}]


def test_a_binding_applies_to_the_terms_it_names_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ask(monkeypatch, "p95 duration by service", f"Latency: {PROVIDER}")
    assert calc_columns(spec) == ["duration_ms"]


def test_a_binding_to_a_column_the_block_does_not_list_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ask(monkeypatch, "p95 latency by service", "- Latency, slow: app.checkout.latency_ms")
    assert calc_columns(spec) == ["duration_ms"]
    hidden = [c for c in COLUMNS if c.name != PROVIDER]
    spec = ask(monkeypatch, "p95 latency by service", f"- Latency: {PROVIDER}", columns=hidden)
    assert calc_columns(spec) == ["duration_ms"]
    assert PROVIDER not in str(spec)


def test_the_last_listed_binding_of_a_term_wins() -> None:
    conv = read_conventions(f"- Latency: duration_ms\n- Latency: {PROVIDER}\n- Latency: not.listed")
    assert conv.concept_column("duration", phrases_of(tuple(["p95", "latency"])), NAMES) == PROVIDER
    several = read_conventions("Latency = `duration_ms`, customers = user.id.")
    assert several.bound(["latency"], NAMES) == "duration_ms"
    assert several.bound(["customer"], NAMES) == "user.id"


# --------------------------------------------------------------------------- what "slow" means


def test_slow_means_the_statistic_the_instructions_name(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ask(monkeypatch, "slowest routes", "slow means P95")
    p95 = {"op": "P95", "column": "duration_ms"}
    assert spec["calculations"] == [p95]
    assert spec["breakdowns"] == ["http.route"]
    assert spec["orders"] == [{**p95, "order": "descending"}]
    assert ask(monkeypatch, "slowest routes")["calculations"] == [{"op": "P95", "column": "duration_ms"}]
    median = ask(monkeypatch, "slowest routes", '- "slowest X" with no statistic: the 50th percentile')
    assert median["calculations"] == [{"op": "P50", "column": "duration_ms"}]


def test_a_question_that_names_its_statistic_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ask(monkeypatch, "slowest routes by average latency", "slow means P95")
    assert spec["calculations"][0]["op"] == "AVG"


def test_the_stated_op_tops_the_choice_and_the_others_stay_below() -> None:
    options = [("P99", 0.0), ("P95", -0.7), ("AVG", -1.2), ("MAX", -1.8)]
    assert NONE.prefer_slow(options) == options
    swapped = dict(read_conventions("slow means P95").prefer_slow(options))
    assert max(swapped, key=swapped.get) == "P95" and set(swapped) == {"P99", "P95", "AVG", "MAX"}
    added = dict(read_conventions("slow: p90").prefer_slow(options))
    assert max(added, key=added.get) == "P90" and len(added) == 5
    assert read_conventions("slow means max").prefer_slow(options, descending=False)[0] == ("MIN", 0.0)


# --------------------------------------------------------------------------- the shipped instructions


def _shipped_text() -> str:
    """The instructions and the variant's conventions block, as the rendered system message holds them."""
    from workbench.prompt.conventions import render_conventions
    from workbench.prompt.variant import load_variant

    return (
        DEFAULT_MD.read_text()
        + "\n\n## Conventions\n"
        + render_conventions(load_variant("naive").conventions)
    )


def test_the_shipped_instructions_state_the_everyday_conventions() -> None:
    conv = read_conventions(_shipped_text())
    assert conv.slow_op == "P99"
    assert conv.concept_column("duration", phrases_of(tuple(["p95", "latency"])), NAMES) == "duration_ms"
    assert conv.concept_column("duration", phrases_of(tuple(["slowest", "route"])), NAMES) == "duration_ms"
    assert conv.concept_column("user", phrases_of(tuple(["unique", "user"])), NAMES) == "user.id"
    for words in (["revenue"], ["sale"], ["order", "value"]):
        assert (
            conv.concept_column("order_value", phrases_of(tuple(["total", *words])), NAMES)
            == "app.order.total_usd"
        )
    bound = {c for _, c in conv.bindings if c in NAMES}
    assert bound == {"duration_ms", "user.id", "app.order.total_usd"}  # no filter or op read as a column


@pytest.mark.parametrize(
    ("question", "field", "shipped", "uninstructed"),
    [("slow endpoints for android users yesterday", "calculations", [{"op": "P99", "column": "duration_ms"}],
      [{"op": "P95", "column": "duration_ms"}]),
     ("total revenue by platform", "time_range", 14 * 86400, 7200),
     ("how many errors right now", "time_range", 7200, 3600)],
)  # fmt: skip
def test_the_shipped_conventions_change_the_answers_that_depend_on_them(
    monkeypatch: pytest.MonkeyPatch, question: str, field: str, shipped: object, uninstructed: object
) -> None:
    assert ask(monkeypatch, question, _shipped_text())[field] == shipped
    assert ask(monkeypatch, question)[field] == uninstructed


@pytest.mark.parametrize(
    ("statement", "question", "field", "value"),
    [("No time given = the last day.", "errors by service", "time_range", 86400),
     ("- Right now = 15 minutes", "errors by service right now", "time_range", 900),
     ("When the question gives no time, use time_range 604800.", "errors by service", "time_range", 604800),
     ("slowest = P50", "slowest routes", "calculations", [{"op": "P50", "column": "duration_ms"}])],
)  # fmt: skip
def test_a_contrary_convention_changes_the_answer(
    monkeypatch: pytest.MonkeyPatch, statement: str, question: str, field: str, value: object
) -> None:
    assert ask(monkeypatch, question, statement)[field] == value
    assert ask(monkeypatch, question)[field] != value


def test_instructions_without_statements_change_nothing() -> None:
    assert read_conventions("") is NONE
    assert read_conventions("You turn questions into queries. Be careful: check columns.") is NONE


# --------------------------------------------------------------------------- robustness

_FRAGMENTS = st.sampled_from(
    ["slow", "Latency", "means", ":", "=", ",", ". ", "\n- ", "`", '"', "P95", "p999", "95th percentile",
     "median", "duration_ms", "user.id", " ", "(", "->", "use the column ", "slowest X", "and", "/"]
)  # fmt: skip


@given(st.one_of(st.text(max_size=300), st.lists(_FRAGMENTS, max_size=40).map("".join)))
def test_any_text_reads_without_error(text: str) -> None:
    conv = read_conventions(text)
    for concept in ("duration", "user", "order_value", "error"):
        conv.concept_column(
            concept, phrases_of(tuple(["slowest", "latency", "user", "order", "value"])), NAMES
        )
    conv.bound(["latency"], NAMES)
    conv.prefer_slow([("MAX", 0.0), ("P99", -0.5)], descending=False)
