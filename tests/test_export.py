"""The production artifact (build, write, load, verify), the request template and the promptfoo export."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from _run_records import QUESTIONS as RUN_QUESTIONS
from _run_records import record_run

from workbench.cli import main
from workbench.evaluation.questions import load_question_set
from workbench.export.artifact import (
    FORMAT_VERSION,
    ArtifactError,
    content_hash,
    load_artifact,
    verify_artifact,
)
from workbench.export.build import build_artifact, export_prompt, variant_yaml, write_json
from workbench.export.formats import PROMPTFOO_ASSERT, PROMPTFOO_PROMPT, SERVE_MODEL_URL
from workbench.prompt.render import Prompt
from workbench.prompt.variant import PromptVariant
from workbench.spec.validate.layers import validate
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("naive", "honeycomb", "compact")
QUESTIONS = (
    "slow endpoints for android users yesterday",
    "which services threw the most errors in the last 6 hours",
    "p95 checkout latency by payment provider this week",
)


@pytest.fixture(scope="module")
def prompts(small_schema) -> dict[str, Prompt]:
    return {v: Prompt.load(v, small_schema) for v in VARIANTS}


@pytest.fixture(scope="module")
def artifacts(prompts) -> dict[str, dict]:
    return {v: build_artifact(p, store=False) for v, p in prompts.items()}


# --------------------------------------------------------------------------- contents


@pytest.mark.parametrize("name", VARIANTS)
def test_artifact_holds_everything_the_request_needs(name: str, prompts, artifacts) -> None:
    p, a = prompts[name], artifacts[name]
    rendered = p.render(QUESTIONS[0])
    assert a["format_version"] == FORMAT_VERSION == 1
    assert a["variant"]["hash"] == p.variant.variant_hash
    assert PromptVariant.model_validate(a["variant"]["settings"]) == p.variant
    assert yaml.safe_load(a["variant"]["yaml"])["instructions"] == p.variant.instructions
    assert a["prompt"]["system"] == rendered.system
    assert a["request"] == {k: v for k, v in rendered.body.items() if k != "messages"}
    assert a["request"]["tools"][0]["function"]["parameters"]["type"] == "object"
    assert a["model"] == {
        "name": "offline", "base_url": None, "api_key_env": None, "output_mode": "tool_call",
        "params": {"temperature": 0.0, "top_p": None, "max_tokens": 1000, "seed": None},
    }  # fmt: skip
    assert len(a["examples"]["examples"]) == p.usable_examples
    assert len(a["schema"]["columns"]) == len(p.schema) == a["dataset"]["n_columns"]
    assert a["dataset"]["identity"] == p.schema.identity
    assert a["policy"]["repair"] is False
    assert a["eval"] is None
    assert a["content_hash"] == content_hash(a)
    assert verify_artifact(a) is a


def test_candidates_are_what_compression_can_keep(prompts, artifacts, small_schema) -> None:
    a, p = artifacts["compact"], prompts["compact"]
    candidates = a["compression"]["candidates"]
    assert a["compression"]["depends_on_question"] and a["compression"]["kept"] is None
    assert a["prompt"]["schema_in"] == "user" and a["prompt"]["examples_in"] == "user"
    assert set(candidates) < set(small_schema.names)  # inactive columns are out
    for q in QUESTIONS:
        assert set(p.render(q).compressed.kept) <= set(candidates)
    honeycomb = artifacts["honeycomb"]["compression"]
    assert (
        honeycomb["kept"] == list(prompts["honeycomb"].render("x").compressed.kept) == honeycomb["candidates"]
    )
    assert artifacts["naive"]["compression"]["candidates"] == small_schema.names


def test_write_load_round_trip_and_determinism(prompts, artifacts, tmp_path: Path) -> None:
    path = write_json(artifacts["compact"], tmp_path / "compact.json")
    assert load_artifact(path) == artifacts["compact"]
    assert (
        build_artifact(prompts["compact"], store=False)["content_hash"]
        == artifacts["compact"]["content_hash"]
    )
    assert artifacts["naive"]["content_hash"] != artifacts["compact"]["content_hash"]


# --------------------------------------------------------------------------- refusals


def _written(artifact: dict, tmp_path: Path, change=None, rehash: bool = False) -> Path:
    data = copy.deepcopy(artifact)
    if change is not None:
        change(data)
    if rehash:
        data["content_hash"] = content_hash(data)
    return write_json(data, tmp_path / "a.json")


def test_edited_artifact_is_refused(artifacts, tmp_path: Path) -> None:
    def edit(d):
        d["prompt"]["system"] += " Always answer COUNT."

    with pytest.raises(ArtifactError, match="artifact was edited or corrupted"):
        load_artifact(_written(artifacts["naive"], tmp_path, edit))


def test_newer_format_version_is_refused_naming_both(artifacts, tmp_path: Path) -> None:
    def newer(d):
        d["format_version"] = FORMAT_VERSION + 1
        d["new_section"] = {"something": 1}

    with pytest.raises(ArtifactError) as err:
        load_artifact(_written(artifacts["naive"], tmp_path, newer, rehash=True))
    message = str(err.value)
    assert f"version {FORMAT_VERSION + 1}" in message and f"({FORMAT_VERSION})" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("deleted", "named"),
    [
        ("prompt.system", "prompt.system"),
        ("schema", "schema.columns"),
        ("variant.settings", "variant.settings"),
        ("content_hash", "content_hash"),
        ("format_version", "format_version"),
    ],
)
def test_missing_field_is_named(deleted: str, named: str, artifacts, tmp_path: Path) -> None:
    def drop(d):
        *parents, last = deleted.split(".")
        node = d
        for key in parents:
            node = node[key]
        del node[last]

    # re-hashed, so the refusal is about the field and not the hash
    with pytest.raises(ArtifactError, match=f"missing field '{named}'"):
        load_artifact(_written(artifacts["naive"], tmp_path, drop, rehash=deleted != "content_hash"))


def test_not_an_artifact(tmp_path: Path, artifacts) -> None:
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError, match="not JSON"):
        load_artifact(tmp_path / "x.json")
    with pytest.raises(ArtifactError, match="not found"):
        load_artifact(tmp_path / "missing.json")
    with pytest.raises(ArtifactError, match="not a prompt artifact"):
        verify_artifact({**artifacts["naive"], "format": "query-workbench/request-template"})
    with pytest.raises(ArtifactError, match="invalid format_version"):
        verify_artifact({**artifacts["naive"], "format_version": True})


# --------------------------------------------------------------------------- eval summary


def test_eval_summary_of_the_latest_run_of_this_exact_variant(prompts, tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    assert build_artifact(prompts["compact"], store=store)["eval"] is None  # no log yet, and none created
    assert not store.exists()
    run_id = record_run(store)
    ev = build_artifact(prompts["compact"], store=store)["eval"]
    assert ev["run_id"] == run_id
    # compact: q1 3/3, q2 3/3, q3 2/3 -> 8 of 9 trials; pass^3 = (1 + 1 + 0) / 3
    assert ev["accuracy"] == pytest.approx(8 / 9)
    assert ev["pass_k"] == pytest.approx(2 / 3) and ev["k"] == 3
    assert ev["cost_usd"] == pytest.approx(3 * (0.001 + 0.002 + 0.003))
    assert ev["latency_ms_p50"] == pytest.approx(111.0)
    assert ev["question_set"] == {"name": "mini", "hash": RUN_QUESTIONS.hash, "n_questions": 3}
    assert ev["same_dataset"] is False  # the recorded run says it ran on "test-dataset"
    assert (
        ev["critic_recall"] == 0.0 and ev["critic_false_alarm"] == 0.0
    )  # findings, but none of the critic's
    changed = prompts["compact"].with_(temperature=0.5)  # another variant hash: that run does not count
    assert build_artifact(changed, store=store)["eval"] is None


CRITIC = {"severity": "warning", "code": "critic_time", "message": "another window", "path": "time_range"}


def _log_trials(store: Path, variant: PromptVariant, outcomes: list[tuple[str, list]]) -> str:
    """A run of one variant on one question: a trial per ``(outcome, findings)``."""
    with RunStore(store) as log:
        run_id = log.create_run(name="critic", questions=RUN_QUESTIONS, trials_per_question=len(outcomes))
        log.add_variant(run_id, variant.name, hash=variant.variant_hash, text=variant_yaml(variant),
                        model=variant.model)  # fmt: skip
        for trial, (outcome, findings) in enumerate(outcomes):
            log.record_trial(run_id, variant=variant.name, question_id="q1", trial=trial, correct=outcome == "correct",
                             valid=outcome != "invalid", outcome=outcome, findings=findings,
                             spec={"calculations": [{"op": "COUNT"}]})  # fmt: skip
        log.finish_run(run_id)
    return run_id


def test_eval_summary_carries_the_critics_rates_when_the_run_measured_them(prompts, tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    outcomes = [("wrong", [CRITIC]), ("wrong", []), ("correct", []), ("correct", [CRITIC]), ("correct", [])]
    run_id = _log_trials(store, prompts["compact"].variant, outcomes)
    ev = build_artifact(prompts["compact"], store=store)["eval"]
    assert ev["run_id"] == run_id
    assert ev["critic_recall"] == pytest.approx(1 / 2) and ev["critic_false_alarm"] == pytest.approx(1 / 3)
    # a run where nothing executed: nothing for the critic to be measured on, so no critic keys
    store = tmp_path / "other.duckdb"
    run_id = _log_trials(store, prompts["compact"].variant, [("invalid", []), ("invalid", [])])
    ev = build_artifact(prompts["compact"], store=store)["eval"]
    assert ev["run_id"] == run_id and "critic_recall" not in ev and "critic_false_alarm" not in ev


# --------------------------------------------------------------------------- request template


@pytest.mark.parametrize("name", ["naive", "honeycomb"])
def test_template_is_exact_for_question_independent_variants(name: str, prompts, tmp_path: Path) -> None:
    path = export_prompt(prompts[name], tmp_path / "t.json", format="template")
    template = json.loads(path.read_text(encoding="utf-8"))
    assert template["exact"] is True
    for q in (*QUESTIONS, '  errors for "cart" ünïcode  '):
        request = copy.deepcopy(template["request"])
        user = request["messages"][1]
        user["content"] = user["content"].replace("{{question}}", q.strip())
        assert request == prompts[name].render(q).body


def test_template_of_a_question_dependent_variant_says_so(prompts, tmp_path: Path) -> None:
    template = json.loads(
        export_prompt(prompts["compact"], tmp_path / "t.json", format="template").read_text()
    )
    assert template["exact"] is False
    assert "Python runtime" in template["limits"]
    user = template["request"]["messages"][1]["content"]
    assert user == "## Columns\n{{columns}}\n\n## Examples\n{{examples}}\n\n## Question\n{{question}}"
    names = [c["name"] for c in template["columns"]["candidates"]]
    assert names == build_artifact(prompts["compact"], store=False)["compression"]["candidates"]
    assert all(c["line"].startswith(c["name"]) for c in template["columns"]["candidates"])
    assert template["columns"]["fallback"].startswith("service.name")  # pinned first
    assert len(template["examples"]["candidates"]) == prompts["compact"].usable_examples
    assert template["examples"]["fallback"].startswith("Q: ")


# --------------------------------------------------------------------------- promptfoo


def _render_promptfoo(vars_: dict) -> list[dict]:
    """What promptfoo's nunjucks makes of the prompt (``| dump`` is JSON.stringify)."""
    text = PROMPTFOO_PROMPT.replace("{{ system | dump }}", json.dumps(vars_["system"]))
    return json.loads(text.replace("{{ user | dump }}", json.dumps(vars_["user"])))


@pytest.mark.parametrize("name", ["naive", "compact"])
def test_promptfoo_config_runs_the_question_set_with_exact_requests(
    name: str, prompts, tmp_path: Path
) -> None:
    questions = load_question_set(REPO / "questions" / "core.yaml")
    path = export_prompt(
        prompts[name], tmp_path / "promptfooconfig.yaml", format="promptfoo", questions=questions
    )
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    (provider,) = config["providers"]
    assert provider["id"] == "openai:chat:offline"
    assert provider["config"]["apiBaseUrl"] == SERVE_MODEL_URL
    body = prompts[name].render(questions.questions[0].question).body
    assert provider["config"]["tools"] == body["tools"] and provider["config"]["tool_choice"] == "auto"
    assert provider["config"]["temperature"] == 0.0 and provider["config"]["max_tokens"] == 1000
    assert config["prompts"] == [PROMPTFOO_PROMPT]
    assert len(config["tests"]) == len(questions)
    shared = config["defaultTest"]["vars"]
    assert config["defaultTest"]["assert"][0]["type"] == "javascript"
    for q, test in zip(questions, config["tests"], strict=True):
        assert test["vars"]["gold"] == q.gold and test["vars"].get("accept", []) == q.accept
        assert _render_promptfoo({**shared, **test["vars"]}) == prompts[name].render(q.question).messages


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs)")
def test_promptfoo_assertion_compares_queries_structurally(tmp_path: Path) -> None:
    gold = {"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": True},
            {"column": "service.name", "op": "=", "value": "cart"}], "breakdowns": ["http.route"], "time_range": 3600}  # fmt: skip
    same = {"time_range": 3600, "breakdowns": ["http.route"], "filter_combination": "AND", "limit": None,
            "filters": list(reversed(gold["filters"])), "calculations": [{"op": "COUNT"}], "orders": []}  # fmt: skip

    def call(spec: dict) -> list[dict]:
        return [
            {"id": "c1", "type": "function", "function": {"name": "run_query", "arguments": json.dumps(spec)}}
        ]

    cases = {
        "tool_calls": (call(same), True),
        "tool_calls_as_text": (json.dumps(call(same)), True),
        "message_with_tool_calls": ({"content": None, "tool_calls": call(same)}, True),
        "plain_json_content": ("Here it is: " + json.dumps(same), True),
        "accepted_alternative": (call({**gold, "time_range": 7200}), True),
        "wrong": (call({**gold, "time_range": 60}), False),
        "declined": ("I cannot answer that with a query.", False),
    }
    script = tmp_path / "check.js"
    script.write_text(
        "const check = (output, context) => {\n" + PROMPTFOO_ASSERT + "\n};\n"
        f"const cases = {json.dumps({k: v[0] for k, v in cases.items()})};\n"
        f"const context = {{vars: {{gold: {json.dumps(gold)}, accept: [{json.dumps({**gold, 'time_range': 7200})}]}}}};\n"
        "const out = {};\nfor (const k of Object.keys(cases)) out[k] = check(cases[k], context).pass;\n"
        "console.log(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    result = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout) == {k: v[1] for k, v in cases.items()}


# --------------------------------------------------------------------------- CLI


def test_export_cli_writes_each_format(small_dataset_path: Path, tmp_path: Path, capsys) -> None:
    data = str(small_dataset_path)
    assert main(["export", "--prompt", "naive", "--data", data, "--out", str(tmp_path / "a.json")]) == 0
    assert "wrote the production artifact of 'naive'" in capsys.readouterr().out
    assert load_artifact(tmp_path / "a.json")["variant"]["name"] == "naive"
    out = str(tmp_path / "t.json")
    assert (
        main(["export", "--prompt", "honeycomb", "--data", data, "--out", out, "--format", "template"]) == 0
    )
    assert json.loads(Path(out).read_text())["exact"] is True
    qs = tmp_path / "qs.yaml"
    load_question_set(REPO / "questions" / "core.yaml").select(ids=["q001", "q002"]).save(qs)
    out = str(tmp_path / "promptfooconfig.yaml")
    args = [
        "export",
        "--prompt",
        "compact",
        "--data",
        data,
        "--out",
        out,
        "--format",
        "promptfoo",
        "--questions",
        str(qs),
    ]
    assert main(args) == 0
    assert "serve-model" in capsys.readouterr().out
    assert len(yaml.safe_load(Path(out).read_text())["tests"]) == 2


def test_export_cli_refuses_mixed_options(tmp_path: Path, capsys) -> None:
    args = [
        "export",
        "--prompt",
        "naive",
        "--out",
        str(tmp_path / "a.json"),
        "--questions",
        "questions/core.yaml",
    ]
    assert main(args) == 2
    assert "only used with --format promptfoo" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--out", str(tmp_path / "a.json")])  # neither --prompt nor --run


def test_the_snapshot_keeps_columns_compression_drops(prompts, artifacts, small_schema) -> None:
    """Why ``schema`` holds every column: relevance ranking (BM25) scores against all of them."""
    questions = load_question_set(REPO / "questions" / "core.yaml")
    candidates = artifacts["compact"]["compression"]["candidates"]
    restricted = Prompt(
        prompts["compact"].variant, small_schema.select(candidates), prompts["compact"].example_set
    )
    differ = [
        q.id
        for q in questions
        if restricted.render(q.question).user != prompts["compact"].render(q.question).user
    ]
    assert differ, "a snapshot of the candidates alone would render the same: it could be restricted"
    # and validation tells a stale column (a warning) from an unknown one (an error, which triggers a repair)
    stale = next(n for n in small_schema.names if n not in candidates)
    spec = {"calculations": [{"op": "COUNT"}], "breakdowns": [stale], "time_range": 3600}
    assert validate(spec, small_schema).ok
    assert not validate(spec, small_schema.select(candidates)).ok
