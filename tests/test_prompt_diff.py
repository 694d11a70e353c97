"""prompt diff: token changes per section, columns and examples that came or went, the text diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.prompt.diff import diff_rendered
from workbench.prompt.render import Prompt

REPO = Path(__file__).resolve().parents[1]
Q = "slow endpoints for android users yesterday"


@pytest.fixture(scope="module")
def pair(small_schema):
    a = Prompt.load(REPO / "prompts" / "honeycomb.yaml", small_schema)
    b = a.with_(name="fewer", schema={"excluded": ["app.platform"]}, examples={"k": 2})
    return a.render(Q), b.render(Q)


def test_tokens_columns_and_examples(pair) -> None:
    a, b = pair
    d = diff_rendered(a, b)
    assert d.total == (a.total_tokens, b.total_tokens) and d.stable_prefix == (
        a.stable_prefix_tokens,
        b.stable_prefix_tokens,
    )
    assert (
        sum(x for x, _ in d.sections.values()) == a.total_tokens
        and sum(y for _, y in d.sections.values()) == b.total_tokens
    )
    assert d.columns_removed == ("app.platform",) and d.columns_added == ()
    assert len(d.examples_removed) == 6 and d.examples_added == ()  # first 8 -> first 2
    assert any(line.startswith("-app.platform (string)") for line in d.text_diff)
    text = "\n".join(d.lines())
    assert "columns removed (1):" in text and "examples removed (6):" in text


def test_the_same_request_has_no_diff(pair) -> None:
    a, _ = pair
    d = diff_rendered(a, a)
    assert d.same and "the requests are identical" in d.lines()
    assert all(x == y for x, y in d.sections.values())


def test_cli(capsys, small_dataset_path) -> None:
    args = [
        "prompt",
        "diff",
        "--prompt",
        "honeycomb",
        "--prompt",
        "compact",
        "--question",
        Q,
        "--data",
        str(small_dataset_path),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("compact vs honeycomb") and "stable prefix" in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["b"] < data["total"]["a"] and data["text_diff"]
    assert main(["prompt", "diff", "--prompt", "compact", "--question", Q]) == 2
    assert "compares two variants" in capsys.readouterr().err
