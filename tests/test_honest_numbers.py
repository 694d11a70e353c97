"""Honest eval numbers (issue 15): transport errors are their own outcome and resume retries them, the
response cache is keyed by the endpoint and never replays unparsed answers unasked, a lone surrogate
neither stops a run nor crashes ``query``, a failing cache write never stops a run, latency counts only
calls that reached the model, and column recall is stored with the run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx2
import pytest
from _scripted_model import question_of

from workbench.cli import main
from workbench.evaluation.evaluate import evaluate
from workbench.evaluation.questions import QuestionSet, load_question_set
from workbench.evaluation.run import EvalRun
from workbench.evaluation.text import metrics_table
from workbench.llm.backends import Backend
from workbench.llm.cache import ResponseCache
from workbench.llm.runner import call
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # example sets are found by name under the project's prompts/


@pytest.fixture(scope="module")
def few() -> QuestionSet:
    core = load_question_set(REPO / "questions" / "core.yaml")
    return core.select(ids=core.ids[:6])


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(tmp_path / "runs.duckdb") as s:
        yield s


def _completion(arguments: str, name: str = "run_query") -> dict[str, Any]:
    message = {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]}  # fmt: skip
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}  # fmt: skip


class Endpoint:
    """An OpenAI-compatible endpoint in process: the gold spec for each question, or a fault.

    ``faults`` maps a question to ``"503"`` (always: outlives the retries) or ``"surrogate"``
    (a filter value holding a lone surrogate, escaped in the body as a splitting proxy sends it).
    """

    def __init__(self, questions: QuestionSet, base_url: str = "http://model-a.invalid/v1") -> None:
        self.gold = {q.question: q.gold for q in questions}
        self.faults: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []
        self.base_url = base_url

    def __call__(self, request: Any) -> Any:
        body = json.loads(request.content)
        self.requests.append(body)
        question = question_of(body)
        fault = self.faults.get(question)
        if fault == "503":
            return httpx2.Response(
                503, json={"error": {"message": "overloaded"}}, headers={"retry-after-ms": "1"}
            )
        spec = dict(self.gold[question])
        if fault == "surrogate":
            spec["filters"] = [{"column": "service.name", "op": "=", "value": "pay\ud83d"}]
        text = json.dumps(_completion(json.dumps(spec, ensure_ascii=False)))  # the body itself is ASCII JSON
        return httpx2.Response(200, content=text.encode(), headers={"content-type": "application/json"})

    def backend(self) -> Backend:
        return Backend("fake", base_url=self.base_url, http=httpx2, free=True,
                       transport=lambda _asynchronous: httpx2.MockTransport(self))  # fmt: skip


def _prompt(small_dataset, **changes: Any) -> Prompt:
    p = Prompt.load(REPO / "prompts" / "honeycomb.yaml", small_dataset)
    return p.with_(**changes) if changes else p


# --------------------------------------------------------------------------- transport errors


def test_transport_errors_are_not_wrong_answers_and_resume_retries_them(small_dataset, few, store) -> None:
    model = Endpoint(few)
    broken = [q.question for q in few][:2]
    model.faults = dict.fromkeys(broken, "503")
    run = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, backend=model.backend())
    m = run.variants[0].metrics
    assert m.outcomes == {"correct": 4, "error": 2}
    assert (m.n_answered, m.n_errors, m.accuracy, m.valid_rate) == (4, 2, 1.0, 1.0)  # not 4/6 "wrong"
    assert run.to_dict()["n_errors"] == 2 and run.to_dict()["variants"][0]["metrics"]["n_errors"] == 2
    (summary,) = store.list_runs()
    assert (summary.n_trials, summary.n_errors, summary.accuracy) == (6, 2, 1.0)
    assert "4 / 2" in metrics_table(run.variants)  # answered / errored, beside the accuracy

    model.faults = {}  # the server recovered: resume asks again for the errored trials only
    asked = len(model.requests)
    resumed = evaluate(
        None, None, dataset=small_dataset, store=store, run_id=run.run_id, backend=model.backend()
    )
    assert {question_of(b) for b in model.requests[asked:]} == set(broken)
    trials = resumed.variants[0].trials
    assert len(trials) == 6 and len({(t["question_id"], t["trial"]) for t in trials}) == 6  # once each
    assert all(t["outcome"] == "correct" for t in trials) and resumed.n_errors == 0
    # append-only: the error rows are still in the log, superseded by the later records
    assert len(store.sql("SELECT * FROM trials")) == 6 and len(store.sql("SELECT * FROM trial_retries")) == 2
    assert store.finished_keys(run.run_id) == {(t["variant"], t["question_id"], 0) for t in trials}


# --------------------------------------------------------------------------- the response cache


def _tool_request() -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "## Question\nerrors by service"}],
            "tools": [{"type": "function", "function": {"name": "run_query", "parameters": {"type": "object"}}}],
            "tool_choice": "auto", "temperature": 0}  # fmt: skip


def test_the_cache_key_includes_the_endpoint(tmp_path: Path) -> None:
    qs = QuestionSet.from_dict({"name": "one", "questions": [
        {"id": "q1", "question": "errors by service", "gold": {"calculations": [{"op": "COUNT"}]}}]})  # fmt: skip
    a, b = Endpoint(qs, "http://a.invalid/v1"), Endpoint(qs, "http://b.invalid/v1")
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        first = call(_tool_request(), backend=a.backend(), cache=cache)
        again = call(_tool_request(), backend=a.backend(), cache=cache)
        other = call(_tool_request(), backend=b.backend(), cache=cache)
    assert not first.cache_hit and again.cache_hit
    assert not other.cache_hit and len(b.requests) == 1  # another server is asked, not replayed


def test_an_unparsed_answer_is_not_replayed_unless_asked(tmp_path: Path) -> None:
    http_calls = []

    def wrong_tool(request: Any) -> Any:
        http_calls.append(request)
        return httpx2.Response(200, json=_completion('{"calculations": []}', name="search_web"))

    backend = Backend("fake", base_url="http://x.invalid/v1", http=httpx2, free=True,
                      transport=lambda _a: httpx2.MockTransport(wrong_tool))  # fmt: skip
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as cache:
        call(_tool_request(), backend=backend, cache=cache)
        assert not call(_tool_request(), backend=backend, cache=cache).cache_hit
    assert len(http_calls) == 2 and len(ResponseCache(path)) == 1  # stored, but not served
    with ResponseCache(path, serve_unparsed=True) as cache:
        assert call(_tool_request(), backend=backend, cache=cache).cache_hit
    assert len(http_calls) == 2


class _FullDiskCache(ResponseCache):
    """Every write fails, as on a full disk."""

    def _connect(self) -> Any:
        conn = super()._connect()

        class Full:
            def execute(self, sql: str, *args: Any) -> Any:
                if sql.lstrip().upper().startswith("INSERT"):
                    raise sqlite3.OperationalError("database or disk is full")
                return conn.execute(sql, *args)

        return Full()


def test_a_failing_cache_write_never_stops_a_run(small_dataset, few, store, tmp_path: Path) -> None:
    cache = _FullDiskCache(tmp_path / "c.sqlite")
    run = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, cache=cache,
                   backend=Endpoint(few).backend())  # fmt: skip
    assert run.n_trials == len(few) and run.variants[0].metrics.accuracy == 1.0
    assert cache.write_errors == len(few) and "disk is full" in (cache.last_write_error or "")


# --------------------------------------------------------------------------- lone surrogates


def test_a_lone_surrogate_is_stored_and_judged(small_dataset, few, store, tmp_path: Path) -> None:
    model = Endpoint(few)
    model.faults = dict.fromkeys([q.question for q in few], "surrogate")
    cache = ResponseCache(tmp_path / "c.sqlite")
    run = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, cache=cache,
                   backend=model.backend())  # fmt: skip
    trials = run.variants[0].trials
    assert len(trials) == len(few) and len(cache) == len(few) and cache.write_errors == 0
    assert all(t["outcome"] != "error" and t["valid"] for t in trials)
    assert all(t["sql"] and "failed" not in json.dumps(t["findings"]) for t in trials)  # executed
    again = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, cache=cache,
                     backend=model.backend())  # fmt: skip
    assert all(t["cache_hit"] for t in again.variants[0].trials)  # read back from the cache


def test_query_does_not_crash_on_a_lone_surrogate(small_dataset_path, tmp_path: Path, capsys) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"calculations": [{"op": "COUNT"}], "filters": '
                    '[{"column": "service.name", "op": "=", "value": "pay\\ud83d"}]}')  # fmt: skip
    assert main(["query", str(spec), "--data", str(small_dataset_path)]) == 0
    assert "COUNT" in capsys.readouterr().out
    assert main(["query", str(spec), "--data", str(small_dataset_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == [[0]]


# --------------------------------------------------------------------------- latency and recall


def test_latency_counts_only_calls_that_reached_the_model(small_dataset, few, store, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    backend = Endpoint(few).backend()
    cold = evaluate(
        few, [_prompt(small_dataset)], dataset=small_dataset, store=store, cache=cache, backend=backend
    )
    warm = evaluate(
        few, [_prompt(small_dataset)], dataset=small_dataset, store=store, cache=cache, backend=backend
    )
    mc, mw = cold.variants[0].metrics, warm.variants[0].metrics
    assert mc.n_timed == len(few) and mc.latency_ms_p50 is not None
    assert mw.cache_hits == len(few) and mw.n_timed == 0
    assert mw.latency_ms_p50 is None and mw.latency_ms_p95 is None  # no lookup time passed off as latency
    assert mw.cache_hit_latency_ms_p50 is not None


def test_column_recall_is_stored_with_the_run(small_dataset, few, store) -> None:
    run = evaluate(
        few, [_prompt(small_dataset)], dataset=small_dataset, store=store, backend=Endpoint(few).backend()
    )
    measured = run.variants[0].recall
    loaded = EvalRun.from_run(store.load_run(run.run_id))
    stored = loaded.variants[0].recall
    assert stored is not None and stored.recall == pytest.approx(measured.recall)
    assert stored.n_gold == measured.n_gold and stored.misses == dict(measured.misses)
    assert loaded.to_dict()["variants"][0]["column_recall"]["recall"] == pytest.approx(measured.recall)
    assert "column recall      -" not in metrics_table(loaded.variants)
    from workbench.core import format as fmt
    from workbench.report.html import render_report

    html = render_report([store.load_run(run.run_id)])
    assert f'column recall (gold columns kept)</td><td class="num">{fmt.pct(measured.recall)}<' in html


def test_ask_does_not_crash_on_a_lone_surrogate(small_dataset_path, monkeypatch, capsys) -> None:
    """A real loopback server answers with a filter value holding a lone surrogate (escaped in the body)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    spec = {
        "calculations": [{"op": "COUNT"}],
        "filters": [{"column": "service.name", "op": "=", "value": "pay\ud83d"}],
    }
    content = json.dumps(_completion(json.dumps(spec, ensure_ascii=False))).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    try:
        args = ["ask", "how many requests?", "--prompt", "honeycomb", "--model", "gpt-4.1-mini",
                "--data", str(small_dataset_path), "--no-cache"]  # fmt: skip
        assert main(args) == 0
        assert "COUNT" in capsys.readouterr().out
        assert main([*args, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["spec"]["filters"][0]["value"] == "pay\ufffd" and data["rows"] == [[0]]
    finally:
        server.shutdown()
