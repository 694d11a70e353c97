"""``workbench eval --conversations FILE``: the chain eval's CLI side (table, JSON, resume)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError

CONTEXT_CHOICES = {"both": ("own", "gold"), "own": ("own",), "gold": ("gold",)}


def chain_table(result: Any, k: int | None = None) -> str:
    """Per variant and context: turn accuracy, by turn position, chain success, pass^k, error propagation."""
    from workbench.evaluation.chains import chain_rows

    rows = chain_rows(result, k)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_conversations(args: argparse.Namespace) -> int:
    """Run (or resume) a chain eval and print its table; ``--json OUT`` writes DESIGN.md's JSON."""
    from workbench.dataset.source import open_dataset
    from workbench.evaluation.chains import ChainInterrupted, evaluate_conversations
    from workbench.evaluation.conversations import load_conversation_set
    from workbench.prompt.render import Prompt
    from workbench.store.runs import RunStore

    if not args.prompt:
        raise ConfigError("no prompt variant given", "add --prompt FILE (repeat it to compare variants)")
    trials = args.trials or 1
    if args.k is not None and not 1 <= args.k <= trials:
        raise ConfigError(f"--k {args.k} must be between 1 and --trials {trials}", f"use --k {trials}")
    chains = load_conversation_set(args.conversations)
    if args.limit is not None:
        chains = chains.select([c.id for c in chains.chains[: args.limit]])
    dataset = open_dataset(args.data)
    prompts = [Prompt.load(ref, dataset) for ref in args.prompt]
    if args.model:
        prompts = [p.with_(model=args.model) for p in prompts]
    store = RunStore()
    try:
        run_id = store.resolve_run_id(args.resume) if args.resume else None
        result = evaluate_conversations(
            chains, prompts, dataset=dataset, trials=trials, contexts=CONTEXT_CHOICES[args.context],
            store=store, run_id=run_id, cache=None if args.no_cache else True,
            concurrency=args.concurrency, name=args.name,
        )  # fmt: skip
    except ChainInterrupted as exc:
        argv = [a for a in sys.argv[1:] if a != "--resume"] if not args.resume else sys.argv[1:]
        again = ["workbench", *argv] + ([] if args.resume else ["--resume", str(exc.run_id)])
        print(f"workbench: interrupted: the finished turns of run {exc.run_id} are recorded; "
              f"resume with: {shlex.join(again)}", file=sys.stderr)  # fmt: skip
        return 130
    finally:
        store.close()
    data = result.to_dict(args.k)
    if args.json == "-":
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return 0
    print(
        f"run {result.run_id}: {len(chains)} conversations ({chains.n_turns} turns), {trials} trial(s) each"
    )
    print()
    print(chain_table(result, args.k))
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    return 0
