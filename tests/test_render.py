"""Rendering: the exact request layout, token sections that add up, the stable prefix, caching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.core.tokens import count_messages, count_request, count_tokens
from workbench.prompt import render as render_module
from workbench.prompt.examples import Example, ExampleSet
from workbench.prompt.render import SECTIONS, Prompt, RenderedPrompt
from workbench.prompt.variant import PromptVariant, load_variant
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.format import parse_schema_block

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
QUESTIONS = (
    "slow endpoints for android users yesterday",
    "how many errors per service in the last hour",
    "top 3 regions by revenue",
    "delete every event older than a week",
    "",
)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def tiny_schema() -> Schema:
    recent, old = NOW - timedelta(hours=1), NOW - timedelta(days=10)
    return Schema(
        columns=(
            ColumnInfo("service.name", "string", "Service that emitted the span.", recent, 3, ("cart",),
                       ("cart", "checkout", "search")),
            ColumnInfo("duration_ms", "float", "Span duration in milliseconds.", recent, 900, (12.0, 40.5)),
            ColumnInfo("error", "boolean", "True on failed spans.", recent, 2, (False, True), (False, True)),
            ColumnInfo("app.platform", "string", "Client platform.", recent, 3, ("ios",), ("android", "ios", "web")),
            ColumnInfo("app.order.total_usd", "float", "Order total in USD on checkout spans.", recent, 500, (42.0,)),
            ColumnInfo("cloud.region", "string", "Cloud region.", recent, 2, ("us-east-1",), ("us-east-1", "eu-west-1")),
            ColumnInfo("legacy.flag", "boolean", "Deprecated flag, no longer written.", old, 2, (True,), (False, True)),
        ),
        now=NOW,
    )  # fmt: skip


TINY_SET = ExampleSet(
    "tiny",
    (
        Example("p99 latency for ios users in the last hour",
                {"calculations": [{"op": "P99", "column": "duration_ms"}],
                 "filters": [{"column": "app.platform", "op": "=", "value": "ios"}], "time_range": 3600}),
        Example("errors per service", {"calculations": [{"op": "COUNT"}],
                "filters": [{"column": "error", "op": "=", "value": True}], "breakdowns": ["service.name"]}),
        Example("total revenue by region", {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}],
                "breakdowns": ["cloud.region"]}),
        Example("broken: unknown column", {"calculations": [{"op": "AVG", "column": "latency"}]}),
    ),
)  # fmt: skip


def variant(**changes) -> PromptVariant:
    base = PromptVariant(name="t", instructions="Turn the question into a query.", examples={"set": "tiny"})
    return base.with_(**changes) if changes else base


def prompt(**changes) -> Prompt:
    return Prompt(variant(**changes), tiny_schema(), TINY_SET)


# --------------------------------------------------------------------------- layout


def test_static_variant_puts_schema_and_examples_in_the_system_message() -> None:
    r = prompt(examples={"selection": "all"}).render("errors by region yesterday")
    assert [m["role"] for m in r.messages] == ["system", "user"]
    system, user = r.system, r.user
    assert system.startswith("Turn the question into a query.\n\n")
    assert "Table: events. Current time (now): 2026-11-20T12:00:00Z = epoch 1795176000." in system
    head, _, rest = system.partition("\n\n## Columns\n")
    assert head.endswith("epoch 1795176000.")
    schema_block, _, examples_block = rest.partition("\n\n## Examples\n")
    assert [c.name for c in parse_schema_block(schema_block)] == [c.name for c in tiny_schema().columns]
    pairs = examples_block.split("\n\n")
    assert len(pairs) == 3  # the invalid example is excluded
    assert all(p.startswith("Q: ") and "\nA: {" in p for p in pairs)
    assert user == "## Question\nerrors by region yesterday"


def test_question_dependent_parts_move_to_the_user_message() -> None:
    r = prompt(
        schema={"relevance": "lexical", "max_columns": 3}, examples={"selection": "nearest", "k": 2}
    ).render("p99 latency for android users")
    assert "## Columns" not in r.system and "## Examples" not in r.system
    assert r.system.endswith("= epoch 1795176000.")
    columns, examples, question = r.user.split("\n\n## ")
    assert columns.startswith("## Columns\n") and examples.startswith("Examples\n")
    assert question == "Question\np99 latency for android users"
    assert len(parse_schema_block(columns.removeprefix("## Columns\n"))) == 3
    assert examples.splitlines()[-2] == "Q: p99 latency for ios users in the last hour"  # nearest last


def test_only_the_examples_depend_on_the_question() -> None:
    r = prompt(schema={"window_days": 7}, examples={"selection": "nearest", "k": 1}).render(
        "revenue per region"
    )
    assert "## Columns\n" in r.system and "legacy.flag" not in r.system
    assert r.user.startswith("## Examples\nQ: total revenue by region\n")
    assert r.user.endswith("## Question\nrevenue per region")


def test_no_examples_block_without_examples() -> None:
    r = Prompt(variant(examples={"set": None}), tiny_schema()).render("q")
    assert "## Examples" not in r.system + r.user and r.sections["examples"] == 0
    assert r.selected_examples == ()


@pytest.mark.parametrize("mode", ["tool_call", "json_schema", "plain_json"])
def test_request_body_per_output_mode(mode: str) -> None:
    r = prompt(output_mode=mode, top_p=0.5, seed=3, max_tokens=None).render("errors per service")
    body = r.body
    assert body["model"] == "offline" and body["messages"] == r.messages
    assert (
        body["temperature"] == 0.0 and body["top_p"] == 0.5 and body["seed"] == 3 and "max_tokens" not in body
    )
    if mode == "tool_call":
        assert body["tools"][0]["function"]["name"] == "run_query" and body["tool_choice"] == "auto"
        assert r.tools == body["tools"] and "response_format" not in body
    elif mode == "json_schema":
        assert body["response_format"]["type"] == "json_schema" and "tools" not in body
    else:
        assert "tools" not in body and "response_format" not in body
    json.dumps(body)  # plain JSON, ready for chat.completions.create(**body)


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"examples": {"selection": "nearest", "k": 2}},
        {"schema": {"relevance": "lexical", "token_budget": 60}, "examples": {"selection": "random", "k": 2}},
        {"output_mode": "json_schema", "schema": {"format": "ddl"}},
        {"output_mode": "plain_json", "schema": {"format": "json"}, "examples": {"set": None}},
    ],
)
@pytest.mark.parametrize("question", QUESTIONS)
def test_sections_add_up_to_the_request_count(changes: dict, question: str) -> None:
    r = prompt(**changes).render(question)
    assert list(r.sections) == list(SECTIONS)
    assert sum(r.sections.values()) == r.total_tokens == count_request(r.body).total
    assert r.sections["question"] == count_tokens(question.strip())
    assert r.sections["schema"] == count_tokens(r.compressed.text)
    assert r.sections["format"] > 0
    assert r.encoding == "o200k_base"


def test_stable_prefix_is_tools_plus_system_message() -> None:
    for changes in ({}, {"examples": {"selection": "nearest"}}, {"output_mode": "plain_json"}):
        r = prompt(**changes).render("errors per service")
        system_only = count_messages([r.messages[0]]) - count_messages([])
        assert r.stable_prefix_tokens == r.sections["tools"] + system_only
        other = prompt(**changes).render("something else entirely, with more words")
        assert other.system == r.system and other.stable_prefix_tokens == r.stable_prefix_tokens
        assert r.stable_prefix_tokens < r.total_tokens


def test_cl100k_models_count_with_cl100k() -> None:
    r = prompt(model="gpt-4-0613").render("errors per service")
    assert r.encoding == "cl100k_base"
    assert r.total_tokens == count_request(r.body).total


# --------------------------------------------------------------------------- caching


def test_static_parts_are_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = render_module.compress

    def counting(schema, settings, question=None, **kw):
        calls.append(question)
        return real(schema, settings, question, **kw)

    monkeypatch.setattr(render_module, "compress", counting)
    p = prompt()
    for i in range(20):
        p.render(f"question number {i}")
    assert calls == [None]
    q = prompt(schema={"relevance": "lexical"})
    for i in range(3):
        q.render(f"question {i}")
    assert calls == [None, "question 0", "question 1", "question 2"]


# --------------------------------------------------------------------------- reports


def test_to_dict_shape_and_example_reasons() -> None:
    r = prompt(examples={"selection": "nearest", "k": 2, "token_budget": 1000}).render(
        "p99 latency on android"
    )
    data = json.loads(json.dumps(r.to_dict()))
    assert {"messages", "tools", "tokens", "encoding"} <= set(data)
    assert data["tokens"]["total"] == r.total_tokens
    assert set(data["tokens"]["sections"]) == set(SECTIONS)
    assert data["stable_prefix_tokens"] == r.stable_prefix_tokens
    assert [e["reason"].split(",")[0] for e in data["examples"]] == ["nearest #2", "nearest #1"]
    assert data["invalid_examples"]["3"][0]["severity"] == "error"
    assert data["schema"]["kept"] == 7 and data["schema"]["dropped"] == 0
    assert data["cost_usd"]["per_call"] == 0.0 and data["cost_usd"]["price_data_date"]


def test_cost_for_a_priced_model() -> None:
    r = prompt(model="gpt-4o-mini").render("errors per service")
    one = r.cost_usd_per_call(150)
    assert one is not None and one > 0
    assert r.cost_usd_per_1000_calls(150) == pytest.approx(one * 1000)
    assert r.cost_usd_per_call(150, cached=True) <= one
    assert prompt().render("x").cost_usd_per_call(model="gpt-4o-mini") > 0


def test_html_previews() -> None:
    p = prompt()
    r = p.render("errors <by> service")
    html = r._repr_html_()
    assert "instructions" in html and "&lt;by&gt;" in html and f"{r.total_tokens:,}" in html
    assert "invalid example" in p._repr_html_()
    assert isinstance(r, RenderedPrompt) and repr(p).startswith("<Prompt 't'")


def test_with_rebinds_and_reuses_the_example_set() -> None:
    p = prompt()
    q = p.with_(examples={"k": 1, "selection": "first"})
    assert q.example_set is p.example_set and q.variant.examples.k == 1
    assert len(q.render("x").chosen_examples) == 1


# --------------------------------------------------------------------------- shipped variants on the generated dataset


@pytest.mark.parametrize("name", ["naive", "honeycomb", "compact"])
def test_every_shipped_variant_renders_on_the_generated_dataset(small_schema, name: str) -> None:
    p = Prompt.load(name, small_schema)
    assert p.invalid_examples == {}
    questions = (
        "slow endpoints for android users yesterday",
        "revenue by payment provider",
        "5xx per route today",
    )
    for question in questions:
        r = p.render(question)
        assert r.total_tokens == count_request(r.body).total == sum(r.sections.values())
        assert r.user.endswith(f"## Question\n{question}")
        assert r.system.startswith(load_variant(name).instructions.strip())
        kept = {c.name for c in parse_schema_block(r.compressed.text)}
        assert {"duration_ms", "service.name"} <= kept
    naive, compact = Prompt.load("naive", small_schema), Prompt.load("compact", small_schema)
    if name == "compact":
        # the compact one is much cheaper than sending the whole schema
        assert compact.render(questions[0]).total_tokens < naive.render(questions[0]).total_tokens / 3


def test_an_example_set_next_to_the_variant_file_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    TINY_SET.save(tmp_path / "mine.yaml")
    (tmp_path / "v.yaml").write_text(
        "name: v\ninstructions: hi\nexamples: {set: mine.yaml, selection: first, k: 1}\n"
    )
    monkeypatch.chdir(REPO / "prompts")  # somewhere else
    p = Prompt.load(tmp_path / "v.yaml", tiny_schema())
    assert p.example_set.examples == TINY_SET.examples
    assert p.render("q").user == "## Question\nq" and "Q: p99 latency for ios users" in p.render("q").system


def test_a_missing_example_set_is_a_clear_error() -> None:
    from workbench.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"example set not found: nope .*available sets: core"):
        Prompt(variant(examples={"set": "nope"}), tiny_schema())


def test_a_question_renders_once_per_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = render_module.compress

    def counting(schema, settings, question, **kw):
        calls.append(question)
        return real(schema, settings, question, **kw)

    monkeypatch.setattr(render_module, "compress", counting)
    p = prompt(schema={"relevance": "lexical"})  # the columns depend on the question
    first = p.render("p99 latency for ios users")
    assert p.render("  p99 latency for ios users ") is first  # the plan and the eval share one render
    assert calls.count("p99 latency for ios users") == 1
    assert p.render("errors per service") is not first
    follow_up = {"calculations": [{"op": "COUNT"}]}
    assert p.render("and by region", follow_up) is not p.render("and by region", follow_up)  # never cached


def test_the_render_cache_is_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    p = prompt()
    size = render_module.render_bytes(p.render("q0"))
    monkeypatch.setattr(render_module, "RENDER_CACHE_BYTES", 3 * size + size // 2)
    p = prompt()
    first = [p.render(f"q{i}") for i in range(5)]
    assert list(p._renders) == ["q0", "q1", "q2"]  # the same-size renders of q0..q2 fit the budget
    assert p._render_bytes == sum(n for _, n in p._renders.values()) <= render_module.RENDER_CACHE_BYTES
    assert p.render("q0") is first[0]  # kept: a plan's first renders serve its eval
    assert p.render("q4") is not first[4]  # not kept when full: rendered again
    assert list(p._renders) == ["q0", "q1", "q2"]


def test_a_render_is_weighed_by_its_question_specific_text() -> None:
    p = prompt()
    short, long = p.render("errors"), p.render("errors " + "by service and region " * 40)
    assert render_module.render_bytes(long) > render_module.render_bytes(short) + 800 * 3


def test_an_evals_recall_reuses_the_renders_compressions(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.schema import compress as compress_module
    from workbench.schema.recall import column_recall

    calls: list[str | None] = []
    real = compress_module._compress

    def counting(schema, settings, question, encoding):
        calls.append(question)
        return real(schema, settings, question, encoding)

    monkeypatch.setattr(compress_module, "_compress", counting)
    p = prompt(schema={"relevance": "lexical", "max_columns": 3})
    questions = [f"p99 latency for ios users, case {i}" for i in range(300)]  # more than a few dozen
    for q in questions:  # the plan (or the eval) renders every question first
        p.render(q)
    column_recall(p.schema, p.variant.schema_, [(q, {"duration_ms"}) for q in questions],
                  encoding=p.encoding)  # fmt: skip
    assert len(calls) == len(questions)  # one compression per question, shared by the render and the recall
