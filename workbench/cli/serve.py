"""``workbench serve-model``: the offline model on an OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from workbench.core.errors import WorkbenchError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve-model",
        help="serve the offline model as an OpenAI-compatible endpoint (/v1/chat/completions, /v1/models)",
        description=(
            "Serve the built-in offline model over HTTP, OpenAI-compatible, so the openai client, "
            "promptfoo or curl can call it. Point a client at the printed base URL with any API key."
        ),
    )
    # defaults resolved in run(): importing the offline model here would slow every verb's start-up
    p.add_argument("--host", help="address to listen on (default: the offline server's loopback address)")
    p.add_argument(
        "--port", type=int, help="port (default: the offline server's, printed at start; 0 picks a free one)"
    )
    p.add_argument(
        "--latency-ms", type=int, default=0, metavar="N",
        help="add N ms of ARTIFICIAL delay to every completion, for load testing (default 0)",
    )  # fmt: skip
    p.set_defaults(func=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    from workbench.offline.server import DEFAULT_HOST, DEFAULT_PORT, base_url, bind, serve

    args.host = DEFAULT_HOST if args.host is None else args.host
    args.port = DEFAULT_PORT if args.port is None else args.port

    if args.latency_ms < 0:
        raise WorkbenchError(
            f"--latency-ms must be >= 0, got {args.latency_ms}",
            "give a delay in milliseconds, e.g. --latency-ms 200",
        )
    if not 0 <= args.port <= 65535:
        raise WorkbenchError(
            f"--port must be between 0 and 65535, got {args.port}", "pick a free port, or 0 for any"
        )
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        raise WorkbenchError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            "pick another --port (0 picks a free one)",
        ) from None
    url = base_url(sock)
    from workbench.core.encodings import get_encoding

    get_encoding("o200k_base")  # load the tokenizer now, not on the first request
    print(f'offline model serving at {url}  (OpenAI-compatible; model "offline")', flush=True)
    print(
        f'  use it with:  OPENAI_BASE_URL={url} OPENAI_API_KEY=any  (or openai.OpenAI(base_url="{url}", api_key="any"))',
        flush=True,
    )
    if args.latency_ms:
        print(
            f"  ARTIFICIAL LATENCY: +{args.latency_ms} ms added to every completion for load testing "
            "(not model compute time; see the x-offline-artificial-latency-ms header)",
            flush=True,
        )
    if not _is_loopback(args.host):
        print(
            f"  warning: {args.host} is not a loopback address and the endpoint has no authentication",
            file=sys.stderr,
            flush=True,
        )
    print("  Ctrl-C to stop", flush=True)
    serve(sock, latency_ms=args.latency_ms)
    return 0
