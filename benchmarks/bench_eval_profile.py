"""Where an eval's wall time goes: ``workbench eval`` against a local OpenAI-compatible stub.

Run: ``python benchmarks/bench_eval_profile.py [--n 200] [--concurrency 16] [--delay-ms 200]
[--prompt compact]`` (a benchmark, not a timed test; about 15 s). It starts
``benchmarks/peer/stub_server.py`` on a free loopback port (every chat completion answered
after D ms with one ``run_query`` tool call), writes the N generated questions of
``benchmarks/peer/gen_questions.py``, and runs the CLI's own ``main()`` (``workbench eval ...
--no-cache``) in this process with a timer around each stage. It prints:

- start-up: ``python -m workbench --help`` in a fresh interpreter, and the imports the eval verb
  adds (the evaluation, prompt, store and ``openai`` modules);
- the stages in order: question set, dataset open, prompt load, plan (token estimate), the
  evaluate() call split into its phases (setup, render, calls, repair, drain), the report;
- the thread time spent judging, executing, matching and writing the log, and how much of it
  ran during the model calls (overlapped) against after them (the drain);
- wall against the ideal (N x D / C: the endpoint's latency alone at full concurrency), and the
  workbench's own CPU per case (process CPU time / N);
- the floor: ``peer/sdk_floor.py``, a fresh interpreter that only imports the ``openai`` SDK and
  sends the same N calls (one rendered request) at concurrency C to the same stub, and what the
  workbench adds to it.

``--cprofile FILE`` also writes cProfile stats (CPU time, every thread) of the in-process run.
``--memory 200,2000 --delay-ms 20`` instead runs whole ``python -m workbench eval`` processes at
each size and prints each one's peak RSS and CPU, the growth per 1,000 trials (flat memory means
no per-trial growth beyond the log) and the CPU each added case costs (``--memory 1,200``: the
start-up, the same at every size, cancels out). ``--trials T`` runs T trials of each question
(default 1): with ``--memory 200 --trials 1,10`` the question set stays the same and only the trials grow.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "benchmarks" / "peer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(port: int) -> None:
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise SystemExit("stub server did not come up")


def _startup_s(runs: int = 3) -> float:
    """Best of ``runs``: a fresh interpreter running ``workbench --help`` (start-up alone)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "workbench", "--help"], env=env, check=True, capture_output=True
        )
        best = min(best, time.perf_counter() - t0)
    return best


class Stages:
    """Wall time of wrapped functions, by stage name."""

    def __init__(self) -> None:
        self.s: dict[str, float] = {}
        self.ends: dict[str, float] = {}

    def wrap(self, module: object, attr: str, name: str) -> None:
        fn = getattr(module, attr)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.s[name] = self.s.get(name, 0.0) + time.perf_counter() - t0
                self.ends[name] = time.perf_counter()

        setattr(module, attr, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="questions")
    parser.add_argument("--trials", default="1", metavar="T[,T...]",
                        help="with --memory: trials per question (default 1; one process per size and value)")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay-ms", type=float, default=200.0, help="the stub's latency per call")
    parser.add_argument("--prompt", default="compact", help="a variant in prompts/ (default compact)")
    parser.add_argument("--data", help="dataset (default: the home's generated telemetry)")
    parser.add_argument(
        "--cprofile", metavar="FILE", help="also write cProfile stats of every thread to FILE"
    )
    parser.add_argument(
        "--memory", metavar="N,N,...",
        help="instead: peak RSS of whole `workbench eval` processes at these sizes (e.g. 200,2000)",
    )  # fmt: skip
    args = parser.parse_args()
    trials = [int(t) for t in args.trials.split(",")]
    if args.memory:
        return _memory(args, [(int(n), t) for n in args.memory.split(",") for t in trials])
    if trials != [1]:
        raise SystemExit("--trials is for --memory (the stage profile runs one trial per question)")

    startup = _startup_s()
    with tempfile.TemporaryDirectory(prefix="bench-eval-profile-") as tmp, _stub(args.delay_ms) as port:
        qfile = Path(tmp) / "questions.yaml"
        subprocess.run([sys.executable, str(PEER / "gen_questions.py"), str(args.n), str(qfile)], check=True)
        os.environ.update(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1", OPENAI_API_KEY="dummy")
        _default_data(args)
        os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")
        out = _profile(args, qfile, Path(tmp))
        floor = _sdk_floor(args, qfile, Path(tmp), port)
    _print(args, startup, *out)
    wall = startup + out[0] + out[1]
    print(f"floor: the openai SDK alone (a fresh process: interpreter, SDK import and client, the same N calls of "
          f"one rendered request at C) {floor['process_s']:.2f} s (SDK import {floor['sdk_import_s']:.2f} s, calls "
          f"{floor['calls_s']:.2f} s, CPU {floor['cpu_s']:.2f} s); the workbench adds {wall - floor['process_s']:.2f} s")  # fmt: skip
    return 0


def _sdk_floor(args: argparse.Namespace, qfile: Path, tmp: Path, port: int) -> dict[str, float]:
    """``peer/sdk_floor.py`` against the same stub: what any eval through the ``openai`` SDK costs here."""
    from workbench.dataset.source import open_dataset
    from workbench.evaluation.questions import load_question_set
    from workbench.prompt.render import Prompt

    prompt = Prompt.load(ROOT / "prompts" / f"{args.prompt}.yaml", open_dataset(args.data)).with_(
        model="gpt-4o-mini"
    )
    body_file = tmp / "body.json"
    body_file.write_text(json.dumps(prompt.render(next(iter(load_question_set(qfile))).question).body))
    proc = subprocess.run(
        [sys.executable, str(PEER / "sdk_floor.py"), f"http://127.0.0.1:{port}/v1", str(args.n),
         str(args.concurrency), str(body_file)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout)


def _default_data(args: argparse.Namespace) -> None:
    """No ``--data``: the home's embedded dataset (generated once), so that each eval process, whose
    log lives in a throw-away home, does not generate its own."""
    if not args.data:
        from workbench.dataset.source import open_dataset

        args.data = str(open_dataset().path)  # generates it on first use


@contextlib.contextmanager
def _stub(delay_ms: float) -> Iterator[int]:
    """The OpenAI-compatible stub answering after ``delay_ms``, on a free port (yielded), stopped after."""
    port = _free_port()
    stub = subprocess.Popen(
        [sys.executable, str(PEER / "stub_server.py"), "--port", str(port), "--delay-ms", str(delay_ms)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_up(port)
        yield port
    finally:
        stub.terminate()
        stub.wait(timeout=10)


def _memory(args: argparse.Namespace, sizes: list[tuple[int, int]]) -> int:
    """Peak RSS of a whole ``workbench eval`` process at each (questions, trials): flat memory means no
    per-trial growth."""
    rows = []
    _default_data(args)
    with tempfile.TemporaryDirectory(prefix="bench-eval-memory-") as tmp, _stub(args.delay_ms) as port:
        for n, t in sizes:
            rows.append((n, t, *_eval_process(args, n, t, port, Path(tmp) / f"{n}x{t}")))
    print(f"workbench eval, whole processes: C={args.concurrency} D={args.delay_ms:g} ms, prompt {args.prompt}, "
          f"no cache; load average {os.getloadavg()[0]:.2f} (2 cores shared)")  # fmt: skip
    for n, t, wall, cpu, rss in rows:
        label = f"N={n}" + (f" x {t} trials" if t > 1 else "")
        print(f"  {label:<18} peak RSS {rss:6.0f} MB   wall {wall:6.2f} s   CPU {cpu:6.2f} s = "
              f"{1000 * cpu / (n * t):.1f} ms/case")  # fmt: skip
    (n0, t0, _, c0, r0), (n1, t1, _, c1, r1) = rows[0], rows[-1]
    if n1 * t1 != n0 * t0:
        print(f"memory growth: {1000 * (r1 - r0) / (n1 * t1 - n0 * t0):.1f} MB per 1,000 trials "
              f"({n0 * t0} -> {n1 * t1} trials)")  # fmt: skip
        # the fixed start-up (interpreter, imports, tokenizer, first renders) cancels out: the CPU each case adds
        print(
            f"CPU per added case: {1000 * (c1 - c0) / (n1 * t1 - n0 * t0):.1f} ms ({n0 * t0} -> {n1 * t1} trials)"
        )
    return 0


def _eval_process(
    args: argparse.Namespace, n: int, trials: int, port: int, tmp: Path
) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one ``python -m workbench eval`` over N generated questions."""
    tmp.mkdir(parents=True)
    qfile = tmp / "questions.yaml"
    subprocess.run([sys.executable, str(PEER / "gen_questions.py"), str(n), str(qfile)], check=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
           "OPENAI_API_KEY": "dummy", "WORKBENCH_HOME": str(tmp / "home")}  # fmt: skip
    argv = [sys.executable, "-m", "workbench", "eval", "--questions", str(qfile),
            "--prompt", str(ROOT / "prompts" / f"{args.prompt}.yaml"), "--model", "gpt-4o-mini",
            "--trials", str(trials), "--no-cache", "--concurrency", str(args.concurrency),
            "--json", str(tmp / "out.json")]  # fmt: skip
    if args.data:
        argv += ["--data", args.data]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(
        proc.pid, 0
    )  # this child's own usage (RUSAGE_CHILDREN would be the max of all)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"eval N={n} exit {proc.returncode}: {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _profile(args: argparse.Namespace, qfile: Path, tmp: Path):
    cpu0, t0 = time.process_time(), time.perf_counter()
    import openai  # noqa: F401  (the eval verb needs it; timed here rather than inside the first call)

    import workbench.cli as cli
    import workbench.dataset.source as source
    import workbench.evaluation.evaluate as evaluate_mod
    import workbench.evaluation.plan as plan_mod
    import workbench.evaluation.questions as questions_mod
    import workbench.evaluation.text as text_mod
    import workbench.prompt.render as render_mod

    imports = time.perf_counter() - t0
    st = Stages()
    st.wrap(questions_mod, "load_question_set", "question set")
    st.wrap(source, "open_dataset", "dataset open")
    st.wrap(render_mod.Prompt, "load", "prompt load")
    st.wrap(plan_mod, "plan_eval", "plan (token estimate)")
    st.wrap(evaluate_mod, "evaluate", "evaluate()")
    st.wrap(text_mod, "run_header", "report")
    result_json = tmp / "out.json"
    argv = ["eval", "--questions", str(qfile), "--prompt", str(ROOT / "prompts" / f"{args.prompt}.yaml"),
            "--model", "gpt-4o-mini", "--trials", "1", "--no-cache", "--concurrency", str(args.concurrency),
            "--json", str(result_json)]  # fmt: skip
    if args.data:
        argv += ["--data", args.data]
    t1 = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _cprofile(args.cprofile):
        rc = cli.main(argv)
    t2 = time.perf_counter()
    if rc != 0:
        raise SystemExit(f"eval exit {rc}: {err.getvalue()[-2000:]}")
    timings = json.loads(result_json.read_text())["timings"]
    report = t2 - st.ends["evaluate()"]
    return imports, t2 - t1, time.process_time() - cpu0, st.s, timings, report


@contextlib.contextmanager
def _cprofile(path: str | None):
    """cProfile every thread (the main one and each thread started inside) into one stats file."""
    if not path:
        yield
        return
    import cProfile
    import pstats
    import threading

    profiles = [cProfile.Profile(time.thread_time)]  # CPU time: waits on the GIL or a socket are not costs

    def start(*_: object) -> None:  # a new thread's first event: give it a profiler of its own
        sys.setprofile(None)
        profiles.append(cProfile.Profile(time.thread_time))
        profiles[-1].enable()

    threading.setprofile(start)
    profiles[0].enable()
    try:
        yield
    finally:
        profiles[0].disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        for p in profiles[1:]:
            p.create_stats()
        pstats.Stats(*profiles).dump_stats(path)


def _print(args, startup, imports, main_s, cpu_s, stages, t, report) -> None:
    n, ideal = args.n, args.n * args.delay_ms / 1000 / args.concurrency
    wall = startup + imports + main_s
    print(f"eval N={n} C={args.concurrency} D={args.delay_ms:g} ms, prompt {args.prompt}, no cache; "
          f"load average {os.getloadavg()[0]:.2f} (2 cores shared)")  # fmt: skip
    print(
        f"ideal (N x D / C) {ideal:.2f} s; wall (start-up + imports + main) {wall:.2f} s = {wall / ideal:.2f}x ideal"
    )
    rows = [
        ("start-up (python -m workbench --help)", startup),
        ("eval verb imports (evaluation, prompt, store, openai)", imports),
        *[(name, stages.get(name, 0.0)) for name in ("question set", "dataset open", "prompt load")],
        ("plan (token estimate)", stages.get("plan (token estimate)", 0.0)),
    ]
    ev = stages["evaluate()"]
    setup = t["wall_s"] - t["calls_s"] - t["repair_s"] - t["drain_s"]  # requests render during the calls
    rows += [
        ("evaluate(): setup (log run, executions)", ev - t["wall_s"] + setup),
        ("evaluate(): model calls phase", t["calls_s"]),
        ("evaluate(): repair calls", t["repair_s"]),
        ("evaluate(): drain after the last call", t["drain_s"]),
        ("report (tables, JSON)", report),
    ]
    other = main_s - sum(v for k, v in rows[2:])
    rows.append(("other (store open, argument parsing)", max(0.0, other)))
    for name, v in rows:
        print(f"  {name:<54} {v:6.2f} s")
    threads = t["judge_ms"] + t["execute_ms"] + t["match_ms"] + t["record_ms"]
    overlap = max(0.0, threads / 1000 - t["drain_s"])
    print(f"thread time: judge {t['judge_ms'] / 1000:.2f} s, execute {t['execute_ms'] / 1000:.2f} s "
          f"({int(t['executed_queries'])} queries run, {int(t['shared_queries'])} shared), "
          f"match {t['match_ms'] / 1000:.2f} s, log writes {t['record_ms'] / 1000:.2f} s; "
          f"{overlap:.2f} s of it during the model calls, {t['drain_s']:.2f} s after")  # fmt: skip
    print(
        f"rendering the requests (those the plan had not rendered): {t['render_s']:.2f} s, inside the calls phase"
    )
    print(f"model calls phase {t['calls_s']:.2f} s against the ideal {ideal:.2f} s "
          f"({t['calls_s'] / ideal:.2f}x); mean call latency {t['model_ms'] / n:.0f} ms (stub: {args.delay_ms:g})")  # fmt: skip
    print(f"workbench CPU (this process, after start-up) {cpu_s:.2f} s = {1000 * cpu_s / n:.1f} ms per case; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
