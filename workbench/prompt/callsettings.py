"""A variant's settings for the call itself: a declared price and server-specific request parameters.

``price`` states what a model costs when the price table does not know it (a local model:
0). ``extra_body`` passes parameters a particular server understands (llama.cpp's
``cache_prompt``, vLLM's ``top_k``, a grammar) into the request body; it can never replace
what the workbench builds (model, messages, tools, output format, sampling fields of the
variant) nor say where the request goes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RESERVED_BODY_KEYS", "DeclaredPrice", "check_extra_body"]

#: request keys the workbench sets itself: ``extra_body`` may not name them
RESERVED_BODY_KEYS = frozenset(
    {
        "model", "messages", "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
        "response_format", "stream", "stream_options", "temperature", "top_p", "max_tokens",
        "max_completion_tokens", "seed", "n",
    }
)  # fmt: skip
#: keys that would choose the endpoint, credentials or transport: never in a request body
_ENDPOINT_KEYS = frozenset(
    {"base_url", "api_base", "api_key", "url", "endpoint", "host", "organization", "project", "timeout"}
)


class DeclaredPrice(BaseModel):
    """A model's price as the variant declares it, in USD per million tokens (0 for a local model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)

    def model_post_init(self, _context: Any) -> None:
        if self.cached_input is None:
            object.__setattr__(self, "cached_input", self.input)


def check_extra_body(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if every key is a server parameter; else ``ValueError`` naming the key and the fix."""
    for key in value:
        if not isinstance(key, str) or not key:
            raise ValueError("extra_body: keys must be parameter names")
        lowered = key.lower()
        if lowered in RESERVED_BODY_KEYS:
            raise ValueError(
                f"extra_body: {key!r} is set by the workbench; use the variant's own field "
                "(model, output_mode, temperature, ...) instead"
            )
        if lowered in _ENDPOINT_KEYS or lowered.startswith(("extra_", "x-")):
            raise ValueError(
                f"extra_body: {key!r} would change where or how the request is sent; "
                "set base_url / api_key_env / timeout_s in the variant instead"
            )
    return value
