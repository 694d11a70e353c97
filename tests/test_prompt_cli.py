"""``workbench prompt show`` and ``workbench prompt list``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.tokens import count_request

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["naive", "honeycomb", "compact"])
def test_show_json_shape(capsys, small_dataset_path: Path, name: str) -> None:
    question = "slow endpoints for android users yesterday"
    code, out, _ = run(capsys, "prompt", "show", "--prompt", name, "--question", question,
                       "--data", str(small_dataset_path), "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert {"messages", "tools", "tokens", "encoding"} <= set(data)
    assert [m["role"] for m in data["messages"]] == ["system", "user"]
    assert data["messages"][-1]["content"].endswith(f"## Question\n{question}")
    assert data["tools"][0]["function"]["name"] == "run_query"
    sections = data["tokens"]["sections"]
    assert set(sections) == {
        "instructions",
        "conventions",
        "schema",
        "examples",
        "question",
        "tools",
        "format",
    }
    assert sum(sections.values()) == data["tokens"]["total"]
    body = {"model": data["model"], "messages": data["messages"], "tools": data["tools"]}
    assert count_request(body).total == data["tokens"]["total"]
    assert data["encoding"] == "o200k_base"
    assert 0 < data["stable_prefix_tokens"] < data["tokens"]["total"]


def test_show_human_output(capsys, small_dataset_path: Path) -> None:
    code, out, _ = run(capsys, "prompt", "show", "--prompt", str(REPO / "prompts" / "compact.yaml"),
                       "--question", "p95 latency of checkout by provider", "--data", str(small_dataset_path),
                       "--price-model", "gpt-4o-mini")  # fmt: skip
    assert code == 0
    for text in ("── system", "── user", "tokens (o200k_base)", "instructions", "schema", "format", "total",
                 "stable prefix:", "per 1,000 calls", "price data ", "as gpt-4o-mini:", "nearest #1, similarity",
                 "columns kept"):  # fmt: skip
        assert text in out, text
    assert "█" in out


def test_show_unknown_variant_is_a_one_line_error(capsys) -> None:
    code, out, err = run(capsys, "prompt", "show", "--prompt", "no-such-variant", "--question", "q")
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: prompt variant not found: no-such-variant")
    assert "available variants:" in err and err.count("\n") == 1


def test_show_bad_variant_file_names_the_key(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninstructions: hi\noutput_mode: tools\n")
    code, _, err = run(capsys, "prompt", "show", "--prompt", str(bad), "--question", "q")
    assert code == 2
    assert "output_mode: 'tools' is not one of tool_call, json_schema, plain_json" in err


def test_list(capsys) -> None:
    code, out, _ = run(capsys, "prompt", "list")
    assert code == 0
    for name in ("naive", "honeycomb", "compact"):
        assert name in out
    code, out, _ = run(capsys, "prompt", "list", "--json")
    data = json.loads(out)
    by_name = {v["name"]: v for v in data["variants"]}
    assert {"naive", "honeycomb", "compact"} <= set(by_name)
    assert by_name["compact"]["examples"].startswith("core: nearest")
    assert by_name["naive"]["examples"] == "no examples"
    assert all(v["model"] == "offline" for v in by_name.values())
    assert data["errors"] == []
