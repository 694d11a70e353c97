"""Fault benchmark: an eval against a fault-injecting OpenAI-compatible endpoint on loopback, then resume.

Run: ``python benchmarks/bench_faults.py [--questions 40] [--trials 3] [--kills 4]`` (about a minute).

A real HTTP server on 127.0.0.1 answers with the offline model (``transport.chat_app``, the
same answers as ``workbench serve-model``) and injects faults into about 20% of the
attempts, chosen deterministically from a hash of the request and its attempt number:

- transient, per attempt: 429 with ``Retry-After``, 500/502/503, a hang past the client's
  timeout, a dropped connection, an invalid (non-JSON) 200 body, a truncated 200 body, a
  tool call with the wrong tool name, a completion without ``usage``, and a lone surrogate
  (``"\\ud83d"``, valid JSON) in the assistant's text;
- sticky: a few requests fail on every attempt with a 503 (a 5xx that outlives the retries).

It prints, for a healthy run and a faulty run of the same eval (every run goes through the
same server and the real ``openai`` client, no response cache): trials answered vs
errored vs wrong, accuracy over answered trials, the faults injected by kind, wall times;
then a resume of the faulty run against the healed server (errored trials retried and
recovered), and a kill-and-resume sweep (SIGKILLed eval processes, then a final resume):
every trial recorded exactly once, and the final accuracy against the healthy run's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 1.5  # the client's per-attempt timeout; a hang lasts longer
TRANSIENT = ("429", "500", "502", "503", "hang", "drop", "invalid", "truncated", "wrong_tool", "no_usage",
             "surrogate")  # fmt: skip


class Faults:
    """Which fault (if any) an attempt gets, and counts of what was injected; thread-safe."""

    def __init__(self, rate: float = 0.18, sticky: float = 0.03) -> None:
        self.on, self.rate, self.sticky = True, rate, sticky
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.requests = 0

    def choose(self, content: bytes) -> str | None:
        key = hashlib.sha256(content).hexdigest()
        with self.lock:
            self.requests += 1
            n = self.attempts[key]
            self.attempts[key] += 1
            if not self.on:
                return None
            roll = int(hashlib.sha256(f"{key}:{n}".encode()).hexdigest()[:8], 16) / 2**32
            if int(key[:8], 16) / 2**32 < self.sticky:
                fault: str | None = "sticky_503"
            elif roll < self.rate:
                fault = TRANSIENT[int(roll * 1e6) % len(TRANSIENT)]
            else:
                fault = None
            if fault:
                self.injected[fault] += 1
            return fault


def _handler(faults: Faults) -> type[BaseHTTPRequestHandler]:
    from workbench.llm.transport import chat_app

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, content: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            try:
                self.end_headers()
                self.wfile.write(content)
            except OSError:  # the client gave up (a hang past its timeout): nobody to answer
                self.close_connection = True

        def do_POST(self) -> None:
            content = self.rfile.read(int(self.headers.get("content-length") or 0))
            fault = faults.choose(content)
            error = json.dumps({"error": {"message": f"injected {fault}", "type": "server_error"}}).encode()
            if fault == "429":
                return self._send(429, error, {"retry-after": "1"})
            if fault in ("500", "502", "503", "sticky_503"):
                return self._send(int(fault[-3:]), error)
            if fault == "hang":
                time.sleep(TIMEOUT_S + 0.5)
            if fault == "drop":
                self.close_connection = True
                self.connection.close()
                return None
            reply = chat_app("POST", self.path, content)
            body = reply.body if reply.body is not None else json.loads(reply.content or b"null")
            if reply.status == 200 and fault in ("wrong_tool", "no_usage", "surrogate"):
                body = _corrupt(body, fault)
            text = json.dumps(body).encode()  # ASCII JSON: a lone surrogate travels as \ud83d
            if fault == "invalid":
                text = b"<html>502 Bad Gateway</html>"
            elif fault == "truncated":
                text = text[: len(text) // 2]
            return self._send(reply.status, text)

    return Handler


def _corrupt(body: dict[str, Any], fault: str) -> dict[str, Any]:
    if fault == "no_usage":
        body.pop("usage", None)
        return body
    message = body["choices"][0]["message"]
    if fault == "wrong_tool":
        for call in message.get("tool_calls") or ():
            call["function"]["name"] = "search_web"
    else:  # a proxy split an emoji: the text holds half of it
        message["content"] = (message.get("content") or "") + " done \ud83d"
    return body


def start_server(faults: Faults) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(faults))
    server.handle_error = lambda request, address: None  # a dropped client is part of the test
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def backend(url: str) -> Any:
    from workbench.llm.backends import Backend

    return Backend("faulty", base_url=url, api_key="sk-bench", free=True, timeout_s=TIMEOUT_S)


def run_eval(
    qs: Any,
    prompt: Any,
    dataset: Any,
    store: Any,
    url: str,
    trials: int,
    run_id: str | None = None,
    **kw: Any,
):
    from workbench.evaluation.evaluate import evaluate

    t0 = time.perf_counter()
    run = evaluate(None if run_id else qs, None if run_id else [prompt], dataset=dataset, trials=trials,
                   store=store, run_id=run_id, backend=backend(url), timeout_s=TIMEOUT_S, concurrency=8,
                   **kw)  # fmt: skip
    return run, time.perf_counter() - t0


def describe(label: str, run: Any, wall: float) -> None:
    m = run.variants[0].metrics
    wrong = m.n_answered - sum(t.get("correct") is True for t in run.variants[0].trials)
    print(f"{label:<28} {wall:6.1f} s  trials {m.n_trials:>3}: answered {m.n_answered:>3}, errored "
          f"{m.n_errors:>2}, wrong {wrong:>2}; accuracy over answered {m.accuracy:.3f}, "
          f"latency p50 {m.latency_ms_p50 or 0:.0f} ms over {m.n_timed} calls")  # fmt: skip


CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import bench_faults as b
from workbench.dataset.source import open_dataset
from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore
dataset = open_dataset(None)
qs = load_question_set(Path({root!r}) / "questions" / "core.yaml")
qs = qs.select(ids=qs.ids[:{n}])
with RunStore({store!r}) as store:
    run_id = None if {run_id!r} == "" else {run_id!r}
    said = []
    def recorded(_record):  # tell the parent the eval is recording: it may kill us from now on
        if not said:
            said.append(1)
            print(store.list_runs()[0].run_id, flush=True)
    b.run_eval(qs, Prompt.load(Path({root!r}) / "prompts" / "honeycomb.yaml", dataset), dataset, store,
               {url!r}, {trials}, run_id, on_trial=recorded)
"""


def sweep(args: argparse.Namespace, url: str, tmp: Path) -> tuple[str, Path, int]:
    """SIGKILL eval processes at random moments, each resuming the last; returns (run id, log, kills)."""
    store = tmp / "sweep.duckdb"
    rng, run_id, kills = random.Random(7), "", 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(args.kills):
        code = CHILD.format(root=str(ROOT), bench=str(Path(__file__).parent), n=args.questions, store=str(store),
                            run_id=run_id, url=url, trials=args.trials)  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline().strip() if proc.stdout else ""  # the first trial is recorded
        run_id = run_id or line
        time.sleep(rng.uniform(0.2, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    return run_id, store, kills


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--kills", type=int, default=4, help="SIGKILLed eval processes in the sweep")
    args = parser.parse_args()

    from workbench.dataset.source import open_dataset
    from workbench.evaluation.questions import load_question_set
    from workbench.prompt.render import Prompt
    from workbench.store.runs import RunStore

    dataset = open_dataset(None)
    qs = load_question_set(ROOT / "questions" / "core.yaml")
    qs = qs.select(ids=qs.ids[: args.questions])
    prompt = Prompt.load(ROOT / "prompts" / "honeycomb.yaml", dataset)
    faults = Faults()
    server, url = start_server(faults)
    n = len(qs) * args.trials
    print(f"eval: {len(qs)} questions x 1 variant (honeycomb, offline model over HTTP) x {args.trials} trials "
          f"= {n} trials; client timeout {TIMEOUT_S} s, 4 attempts per call, no response cache")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp_name:
        tmp = Path(tmp_name)
        with RunStore(tmp / "runs.duckdb") as store:
            faults.on = False
            run_eval(qs.select(ids=qs.ids[:4]), prompt, dataset, None, url, 1)  # warm up (not timed)
            healthy, healthy_s = run_eval(qs, prompt, dataset, store, url, args.trials)
            describe("healthy", healthy, healthy_s)
            faults.on, faults.injected, before = True, Counter(), faults.requests
            faulty, faulty_s = run_eval(qs, prompt, dataset, store, url, args.trials)
            describe("faulty (~20% of attempts)", faulty, faulty_s)
            sent = faults.requests - before
            injected = sum(faults.injected.values())
            print(f"  {sent} HTTP attempts, {injected} faults injected ({injected / sent:.0%}): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(faults.injected.items())))  # fmt: skip
            errored = faulty.n_errors
            faults.on = False
            resumed, resumed_s = run_eval(qs, prompt, dataset, store, url, args.trials, faulty.run_id)
            describe("resumed (server healed)", resumed, resumed_s)
            print(f"  errored trials retried on resume: {errored}, recovered: {errored - resumed.n_errors}")
        faults.on = True
        t0 = time.perf_counter()
        run_id, sweep_log, kills = sweep(args, url, tmp)
        faults.on = False
        with RunStore(sweep_log) as store:
            before_final = store.load_run(run_id).trials
            errors = sum(t["outcome"] == "error" for t in before_final)
            print(f"kill-and-resume sweep: {kills} SIGKILLs of evals on the faulty server recorded "
                  f"{len(before_final)} trials ({errors} errored) in {time.perf_counter() - t0:.1f} s; "
                  "then a resume on the healed server")  # fmt: skip
            final, final_s = run_eval(qs, prompt, dataset, store, url, args.trials, run_id)
            dupes = store.sql("SELECT count(*) - count(DISTINCT (variant, question_id, trial)) AS d FROM trials "
                              "WHERE run_id = ?", [run_id])["d"][0]  # fmt: skip
            retried = store.sql("SELECT count(*) AS n FROM trial_retries WHERE run_id = ?", [run_id])["n"][0]
        keys = {(t["question_id"], t["trial"]) for t in final.variants[0].trials}
        describe("  final", final, final_s)
        print(
            f"  trials recorded exactly once: {len(keys) == n and dupes == 0} ({len(keys)}/{n} keys, "
            f"{dupes} duplicate rows; {retried} errored trials superseded by a retry)"
        )
        acc = healthy.variants[0].metrics.accuracy
        print(
            f"  final accuracy {final.variants[0].metrics.accuracy:.3f} vs healthy {acc:.3f}; "
            f"resumed faulty run {resumed.variants[0].metrics.accuracy:.3f}"
        )
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
