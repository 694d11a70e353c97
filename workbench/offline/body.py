"""A chat.completions request body checked the way OpenAI checks it.

``check_body`` rejects a malformed request with the status, message, ``param``
and ``code`` OpenAI gives (:class:`BadRequest`), before the offline model reads it.
"""

from __future__ import annotations

import re
from typing import Any

MODEL_ID = "offline"
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
# fmt: off
KNOWN_PARAMS = frozenset("""
model messages tools tool_choice parallel_tool_calls response_format temperature top_p n stream
stream_options stop max_tokens max_completion_tokens presence_penalty frequency_penalty logit_bias
logprobs top_logprobs user seed metadata store service_tier reasoning_effort functions function_call
modalities prediction audio web_search_options prompt_cache_key safety_identifier verbosity
""".split())  # noqa: SIM905
# fmt: on


class BadRequest(Exception):
    """A malformed request, with OpenAI's error semantics (status, message, param, code)."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error"):  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict[str, Any]:
        """The error body OpenAI sends: ``{"error": {"message", "type", "param", "code"}}``."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _type_name(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)  # fmt: skip


def _invalid_type(param: str, expected: str, value: Any) -> BadRequest:
    return BadRequest(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
        param,
        "invalid_type",
    )


def _number(body: dict[str, Any], name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid_type(name, "a decimal", value)
    if value < low:
        raise BadRequest(
            400,
            f"Invalid '{name}': decimal below minimum value. Expected a value >= {low:g}, but got {value} instead.",
            name,
            "decimal_below_min_value",
        )
    if value > high:
        raise BadRequest(
            400,
            f"Invalid '{name}': decimal above maximum value. Expected a value <= {high:g}, but got {value} instead.",
            name,
            "decimal_above_max_value",
        )


def _integer(body: dict[str, Any], name: str, low: int) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_type(name, "an integer", value)
    if value < low:
        raise BadRequest(
            400,
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            name,
            "integer_below_min_value",
        )


def check_body(body: Any) -> None:
    """Raise :class:`BadRequest` for a request OpenAI would reject (or the offline model cannot serve)."""
    if not isinstance(body, dict):
        raise BadRequest(
            400,
            f"Invalid type for request body: expected an object, but got {_type_name(body)} instead.",
            None,
            "invalid_type",
        )
    for key in body:
        if key not in KNOWN_PARAMS:
            raise BadRequest(400, f"Unrecognized request argument supplied: {key}", key, "unknown_parameter")
    if not body.get("model"):
        raise BadRequest(400, "you must provide a model parameter", "model", "missing_required_parameter")
    if not isinstance(body["model"], str):
        raise _invalid_type("model", "a string", body["model"])
    if body["model"] != MODEL_ID:
        raise BadRequest(
            404,
            f"The model `{body['model']}` does not exist or you do not have access to it.",
            "model",
            "model_not_found",
        )
    _check_messages(body)
    _check_params(body)
    _check_tools(body)
    _check_response_format(body.get("response_format"))


def _check_messages(body: dict[str, Any]) -> None:
    """``messages``: a non-empty array of objects with a known role, content where the role needs it."""
    if "messages" not in body:
        raise BadRequest(
            400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    messages = body["messages"]
    if not isinstance(messages, list):
        raise _invalid_type("messages", "an array of objects", messages)
    if not messages:
        raise BadRequest(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            "messages",
            "empty_array",
        )
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise _invalid_type(f"messages[{i}]", "an object", m)
        if "role" not in m:
            raise BadRequest(
                400,
                f"Missing required parameter: 'messages[{i}].role'.",
                f"messages[{i}].role",
                "missing_required_parameter",
            )
        if m["role"] not in ROLES:
            allowed = "', '".join(ROLES[:-1])
            raise BadRequest(
                400,
                f"Invalid value: '{m['role']}'. Supported values are: '{allowed}', and '{ROLES[-1]}'.",
                f"messages[{i}].role",
                "invalid_value",
            )
        content = m.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _invalid_type(f"messages[{i}].content", "one of a string or array of objects", content)
        if m["role"] in ("system", "developer", "user") and content is None:
            raise BadRequest(
                400,
                f"Missing required parameter: 'messages[{i}].content'.",
                f"messages[{i}].content",
                "missing_required_parameter",
            )
        if m["role"] == "tool" and not m.get("tool_call_id"):
            raise BadRequest(
                400,
                f"Missing required parameter: 'messages[{i}].tool_call_id'.",
                f"messages[{i}].tool_call_id",
                "missing_required_parameter",
            )


def _check_params(body: dict[str, Any]) -> None:
    """The sampling and output parameters: types and ranges as OpenAI checks them."""
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _number(body, "presence_penalty", -2, 2)
    _number(body, "frequency_penalty", -2, 2)
    _integer(body, "max_tokens", 1)
    _integer(body, "max_completion_tokens", 1)
    _integer(body, "n", 1)
    if body.get("n") not in (None, 1):
        raise BadRequest(
            400, "The offline model returns one choice per request: 'n' must be 1.", "n", "unsupported_value"
        )
    if body.get("seed") is not None and (isinstance(body["seed"], bool) or not isinstance(body["seed"], int)):
        raise _invalid_type("seed", "an integer", body["seed"])
    if "stream" in body and body["stream"] is not None and not isinstance(body["stream"], bool):
        raise _invalid_type("stream", "a boolean", body["stream"])
    if body.get("stream_options") is not None and not body.get("stream"):
        raise BadRequest(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
            "invalid_value",
        )
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop))
    ):
        raise _invalid_type("stop", "a string or an array of at most 4 strings", stop)


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is None:
        if body.get("tool_choice") not in (None, "none", "auto"):
            raise BadRequest(
                400,
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                "tool_choice",
                None,
            )
        return
    if not isinstance(tools, list):
        raise _invalid_type("tools", "an array of objects", tools)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise BadRequest(
                400,
                f"Invalid value for 'tools[{i}].type': only 'function' tools are supported.",
                f"tools[{i}].type",
                "invalid_value",
            )
        fn = tool.get("function")
        if not isinstance(fn, dict):
            raise BadRequest(
                400,
                f"Missing required parameter: 'tools[{i}].function'.",
                f"tools[{i}].function",
                "missing_required_parameter",
            )
        if not isinstance(fn.get("name"), str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", fn["name"]):
            raise BadRequest(
                400,
                f"Invalid 'tools[{i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                f"tools[{i}].function.name",
                "invalid_value",
            )
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice not in ("none", "auto", "required"):
        raise BadRequest(
            400,
            f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
            "tool_choice",
            "invalid_value",
        )
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in {t["function"]["name"] for t in tools}:
            raise BadRequest(
                400,
                f"Invalid value for 'tool_choice': function '{name}' is not among the tools.",
                "tool_choice",
                "invalid_value",
            )


def _check_response_format(rf: Any) -> None:
    if rf is None:
        return
    if not isinstance(rf, dict):
        raise _invalid_type("response_format", "an object", rf)
    kind = rf.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        raise BadRequest(
            400,
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
            "response_format.type",
            "invalid_value",
        )
    if kind == "json_schema":
        spec = rf.get("json_schema")
        if not isinstance(spec, dict):
            raise BadRequest(
                400,
                "Missing required parameter: 'response_format.json_schema'.",
                "response_format.json_schema",
                "missing_required_parameter",
            )
        if not spec.get("name"):
            raise BadRequest(
                400,
                "Missing required parameter: 'response_format.json_schema.name'.",
                "response_format.json_schema.name",
                "missing_required_parameter",
            )
