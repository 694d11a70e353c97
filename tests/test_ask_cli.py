"""``workbench ask`` plain output: the readback and the query builder next to the question, and the
critic's warnings among the findings, so a person sees what ran without reading JSON."""

from __future__ import annotations

import json

from workbench.cli import main
from workbench.prompt.variant import load_variant


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


def test_samples_report_how_many_results_agree(capsys, small_dataset_path, tmp_path) -> None:
    data = json.loads(ask(capsys, small_dataset_path, "errors by service", "--samples", "3", "--json"))
    assert data["samples"] == 3 and data["agreement"] == 1.0  # temperature 0: the samples are identical
    hot = tmp_path / "hot.yaml"
    load_variant("compact").with_(name="hot", temperature=1.5).save(hot)
    agreements = {
        json.loads(ask(capsys, small_dataset_path, q, "--prompt", str(hot), "--samples", "6", "--json"))[
            "agreement"
        ]
        for q in ("slowest endpoints yesterday", "p95 latency by region for ios", "top users by errors")
    }
    assert all(1 / 6 <= a <= 1 for a in agreements) and min(agreements) < 1  # sampling moves it


def test_samples_must_be_positive(capsys, small_dataset_path) -> None:
    code = main(["ask", "errors", "--data", str(small_dataset_path), "--samples", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--samples must be at least 1" in err[0]
