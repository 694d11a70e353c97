"""``workbench chat``: follow-up questions in the terminal, each turn changing the current query.

Each turn prints the new query (readback and builder), what changed against the previous one,
the findings, the SQL and the result. Commands: ``/undo`` (drop the last turn), ``/history``,
``/current`` (the current query as JSON), ``/quit``. Reads questions from stdin, so it can be
scripted: ``printf 'errors by service yesterday\\nonly checkout\\n/quit\\n' | workbench chat``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workbench.cli._common import add_data_option, print_result_table, read_spec_file

HELP = "commands: /undo (drop the last turn), /history, /current (the query as JSON), /help, /quit"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat",
        help="ask follow-up questions in the terminal: each turn changes the current query (/undo, /history)",
        description="A terminal session: each question is a follow-up of the current query. " + HELP,
    )
    p.add_argument(
        "--prompt", default="compact", help="prompt variant file or name in prompts/ (default: compact)"
    )
    p.add_argument("--model", help="override the variant's model (e.g. offline, gpt-4.1-mini)")
    add_data_option(p)
    p.add_argument("--current", metavar="SPEC_FILE", help="a query spec (JSON) to start from")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    p.add_argument("--max-rows", type=int, default=10, metavar="N", help="result rows shown per turn (10)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.conversation.session import Conversation
    from workbench.dataset.source import open_dataset
    from workbench.prompt.render import Prompt

    dataset = open_dataset(args.data)
    prompt = Prompt.load(args.prompt, dataset)
    if args.model:
        prompt = prompt.with_(model=args.model)
    current = read_spec_file(args.current) if args.current else None
    chat = Conversation(prompt, dataset, current=current, cache=not args.no_cache)
    interactive = sys.stdin.isatty()
    print(f"chat with {prompt.variant.name} ({prompt.variant.model}); {HELP}")
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        if not interactive:
            print(f"> {text}")
        if text.startswith("/"):
            if _command(chat, text):
                return 0
            continue
        print_turn(chat.ask(text), chat.now, args.max_rows)


def _command(chat: Any, text: str) -> bool:
    """Run a ``/command``; True when the session should end."""
    word = text.split()[0].lower()
    if word in ("/quit", "/exit", "/q"):
        return True
    if word == "/undo":
        turn = chat.undo()
        print(f"undone: {turn.question}" if turn else "nothing to undo")
        print(f"current: {_readback(chat.current, chat.now)}")
    elif word == "/history":
        print("\n".join(chat.history()) or "no turns yet")
    elif word == "/current":
        print(json.dumps(chat.current) if chat.current else "no current query")
    else:
        print(HELP)
    return False


def _readback(spec: Any, now: int) -> str:
    from workbench.spec.readback import readback

    return readback(spec, now) if spec else "none"


def print_turn(turn: Any, now: int, max_rows: int = 10) -> None:
    """One turn: the query (readback, builder), what changed, findings, SQL, result."""
    from workbench.cli.ask import _print_findings
    from workbench.spec.readback import builder_text

    answer = turn.answer
    if turn.spec is None:
        print(f"no query: {answer.message or 'the answer was not a valid query'}")
        _print_findings(answer.findings)
        print(f"current query unchanged: {_readback(turn.previous, now)}")
        return
    print(f"query:    {_readback(turn.spec, now)}")
    for line in builder_text(turn.spec, now).splitlines():
        print(f"  {line}")
    lines = turn.diff.lines() if turn.diff is not None else []
    print("changed:  " + (lines[0] if lines else "nothing"))
    for line in lines[1:]:
        print(f"          {line}")
    _print_findings(answer.findings)
    if answer.sql:
        print("sql:\n" + answer.sql)
    if answer.result is not None:
        print_result_table(answer.result.columns, answer.result.rows, max_rows=max_rows)
