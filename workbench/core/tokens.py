"""Exact, offline token counts of chat requests (the encodings themselves: ``core.encodings``).

Chat accounting follows OpenAI's cookbook ("How to count tokens with tiktoken"):
every message costs 3 tokens plus the tokens of each of its values (1 more when it has
a ``name``), and every reply is primed with 3 tokens. For plain-text messages this is
what the API bills as ``prompt_tokens``. Tool definitions and ``response_format`` are
rendered by the provider in an undocumented internal format: the counts here are the
cookbook's estimate (tools) and a documented approximation (response format). The
renderer and the offline model both use :func:`count_request`, so the workbench's
prediction and the offline model's reported ``prompt_tokens`` agree exactly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from workbench.core.encodings import DEFAULT_ENCODING, get_encoding

__all__ = [
    "RequestTokens",
    "count_messages",
    "count_request",
    "count_response_format",
    "count_tokens",
    "count_tools",
    "encoding_name_for_model",
    "model_encoding",
]

# --------------------------------------------------------------------------- model names

# Prefix rules, checked in order (first match wins). Mirrors tiktoken.model for the models we ship.
_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"), ("chatgpt-4o", "o200k_base"), ("gpt-4.1", "o200k_base"), ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"), ("o1", "o200k_base"), ("o3", "o200k_base"), ("o4", "o200k_base"),
    ("gpt-4", "cl100k_base"), ("gpt-3.5", "cl100k_base"), ("gpt-35", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"), ("text-embedding-ada-002", "cl100k_base"),
)  # fmt: skip
_OFFLINE_MODELS = frozenset({"offline"})
_warned_models: set[str] = set()
_warn_lock = threading.Lock()


def _base_model(model: str) -> str:
    """``openai/gpt-4o`` → ``gpt-4o``; ``ft:gpt-4o-mini:org::id`` → ``gpt-4o-mini``."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name


def encoding_name_for_model(model: str) -> str:
    """The encoding a model bills with: o200k_base for GPT-4o/4.1/5 and o-series, cl100k_base for GPT-4/3.5.

    Provider prefixes (``openai/``, ``azure/``) and fine-tune wrappers (``ft:…``) are ignored.
    Unknown names fall back to ``o200k_base`` with a warning (once per name).
    """
    encoding = model_encoding(model)
    if encoding is not None:
        return encoding
    with _warn_lock:
        first = model not in _warned_models
        _warned_models.add(model)
    if first:
        warnings.warn(
            f"unknown model {model!r}: counting tokens with the default encoding {DEFAULT_ENCODING}",
            UserWarning,
            stacklevel=2,
        )
    return DEFAULT_ENCODING


def model_encoding(model: str) -> str | None:
    """The model's own encoding, or ``None`` when tiktoken has none for it: its counts are estimates."""
    base = _base_model(model)
    if base in _OFFLINE_MODELS:
        return DEFAULT_ENCODING
    match = (
        e for p, e in _MODEL_PREFIXES if base == p or (base.startswith(p) and not base[len(p)].isdigit())
    )
    return next(match, None)


# --------------------------------------------------------------------------- counting


#: the split patterns (sha256 of ``Encoding._pat_str``) for which ``_cuts`` is proven: o200k_base, cl100k_base
_CUTTABLE_PATTERNS = frozenset({
    "2d1b8dc11e89af71459b36004f698ab3693f59fd84f63e8ec2b49564ab857420",
    "f021c3d976978e62ee64cdad150cc3405c2e3d6e3b40407850bb9e8d9eb65899",
})  # fmt: skip
#: a newline followed by printable ASCII other than space and "/": no pre-token spans it (see ``_cuts``)
_CUT = re.compile(r"\n(?=[!-.0-~])")
#: distinct short pieces whose counts are remembered (schema lines, example lines, headings, questions)
_PIECES_CACHED = 8192
#: pieces up to this long go to that cache (at most 16 MB of text); longer ones to a small one
_SHORT_PIECE = 2_000
#: texts longer than this are counted without being remembered
_LONG_TEXT = 20_000


@functools.cache
def _cuttable(encoding: str) -> bool:
    pattern = get_encoding(encoding)._pat_str
    return hashlib.sha256(pattern.encode()).hexdigest() in _CUTTABLE_PATTERNS


def _count(text: str, encoding: str) -> int:
    return len(get_encoding(encoding).encode_ordinary(text))


_count_short = functools.lru_cache(maxsize=_PIECES_CACHED)(_count)
_count_long = functools.lru_cache(maxsize=64)(_count)  # one-line JSON schemas, long single lines


def _count_piece(text: str, encoding: str) -> int:
    if len(text) <= _SHORT_PIECE:
        return _count_short(text, encoding)
    if len(text) <= _LONG_TEXT:
        return _count_long(text, encoding)
    return _count(text, encoding)  # large one-off texts: do not pin them in a cache


def _cuts(text: str) -> list[str]:
    """``text`` cut where a newline meets printable ASCII other than space and "/": its tokens are the sum
    of the pieces' tokens, exactly.

    tiktoken splits text with a regular expression before byte-pair encoding each piece on its own, so
    a count adds up over any cut that no regex piece spans. In both patterns (checked by hash in
    ``_cuttable``) a piece holding a newline is whitespace only, or punctuation followed by newlines
    (and "/" in o200k): none goes on into a following non-space character other than "/". Matching has
    no look-behind, so the pieces after the cut are those of the rest alone, and the only look-ahead
    (``\\s+(?!\\S)``, and cl100k's ``\\s++$``) is never what ends the piece before the cut, whose
    newline the ``\\s*[\\r\\n]`` alternative matches first. ``tests/test_tokens_cuts.py`` checks
    the sum against whole-text counts on generated and shipped texts for both encodings.
    """
    pieces, start = [], 0
    for match in _CUT.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Number of tokens of ``text``; equals ``len(tiktoken_encoding.encode(text))`` for ordinary text.

    Special-token strings such as ``<|endoftext|>`` are counted as plain text, as the chat
    API treats message content. Multi-line text is counted line by line where that is exact
    (``_cuts``), each distinct line once per process: a prompt made of lines seen before
    (schema columns, examples, headings) costs only its new lines.
    """
    if not text:
        return 0
    if "\n" not in text or not _cuttable(encoding):
        return _count_piece(text, encoding)
    return sum(_count_piece(piece, encoding) for piece in _cuts(text))


# Cookbook constants. Per message: <|start|>{role}<|message|>…<|end|> framing.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3  # every reply is primed with <|start|>assistant<|message|>


def _value_tokens(value: Any, encoding: str) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return count_tokens(value, encoding)
    if isinstance(value, list) and all(isinstance(p, dict) for p in value):
        # content parts: text parts count their text; other parts (images, audio) are not estimated
        return sum(count_tokens(str(p.get("text", "")), encoding) for p in value if p.get("type") == "text")
    # tool_calls, function_call and other structured values: their compact JSON (an estimate)
    return count_tokens(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str), encoding)


def count_messages(messages: list[dict[str, Any]], encoding: str = DEFAULT_ENCODING) -> int:
    """Prompt tokens of chat ``messages`` by OpenAI's cookbook rule.

    3 per message + the tokens of every value (role, content, name, …) + 1 per ``name``
    + 3 for the reply priming. Exact for plain-text messages; structured values
    (``tool_calls``, content parts other than text) are estimated from their JSON text.
    """
    total = 0
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            total += _value_tokens(value, encoding)
            if key == "name":
                total += TOKENS_PER_NAME
    return total + REPLY_PRIMING


# Cookbook constants for function definitions (num_tokens_for_tools): cl100k models
# (gpt-4, gpt-3.5-turbo) use func_init 10, o200k models (gpt-4o family) 7.
_FUNC_INIT = {"o200k_base": 7, "cl100k_base": 10}
_PROP_INIT = 3
_PROP_KEY = 3
_ENUM_INIT = -3
_ENUM_ITEM = 3
_FUNC_END = 12


def _type_text(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind is None:
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return " | ".join(_type_text(s) for s in schema[key] if isinstance(s, dict))
        return "any"
    return str(kind)


def _properties_tokens(properties: dict[str, Any], encoding: str) -> int:
    total = _PROP_INIT
    for key, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        total += _PROP_KEY
        if isinstance(prop.get("enum"), list):
            total += _ENUM_INIT
            for item in prop["enum"]:
                total += _ENUM_ITEM + count_tokens(str(item), encoding)
        desc = str(prop.get("description") or "").removesuffix(".")
        total += count_tokens(f"{key}:{_type_text(prop)}:{desc}", encoding)
        total += _nested_tokens(prop, encoding)
    return total


def _nested_tokens(schema: dict[str, Any], encoding: str) -> int:
    """Extension of the cookbook formula (which only handles flat parameters) to nested schemas."""
    total = 0
    if isinstance(schema.get("properties"), dict) and schema["properties"]:
        total += _properties_tokens(schema["properties"], encoding)
    items = schema.get("items")
    if isinstance(items, dict):
        total += _nested_tokens(items, encoding)
        if isinstance(items.get("enum"), list):
            total += sum(_ENUM_ITEM + count_tokens(str(i), encoding) for i in items["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or ():
            if isinstance(sub, dict):
                total += _nested_tokens(sub, encoding)
    for sub in (schema.get("$defs") or schema.get("definitions") or {}).values():
        if isinstance(sub, dict):
            total += _nested_tokens(sub, encoding)
    return total


def count_tools(tools: list[dict[str, Any]] | None, encoding: str = DEFAULT_ENCODING) -> int:
    """Estimated prompt tokens of function tool definitions (OpenAI cookbook's formula).

    Per function: ``func_init`` (7 on o200k models, 10 on cl100k) + tokens of
    ``"name:description"`` (trailing period dropped); when it has parameters, 3 + per
    property 3 + tokens of ``"key:type:description"``, with enums costing -3 + per item
    3 + its tokens; 12 once at the end. Nested objects, array items, anyOf and $defs are
    counted recursively by the same property rule (the cookbook handles flat parameters
    only). OpenAI does not publish the real format, so this is an estimate; it is 0 for
    no tools. Accepts both ``{"type": "function", "function": {...}}`` and bare function dicts.
    """
    if not tools:
        return 0
    total = 0
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        total += _FUNC_INIT.get(encoding, 7)
        desc = str(function.get("description") or "").removesuffix(".")
        total += count_tokens(f"{function.get('name', '')}:{desc}", encoding)
        params = function.get("parameters")
        if isinstance(params, dict):
            total += _nested_tokens(params, encoding)
    return total + _FUNC_END


# Framing estimate for a json_schema response format (OpenAI does not document it): like a
# one-function tool definition without the property rules, i.e. the schema's compact JSON.
_RESPONSE_FORMAT_INIT = 7


def count_response_format(response_format: dict[str, Any] | None, encoding: str = DEFAULT_ENCODING) -> int:
    """Estimated prompt tokens of a ``response_format``.

    ``text`` and ``json_object`` (or none): 0. ``json_schema``: 7 framing tokens + tokens of
    ``"name:description"`` + tokens of the schema's compact JSON. The provider's real
    rendering is undocumented, so this is an estimate, applied the same way everywhere.
    """
    if not response_format or not isinstance(response_format, dict):
        return 0
    if response_format.get("type") != "json_schema":
        return 0
    spec = response_format.get("json_schema") or {}
    desc = str(spec.get("description") or "").removesuffix(".")
    schema = json.dumps(spec.get("schema") or {}, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return (
        _RESPONSE_FORMAT_INIT
        + count_tokens(f"{spec.get('name', '')}:{desc}", encoding)
        + count_tokens(schema, encoding)
    )


@dataclass(frozen=True)
class RequestTokens:
    """Prompt tokens of one chat.completions request, by part (``total`` is their sum)."""

    total: int
    messages: int
    tools: int
    response_format: int
    encoding: str


def count_request(body: dict[str, Any]) -> RequestTokens:
    """Prompt tokens of a chat.completions request body: messages + tools + response_format.

    The encoding is chosen from ``body["model"]`` (:func:`encoding_name_for_model`). Legacy
    ``functions`` are counted like tools. ``tool_choice`` is not counted.
    """
    encoding = encoding_name_for_model(str(body.get("model") or "offline"))
    messages = count_messages(list(body.get("messages") or []), encoding)
    tools_list = list(body.get("tools") or []) + [{"function": f} for f in body.get("functions") or []]
    tools = count_tools(tools_list, encoding)
    response_format = count_response_format(body.get("response_format"), encoding)
    return RequestTokens(
        total=messages + tools + response_format,
        messages=messages,
        tools=tools,
        response_format=response_format,
        encoding=encoding,
    )
