"""Output modes: how a query specification travels from the model to the workbench.

A mode is an object registered by name in :data:`MODES` (no central ``if mode ==``
switch). Each mode knows three things:

- ``request_fields(tool_schema)``: what it adds to the chat.completions request
  (``tools`` + ``tool_choice``, or ``response_format``, or nothing);
- ``instructions_suffix()``: the sentence the renderer appends to the instructions;
- ``parse(response)``: the raw chat.completion JSON dict in, a :class:`ParseOutcome` out.

The model's answer is untrusted. ``parse`` never raises on a malformed answer: every
way it can go wrong (no tool call, a wrong or extra call, invalid JSON, prose around
the JSON, a truncated or refused answer, empty content, a JSON value that is not an
object) becomes a :class:`~workbench.core.findings.Finding`. The spec it returns is the raw
dict, not yet validated: ``validate.py`` comes next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from workbench.core.errors import ConfigError
from workbench.core.findings import Finding, error, has_errors, warning
from workbench.llm.jsontext import load_object, sql_instead_of_spec
from workbench.spec.query import with_strict_hints

__all__ = [
    "MODES",
    "QUERY_SCHEMA_NAME",
    "TOOL_NAME",
    "JsonSchemaMode",
    "OutputMode",
    "ParseOutcome",
    "PlainJsonMode",
    "TextQuery",
    "ToolCallMode",
    "get_mode",
    "register_mode",
]

#: the function a tool-call model calls with the query specification as arguments
TOOL_NAME = "run_query"
#: the name of the strict JSON schema in structured-output mode
QUERY_SCHEMA_NAME = "query_spec"
TOOL_DESCRIPTION = (
    "Run a query on the events table. The arguments are a Honeycomb-style query specification "
    "(calculations, filters, breakdowns, orders, limit and the time window)."
)
#: tool_call mode, a query written as text instead of a call: accept it (with a warning) or reject it
TextQuery = Literal["accept", "reject"]
_DECLINE_HINT = (
    "If the question cannot be answered with a read-only query on this table, do not invent one: "
    "reply in one or two plain sentences saying why and what you can do instead."
)


@dataclass(frozen=True)
class ParseOutcome:
    """What a mode read from one chat.completion response.

    Args:
        spec: the query specification as a raw dict (not validated yet), or ``None``.
        findings: every problem with the answer; an ``error`` means ``spec`` is ``None``.
        text: the model's message text (for example its explanation when it declines).
        raw_arguments: the JSON text the spec came from (tool arguments or message content).
    """

    spec: dict[str, Any] | None
    findings: tuple[Finding, ...] = ()
    text: str | None = None
    raw_arguments: str | None = None

    @property
    def ok(self) -> bool:
        return self.spec is not None and not has_errors(self.findings)


class OutputMode:
    """Base class: a named way to ask for, and read back, a query specification."""

    name: ClassVar[str]

    def request_fields(self, tool_schema: dict[str, Any]) -> dict[str, Any]:
        """Request keys this mode adds to the chat.completions body (``tool_schema``: the spec's JSON schema)."""
        return {}

    def instructions_suffix(self) -> str:
        """Text the renderer appends to the instructions for this mode."""
        return ""

    def parse(self, response: dict[str, Any], *, text_query: TextQuery = "accept") -> ParseOutcome:
        """Read a query spec out of a raw chat.completion dict; never raises on a bad answer.

        ``text_query`` (tool_call mode): what to do with a query the model wrote as text instead of
        calling the tool: ``accept`` it with a ``query_as_text`` warning, or ``reject`` it (an error).
        """
        message, early = _read_message(response)
        if early is not None:
            return early
        return _no_sql(self._parse_message(message, _finish_reason(response)))

    def _parse_message(self, message: dict[str, Any], finish_reason: str | None) -> ParseOutcome:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<output mode {self.name!r}>"


#: output modes by name; add one with :func:`register_mode`
MODES: dict[str, OutputMode] = {}


def register_mode(mode: OutputMode) -> OutputMode:
    """Register ``mode`` under ``mode.name`` (replacing one of the same name) and return it."""
    MODES[mode.name] = mode
    return mode


def get_mode(name: str | OutputMode) -> OutputMode:
    """The registered mode called ``name`` (a mode object passes through)."""
    if isinstance(name, OutputMode):
        return name
    try:
        return MODES[name]
    except KeyError:
        allowed = ", ".join(sorted(MODES))
        raise ConfigError(f"unknown output mode {name!r}", f"use one of: {allowed}") from None


# --------------------------------------------------------------------------- the three modes


class ToolCallMode(OutputMode):
    """The spec is the arguments of a ``run_query`` function call (``tool_choice: auto``).

    ``auto`` rather than forcing the call, so a model can decline in text when the
    question is not something a query can answer.
    """

    name = "tool_call"

    def request_fields(self, tool_schema: dict[str, Any]) -> dict[str, Any]:
        tool = {
            "type": "function",
            "function": {
                "name": TOOL_NAME,
                "description": TOOL_DESCRIPTION,
                "parameters": tool_schema,
                "strict": True,
            },
        }
        return {"tools": [tool], "tool_choice": "auto"}

    def instructions_suffix(self) -> str:
        return f"Answer by calling the {TOOL_NAME} function with the query specification as its arguments. {_DECLINE_HINT}"

    def parse(self, response: dict[str, Any], *, text_query: TextQuery = "accept") -> ParseOutcome:
        message, early = _read_message(response)
        if early is not None:
            return early
        return _no_sql(self._read_call(message, _finish_reason(response), text_query))

    def _parse_message(self, message: dict[str, Any], finish_reason: str | None) -> ParseOutcome:
        return self._read_call(message, finish_reason, "accept")

    def _read_call(
        self, message: dict[str, Any], finish_reason: str | None, text_query: TextQuery
    ) -> ParseOutcome:
        text = _text(message)
        calls = message.get("tool_calls") or []
        calls = [c if isinstance(c, dict) else {} for c in (calls if isinstance(calls, list) else [calls])]
        if not calls and isinstance(message.get("function_call"), dict):  # legacy single function call
            calls = [{"type": "function", "function": message["function_call"]}]
        if not calls and text is not None and "{" in text:
            return _query_as_text(text, finish_reason, text_query)
        if finish_reason == "length":
            raw = _arguments(calls[0]) if len(calls) == 1 else None
            return ParseOutcome(None, (_truncated(),), text, raw)
        if not calls:
            return ParseOutcome(None, (_no_query(text, f"The model did not call {TOOL_NAME}."),), text)
        if len(calls) > 1:
            names = ", ".join(repr(_function_name(c)) for c in calls)
            finding = error(
                "multiple_tool_calls",
                f"The model made {len(calls)} tool calls ({names}); exactly one {TOOL_NAME} call is expected.",
                suggestion="ask for one query per question (parallel tool calls are not used)",
            )
            return ParseOutcome(None, (finding,), text)
        call = calls[0]
        name = _function_name(call)
        if call.get("type", "function") != "function" or name != TOOL_NAME:
            called = f"{name!r}" if name else "a tool with no name"
            finding = error(
                "wrong_function",
                f"The model called {called} instead of {TOOL_NAME!r}.",
                suggestion=f"the only tool is {TOOL_NAME}",
            )
            return ParseOutcome(None, (finding,), text, _arguments(call))
        raw = _arguments(call)
        spec, findings = load_object(raw, where="the function arguments")
        return ParseOutcome(spec, findings, text, raw)


class JsonSchemaMode(OutputMode):
    """The spec is the message content, constrained by a strict ``response_format`` JSON schema."""

    name = "json_schema"

    def request_fields(self, tool_schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": QUERY_SCHEMA_NAME,
                    "schema": with_strict_hints(tool_schema),
                    "strict": True,
                },
            }
        }

    def instructions_suffix(self) -> str:
        return "Reply with the query specification as a JSON object that follows the given schema."

    def _parse_message(self, message: dict[str, Any], finish_reason: str | None) -> ParseOutcome:
        return _parse_content(message, finish_reason)


class PlainJsonMode(OutputMode):
    """The spec is JSON in the message text; the instructions ask for it. Prose around it is tolerated."""

    name = "plain_json"

    def instructions_suffix(self) -> str:
        return (
            "Reply with only the JSON query specification: one JSON object, no prose, no code fences. "
            + _DECLINE_HINT
        )

    def _parse_message(self, message: dict[str, Any], finish_reason: str | None) -> ParseOutcome:
        return _parse_content(message, finish_reason)


register_mode(ToolCallMode())
register_mode(JsonSchemaMode())
register_mode(PlainJsonMode())


# --------------------------------------------------------------------------- shared reading


def _read_message(response: dict[str, Any]) -> tuple[dict[str, Any], ParseOutcome | None]:
    """The first choice's message, or an outcome that ends parsing early (no choice, refusal, filter)."""
    choices = response.get("choices") if isinstance(response, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        choices = [{}]
    if not isinstance(choices[0].get("message"), dict):
        finding = error("empty_response", "The response has no message (no choices).")
        return {}, ParseOutcome(None, (finding,))
    message = choices[0]["message"]
    text = _text(message)
    refusal = message.get("refusal")
    if refusal:
        refusal = refusal if isinstance(refusal, str) else json.dumps(refusal)
        finding = error("refusal", f"The model refused: {refusal}")
        return message, ParseOutcome(None, (finding,), text or refusal)
    if choices[0].get("finish_reason") == "content_filter":
        finding = error("content_filter", "The provider's content filter stopped the answer.")
        return message, ParseOutcome(None, (finding,), text)
    return message, None


def _finish_reason(response: dict[str, Any]) -> str | None:
    return response["choices"][0].get("finish_reason")


def _text(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if isinstance(content, list):  # content parts (some compatible servers)
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if not isinstance(content, str) or not content.strip():
        return None
    return content


def _function_name(call: dict[str, Any]) -> str | None:
    function = call.get("function")
    return function.get("name") if isinstance(function, dict) else None


def _arguments(call: dict[str, Any]) -> str | None:
    function = call.get("function")
    args = function.get("arguments") if isinstance(function, dict) else None
    if args is None or isinstance(args, str):
        return args
    return json.dumps(args)  # a few compatible servers send an object, not a string


def _truncated() -> Finding:
    return error(
        "truncated",
        "The answer stopped at the token limit (finish_reason 'length'), so the query is incomplete.",
        suggestion="raise max_tokens for this variant",
    )


def _no_query(text: str | None, fallback: str) -> Finding:
    if text:
        return error("no_query", text.strip())
    return error("empty_content", f"{fallback} The answer is empty.")


def _parse_content(message: dict[str, Any], finish_reason: str | None) -> ParseOutcome:
    text = _text(message)
    if finish_reason == "length":
        return ParseOutcome(None, (_truncated(),), text, text)
    if text is None:
        if message.get("tool_calls"):
            finding = error("unexpected_tool_call", "The model called a tool instead of replying with JSON.")
            return ParseOutcome(None, (finding,))
        return ParseOutcome(None, (error("empty_content", "The model's answer is empty."),))
    spec, findings = load_object(text, where="the answer", prose_is_decline=True)
    return ParseOutcome(spec, findings, text, text)


def _no_sql(outcome: ParseOutcome) -> ParseOutcome:
    """An answer that is SQL wrapped in JSON holds no spec: an error a repair turn can fix."""
    finding = sql_instead_of_spec(outcome.spec) if outcome.spec is not None else None
    if finding is None:
        return outcome
    kept = tuple(f for f in outcome.findings if f.code != "extra_prose")
    return ParseOutcome(None, (*kept, finding), outcome.text, outcome.raw_arguments)


def _query_as_text(text: str, finish_reason: str | None, text_query: TextQuery) -> ParseOutcome:
    """tool_call mode, no call: the model wrote JSON in its text (small and local models often do).

    Never a decline. The ``{"name": ..., "arguments": {...}}`` form (a call written out) is
    unwrapped, fences and prose are dropped. ``accept`` keeps the query with a ``query_as_text``
    warning; ``reject`` makes that an error, so a repair turn can ask for the call.
    """
    value, findings = load_object(text, where="the answer")
    if value is None and finish_reason == "length":
        return ParseOutcome(None, (_truncated(),), text, text)
    if value is None and '":' not in text:  # words with a stray brace, no JSON key in sight: a decline
        return ParseOutcome(None, (_no_query(text, f"The model did not call {TOOL_NAME}."),), text)
    if value is None:
        return ParseOutcome(None, findings, text, text)
    value, how = _unwrap_call(value)
    if value is None:
        finding = error("not_an_object", f"The arguments the model wrote {how} are not a JSON object.")
        return ParseOutcome(None, (finding,), text, text)
    message = f"The model wrote the query as text{how} instead of calling {TOOL_NAME}"
    if text_query == "reject":
        finding = error(
            "query_as_text",
            message + "; this variant rejects such answers (text_query: reject).",
            suggestion=f"call the {TOOL_NAME} function, or set text_query: accept in the variant",
        )
        return ParseOutcome(None, (finding,), text, text)
    notes = [f for f in findings if f.code != "extra_prose"]
    if finish_reason == "length":
        notes.append(warning("truncated", "The answer ran on to the token limit after a complete query."))
    finding = warning(
        "query_as_text",
        message + "; it was read from the text.",
        suggestion="prefer a model or server that makes tool calls, or use output_mode plain_json",
    )
    return ParseOutcome(value, (finding, *notes), text, json.dumps(value))


def _unwrap_call(value: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The arguments of a call written as ``{"name": ..., "arguments": ...}``, and how it was written."""
    if set(value) - {"name", "arguments", "parameters"} or not ({"arguments", "parameters"} & set(value)):
        return value, ""
    name = value.get("name")
    args = value.get("arguments", value.get("parameters"))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            args = None
    named = f" (as a call to {name!r})" if isinstance(name, str) and name else " (as a call)"
    return (args if isinstance(args, dict) else None), named
