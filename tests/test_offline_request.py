"""Request validation with OpenAI's error semantics, and reading the rendered prompt layout."""

from __future__ import annotations

import pytest
from offline_prompt import NOW, body

from workbench.offline import BadRequest, complete
from workbench.offline.request import read_request, sections

OK = {"model": "offline", "messages": [{"role": "user", "content": "p99 latency by service"}]}

BAD = [
    ([], 400, None, "invalid_type"),
    ({"messages": OK["messages"]}, 400, "model", "missing_required_parameter"),
    ({"model": "gpt-4o", "messages": OK["messages"]}, 404, "model", "model_not_found"),
    ({"model": "offline"}, 400, "messages", "missing_required_parameter"),
    ({"model": "offline", "messages": "hi"}, 400, "messages", "invalid_type"),
    ({"model": "offline", "messages": []}, 400, "messages", "empty_array"),
    ({"model": "offline", "messages": ["hi"]}, 400, "messages[0]", "invalid_type"),
    (
        {"model": "offline", "messages": [{"content": "hi"}]},
        400,
        "messages[0].role",
        "missing_required_parameter",
    ),
    (
        {"model": "offline", "messages": [{"role": "wizard", "content": "hi"}]},
        400,
        "messages[0].role",
        "invalid_value",
    ),
    (
        {"model": "offline", "messages": [{"role": "user"}]},
        400,
        "messages[0].content",
        "missing_required_parameter",
    ),
    (
        {"model": "offline", "messages": [{"role": "user", "content": 3}]},
        400,
        "messages[0].content",
        "invalid_type",
    ),
    ({**OK, "temperature": 3}, 400, "temperature", "decimal_above_max_value"),
    ({**OK, "temperature": -1}, 400, "temperature", "decimal_below_min_value"),
    ({**OK, "temperature": "hot"}, 400, "temperature", "invalid_type"),
    ({**OK, "top_p": 1.5}, 400, "top_p", "decimal_above_max_value"),
    ({**OK, "n": 2}, 400, "n", "unsupported_value"),
    ({**OK, "max_tokens": 0}, 400, "max_tokens", "integer_below_min_value"),
    ({**OK, "seed": "x"}, 400, "seed", "invalid_type"),
    ({**OK, "stream": "yes"}, 400, "stream", "invalid_type"),
    ({**OK, "stream_options": {"include_usage": True}}, 400, "stream_options", "invalid_value"),
    ({**OK, "tools": {"type": "function"}}, 400, "tools", "invalid_type"),
    ({**OK, "tools": [{"type": "function"}]}, 400, "tools[0].function", "missing_required_parameter"),
    (
        {**OK, "tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        400,
        "tools[0].function.name",
        "invalid_value",
    ),
    ({**OK, "tool_choice": "required"}, 400, "tool_choice", None),
    ({**OK, "response_format": {"type": "yaml"}}, 400, "response_format.type", "invalid_value"),
    (
        {**OK, "response_format": {"type": "json_schema"}},
        400,
        "response_format.json_schema",
        "missing_required_parameter",
    ),
    ({**OK, "frobnicate": True}, 400, "frobnicate", "unknown_parameter"),
]


@pytest.mark.parametrize(("request_body", "status", "param", "code"), BAD)
def test_malformed_requests_are_rejected_like_openai(
    request_body, status: int, param: str | None, code: str | None
) -> None:
    with pytest.raises(BadRequest) as info:
        complete(request_body)
    err = info.value
    assert (err.status, err.param, err.code) == (status, param, code)
    assert set(err.body()["error"]) == {"message", "type", "param", "code"}
    assert err.body()["error"]["type"] == "invalid_request_error" and err.message


def test_a_minimal_request_is_served() -> None:
    assert complete(OK)["object"] == "chat.completion"


def test_sections_split_on_headings() -> None:
    pre, parts = sections(
        "intro\n\n## Columns\na (string)\n\n## Examples\nQ: x\nA: {}\n## Question\nhow many"
    )
    assert pre == "intro\n\n"
    assert parts == {"columns": "a (string)", "examples": "Q: x\nA: {}", "question": "how many"}


def test_read_request_finds_every_part_of_the_layout() -> None:
    view = read_request(body("p99 latency by service", temperature=0.7, seed=3, max_tokens=50))
    assert view.question == "p99 latency by service"
    assert view.now == NOW and view.table == "events"
    assert view.schema_text.startswith("timestamp (timestamp)")
    assert view.examples_text.startswith("Q: how many errors per service")
    assert (view.mode, view.tool_name) == ("tool", "run_query")
    assert (view.temperature, view.seed, view.max_tokens) == (0.7, 3, 50)


def test_sections_of_the_instructions_are_instructions_too() -> None:
    """A ``## Conventions`` section an engineer adds to the instructions is read as instructions."""
    b = body("p99 latency by service")
    system = b["messages"][0]["content"]
    head, rest = system.split("## Columns", 1)
    b["messages"][0]["content"] = head + "## Conventions\nLatency: duration_ms.\n\n## Columns" + rest
    view = read_request(b)
    assert "Latency: duration_ms." in view.instructions
    assert "## Columns" not in view.instructions and view.schema_text.startswith("timestamp (timestamp)")


def test_schema_and_examples_may_sit_in_the_user_message() -> None:
    """When they depend on the question, the renderer puts them before the question in the user message."""
    b = body("p99 latency by service")
    system = b["messages"][0]["content"]
    head, rest = system.split("## Columns", 1)
    b["messages"] = [
        {"role": "system", "content": head},
        {"role": "user", "content": "## Columns" + rest + "\n## Question\np99 latency by service"},
    ]
    view = read_request(b)
    assert view.schema_text and view.examples_text and view.question == "p99 latency by service"
    assert complete(b)["choices"][0]["finish_reason"] == "tool_calls"


def test_output_mode_follows_the_request() -> None:
    assert read_request(body("x", mode="json_schema")).mode == "json_schema"
    assert read_request(body("x", mode="text")).mode == "text"
    assert (
        read_request({**body("x", mode="text"), "response_format": {"type": "json_object"}}).mode
        == "json_object"
    )
    assert read_request({**body("x"), "tool_choice": "none"}).mode == "text"
