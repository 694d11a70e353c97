"""The offline model reads everyday telemetry questions into the expected query specs.

Each case of ``fixtures/offline_cases.yaml`` is one general question (written for these tests, not
taken from a question set) and the full spec the model should answer at temperature 0 with the
test prompt of ``offline_prompt.py`` (DESIGN.md core columns, three examples, DESIGN.md's
conventions). ``workbench questions check`` screens the shipped sets against those questions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from offline_prompt import body, spec_of

from workbench.offline import complete

#: the model's own question -> spec cases (general questions; screened against the shipped sets)
CASES = [
    (case["question"], case["spec"])
    for case in yaml.safe_load((Path(__file__).parent / "fixtures" / "offline_cases.yaml").read_text())[
        "cases"
    ]
]


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_question_reads_as_expected(question: str, expected: dict) -> None:
    response = complete(body(question))
    assert response["choices"][0]["finish_reason"] == "tool_calls", response["choices"][0]["message"]
    assert spec_of(response) == expected


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("p99 latency by browser", "browser"),
        ("error count per datacenter rack", "rack"),
        ("average latency per tenant", "tenant"),
    ],
)
def test_unknown_column_term_is_kept_as_the_users_word(question: str, term: str) -> None:
    """A breakdown on information no listed column holds keeps the user's word (validation then names it)."""
    spec = spec_of(complete(body(question)))
    assert spec is not None and term in " ".join(spec.get("breakdowns", []))
    assert all(
        b == term or b.startswith(term) or term in b
        for b in spec["breakdowns"]
        if b not in {c["column"] for c in spec.get("filters", [])}
    )
