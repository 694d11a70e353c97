"""The built-in ``offline`` model: an honest baseline that answers chat.completions requests.

It sees only the request body, exactly like a remote model: the instructions,
the clock line, the ``## Columns`` schema block, the ``## Examples`` pairs, the
question, and the output mode (tools, ``response_format`` or plain text). It
never reads the dataset, files or question sets. From the prompt it maps the
question's words to listed columns and values, follows the conventions the
instructions state (``Latency: duration_ms``, ``slow means P95``, ``no time = last day``,
``Errors: filter error = true``, ``users = sessions``, ``traces = distinct trace ids``),
falling back to the priors of ``vocabulary.yaml`` where they state nothing, learns
phrase → column / op / filter mappings and conventions from the examples, resolves time phrases
against the prompt's ``now``, and keeps scored candidate readings where the language is ambiguous:
temperature 0 answers with the best, temperature > 0 samples (seeded by
``seed``). Requests it cannot serve get a short text instead of a query.

Public API::

    complete(body) -> chat.completion dict          # raises BadRequest on a malformed body
    stream_chunks(response, include_usage=False)     # the same answer as chat.completion.chunk dicts
    describe() -> /v1/models entry; MODEL_ID = "offline"
    warm_up()                                        # once per process: loads what the first call needs

``serve-model`` warms the model up before it listens (the tokenizer, the vocabulary, the parser's
caches), so its first call takes the model's own time, not the loading's; so does a caller that
runs ``warm_up()`` before timing calls. Importing the package alone loads nothing heavy.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from typing import Any

from workbench.offline.body import MODEL_ID, BadRequest, check_body
from workbench.offline.followup import followup
from workbench.offline.model import answer
from workbench.offline.request import read_request
from workbench.offline.respond import build_response, stream_chunks

__all__ = ["MODEL_ID", "BadRequest", "complete", "describe", "stream_chunks", "warm_up"]

#: a fixed creation time for /v1/models (2026-01-01T00:00:00Z)
CREATED = 1767225600


def complete(body: dict[str, Any]) -> dict[str, Any]:
    """Answer one chat.completions request body with a full chat.completion response body.

    Raises:
        BadRequest: the body is malformed (OpenAI's status, message, param and code).
    """
    check_body(body)
    view = read_request(body)
    rng = _rng(body)
    ans = followup(body, view, rng) or answer(view, rng)
    return build_response(body, view, ans)


def _rng(body: dict[str, Any]) -> random.Random:
    """Seeded by the body and ``seed`` (same body + seed → same answer), else by the OS."""
    seed = body.get("seed")
    if seed is None:
        return random.Random()
    canonical = json.dumps(
        {k: v for k, v in body.items() if k not in ("stream", "stream_options")}, sort_keys=True, default=str
    )
    digest = hashlib.sha256(f"{seed}:{canonical}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def describe() -> dict[str, Any]:
    """The model's entry in ``GET /v1/models``."""
    return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "query-workbench"}


@functools.cache
def warm_up() -> None:
    """Answer one small request (once per process), so the tokenizer, vocabulary and parser are loaded."""
    from workbench.schema.columns import ColumnInfo
    from workbench.schema.format import SchemaFormat, format_schema

    columns = [
        ColumnInfo("service.name", "string", "the service", values=("checkout", "search")),
        ColumnInfo("duration_ms", "float", "span duration in milliseconds"),
    ]
    system = f"Table: events.\n\n## Columns\n{format_schema(columns, SchemaFormat())}\n"
    body = {
        "model": MODEL_ID,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": "## Question\np95 latency by service in the last hour"},
        ],
        "temperature": 0,
        "max_tokens": 200,
    }
    complete(body)
