"""YAML anchors that expand (an alias bomb) are refused fast; error messages quote at most a few hundred chars."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.errors import MESSAGE_LIMIT, ConfigError, WorkbenchError
from workbench.core.yamlio import MAX_EXPANDED_NODES, parse_yaml
from workbench.evaluation.questions import load_question_set
from workbench.prompt.variant import load_variant


def alias_bomb(levels: int, key: str) -> str:
    """Nine references per level: ``levels`` levels stand for 9**levels strings in about 40 bytes a level."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"{key}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "loader, key",
    [(load_variant, "instructions"), (load_question_set, "questions")],
    ids=["variant", "questions"],
)
def test_an_alias_bomb_is_refused_fast(tmp_path: Path, loader, key: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("name: bomb\n" + alias_bomb(8, key), encoding="utf-8")
    assert path.stat().st_size < 500
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases expand to more than") as info:
        loader(path)
    assert time.perf_counter() - start < 1.0
    assert len(str(info.value)) < 300


def test_an_alias_bomb_through_the_cli_is_one_short_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("name: bomb\n" + alias_bomb(9, "instructions"), encoding="utf-8")
    assert main(["prompt", "show", "--prompt", str(path), "--question", "errors by service"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 2 * MESSAGE_LIMIT


def test_small_anchors_still_work() -> None:
    data, _doc = parse_yaml("base: &b {x: 1}\nuse: [*b, *b]\nstar: 2 * 3\n", "t.yaml")
    assert data["use"] == [{"x": 1}, {"x": 1}] and data["star"] == "2 * 3"


def test_the_limit_is_on_expanded_values_not_on_aliases() -> None:
    per_level = round(MAX_EXPANDED_NODES ** (1 / 3)) // 2  # three levels: well under the limit
    text = "a: &a [" + ",".join(["1"] * per_level) + "]\n"
    text += "b: &b [" + ",".join(["*a"] * per_level) + "]\n"
    text += "c: [" + ",".join(["*b"] * per_level) + "]\n"
    data, _doc = parse_yaml(text, "t.yaml")
    assert len(data["c"]) == per_level


def test_error_messages_quote_at_most_a_few_hundred_characters() -> None:
    err = WorkbenchError("bad value " + "x" * 4_000_000, "fix " + "y" * 10_000)
    assert len(str(err)) < 3 * MESSAGE_LIMIT
    assert "more characters" in err.problem and "more characters" in err.fix
