"""``workbench export`` (a prompt artifact or an experiment bundle), ``workbench open`` and ``workbench report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli._common import add_data_option, print_json
from workbench.core import format as fmt
from workbench.core.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a prompt variant for production (--prompt) or runs as a shareable bundle (--run)",
        description="With --prompt: write the variant as a versioned production artifact (JSON, loaded by "
        "workbench.runtime), a plain JSON request template, or a promptfoo configuration. With --run: write "
        "the runs, their variants and question sets as one .wbundle file that `workbench open` reads.",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--prompt", metavar="FILE", help="prompt variant file or name in prompts/")
    what.add_argument(
        "--run", metavar="RUN", action="append", help="run id (or unique prefix); repeat for more"
    )
    p.add_argument("--out", required=True, metavar="FILE", help="where to write")
    p.add_argument(
        "--format",
        choices=("artifact", "template", "promptfoo"),
        default="artifact",
        help="with --prompt: artifact (default), template or promptfoo",
    )
    add_data_option(p, when="with --prompt: ")
    p.add_argument(
        "--questions",
        metavar="FILE",
        help="with --format promptfoo: the question set (default questions/core.yaml)",
    )
    p.add_argument(
        "--store", metavar="PATH", help="the experiment log (default: runs/runs.duckdb in the home)"
    )
    p.set_defaults(func=run_export)

    o = sub.add_parser(
        "open",
        help="open an experiment bundle: the runs' metrics side by side, no key or model needed",
    )
    o.add_argument("file", metavar="FILE", help="a .wbundle file")
    o.add_argument("--json", action="store_true", help="print the bundle's runs as eval JSON")
    o.add_argument(
        "--import", dest="import_", action="store_true", help="also copy the runs into the local log"
    )
    o.add_argument("--store", metavar="PATH", help="with --import: the experiment log to import into")
    o.set_defaults(func=run_open)

    r = sub.add_parser("report", help="write a static HTML report of runs (opens offline; attach it to a PR)")
    r.add_argument(
        "runs", nargs="+", metavar="RUN", help="run ids (or prefixes) in the log, or .wbundle files"
    )
    r.add_argument("--out", required=True, metavar="FILE.html", help="where to write the report")
    r.add_argument("--title", help="the report's title")
    r.add_argument(
        "--store", metavar="PATH", help="the experiment log (default: runs/runs.duckdb in the home)"
    )
    r.set_defaults(func=run_report)


# --------------------------------------------------------------------------- export


def run_export(args: argparse.Namespace) -> int:
    if args.run:
        return _export_bundle(args)
    if args.questions and args.format != "promptfoo":
        raise ConfigError(
            "--questions is only used with --format promptfoo", "drop it, or add --format promptfoo"
        )
    from workbench.export.build import build_artifact, export_prompt, write_json
    from workbench.pipeline.ask import bind_prompt

    prompt = bind_prompt(args.prompt, args.data)
    name = prompt.variant.name
    if args.format == "artifact":
        artifact = build_artifact(prompt, store=args.store)
        path = write_json(artifact, args.out)
        print(f"wrote the production artifact of {name!r} to {path}")
        _print_artifact_summary(artifact)
        return 0
    path = export_prompt(prompt, args.out, format=args.format, questions=args.questions)
    if args.format == "template":
        print(f"wrote the request template of {name!r} to {path}")
        return 0
    print(f"wrote a promptfoo config for {name!r} to {path}; run it with: npx promptfoo eval -c {path}")
    if prompt.variant.model == "offline" and not prompt.variant.base_url:
        print("(start the offline model first: workbench serve-model)")
    return 0


def _print_artifact_summary(data: dict) -> None:
    print(
        f"  format {data['format_version']}, {data['content_hash'][:19]}…, {data['dataset']['n_columns']} columns, "
        f"{len(data['examples']['examples'])} examples"
    )
    ev = data.get("eval")
    if not ev:
        print("  no eval run of this exact variant in the log (run `workbench eval` to include one)")
        return
    other = "" if ev.get("same_dataset") else f" (on another dataset: {ev['dataset_identity']})"
    print(
        f"  latest eval {ev['run_id']}{other}: accuracy {fmt.pct(ev['accuracy'])}, "
        f"pass^{ev['k']} {fmt.pct(ev['pass_k'])}, latency p50 {fmt.ms(ev['latency_ms_p50'], missing='-')}"
    )


def _export_bundle(args: argparse.Namespace) -> int:
    if args.format != "artifact" or args.data or args.questions:
        raise ConfigError("--format, --data and --questions go with --prompt, not --run", "drop them")
    from workbench.export.bundle import export_bundle

    path = export_bundle(args.run, args.out, store=args.store)
    print(
        f"wrote {len(args.run)} run(s) to {path} ({path.stat().st_size:,} bytes); open it with `workbench open {path}`"
    )
    return 0


# --------------------------------------------------------------------------- open


def run_open(args: argparse.Namespace) -> int:
    from workbench.evaluation.text import comparison_line, metrics_table, run_header
    from workbench.export.bundle import import_bundle, load_bundle

    bundle = load_bundle(args.file)
    imported = import_bundle(bundle, args.store) if args.import_ else []
    if args.json:
        data = bundle.to_dict()
        if args.import_:
            data["imported"] = [
                {
                    "run_id": i.original_id,
                    "local_run_id": i.run_id,
                    "imported": i.imported,
                    "unchecked_variants": list(i.unchecked),
                }
                for i in imported
            ]
        print_json(data)
        return 0
    evals = bundle.eval_runs()
    print(
        f"bundle {args.file}: {len(evals)} run(s), exported {bundle.manifest.get('created_at', '?')} "
        f"by workbench {bundle.manifest.get('workbench_version', '?')}"
    )
    for ev in evals:
        print()
        print(run_header(ev))
        print()
        print(metrics_table(ev.variants, ev.k))
        for name, c in ev.comparisons().items():
            print(comparison_line(ev.variants[0].name, name, c))
    for i in imported:
        state = f"imported as {i.run_id}" if i.imported else f"already in the log as {i.run_id}"
        print(f"run {i.original_id}: {state}")
        if i.unchecked:
            print(
                f"  variant hash not kept (its text cannot be checked; compared by name): {', '.join(i.unchecked)}"
            )
    return 0


# --------------------------------------------------------------------------- report


def run_report(args: argparse.Namespace) -> int:
    from workbench.report.html import write_report

    runs = _load_runs(args.runs, args.store)
    path = write_report(runs, args.out, title=args.title)
    print(f"wrote the report of {len(runs)} run(s) to {path}", file=sys.stdout)
    return 0


def _load_runs(refs: list[str], store: str | None) -> list:
    """Runs by id/prefix from the log, or every run of a bundle file."""
    from workbench.export.bundle import load_bundle

    out = []
    log = None
    for ref in refs:
        if ref.endswith((".wbundle", ".zip")) or Path(ref).is_file():
            out.extend(load_bundle(ref).runs)
            continue
        if log is None:
            from workbench.store.runs import RunStore

            log = RunStore(store)
            if not log.path.exists():
                raise ConfigError(
                    f"no experiment log at {log.path}", "run `workbench eval` first, or pass --store"
                )
        out.append(log.load_run(ref))
    return out
