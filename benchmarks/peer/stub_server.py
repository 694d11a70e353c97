#!/usr/bin/env python3
"""Minimal OpenAI-compatible stub for eval-runner overhead benchmarks.

Stdlib only (asyncio), loopback only.  Implements:
  POST /v1/chat/completions  -> chat.completion with one tool call to `run_query`
  GET  /v1/models            -> tiny model list
  GET  /health               -> "ok"

Every chat completion is answered after --delay-ms milliseconds (asyncio.sleep,
so any number of requests can wait concurrently).  The server counts requests
and the maximum number of chat requests in flight at once, and prints those
(and writes them to --stats-file, if given) when it gets SIGTERM or SIGINT.
"""

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time

TOOL_ARGS = json.dumps({"calculations": [{"op": "COUNT"}], "time_range": 7200}, separators=(",", ":"))
COMPLETION_TOKENS = 24


class Stats:
    def __init__(self):
        self.requests = 0  # chat completion requests answered or started
        self.other_requests = 0  # anything else (models, health, 404)
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0
        self.max_connections_open = 0
        self.open_connections = 0
        self.first_request_t = None
        self.last_response_t = None
        self.bad_requests = 0

    def as_dict(self):
        span = None
        if self.first_request_t is not None and self.last_response_t is not None:
            span = round(self.last_response_t - self.first_request_t, 4)
        return {
            "requests": self.requests,
            "max_concurrency": self.max_in_flight,
            "other_requests": self.other_requests,
            "bad_requests": self.bad_requests,
            "connections": self.connections,
            "max_open_connections": self.max_connections_open,
            "first_to_last_s": span,
        }


STATS = Stats()
DUMP_FIRST = None


def build_completion(req_body, n):
    try:
        payload = json.loads(req_body or b"{}")
    except ValueError:
        payload = {}
    model = payload.get("model", "gpt-4o-mini") if isinstance(payload, dict) else "gpt-4o-mini"
    # Rough token estimate: ~4 bytes per token of the request's messages.
    msgs = payload.get("messages", []) if isinstance(payload, dict) else []
    prompt_tokens = max(1, len(json.dumps(msgs)) // 4)
    return {
        "id": f"chatcmpl-stub-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_stub",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": f"call_stub_{n}",
                            "type": "function",
                            "function": {"name": "run_query", "arguments": TOOL_ARGS},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": prompt_tokens + COMPLETION_TOKENS,
        },
    }


def http_response(status, reason, body, content_type="application/json", keep_alive=True):
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


async def read_body(reader, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size_line = await reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # consume trailers until blank line
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return b"".join(chunks)
    length = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(length) if length else b""


async def handle(reader, writer, delay_s):
    STATS.connections += 1
    STATS.open_connections += 1
    STATS.max_connections_open = max(STATS.max_connections_open, STATS.open_connections)
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                break
            try:
                method, target, version = request_line.decode("latin-1").strip().split(" ", 2)
            except ValueError:
                STATS.bad_requests += 1
                break
            headers = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = await read_body(reader, headers)
            keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
            path = target.split("?", 1)[0]

            if method == "POST" and path.rstrip("/").endswith("/chat/completions"):
                STATS.requests += 1
                n = STATS.requests
                if STATS.first_request_t is None:
                    STATS.first_request_t = time.monotonic()
                    if DUMP_FIRST:
                        with open(DUMP_FIRST, "wb") as f:
                            f.write(body)
                STATS.in_flight += 1
                STATS.max_in_flight = max(STATS.max_in_flight, STATS.in_flight)
                try:
                    if delay_s > 0:
                        await asyncio.sleep(delay_s)
                    out = json.dumps(build_completion(body, n)).encode()
                finally:
                    STATS.in_flight -= 1
                writer.write(http_response(200, "OK", out, keep_alive=keep_alive))
                STATS.last_response_t = time.monotonic()
            elif method == "GET" and path.rstrip("/").endswith("/models"):
                STATS.other_requests += 1
                out = json.dumps(
                    {
                        "object": "list",
                        "data": [{"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "stub"}],
                    }
                ).encode()
                writer.write(http_response(200, "OK", out, keep_alive=keep_alive))
            elif method == "GET" and path == "/health":
                STATS.other_requests += 1
                writer.write(http_response(200, "OK", b"ok", "text/plain", keep_alive=keep_alive))
            else:
                STATS.other_requests += 1
                out = json.dumps(
                    {"error": {"message": f"stub: no route {method} {path}", "type": "invalid_request_error"}}
                ).encode()
                writer.write(http_response(404, "Not Found", out, keep_alive=keep_alive))
            await writer.drain()
            if not keep_alive:
                break
    except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        STATS.open_connections -= 1
        with contextlib.suppress(Exception):
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--delay-ms", type=float, default=200.0)
    ap.add_argument("--stats-file", default=None, help="write JSON stats here on exit")
    ap.add_argument("--dump-first", default=None, help="write the first chat request body here")
    args = ap.parse_args()
    if not (args.host.startswith("127.") or args.host in ("localhost", "::1")):
        sys.exit("stub_server: refusing to bind a non-loopback address")

    delay_s = args.delay_ms / 1000.0
    global DUMP_FIRST
    DUMP_FIRST = args.dump_first
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, delay_s), args.host, args.port, backlog=1024, reuse_address=True
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"stub_server: listening on http://{args.host}:{args.port}/v1 delay_ms={args.delay_ms}", flush=True)
    await stop.wait()
    stats = STATS.as_dict()
    stats["delay_ms"] = args.delay_ms
    line = json.dumps(stats)
    if args.stats_file:
        with open(args.stats_file, "w") as f:
            f.write(line + "\n")
    print(f"stub_server: stats {line}", flush=True)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
