"""``workbench chat`` (stdin-driven: turns, /undo, /history) and ``workbench ask --current``."""

from __future__ import annotations

import io
import json

from workbench.cli import main

BASE = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "breakdowns": ["service.name"],
    "start_time": 1795046400,
    "end_time": 1795132800,
}


def test_chat_drills_down_undoes_and_shows_history(capsys, monkeypatch, small_dataset_path) -> None:
    script = "errors by service yesterday\nonly payment\nby region instead\nhourly\n/undo\n/history\n/quit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert main(["chat", "--data", str(small_dataset_path), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "changed:  + filter service.name = payment" in out
    assert "+ by cloud.region" in out and "granularity: none -> per hour" in out
    assert "undone: hourly" in out
    history = out.split("> /history\n")[1].splitlines()
    assert [line.split(" -> ")[0] for line in history[:3]] == [
        "1. errors by service yesterday", "2. only payment", "3. by region instead",
    ]  # fmt: skip
    assert history[3] == "> /quit"


def test_ask_current_shows_the_change_and_bad_files_are_one_line(
    capsys, tmp_path, small_dataset_path
) -> None:
    current = tmp_path / "current.json"
    current.write_text(json.dumps(BASE))
    args = ["ask", "only android", "--data", str(small_dataset_path), "--no-cache", "--current", str(current)]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["current"] == BASE and out["diff"]["lines"] == ["+ filter app.platform = android"]
    assert main(args) == 0
    assert "changed:  + filter app.platform = android" in capsys.readouterr().out
    current.write_text("{not json")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: current query") and len(err.strip().splitlines()) == 1


def test_prompt_show_and_diff_count_the_current_query(capsys, tmp_path, small_dataset_path) -> None:
    current = tmp_path / "current.json"
    current.write_text(json.dumps(BASE))
    data = ["--data", str(small_dataset_path), "--question", "only android", "--current", str(current)]
    assert main(["prompt", "show", "--prompt", "compact", *data, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tokens"]["sections"]["current_query"] > 0
    assert "## Current query\n" in shown["messages"][-1]["content"]
    assert main(["prompt", "diff", "--prompt", "compact", "--prompt", "naive", *data, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["sections"]["current_query"]["a"] == diff["sections"]["current_query"]["b"] > 0
