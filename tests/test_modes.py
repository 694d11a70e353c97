"""Output modes: request fields, instructions, and every malformed answer as a finding (recorded bodies)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai_wire import body

from workbench.core.errors import ConfigError
from workbench.core.findings import Finding
from workbench.llm.modes import (
    MODES,
    QUERY_SCHEMA_NAME,
    TOOL_NAME,
    OutputMode,
    ParseOutcome,
    get_mode,
    register_mode,
)
from workbench.spec.query import with_strict_hints

SCHEMA = {
    "type": "object",
    "properties": {"limit": {"type": ["integer", "null"]}},
    "required": ["limit"],
    "additionalProperties": False,
}
P99_SPEC = json.loads(body("tool_call")["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
COUNT_SPEC = json.loads(body("plain_json")["choices"][0]["message"]["content"])

# fixture, mode, expected spec, expected finding codes (in order)
CASES = [
    ("tool_call", "tool_call", P99_SPEC, ()),
    ("tool_call_with_text", "tool_call", P99_SPEC, ()),
    ("structured_output", "json_schema", COUNT_SPEC, ()),
    ("plain_json", "plain_json", COUNT_SPEC, ()),
    ("plain_json_fenced", "plain_json", COUNT_SPEC, ("extra_prose",)),
    ("plain_json_prose", "plain_json", COUNT_SPEC, ("extra_prose",)),
    ("refusal", "tool_call", None, ("refusal",)),
    ("refusal", "json_schema", None, ("refusal",)),
    ("refusal", "plain_json", None, ("refusal",)),
    ("plain_text", "tool_call", None, ("no_query",)),
    ("plain_text", "json_schema", None, ("no_query",)),
    ("plain_text", "plain_json", None, ("no_query",)),
    ("length", "tool_call", None, ("truncated",)),
    ("length_content", "json_schema", None, ("truncated",)),
    ("length_content", "plain_json", None, ("truncated",)),
    ("wrong_function", "tool_call", None, ("wrong_function",)),
    ("multiple_tool_calls", "tool_call", None, ("multiple_tool_calls",)),
    ("invalid_json_arguments", "tool_call", None, ("invalid_json",)),
    ("arguments_not_object", "tool_call", None, ("not_an_object",)),
    ("empty_content", "tool_call", None, ("empty_content",)),
    ("empty_content", "json_schema", None, ("empty_content",)),
    ("empty_content", "plain_json", None, ("empty_content",)),
    ("content_not_object", "plain_json", None, ("not_an_object",)),
    ("content_not_object", "json_schema", None, ("not_an_object",)),
    ("tool_call", "plain_json", None, ("unexpected_tool_call",)),
    ("no_usage", "tool_call", P99_SPEC, ()),
]


@pytest.mark.parametrize(("fixture", "mode", "spec", "codes"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_parse_recorded_answers(fixture: str, mode: str, spec: dict | None, codes: tuple[str, ...]) -> None:
    outcome = get_mode(mode).parse(body(fixture))
    assert isinstance(outcome, ParseOutcome)
    assert outcome.spec == spec
    assert tuple(f.code for f in outcome.findings) == codes
    assert all(isinstance(f, Finding) and f.message for f in outcome.findings)
    assert outcome.ok == (spec is not None and not any(f.severity == "error" for f in outcome.findings))
    if spec is None:
        assert outcome.findings and outcome.findings[0].severity == "error"
    if "extra_prose" in codes:
        assert outcome.findings[0].severity == "warning"


def test_no_tool_call_keeps_the_models_text_as_the_message() -> None:
    response = body("plain_text")
    text = response["choices"][0]["message"]["content"]
    outcome = get_mode("tool_call").parse(response)
    assert outcome.text == text
    assert outcome.findings[0].message == text


def test_refusal_names_the_models_refusal() -> None:
    outcome = get_mode("tool_call").parse(body("refusal"))
    assert "I'm sorry, I can't help with that request." in outcome.findings[0].message
    assert outcome.text == "I'm sorry, I can't help with that request."


def test_invalid_json_reports_the_position() -> None:
    outcome = get_mode("tool_call").parse(body("invalid_json_arguments"))
    assert "line 1 column 48 (char 47)" in outcome.findings[0].message
    assert outcome.raw_arguments is not None and outcome.raw_arguments.startswith('{"calculations"')


def test_tool_call_text_and_raw_arguments_are_kept() -> None:
    outcome = get_mode("tool_call").parse(body("tool_call_with_text"))
    assert outcome.text == "Here is the query for slow android endpoints yesterday."
    assert json.loads(outcome.raw_arguments or "") == P99_SPEC


def test_wrong_function_and_several_calls_name_what_was_called() -> None:
    wrong = get_mode("tool_call").parse(body("wrong_function"))
    assert "'delete_events'" in wrong.findings[0].message
    several = get_mode("tool_call").parse(body("multiple_tool_calls"))
    assert "2 tool calls" in several.findings[0].message


def test_truncated_answer_suggests_raising_max_tokens() -> None:
    finding = get_mode("tool_call").parse(body("length")).findings[0]
    assert finding.suggestion is not None and "max_tokens" in finding.suggestion


def _response(message: dict, finish_reason: str = "stop") -> dict:
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}]
    }


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"choices": None},
        {"choices": []},
        {"choices": [None]},
        {"choices": [{"message": None}]},
        _response({"content": 123}),
        _response({"content": [{"type": "text", "text": '{"limit": 5}'}]}),
        _response({"tool_calls": [{"type": "function", "function": None}]}),
        _response({"tool_calls": [{"function": {"name": TOOL_NAME, "arguments": None}}]}),
        _response({"tool_calls": [{"function": {"name": TOOL_NAME, "arguments": {"limit": 5}}}]}),
        _response({"content": "{ not json at all"}),
        _response({"content": "```json\n[1, 2]\n```"}),
        _response({"content": "x" * 10_000 + "{"}),
        _response({"content": "{}"}, "content_filter"),
    ],
)
@pytest.mark.parametrize("mode", sorted(MODES))
def test_parse_never_raises(response: dict, mode: str) -> None:
    outcome = get_mode(mode).parse(response)
    assert outcome.spec is not None or outcome.findings


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_message = st.fixed_dictionaries(
    {},
    optional={
        "content": _json | st.text(alphabet='{}[]":,ab 01`json\n', max_size=60),
        "refusal": _json,
        "tool_calls": _json
        | st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": _json,
                    "function": st.fixed_dictionaries(
                        {}, optional={"name": st.sampled_from([TOOL_NAME, "x"]) | _json, "arguments": _json}
                    )
                    | _json,
                },
            ),
            max_size=3,
        ),
        "function_call": _json,
    },
)
_responses = (
    st.fixed_dictionaries(
        {
            "choices": st.lists(
                st.fixed_dictionaries({"message": _message, "finish_reason": _json}), max_size=2
            )
            | _json
        }
    )
    | _json
)


@settings(max_examples=300, deadline=None)
@given(response=_responses, mode=st.sampled_from(sorted(MODES)))
def test_parse_never_raises_on_anything(response, mode: str) -> None:
    outcome = get_mode(mode).parse(response)
    assert (outcome.spec is None) == any(f.severity == "error" for f in outcome.findings)
    assert outcome.spec is None or isinstance(outcome.spec, dict)


def test_content_parts_and_object_arguments_are_read() -> None:
    parts = _response({"content": [{"type": "text", "text": '{"limit": 5}'}]})
    assert get_mode("plain_json").parse(parts).spec == {"limit": 5}
    objects = _response({"tool_calls": [{"function": {"name": TOOL_NAME, "arguments": {"limit": 5}}}]})
    assert get_mode("tool_call").parse(objects).spec == {"limit": 5}


def test_legacy_function_call_is_read_as_a_tool_call() -> None:
    response = _response({"function_call": {"name": TOOL_NAME, "arguments": '{"limit": 3}'}}, "function_call")
    assert get_mode("tool_call").parse(response).spec == {"limit": 3}


def test_content_filter_is_a_finding() -> None:
    outcome = get_mode("plain_json").parse(_response({"content": None}, "content_filter"))
    assert [f.code for f in outcome.findings] == ["content_filter"]


def test_only_top_level_objects_are_taken_from_prose() -> None:
    broken = 'Here it is: {"calculations": [{"op": "COUNT", "column": null}] "filters": []}'
    outcome = get_mode("plain_json").parse(_response({"content": broken}))
    assert outcome.spec is None and [f.code for f in outcome.findings] == ["invalid_json"]
    braces_first = 'I used {placeholders} style names. {"limit": 5, "breakdowns": ["a}b"]} Done.'
    outcome = get_mode("plain_json").parse(_response({"content": braces_first}))
    assert outcome.spec == {"limit": 5, "breakdowns": ["a}b"]}
    assert [f.code for f in outcome.findings] == ["extra_prose"]
    fenced_then_more = 'Query:\n```json\n{"limit": 1}\n```\nor {"limit": 2}'
    assert get_mode("plain_json").parse(_response({"content": fenced_then_more})).spec == {"limit": 1}


def test_prose_without_json_is_a_decline_but_broken_json_is_invalid() -> None:
    decline = get_mode("plain_json").parse(_response({"content": "I can only read the events table."}))
    assert [f.code for f in decline.findings] == ["no_query"]
    broken = get_mode("plain_json").parse(_response({"content": 'Here: {"limit": 5'}))
    assert [f.code for f in broken.findings] == ["invalid_json"]


# --------------------------------------------------------------------------- request side


def test_tool_call_request_fields() -> None:
    fields = get_mode("tool_call").request_fields(SCHEMA)
    assert fields["tool_choice"] == "auto"  # so a model can decline in text
    (tool,) = fields["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == TOOL_NAME
    assert tool["function"]["parameters"] is SCHEMA
    assert tool["function"]["strict"] is True
    assert tool["function"]["description"]
    assert set(fields) == {"tools", "tool_choice"}


def test_json_schema_request_fields() -> None:
    fields = get_mode("json_schema").request_fields(SCHEMA)
    assert fields == {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": QUERY_SCHEMA_NAME, "schema": with_strict_hints(SCHEMA), "strict": True},
        }
    }


def test_plain_json_adds_nothing_to_the_request_and_asks_for_json_in_words() -> None:
    mode = get_mode("plain_json")
    assert mode.request_fields(SCHEMA) == {}
    assert mode.instructions_suffix().startswith("Reply with only the JSON query specification")


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_mode_has_instructions(mode: str) -> None:
    assert get_mode(mode).instructions_suffix().strip()


def test_registry() -> None:
    assert set(MODES) >= {"tool_call", "json_schema", "plain_json"}
    assert get_mode(MODES["tool_call"]) is MODES["tool_call"]
    with pytest.raises(ConfigError, match=r"unknown output mode 'xml'.*json_schema, plain_json, tool_call"):
        get_mode("xml")


def test_register_a_new_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workbench.llm.modes.MODES", dict(MODES))

    class Yaml(OutputMode):
        name = "yaml"

        def _parse_message(self, message: dict, finish_reason: str | None) -> ParseOutcome:
            return ParseOutcome({"limit": int(message["content"].split(":")[1])})

    register_mode(Yaml())
    assert get_mode("yaml").parse(_response({"content": "limit: 7"})).spec == {"limit": 7}
    # the shared checks (refusal, empty response) apply to every mode
    assert get_mode("yaml").parse(body("refusal")).findings[0].code == "refusal"


def test_strict_hints_say_when_an_optional_field_is_null() -> None:
    from workbench.spec.query import query_json_schema

    schema = query_json_schema()
    hinted = get_mode("json_schema").request_fields(schema)["response_format"]["json_schema"]["schema"]
    props = hinted["properties"]
    assert "null" in props["start_time"]["description"] and "[]" in props["orders"]["description"]
    assert hinted["required"] == schema["required"]  # strict mode: every key stays required
    assert "description" not in schema["properties"]["orders"]  # the tool schema is not changed
