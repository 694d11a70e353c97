"""``workbench ask`` plain output: the readback and the query builder next to the question, and the
critic's warnings among the findings, so a person sees what ran without reading JSON."""

from __future__ import annotations

import json

from workbench.cli import main


def ask(capsys, dataset_path, question: str, *extra: str) -> str:
    code = main(["ask", question, "--model", "offline", "--data", str(dataset_path), "--no-cache", *extra])
    assert code == 0
    return capsys.readouterr().out


def test_plain_output_reads_the_query_back_in_words_and_builder_form(capsys, small_dataset_path) -> None:
    out = ask(capsys, small_dataset_path, "count of events for android yesterday")
    lines = out.splitlines()
    readback = next(i for i, line in enumerate(lines) if line.startswith("readback: "))
    assert lines[readback - 1].startswith("query:    {")
    assert "app.platform = android" in lines[readback] and "yesterday (" in lines[readback]
    clauses = [line.split()[0] for line in lines[readback + 1 : readback + 5]]
    assert clauses == ["VISUALIZE", "WHERE", "GROUP", "ORDER"]
    assert any(line.split()[:2] == ["WHERE", "app.platform"] for line in lines)


def test_plain_output_lists_the_critics_warnings_with_their_suggestions(capsys, small_dataset_path) -> None:
    question = "heatmap of search latency per hour yesterday"
    data = json.loads(ask(capsys, small_dataset_path, question, "--json"))
    critic = [f for f in data["findings"] if f["code"].startswith("critic_")]
    assert critic, "the offline model's answer to this question should draw a critic warning"
    out = ask(capsys, small_dataset_path, question)
    assert "critic:" in out
    for f in critic:
        assert f"{f['code']}: {f['severity']}" in out and f["message"] in out
        if f["suggestion"]:
            assert f"Suggestion: {f['suggestion']}" in out
    assert "findings: none" not in out


def test_an_answer_without_findings_says_so(capsys, small_dataset_path) -> None:
    out = ask(capsys, small_dataset_path, "count of events for android yesterday")
    assert "findings: none" in out and "critic:" not in out
