"""The async runner on the real openai client: concurrency bound, retries, Retry-After, cancellation, cache."""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import json
from pathlib import Path

import httpx2
import pytest
from openai_wire import FakeEndpoint, load

from workbench.evaluation.progress import ProgressBar
from workbench.llm.cache import ResponseCache
from workbench.llm.runner import Backoff, Interrupted, Job, Result, call, run_calls, run_calls_sync

REQUEST = {
    "model": "gpt-4.1-mini",
    "messages": [{"role": "user", "content": "errors by service"}],
    "temperature": 0,
}
#: the same request asking for a tool call: the answer the fixtures give parses as it expects
TOOL_REQUEST = {
    **REQUEST,
    "tools": [{"type": "function", "function": {"name": "run_query", "parameters": {"type": "object"}}}],
    "tool_choice": "auto",
}


def _request(i: int) -> dict:
    return {**REQUEST, "messages": [{"role": "user", "content": f"question {i}"}]}


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    def backoff(self, jitter: float = 1.0) -> Backoff:
        return Backoff(sleep=self, random=lambda: jitter)


async def _hang(_request) -> None:
    await asyncio.sleep(30)


def _collect(jobs, **options) -> list[Result]:
    async def main() -> list[Result]:
        async with contextlib.aclosing(run_calls(jobs, **options)) as results:
            return [r async for r in results]

    return asyncio.run(main())


def test_concurrency_bound_is_respected() -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call", delay_s=0.02)
    backend = endpoint.backend()
    results = _collect([Job(_request(i), backend) for i in range(40)], concurrency=5)
    assert len(results) == 40 and all(r.call.ok for r in results)
    assert endpoint.max_in_flight == 5
    assert sorted(r.index for r in results) == list(range(40))


def test_results_come_in_completion_order_with_their_jobs() -> None:
    async def slower_for_earlier(request):
        i = int(json.loads(request.content)["messages"][0]["content"].split()[1])
        await asyncio.sleep((5 - i) * 0.03)
        return httpx2.Response(200, json=load("tool_call")["body"])

    endpoint = FakeEndpoint(httpx2, default=slower_for_earlier, asynchronous=True)
    jobs = [Job(_request(i), endpoint.backend(), tag=f"q{i}") for i in range(5)]
    results = _collect(jobs, concurrency=5)
    assert [r.job.tag for r in results] == ["q4", "q3", "q2", "q1", "q0"]
    assert [r.index for r in results] == [4, 3, 2, 1, 0]
    assert all(r.job is jobs[r.index] for r in results)


def test_retries_then_success() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, "error_500", "error_503", "tool_call")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff(), max_attempts=4)
    assert result.call.error is None and result.call.attempts == 3
    assert sleeps.waits == [0.5, 1.0]  # full jitter at its top: base * 2**(attempt-1)
    assert len(endpoint.history) == 3


def test_retry_after_ms_is_honoured() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, "error_429", "error_429", "tool_call")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff(jitter=0.3))
    assert result.call.ok and result.call.attempts == 3
    assert sleeps.waits == [0.01, 0.01]  # the server's retry-after-ms, not the jittered backoff


def test_retry_after_seconds_is_honoured() -> None:
    sleeps = Sleeps()
    doc = {**load("error_503"), "headers": {"retry-after": "2"}}
    endpoint = FakeEndpoint(httpx2, doc, "tool_call")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff())
    assert result.call.ok and sleeps.waits == [2.0]


def test_a_retry_after_beyond_reason_ends_the_call() -> None:
    sleeps = Sleeps()
    doc = {**load("error_429"), "headers": {"retry-after": "3600"}}
    endpoint = FakeEndpoint(httpx2, doc, "tool_call")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff())
    assert sleeps.waits == [] and result.call.attempts == 1
    assert result.call.error.endswith("(the server asked to retry after 3600 s)")


def test_gives_up_after_max_attempts_with_the_error_recorded() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, default="error_503")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff(), max_attempts=3)
    assert result.call.attempts == 3 and len(endpoint.history) == 3
    assert result.call.error == (
        "HTTP 503 server_error: The server is overloaded or not ready yet. (gave up after 3 attempts)"
    )
    assert result.call.response is None and sleeps.waits == [0.5, 1.0]


def test_a_client_error_after_retries_is_not_called_giving_up() -> None:
    endpoint = FakeEndpoint(httpx2, "error_500", "error_400")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=Sleeps().backoff())
    assert result.call.attempts == 2 and result.call.error.startswith("HTTP 400 ")
    assert result.call.error.endswith("(after 2 attempts)")


@pytest.mark.parametrize("fixture", ["error_400", "error_401", "error_429_quota"])
def test_client_errors_are_not_retried(fixture: str) -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, default=fixture)
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff())
    assert result.call.attempts == 1 and sleeps.waits == [] and result.call.error.startswith("HTTP 4")


def test_timeouts_are_retried() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, httpx2.ReadTimeout, _hang, "tool_call", asynchronous=True)
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff(), timeout_s=0.05)
    assert result.call.ok and result.call.attempts == 3 and len(sleeps.waits) == 2
    endpoint = FakeEndpoint(httpx2, default=_hang, asynchronous=True)
    (result,) = _collect(
        [Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff(), timeout_s=0.05, max_attempts=2
    )
    assert result.call.error == "timeout: no answer within 0.05 s (gave up after 2 attempts)"


def test_connection_errors_are_retried() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, httpx2.ConnectError, "tool_call")
    (result,) = _collect([Job(REQUEST, endpoint.backend())], backoff=sleeps.backoff())
    assert result.call.ok and result.call.attempts == 2


def test_backoff_is_full_jitter_and_capped() -> None:
    backoff = Backoff(base_s=0.5, max_s=4.0)
    for attempt in range(1, 10):
        cap = min(4.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays) and max(delays) > cap / 2
    assert backoff.delay(5, retry_after_s=0.25) == 0.25


def test_cancellation_stops_new_calls_and_keeps_finished_results() -> None:
    endpoint = FakeEndpoint(httpx2, "tool_call", "tool_call", "tool_call", default=_hang, asynchronous=True)
    jobs = [Job(_request(i), endpoint.backend()) for i in range(20)]
    finished: list[Result] = []

    async def scenario() -> tuple[int, int]:
        async def consume() -> None:
            async with contextlib.aclosing(
                run_calls(jobs, concurrency=2, on_result=finished.append)
            ) as results:
                async for _ in results:
                    pass

        task = asyncio.create_task(consume())
        while len(finished) < 3:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)  # let the next calls start and hang
        sent = len(endpoint.history)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)
        return sent, len(endpoint.history)

    sent_before, sent_after = asyncio.run(scenario())
    assert len(finished) == 3 and all(r.call.ok for r in finished)
    assert sent_before == sent_after == 5  # 3 finished + 2 in flight (cancelled); nothing new started
    assert endpoint.in_flight == 0


def test_leaving_the_loop_early_stops_the_run() -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call", delay_s=0.01)
    jobs = [Job(_request(i), endpoint.backend()) for i in range(50)]

    async def first_two() -> list[Result]:
        taken = []
        async with contextlib.aclosing(run_calls(jobs, concurrency=4)) as results:
            async for result in results:
                taken.append(result)
                if len(taken) == 2:
                    break
        await asyncio.sleep(0.05)
        return taken

    assert len(asyncio.run(first_two())) == 2
    assert len(endpoint.history) <= 8


def test_ctrl_c_keeps_finished_results() -> None:
    endpoint = FakeEndpoint(httpx2, "tool_call", "tool_call", "tool_call", default=_hang, asynchronous=True)
    jobs = [Job(_request(i), endpoint.backend()) for i in range(10)]
    seen: list[Result] = []

    def on_result(result: Result) -> None:
        seen.append(result)
        if len(seen) == 3:
            _thread.interrupt_main()  # what Ctrl-C does

    with pytest.raises(Interrupted) as caught:
        run_calls_sync(jobs, concurrency=2, on_result=on_result)
    assert isinstance(caught.value, KeyboardInterrupt)
    assert caught.value.results == seen and len(seen) == 3
    assert endpoint.in_flight == 0


def test_notebook_interrupt_keeps_finished_results() -> None:
    """In Jupyter a loop is already running: the calls run in a worker thread, the interrupt hits the cell."""
    endpoint = FakeEndpoint(httpx2, "tool_call", "tool_call", default=_hang, asynchronous=True)
    jobs = [Job(_request(i), endpoint.backend()) for i in range(10)]
    seen: list[Result] = []

    def on_result(result: Result) -> None:  # runs in the worker thread
        seen.append(result)
        if len(seen) == 2:
            _thread.interrupt_main()

    async def cell() -> list[Result]:
        return run_calls_sync(jobs, concurrency=2, on_result=on_result)

    loop = asyncio.new_event_loop()  # like a kernel's loop: no asyncio.run SIGINT handler
    try:
        with pytest.raises(Interrupted) as caught:
            loop.run_until_complete(cell())
    finally:
        loop.close()
    assert caught.value.results == seen and len(seen) == 2
    assert endpoint.in_flight == 0


def test_sync_wrapper_inside_a_running_loop() -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call", delay_s=0.005)
    jobs = [Job(_request(i), endpoint.backend(), tag=i) for i in range(6)]

    async def cell() -> list[Result]:
        return run_calls_sync(jobs, concurrency=3)

    results = asyncio.run(cell())
    assert sorted(r.job.tag for r in results) == list(range(6))


def test_cache_hit_the_second_time_costs_nothing(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call")
    jobs = [Job(TOOL_REQUEST, endpoint.backend(), trial=t) for t in range(3)]
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        first = {r.job.trial: r.call for r in run_calls_sync(jobs, cache=cache)}
        second = {r.job.trial: r.call for r in run_calls_sync(jobs, cache=cache)}
    assert len(endpoint.history) == 3
    for trial in range(3):
        assert first[trial].cache_hit is False and first[trial].attempts == 1
        assert (
            second[trial].cache_hit is True and second[trial].cost_usd == 0.0 and second[trial].attempts == 0
        )
        assert second[trial].original_latency_ms == first[trial].latency_ms
        assert second[trial].response == first[trial].response
        assert second[trial].request_hash == first[trial].request_hash


def test_trial_index_prevents_cross_trial_cache_hits(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call")
    backend = endpoint.backend()
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        run_calls_sync(
            [Job(TOOL_REQUEST, backend, trial=0), Job(TOOL_REQUEST, backend, trial=1)], cache=cache
        )
        assert len(endpoint.history) == 2  # same request, two trials: two real calls
        again = run_calls_sync([Job(TOOL_REQUEST, backend, trial=t) for t in range(3)], cache=cache)
    assert len(endpoint.history) == 3  # only the new trial 2 went out
    assert sorted((r.job.trial, r.call.cache_hit) for r in again) == [(0, True), (1, True), (2, False)]


def test_failed_calls_are_not_cached(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(httpx2, "error_400", "tool_call")
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        (failed,) = run_calls_sync([Job(REQUEST, endpoint.backend())], cache=cache)
        (ok,) = run_calls_sync([Job(REQUEST, endpoint.backend())], cache=cache)
    assert failed.call.error and ok.call.ok and not ok.call.cache_hit


def test_progress_callback_and_bar(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = FakeEndpoint(httpx2, "error_400", default="tool_call")
    seen: list[tuple[int, int]] = []
    jobs = [Job(_request(i), endpoint.backend()) for i in range(4)]
    run_calls_sync(jobs, concurrency=1, progress=lambda done, total, result: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    run_calls_sync(jobs, progress=ProgressBar())
    err = capsys.readouterr().err
    assert "model calls" in err and "4/4" in err


def test_tuples_are_jobs_and_errors_in_callbacks_surface() -> None:
    endpoint = FakeEndpoint(httpx2, default="tool_call")
    (result,) = run_calls_sync([(REQUEST, endpoint.backend(), 2)])
    assert result.job.trial == 2

    def broken(_result: Result) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_calls_sync([(REQUEST, endpoint.backend())], on_result=broken)


def test_single_call_with_retries() -> None:
    sleeps = Sleeps()
    endpoint = FakeEndpoint(httpx2, "error_500", "tool_call")
    record = call(REQUEST, backend=endpoint.backend(), backoff=sleeps.backoff())
    assert record.ok and record.attempts == 2 and sleeps.waits == [0.5]
    streamed = call(REQUEST, backend=FakeEndpoint(httpx2, "stream_tool_call").backend(), stream=True)
    assert streamed.ok and streamed.ttft_ms is not None


def test_invalid_settings() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_calls_sync([], concurrency=0)
    assert run_calls_sync([]) == []
