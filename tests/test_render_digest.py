"""Speed work never changes a rendered prompt: every shipped variant's renders of the shipped question
sets, byte for byte (messages, body and token sections), against digests recorded before it.

If a change to the rendered prompts is *intended* (a new instruction, a layout change), print the new
digests with ``python -m pytest tests/test_render_digest.py -s`` and update ``DIGESTS`` in the same
commit, saying why.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt

REPO = Path(__file__).resolve().parents[1]
QUESTION_SETS = ("core", "team_jargon")
VARIANTS = ("compact", "honeycomb", "naive")

#: sha256 over every render (variant x question, in order) of the session's small dataset
DIGESTS = {
    "compact": "90ed213b73bb1c47f3b2527bec2cdf7155a6fec02ffea95f3d7f7567b8668098",
    "honeycomb": "ee0d96a146a334bb9ce688a1ca47b350606cc3474cbd3371a120a676c242dc12",
    "naive": "5fe32a8bf26be920ae329b0924de7f2769a5a30db224b8aff73003f42c56c5f4",
}


def _digest(prompt: Prompt, questions: list[str]) -> str:
    h = hashlib.sha256()
    for q in questions:
        r = prompt.render(q)
        record = {"body": r.body, "sections": r.sections, "total": r.total_tokens,
                  "prefix": r.stable_prefix_tokens, "kept": list(r.compressed.kept) if r.compressed else None,
                  "dropped": r.compressed.dropped if r.compressed else None,
                  "examples": [s.to_dict() for s in r.selected_examples]}  # fmt: skip
        h.update(json.dumps(record, sort_keys=True, default=str).encode())
    return h.hexdigest()


@pytest.mark.parametrize("variant", VARIANTS)
def test_renders_are_byte_identical(variant: str, small_schema, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    questions = [q.question for name in QUESTION_SETS for q in load_question_set(f"questions/{name}.yaml")]
    prompt = Prompt.load(variant, small_schema)
    first = _digest(prompt, questions)
    print(f"\n{variant}: {first}")
    assert first == DIGESTS[variant]
    # a second, fresh binding (no render cache) and the cached renders agree with the first
    assert _digest(Prompt.load(variant, small_schema), questions) == first
    assert _digest(prompt, questions) == first
