"""``workbench.runtime``: light (checked in a subprocess with heavy imports blocked), exact, same policy."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx2
import pytest
from openai_wire import FakeEndpoint

from workbench.cli import main
from workbench.core.errors import ConfigError
from workbench.export.artifact import ArtifactError, content_hash
from workbench.export.build import build_artifact, write_json
from workbench.pipeline.ask import ask as workbench_ask
from workbench.pipeline.judge import judge, repair_body
from workbench.prompt.render import Prompt
from workbench.runtime import Assistant
from workbench.spec.readback import readback
from workbench.sql.compiler import compile_spec

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("naive", "honeycomb", "compact")
#: questions rendered by both sides: varied shapes, plus whitespace, quotes and non-ASCII text
QUESTIONS = (
    "slow endpoints for android users yesterday",
    "which services threw the most errors in the last 6 hours",
    "p95 checkout latency by payment provider this week",
    "how many traces did we get in the last hour",
    "revenue per hour from paypal on nov 18",
    "top 5 routes by 5xx responses in eu-west-1",
    '  spans whose exception message contains "timeout" — by service  ',
    "what is the meaning of life",
)
ASKED = QUESTIONS[:4] + QUESTIONS[7:]
BLOCKED = ("pandas", "duckdb", "ipywidgets", "jupyter", "jupyterlab", "jupyter_client", "jupyter_core",
           "IPython", "ipykernel", "notebook")  # fmt: skip

#: runs in a fresh interpreter: a meta-path finder refuses the heavy modules (and records any attempt)
_PRELUDE = f"""
import json, sys
BLOCKED = {BLOCKED!r}
attempts = []
class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            attempts.append(name)
            raise ImportError(f"blocked in this test: {{name}}")
sys.meta_path.insert(0, _Refuse())
"""
_CHECK = """
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"attempts": attempts, "loaded": loaded, "out": out}))
"""


def _run_light(body: str) -> dict:
    """Run ``body`` (which sets ``out``) with the heavy modules blocked; returns its JSON report."""
    code = _PRELUDE + textwrap.dedent(body) + _CHECK
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["attempts"] == [] and report["loaded"] == []
    return report["out"]


@pytest.fixture(scope="module")
def prompts(small_schema) -> dict[str, Prompt]:
    return {v: Prompt.load(v, small_schema) for v in VARIANTS}


@pytest.fixture(scope="module")
def artifact_paths(prompts, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("artifacts")
    return {v: write_json(build_artifact(p, store=False), folder / f"{v}.json") for v, p in prompts.items()}


# --------------------------------------------------------------------------- light


def test_importing_the_runtime_loads_no_heavy_module() -> None:
    out = _run_light(
        "import workbench.runtime\nout = sorted(m for m in sys.modules if m.startswith('workbench'))"
    )
    assert "workbench.runtime" in out
    assert not {
        "workbench.dataset.source",
        "workbench.store.runs",
        "workbench.sql.execute",
        "workbench.evaluation.evaluate",
    } & set(out)


def test_runtime_renders_and_asks_like_the_workbench(prompts, artifact_paths) -> None:
    """The acceptance test: load in a fresh light process, render and ask; compare with the workbench."""
    out = _run_light(f"""
        from workbench.runtime import Assistant
        out = {{}}
        for name, path in {json.dumps({k: str(v) for k, v in artifact_paths.items()})}.items():
            a = Assistant.from_artifact(path)
            out[name] = {{
                "render": [a.render(q) for q in {list(QUESTIONS)!r}],
                "ask": [a.ask(q).to_dict() for q in {list(ASKED)!r}],
                "postgres": a.ask({ASKED[0]!r}, dialect="postgres").sql,
            }}
    """)
    for name, prompt in prompts.items():
        got = out[name]
        for q, rendered in zip(QUESTIONS, got["render"], strict=True):
            want = prompt.render(q)
            assert rendered == {"messages": want.messages, "tools": want.tools}, (name, q)
        for q, answer in zip(ASKED, got["ask"], strict=True):
            reference = workbench_ask(q, prompt, execute=False, cache=False)
            assert answer["spec"] == reference.spec, (name, q)
            assert answer["sql"] == reference.sql, (name, q)
            assert answer["valid"] == reference.valid
            assert answer["findings"] == [f.to_dict() for f in reference.findings]
            assert answer["attempts"] == len(reference.attempts)
            assert answer["readback"] == reference.to_dict()["readback"]  # what ran, in words
            assert (answer["readback"] is None) == (not answer["valid"]), (name, q)
        reference = workbench_ask(ASKED[0], prompt, execute=False, cache=False)
        spec = reference.final.validation.spec
        assert got["postgres"] == compile_spec(spec, prompt.schema, dialect="postgres").sql
    # the offline model declines a question no query answers: no spec, a finding says why
    declined = out["compact"]["ask"][-1]
    assert declined["spec"] is None and declined["sql"] is None and declined["findings"]
    assert "readback" in declined and declined["readback"] is None


@pytest.mark.parametrize("name", VARIANTS)
def test_render_equals_prompt_show_json(name: str, artifact_paths, small_dataset_path: Path, capsys) -> None:
    assistant = Assistant.from_artifact(artifact_paths[name])
    for q in QUESTIONS[:3]:
        assert (
            main(
                [
                    "prompt",
                    "show",
                    "--prompt",
                    name,
                    "--question",
                    q,
                    "--data",
                    str(small_dataset_path),
                    "--json",
                ]
            )
            == 0
        )
        shown = json.loads(capsys.readouterr().out)
        assert assistant.render(q) == {"messages": shown["messages"], "tools": shown["tools"]}


def test_json_schema_mode_renders_its_response_format(prompts, tmp_path: Path) -> None:
    prompt = prompts["honeycomb"].with_(output_mode="json_schema")
    assistant = Assistant(build_artifact(prompt, store=False))
    rendered, want = assistant.render(QUESTIONS[0]), prompt.render(QUESTIONS[0])
    assert rendered == {"messages": want.messages, "tools": None, "response_format": want.response_format}
    assert assistant.request(QUESTIONS[0]) == want.body
    answer = assistant.ask(QUESTIONS[1])
    reference = workbench_ask(QUESTIONS[1], prompt, execute=False, cache=False)
    assert (answer.spec, answer.valid, answer.findings) == (
        reference.spec,
        reference.valid,
        reference.findings,
    )


# --------------------------------------------------------------------------- refusals


def _variant_of(path: Path, change, rehash: bool = True) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    if rehash:
        data["content_hash"] = content_hash(data)
    return data


def test_refusals_are_one_clear_line(artifact_paths, tmp_path: Path) -> None:
    path = artifact_paths["naive"]
    cases = {
        "format version 2, newer than this runtime supports (1)": _variant_of(
            path, lambda d: d.update(format_version=2)
        ),
        "artifact was edited or corrupted": _variant_of(
            path, lambda d: d["policy"].update(max_repairs=5), rehash=False
        ),
        "missing field 'policy.repair'": _variant_of(path, lambda d: d["policy"].pop("repair")),
    }
    for expected, data in cases.items():
        target = write_json(data, tmp_path / "bad.json")
        with pytest.raises(ArtifactError) as err:
            Assistant.from_artifact(target)
        assert expected in str(err.value) and "\n" not in str(err.value)


def test_an_artifact_this_version_renders_differently_is_refused(artifact_paths) -> None:
    data = _variant_of(
        artifact_paths["compact"], lambda d: d["prompt"].update(system=d["prompt"]["system"] + "!")
    )
    with pytest.raises(ArtifactError, match="renders the artifact's system message differently"):
        Assistant(data)
    data = _variant_of(artifact_paths["compact"], lambda d: d["request"].update(temperature=0.3))
    with pytest.raises(ArtifactError, match="request"):
        Assistant(data)


def test_bad_dialect_and_client_fail_before_any_call(artifact_paths) -> None:
    assistant = Assistant.from_artifact(artifact_paths["naive"])
    with pytest.raises(ConfigError, match="unknown SQL dialect 'oracle'"):
        assistant.ask("errors by service", dialect="oracle")
    with pytest.raises(ConfigError, match="client must be an openai client"):
        assistant.ask("errors by service", client=object())


# --------------------------------------------------------------------------- repair policy


def _completion(spec: dict) -> dict:
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "run_query", "arguments": json.dumps(spec)}}]}  # fmt: skip
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "offline",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}  # fmt: skip
    return {"status": 200, "headers": {"content-type": "application/json"}, "body": body}


BAD = {"calculations": [{"op": "P99", "column": "latency"}], "time_range": 3600}
GOOD = {"calculations": [{"op": "P99", "column": "duration_ms"}], "time_range": 3600}


@pytest.mark.parametrize("repair", [True, False])
def test_the_workbench_repair_policy_applies(repair: bool, prompts) -> None:
    prompt = prompts["naive"].with_(repair=repair)
    assistant = Assistant(build_artifact(prompt, store=False))
    endpoint = FakeEndpoint(httpx2, _completion(BAD), _completion(GOOD))
    answer = assistant.ask("p99 latency last hour", client=endpoint.backend(), dialect="trino")
    if not repair:
        assert len(endpoint.history) == 1 and not answer.valid and answer.sql is None
        assert any(f.code == "unknown_column" for f in answer.findings)
        assert answer.to_dict()["readback"] is None  # nothing valid ran: nothing to read back
        return
    assert len(endpoint.history) == 2 and answer.repaired and answer.valid
    first = judge(answer.attempts[0].call, "tool_call", prompt.schema)
    assert endpoint.history[1] == repair_body(prompt.render("p99 latency last hour").body, first)
    assert answer.spec["calculations"] == [{"op": "P99", "column": "duration_ms"}]
    assert answer.sql == compile_spec(answer.final.validation.spec, prompt.schema, dialect="trino").sql
    assert answer.to_dict()["dialect"] == "trino" and answer.to_dict()["columns"] == ["P99(duration_ms)"]
    assert answer.to_dict()["readback"] == readback(GOOD) == "P99 of duration_ms, last 1 hour"


def test_aask_gives_the_same_answer(artifact_paths) -> None:
    assistant = Assistant.from_artifact(artifact_paths["compact"])
    sync = assistant.ask(QUESTIONS[1], dialect="clickhouse")
    concurrent = asyncio.run(assistant.aask(QUESTIONS[1], dialect="clickhouse"))
    assert (concurrent.spec, concurrent.sql, concurrent.findings) == (sync.spec, sync.sql, sync.findings)
    assert copy.deepcopy(sync.to_dict())["series_sql"] is None


def test_ask_with_a_current_query_changes_it(artifact_paths) -> None:
    assistant = Assistant.from_artifact(artifact_paths["compact"])
    current = {"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": True}]}
    assert "## Current query" in assistant.render("only android", current=current)["messages"][-1]["content"]
    answer = assistant.ask("only android", current=current)
    assert answer.valid
    assert {"column": "error", "op": "=", "value": True} in answer.spec["filters"]
    assert {"column": "app.platform", "op": "=", "value": "android"} in answer.spec["filters"]
