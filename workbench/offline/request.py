"""Reading a chat.completions request body: OpenAI's validation rules, then the prompt's sections.

The offline model sees only this body. ``check_body`` rejects malformed
requests with the status, message, ``param`` and ``code`` OpenAI gives;
``read_request`` finds what the rendered prompt layout (ARCHITECTURE.md)
puts in the messages: the instructions, the clock line, the ``## Columns``,
``## Examples`` and ``## Question`` sections, and the output mode the
request asks for (tools, ``response_format``, or plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
_HEADING = re.compile(r"^##\s+(?P<name>[^\n]+?)\s*$", re.M)
_NOW = re.compile(r"Current time \(now\):\s*(?P<iso>\S+?)\s*=\s*epoch\s*(?P<epoch>\d+)", re.I)
_TABLE = re.compile(r"\bTable:\s*`?(?P<table>\w(?:[\w.\-]*\w)?)`?")


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
    _check_tools(body)
    _check_response_format(body.get("response_format"))


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


# --------------------------------------------------------------------------- the prompt


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return content if isinstance(content, str) else ""


def sections(text: str) -> tuple[str, dict[str, str]]:
    """The text before the first ``## `` heading, and each heading's body (by lowercased name)."""
    found = list(_HEADING.finditer(text))
    if not found:
        return text, {}
    out: dict[str, str] = {}
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        out[m["name"].strip().lower()] = text[m.end() : end].strip("\n")
    return text[: found[0].start()], out


#: the ``## `` sections the workbench's prompt layout defines (ARCHITECTURE.md); others are instructions
_PROMPT_PARTS = frozenset({"columns", "examples", "question"})


@dataclass
class PromptView:
    """What the request says, as the model reads it."""

    model: str
    instructions: str = ""
    question: str = ""
    schema_text: str | None = None
    examples_text: str | None = None
    now: int | None = None
    table: str = "events"
    mode: str = "text"  # tool | json_schema | json_object | text
    tool_name: str | None = None
    tool_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    previous: list[dict[str, Any]] = field(default_factory=list)  # earlier answers to this question
    feedback: str = ""  # what came back after them (repair turns)


def read_request(body: dict[str, Any]) -> PromptView:
    """The prompt's parts and the request's parameters (the body must have passed ``check_body``)."""
    messages = body["messages"]
    view = PromptView(model=body["model"])
    q_index = None
    first_user = None
    for i, m in enumerate(messages):
        if m["role"] not in ("system", "developer", "user"):
            continue
        pre, parts = sections(message_text(m))
        if m["role"] in ("system", "developer"):
            # the instructions: the text before the sections, and any section that is not a prompt part
            other = [f"## {name}\n{body}" for name, body in parts.items() if name not in _PROMPT_PARTS]
            view.instructions += "\n\n".join([pre, *other]) if other else pre
        view.schema_text = parts.get("columns", view.schema_text)
        view.examples_text = parts.get("examples", view.examples_text)
        if m["role"] == "user":
            if "question" in parts:
                view.question, q_index = parts["question"].strip(), i
            elif first_user is None:
                first_user = (i, pre.strip())
    if q_index is None and first_user is not None:
        q_index, view.question = first_user
    for m in messages:
        text = message_text(m)
        if view.now is None and (found := _NOW.search(text)):
            view.now = int(found["epoch"])
        if found := _TABLE.search(text):
            view.table = found["table"]
    if q_index is not None:
        later = messages[q_index + 1 :]
        view.previous = [m for m in later if m["role"] == "assistant"]
        view.feedback = "\n".join(
            message_text(m) for m in later if m["role"] in ("user", "tool") and m is not messages[q_index]
        )
    _read_mode(body, view)
    view.temperature = float(body["temperature"]) if body.get("temperature") is not None else 1.0
    view.top_p = float(body["top_p"]) if body.get("top_p") is not None else 1.0
    view.seed = body.get("seed")
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    view.max_tokens = int(limit) if limit else None
    stop = body.get("stop")
    view.stop = [stop] if isinstance(stop, str) else list(stop or [])
    return view


def _read_mode(body: dict[str, Any], view: PromptView) -> None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if tools and choice != "none":
        view.mode = "tool"
        wanted = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        fns = [t["function"] for t in tools]
        pick = next((f for f in fns if f["name"] == wanted), None) or next(
            (f for f in fns if "calculations" in str((f.get("parameters") or {}).get("properties", {}))),
            fns[0],
        )
        view.tool_name = pick["name"]
        view.tool_schema = pick.get("parameters") if pick.get("strict") else _loose(pick.get("parameters"))
        return
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        view.mode = "json_schema"
        spec = rf["json_schema"]
        view.response_schema = spec.get("schema") if spec.get("strict") else _loose(spec.get("schema"))
    elif rf.get("type") == "json_object":
        view.mode = "json_object"


def _loose(schema: Any) -> dict[str, Any] | None:
    """A non-strict schema: the model fills only the fields it uses (required ones aside)."""
    return {"loose": True, **schema} if isinstance(schema, dict) else None
