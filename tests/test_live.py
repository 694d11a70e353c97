"""Opt-in checks against a real model: never run by default, in CI or without a key.

Run them with ``WORKBENCH_LIVE=1 OPENAI_API_KEY=... python3 -m pytest -m live tests/test_live.py``
(``WORKBENCH_LIVE_MODEL`` picks the model, default gpt-4.1-mini; ``OPENAI_BASE_URL`` points at any
OpenAI-compatible server). They check the wire contract with a real endpoint, not accuracy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.pipeline.ask import ask
from workbench.prompt.render import Prompt

REPO = Path(__file__).resolve().parents[1]
MODEL = os.environ.get("WORKBENCH_LIVE_MODEL", "gpt-4.1-mini")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        os.environ.get("WORKBENCH_LIVE") != "1"
        or not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")),
        reason="live model tests are opt-in: set WORKBENCH_LIVE=1 and OPENAI_API_KEY (or OPENAI_BASE_URL)",
    ),
]


@pytest.mark.parametrize("mode", ["tool_call", "json_schema", "plain_json"])
def test_a_real_model_answers_in_every_output_mode(small_dataset, mode: str) -> None:
    prompt = Prompt.load(REPO / "prompts" / "compact.yaml", small_dataset).with_(
        model=MODEL, output_mode=mode
    )
    answer = ask("errors by service in the last 6 hours", prompt, dataset=small_dataset, cache=False)
    call = answer.attempts[0].call
    assert call.ok, call.error
    assert call.prompt_tokens and call.completion_tokens and not call.usage_estimated
    assert answer.spec is not None, [str(f) for f in answer.findings]
