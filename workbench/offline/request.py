"""Reading a chat.completions request body (checked first by ``body.check_body``): the prompt's sections.

The offline model sees only this body. ``read_request`` finds what the rendered prompt layout (ARCHITECTURE.md)
puts in the messages: the instructions, the clock line, the ``## Columns``,
``## Examples`` and ``## Question`` sections, and the output mode the
request asks for (tools, ``response_format``, or plain text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_HEADING = re.compile(r"^##\s+(?P<name>[^\n]+?)\s*$", re.M)
_NOW = re.compile(r"Current time \(now\):\s*(?P<iso>\S+?)\s*=\s*epoch\s*(?P<epoch>\d+)", re.I)
_TABLE = re.compile(r"\bTable:\s*`?(?P<table>\w(?:[\w.\-]*\w)?)`?")


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
