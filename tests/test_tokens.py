"""Offline tiktoken encodings, model → encoding, and chat request accounting."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
from tiktoken_ext import openai_public

from workbench.core import tokens
from workbench.core.encodings import get_encoding, load_encoding
from workbench.core.errors import WorkbenchError
from workbench.core.paths import package_data
from workbench.core.tokens import (
    RequestTokens,
    count_messages,
    count_request,
    count_response_format,
    count_tokens,
    count_tools,
    encoding_name_for_model,
)

TOKENIZERS = package_data("tokenizers")

TEXTS = [
    "hello world",
    "",
    "slow endpoints for android users yesterday",
    "duration_ms (float) : Span duration in milliseconds. [e.g.: 12.5 | 230.0]",
    '{"name":"http.route","type":"string","values":["/api/products","/api/products/{id}"]}',
    '  "app.platform" VARCHAR, -- Client platform [values: android | ios | web]\n);',
    "Ünïcödé — naïve café, 日本語のテキスト, emoji 🚀🔥, Ελληνικά",
    "line one\n\n\tindented\r\nwindows line\n   trailing spaces   \n",
    "x" * 5000,
    "numbers 1234567890 3.14159 -42 1e10 0xFF",
]


@pytest.fixture(scope="module", params=["o200k_base", "cl100k_base"])
def reference(request: pytest.FixtureRequest) -> tiktoken.Encoding:
    """tiktoken's own encoding, built the RECIPES way: tiktoken's constructor, the shipped file."""
    name = request.param
    local = str(TOKENIZERS / f"{name}.tiktoken")

    def _load_local(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return tiktoken.load.load_tiktoken_bpe(local, expected_hash=expected_hash)

    patch = pytest.MonkeyPatch()
    patch.setenv("TIKTOKEN_CACHE_DIR", "")  # no copy into tiktoken's temp cache
    patch.setattr(openai_public, "load_tiktoken_bpe", _load_local)
    try:
        params = openai_public.ENCODING_CONSTRUCTORS[name]()
    finally:
        patch.undo()
    return tiktoken.Encoding(**params)


def test_known_token_ids() -> None:
    assert get_encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert get_encoding("cl100k_base").encode("hello world") == [15339, 1917]


def test_encoding_is_cached() -> None:
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


@pytest.mark.parametrize("text", TEXTS)
def test_counts_equal_tiktoken_reference(reference: tiktoken.Encoding, text: str) -> None:
    ours = get_encoding(reference.name)
    assert ours.encode(text) == reference.encode(text)
    assert count_tokens(text, reference.name) == len(reference.encode(text))


def test_special_token_text_is_counted_as_plain_text() -> None:
    text = "end <|endoftext|> here"
    expected = len(get_encoding("o200k_base").encode(text, disallowed_special=()))
    assert count_tokens(text) == expected


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(WorkbenchError, match="unknown encoding 'p50k_base'"):
        load_encoding("p50k_base")


def test_corrupted_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "o200k_base.tiktoken"
    shutil.copyfile(TOKENIZERS / "o200k_base.tiktoken", bad)
    data = bytearray(bad.read_bytes())
    data[1000] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(WorkbenchError) as err:
        load_encoding("o200k_base", path=bad)
    message = str(err.value)
    assert "\n" not in message
    assert str(bad) in message and "corrupted" in message and "reinstall" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "cl100k_base.tiktoken"
    with pytest.raises(WorkbenchError, match="missing") as err:
        load_encoding("cl100k_base", path=missing)
    assert str(missing) in str(err.value) and "reinstall" in str(err.value)


def test_checksums_missing_entry_is_a_clear_error(tmp_path: Path) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("0" * 64 + "  other.tiktoken\n")
    with pytest.raises(WorkbenchError, match=r"no entry for o200k_base\.tiktoken"):
        load_encoding("o200k_base", sums=sums)


def test_verified_copy_loads(tmp_path: Path) -> None:
    good = tmp_path / "cl100k_base.tiktoken"
    shutil.copyfile(TOKENIZERS / "cl100k_base.tiktoken", good)
    assert load_encoding("cl100k_base", path=good).encode("hello world") == [15339, 1917]


def test_loading_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def _no_network(*_a: object, **_k: object) -> bytes:
        raise AssertionError("tried to download")

    monkeypatch.setattr(tiktoken.load, "read_file", _no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", _no_network)
    assert load_encoding("o200k_base").encode("hello world") == [24912, 2375]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5.1-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("offline", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("openai/gpt-3.5-turbo-0125", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
    ],
)
def test_encoding_for_known_models(model: str, encoding: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert encoding_name_for_model(model) == encoding


def test_unknown_model_falls_back_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_warned_models", set())
    with pytest.warns(UserWarning, match="unknown model 'llama-3.1-8b'.*o200k_base"):
        assert encoding_name_for_model("llama-3.1-8b") == "o200k_base"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert encoding_name_for_model("llama-3.1-8b") == "o200k_base"  # warned once only


# OpenAI cookbook "How to count tokens with tiktoken": examples with prompt_tokens the API reported.
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]
COOKBOOK_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {
                        "type": "string",
                        "description": "The unit of temperature to return",
                        "enum": ["celsius", "fahrenheit"],
                    },
                },
                "required": ["location"],
            },
        },
    }
]
COOKBOOK_TOOL_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful assistant that can answer to questions about the weather.",
    },
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]


@pytest.mark.parametrize(
    ("model", "expected"), [("gpt-3.5-turbo", 129), ("gpt-4", 129), ("gpt-4o", 124), ("gpt-4o-mini", 124)]
)
def test_messages_match_cookbook_api_counts(model: str, expected: int) -> None:
    assert count_request({"model": model, "messages": COOKBOOK_MESSAGES}).total == expected


@pytest.mark.parametrize(
    ("model", "expected"), [("gpt-3.5-turbo", 105), ("gpt-4", 105), ("gpt-4o", 101), ("gpt-4o-mini", 101)]
)
def test_tools_match_cookbook_api_counts(model: str, expected: int) -> None:
    body = {"model": model, "messages": COOKBOOK_TOOL_MESSAGES, "tools": COOKBOOK_TOOLS}
    assert count_request(body).total == expected


def test_count_messages_rule() -> None:
    enc = "o200k_base"
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "name": "ana", "content": "errors per service"},
    ]
    expected = (
        3 + count_tokens("system", enc) + count_tokens("Be brief.", enc)
        + 3 + count_tokens("user", enc) + count_tokens("ana", enc) + 1 + count_tokens("errors per service", enc)
        + 3
    )  # fmt: skip
    assert count_messages(messages, enc) == expected


def test_count_messages_content_parts_and_none() -> None:
    parts = [
        {"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]}
    ]
    plain = [{"role": "user", "content": "hello"}]
    assert count_messages(parts) == count_messages(plain) + count_tokens(" world")
    assert count_messages([{"role": "assistant", "content": None}]) == 3 + count_tokens("assistant") + 3


def test_count_tools_flat_formula() -> None:
    enc = "o200k_base"
    tool = {
        "type": "function",
        "function": {
            "name": "run_query",
            "description": "Run a query.",
            "parameters": {
                "type": "object",
                "properties": {
                    "limit": {"type": "integer", "description": "Max rows."},
                    "order": {"type": "string", "enum": ["asc", "desc"], "description": "Order"},
                },
            },
        },
    }
    expected = (
        7 + count_tokens("run_query:Run a query", enc)
        + 3
        + 3 + count_tokens("limit:integer:Max rows", enc)
        + 3 - 3 + (3 + count_tokens("asc", enc)) + (3 + count_tokens("desc", enc)) + count_tokens("order:string:Order", enc)
        + 12
    )  # fmt: skip
    assert count_tools([tool], enc) == expected
    assert count_tools([tool], "cl100k_base") > 0
    assert count_tools(None, enc) == 0 and count_tools([], enc) == 0


def test_count_tools_counts_nested_parameters() -> None:
    flat = {
        "name": "f",
        "description": "",
        "parameters": {"type": "object", "properties": {"a": {"type": "array"}}},
    }
    nested = {
        "name": "f",
        "description": "",
        "parameters": {
            "type": "object",
            "properties": {
                "a": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"op": {"type": "string", "enum": ["COUNT"]}}},
                }
            },
        },
    }
    assert count_tools([{"type": "function", "function": nested}]) > count_tools(
        [{"type": "function", "function": flat}]
    )


def test_count_response_format() -> None:
    assert count_response_format(None) == 0
    assert count_response_format({"type": "json_object"}) == 0
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "query", "strict": True, "schema": {"type": "object"}},
    }
    assert count_response_format(fmt) == 7 + count_tokens("query:") + count_tokens('{"type":"object"}')


def test_count_request_is_the_sum_of_its_parts() -> None:
    messages = [
        {"role": "system", "content": "You write queries."},
        {"role": "user", "content": "p99 latency by route"},
    ]
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "q", "schema": {"type": "object", "properties": {}}},
    }
    body = {
        "model": "gpt-4.1-mini",
        "messages": messages,
        "tools": COOKBOOK_TOOLS,
        "response_format": response_format,
    }
    result = count_request(body)
    assert isinstance(result, RequestTokens)
    assert result.encoding == "o200k_base"
    assert result.messages == count_messages(messages, "o200k_base")
    assert result.tools == count_tools(COOKBOOK_TOOLS, "o200k_base")
    assert result.response_format == count_response_format(response_format, "o200k_base")
    assert result.total == result.messages + result.tools + result.response_format


def test_count_request_encoding_follows_model() -> None:
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "hello world"}]}
    assert count_request(body).encoding == "cl100k_base"
    assert count_request({**body, "model": "offline"}).encoding == "o200k_base"


def test_a_tokenizer_file_is_parsed_like_tiktoken_and_a_bad_one_is_one_line() -> None:
    import base64

    from workbench.core.encodings import _parse_ranks

    tokens = [b"hello", b" world", bytes(range(256))[:40]]
    data = b"".join(base64.b64encode(t) + b" %d\n" % i for i, t in enumerate(tokens))
    assert _parse_ranks(data + b"\n", Path("ok.tiktoken")) == {t: i for i, t in enumerate(tokens)}
    with pytest.raises(WorkbenchError, match=r"bad\.tiktoken is not a valid \.tiktoken file"):
        _parse_ranks(data + b"aGk= 3 extra\n", Path("bad.tiktoken"))
