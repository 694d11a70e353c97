"""Runner benchmarks: per-call overhead, and wall time against the ideal for a slow endpoint.

Run: ``python benchmarks/bench_runner.py`` (a benchmark, not a timed test; about 10 s).

1. Overhead: N calls through the runner (real ``openai.AsyncOpenAI`` client, httpx
   transport, request hashing, records) against an in-process endpoint that answers at
   once, at concurrency 32. Wall time / N is the runner's cost per call (aim: < 2 ms).
   For scale, the same calls through the bare SDK (a semaphore and ``gather``), and with
   the money-cost lookup that priced (non-offline) models add.
2. Latency: N calls to an endpoint that takes 200 ms (``asyncio.sleep`` in the handler)
   at concurrency C; the ideal is N x 200 ms / C (aim: within 10 %).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2

from workbench.llm.backends import Backend
from workbench.llm.modes import get_mode
from workbench.llm.runner import Job, run_calls
from workbench.spec.query import query_json_schema

ARGUMENTS = json.dumps(
    {
        "calculations": [{"op": "COUNT", "column": None}],
        "filters": [{"column": "error", "op": "=", "value": True}],
        "filter_combination": None,
        "breakdowns": ["service.name"],
        "orders": [],
        "havings": [],
        "limit": None,
        "time_range": 3600,
        "start_time": None,
        "end_time": None,
        "granularity": None,
    }
)
ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1795176000,
        "model": "gpt-4.1-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "logprobs": None,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_bench",
                            "type": "function",
                            "function": {"name": "run_query", "arguments": ARGUMENTS},
                        }
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": 1873,
            "completion_tokens": 74,
            "total_tokens": 1947,
            "prompt_tokens_details": {"cached_tokens": 1536},
        },
    }
).encode()
HEADERS = {"content-type": "application/json"}


def _request(i: int) -> dict[str, Any]:
    """A realistic rendered tool-call request: a ~6 kB system prompt, the query tool, a question."""
    system = (
        "You turn questions about telemetry into query specifications.\n"
        + "column (type): description\n" * 240
    )
    return {
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": f"errors by service #{i}"},
        ],
        **get_mode("tool_call").request_fields(query_json_schema()),
        "temperature": 0,
    }


def _backend(latency_s: float, *, free: bool = True) -> Backend:
    async def handler(_request: Any) -> httpx2.Response:
        if latency_s:
            await asyncio.sleep(latency_s)
        return httpx2.Response(200, content=ANSWER, headers=HEADERS)

    return Backend(
        "bench",
        base_url="http://bench.invalid/v1",
        http=httpx2,
        free=free,
        transport=lambda _asynchronous: httpx2.MockTransport(handler),
    )


async def _runner(jobs: list[Job], concurrency: int) -> float:
    t0 = time.perf_counter()
    async with contextlib.aclosing(run_calls(jobs, concurrency=concurrency)) as results:
        async for result in results:
            assert result.call.error is None, result.call.error
    return time.perf_counter() - t0


async def _bare_sdk(jobs: list[Job], concurrency: int) -> float:
    """The floor: the same requests through the openai client alone."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Job) -> None:
        async with gate:
            client = job.backend.async_client()
            body = dict(job.body)
            raw = await client.chat.completions.with_raw_response.create(
                model=body["model"], messages=[], extra_body=body
            )
            raw.http_response.json()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(job) for job in jobs))
    return time.perf_counter() - t0


def _best(measure: Callable[[], Any], repeats: int, calls: int) -> tuple[float, float]:
    """Best of ``repeats``: (wall ms per call, CPU ms per call). CPU time is robust to a busy machine."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        cpu0 = time.process_time()
        wall = asyncio.run(measure())
        cpu = time.process_time() - cpu0
        best = min(best, (wall / calls * 1000, cpu / calls * 1000))
    return best


def overhead(calls: int, concurrency: int, repeats: int) -> dict[str, tuple[float, float]]:
    requests = [_request(i) for i in range(calls)]
    out = {}
    for label, free in (("runner", True), ("runner, priced model", False)):
        backend = _backend(0.0, free=free)
        jobs = [Job(r, backend) for r in requests]
        asyncio.run(_runner(jobs[:64], concurrency))  # warm up: imports, client, price table
        out[label] = _best(lambda jobs=jobs: _runner(jobs, concurrency), repeats, calls)
    backend = _backend(0.0)
    jobs = [Job(r, backend) for r in requests]
    asyncio.run(_bare_sdk(jobs[:64], concurrency))
    out["bare openai SDK"] = _best(lambda: _bare_sdk(jobs, concurrency), repeats, calls)
    return out


def latency_bound(calls: int, concurrency: int, latency_ms: float, repeats: int) -> tuple[float, float]:
    backend = _backend(latency_ms / 1000)
    jobs = [Job(_request(i), backend) for i in range(calls)]
    asyncio.run(_runner(jobs[:concurrency], concurrency))
    walls = [asyncio.run(_runner(jobs, concurrency)) for _ in range(repeats)]
    ideal = calls * latency_ms / 1000 / concurrency
    return statistics.median(walls), ideal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls for the overhead figure")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--slow-calls", type=int, default=320, help="calls for the 200 ms figure")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    figures = overhead(args.calls, args.concurrency, args.repeats)
    print(f"runner overhead, zero-latency endpoint, {args.calls} calls at concurrency {args.concurrency}:")
    for label, (wall_ms, cpu_ms) in figures.items():
        print(f"  {label:<22} {wall_ms:6.3f} ms/call wall   {cpu_ms:6.3f} ms/call CPU")
    wall_ms, cpu_ms = figures["runner"]
    verdict = "ok" if wall_ms < 2.0 else "ABOVE the 2 ms aim"
    print(f"  -> runner overhead {wall_ms:.3f} ms/call ({verdict})")

    wall, ideal = latency_bound(args.slow_calls, args.concurrency, args.latency_ms, args.repeats)
    excess = (wall / ideal - 1) * 100
    verdict = "ok" if excess <= 10 else "ABOVE the 10% aim"
    print(
        f"{args.latency_ms:g} ms endpoint, {args.slow_calls} calls at concurrency {args.concurrency}: "
        f"wall {wall:.3f} s vs ideal {ideal:.3f} s (N x latency / concurrency): +{excess:.1f}% ({verdict})"
    )


if __name__ == "__main__":
    main()
