#!/usr/bin/env python3
"""The floor under any eval through the ``openai`` SDK: a fresh interpreter that only imports the SDK
and sends N copies of one rendered request, C at a time, to an OpenAI-compatible endpoint.

    python benchmarks/peer/sdk_floor.py BASE_URL N C BODY_JSON

Prints one JSON line: the SDK's import and client set-up, the calls, and the whole process so far
(seconds), plus the process CPU. What ``workbench eval`` adds on top of this is its own cost.
"""

from __future__ import annotations

import json
import sys
import time

T0 = time.perf_counter()


def main() -> None:
    base_url, n, c, body_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with open(body_path, encoding="utf-8") as f:
        body = json.load(f)
    t_import = time.perf_counter()
    import asyncio

    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="dummy", max_retries=0)
    t_calls = time.perf_counter()

    async def run() -> None:
        gate = asyncio.Semaphore(c)

        async def one() -> None:
            async with gate:  # the way the workbench sends a non-streamed call (llm/client.py)
                json.loads(
                    await client.post("/chat/completions", cast_to=bytes, body=body, options={"timeout": 60})
                )

        await asyncio.gather(*(one() for _ in range(n)))

    asyncio.run(run())
    end = time.perf_counter()
    print(json.dumps({"sdk_import_s": round(t_calls - t_import, 3), "calls_s": round(end - t_calls, 3),
                      "process_s": round(end - T0, 3), "cpu_s": round(time.process_time(), 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
