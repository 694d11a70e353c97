"""``workbench prompt show`` and ``workbench prompt list``: what a variant sends, and what it costs."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from workbench.cli._common import add_data_option, print_json, read_spec_file
from workbench.core.format import money

_BAR_WIDTH = 30
CURRENT_FLAG = "--current"
CURRENT_HELP = "a query spec (JSON) the question follows up on: rendered as the current-query section"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("prompt", help="show rendered prompts and list prompt variants")
    sub = parser.add_subparsers(dest="prompt_command", metavar="COMMAND")
    sub.required = True

    show = sub.add_parser(
        "show",
        help="render a prompt variant for a question: messages, tools, tokens per section, cost",
        description="Render a prompt variant for one question and show the exact request, its token "
        "sections, the stable (cacheable) prefix, the cost and which examples were chosen and why.",
    )
    show.add_argument(
        "--prompt", required=True, metavar="FILE", help="variant file or name in prompts/ (e.g. compact)"
    )
    show.add_argument("--question", required=True, metavar="Q", help="the question to render")
    add_data_option(show)
    show.add_argument(
        "--json", action="store_true", help="print JSON: messages, tools, tokens, encoding, ..."
    )
    show.add_argument(
        "--completion-tokens", type=int, default=150, metavar="N", help="assumed output tokens for cost (150)"
    )
    show.add_argument(
        "--price-model", metavar="M", help="also price the request as if sent to model M (e.g. gpt-4.1-mini)"
    )
    show.add_argument("--full", action="store_true", help="print whole messages and the tool definitions")
    show.add_argument(CURRENT_FLAG, metavar="SPEC_FILE", help=CURRENT_HELP)
    show.set_defaults(func=_show)

    diff = sub.add_parser(
        "diff",
        help="what changes between two variants' requests for a question: tokens, columns, examples, text",
        description="Render the same question with two variants and show the token change per section and "
        "in the cacheable prefix, the schema columns and examples that came or went, and a unified diff "
        "of the requests. No model is called.",
    )
    diff.add_argument("--prompt", action="append", required=True, metavar="FILE",
                      help="variant file or name; give it twice (A, then B)")  # fmt: skip
    diff.add_argument("--question", required=True, metavar="Q", help="the question to render")
    add_data_option(diff)
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")
    diff.add_argument("--full", action="store_true", help="print the whole text diff")
    diff.add_argument(CURRENT_FLAG, metavar="SPEC_FILE", help=CURRENT_HELP)
    diff.set_defaults(func=_diff)

    lister = sub.add_parser("list", help="list the prompt variants in prompts/")
    lister.add_argument("--json", action="store_true", help="print JSON")
    lister.set_defaults(func=_list)


# --------------------------------------------------------------------------- show


def _show(args: argparse.Namespace) -> int:
    from workbench.pipeline.ask import bind_prompt

    prompt = bind_prompt(args.prompt, args.data)
    current = read_spec_file(args.current) if args.current else None
    rendered = prompt.render(args.question, current)
    if args.json:
        data = rendered.to_dict(completion_tokens=args.completion_tokens)
        if args.price_model:
            data["cost_usd"]["price_model"] = args.price_model
            data["cost_usd"]["price_model_per_call"] = rendered.cost_usd_per_call(
                args.completion_tokens, model=args.price_model
            )
        print_json(data)
        return 0
    print(format_rendered(prompt, rendered, args.completion_tokens, args.price_model, full=args.full))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from workbench.core.errors import ConfigError
    from workbench.dataset.source import open_dataset
    from workbench.prompt.diff import diff_rendered
    from workbench.prompt.render import Prompt

    if len(args.prompt) != 2:
        raise ConfigError(
            f"prompt diff compares two variants, got {len(args.prompt)}", "give --prompt A --prompt B"
        )
    a_ref, b_ref = args.prompt
    schema = open_dataset(args.data).schema()
    current = read_spec_file(args.current) if args.current else None
    diff = diff_rendered(
        Prompt.load(a_ref, schema).render(args.question, current),
        Prompt.load(b_ref, schema).render(args.question, current),
    )
    if args.json:
        print_json(diff.to_dict())
    else:
        print("\n".join(diff.lines(None if args.full else 60)))
    return 0


def _clip(text: str, full: bool, max_lines: int = 40) -> str:
    lines = text.splitlines()
    if full or len(lines) <= max_lines:
        return text
    head, tail = lines[: max_lines - 10], lines[-8:]
    return "\n".join(
        [*head, f"... ({len(lines) - len(head) - len(tail)} more lines; --full shows all)", *tail]
    )


def section_table(sections: dict[str, int], total: int) -> list[str]:
    """Token sections with a bar each, and the total."""
    out = []
    biggest = max([*sections.values(), 1])
    for name, n in sections.items():
        bar = "█" * round(_BAR_WIDTH * max(n, 0) / biggest)
        share = 100 * n / total if total else 0.0
        out.append(f"  {name:<13}{n:>8,}  {share:5.1f}%  {bar}")
    out.append(f"  {'total':<13}{total:>8,}")
    return out


def format_rendered(
    prompt: Any, r: Any, completion_tokens: int = 150, price_model: str | None = None, *, full: bool = False
) -> str:
    from workbench.core.prices import price_data_date

    v = prompt.variant
    lines = [f"prompt {v.name}: {v.summary()}", ""]
    for message in r.messages:
        content = message["content"]
        lines.append(f"── {message['role']} ({len(content):,} chars) " + "─" * 40)
        lines.append(_clip(content, full))
        lines.append("")
    if r.tools:
        names = ", ".join(t["function"]["name"] for t in r.tools)
        lines.append(f"── tools: {names} (tool_choice {r.tool_choice}) " + "─" * 30)
        if full:
            lines.append(json.dumps(r.tools, indent=2))
        lines.append("")
    if r.response_format:
        lines.append(f"── response_format: {r.response_format.get('type')} " + "─" * 30)
        if full:
            lines.append(json.dumps(r.response_format, indent=2))
        lines.append("")
    lines.append(f"tokens ({r.encoding}{_estimate(r.model)})")
    lines.extend(section_table(r.sections, r.total_tokens))
    share = 100 * r.stable_prefix_tokens / r.total_tokens if r.total_tokens else 0.0
    lines.append(
        f"stable prefix: {r.stable_prefix_tokens:,} tokens ({share:.0f}% of the prompt, the same for every question)"
    )
    per_call = r.cost_usd_per_call(completion_tokens)
    cost = f"cost ({completion_tokens} output tokens assumed): {money(per_call)} per call, "
    cost += f"{money(None if per_call is None else per_call * 1000)} per 1,000 calls"
    if per_call is None:
        cost += f" (no price for model {r.model!r})"
    elif per_call == 0:
        cost += f" (model {r.model!r} is free; --price-model prices it as another model)"
    lines.append(f"{cost}; price data {price_data_date()}")
    if price_model:
        other = r.cost_usd_per_call(completion_tokens, model=price_model)
        cached = r.cost_usd_per_call(completion_tokens, model=price_model, cached=True)
        lines.append(
            f"  as {price_model}: {money(other)} per call, {money(None if other is None else other * 1000)} per 1,000"
            f" calls; {money(cached)} per call with the stable prefix cached ({r.cacheable_tokens:,} tokens)"
        )
    if r.compressed is not None:
        c = r.compressed
        over = " (over budget: pinned columns alone exceed it)" if getattr(c, "over_budget", False) else ""
        lines.append(
            f"schema: {len(c.kept)} columns kept, {len(c.dropped)} dropped, {c.tokens:,} tokens{over}"
        )
    lines.extend(_examples_lines(prompt, r))
    return "\n".join(lines)


def _examples_lines(prompt: Any, r: Any) -> list[str]:
    if prompt.example_set is None:
        return ["examples: none"]
    settings = prompt.variant.examples
    out = [
        f"examples: {len(r.chosen_examples)} of {len(prompt.example_set)} from {prompt.example_set.name} ({settings.summary()})"
    ]
    for s in r.selected_examples:
        mark = " " if s.included else "✗"
        question = textwrap.shorten(s.example.question, 70, placeholder="…")
        out.append(f"  {mark} #{s.index:<3} {s.reason:<34} {s.tokens:>4} tok  {question}")
    for index, findings in sorted(r.invalid_examples.items()):
        first = findings[0] if findings else None
        why = f"{first.code}: {first.message}" if first else "invalid"
        out.append(f"  ✗ #{index:<3} excluded, invalid query ({len(findings)} finding(s)): {why}")
    return out


# --------------------------------------------------------------------------- list


def _list(args: argparse.Namespace) -> int:
    from workbench.core.errors import WorkbenchError
    from workbench.core.paths import prompts_dir
    from workbench.prompt.variant import available_variants, load_variant

    rows, problems = [], []
    for name in available_variants():
        try:
            v = load_variant(name)
        except WorkbenchError as exc:
            problems.append({"name": name, "error": str(exc)})
            continue
        rows.append(
            {
                "name": v.name,
                "file": str(v.source) if v.source else None,
                "model": v.model,
                "output_mode": v.output_mode,
                "temperature": v.temperature,
                "schema": v.schema_summary(),
                "examples": v.examples.summary(),
                "description": v.description,
            }
        )
    if args.json:
        print_json({"folder": str(prompts_dir()), "variants": rows, "errors": problems})
        return 0
    if not rows and not problems:
        print(f"no prompt variants in {prompts_dir()}")
        return 0
    for row in rows:
        print(f"{row['name']:<12} {row['model']:<14} {row['output_mode']:<11} t={row['temperature']:g}")
        print(f"{'':<12} schema: {row['schema']}")
        print(f"{'':<12} examples: {row['examples']}")
        if row["description"]:
            print(f"{'':<12} {row['description']}")
    for p in problems:
        print(f"{p['name']:<12} ERROR {p['error']}")
    return 0


def _estimate(model: str) -> str:
    """Token counts for a model without its own tiktoken encoding are estimates: say so."""
    from workbench.core.tokens import model_encoding

    if model_encoding(model) is not None:
        return ""
    return "; an estimate: this model's tokenizer differs, and a server may turn a json_schema into a grammar"
