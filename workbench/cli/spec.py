"""``workbench spec``: check spec files against Honeycomb's structural rules; print the tool JSON Schema.

``spec check FILE... [--json]`` needs no dataset: unknown column names are not
an error here (``workbench query`` checks them against the data). It exits 0
when every file was read, valid or not; a missing file is a one-line error and
exit 2. A file that is not valid JSON is reported as an ``invalid_json`` finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench.cli._common import print_json
from workbench.core.errors import WorkbenchError
from workbench.core.findings import Finding, error


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "spec",
        help="check query spec files; print the spec JSON Schema",
        description="Query specification tools: structural checks by Honeycomb's rules, and the JSON Schema.",
    )
    verbs = parser.add_subparsers(dest="spec_verb", metavar="ACTION")
    verbs.required = True
    check = verbs.add_parser(
        "check",
        help="check spec files by Honeycomb's structural rules (no dataset needed)",
        description="Check query spec JSON files by Honeycomb's documented rules. Exit 0 when every file "
        "was read (valid or not), 2 when a file is missing; with --strict, 1 when a file is invalid.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="JSON files, one query spec each")
    check.add_argument("--json", action="store_true", help='print [{"file", "valid", "findings"}, ...]')
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any file is invalid (for CI gates; default: exit 0)",
    )
    check.set_defaults(func=run_check)
    schema = verbs.add_parser(
        "schema",
        help="print the JSON Schema of the spec tool arguments (OpenAI strict mode)",
        description="Print the JSON Schema a model's tool call or structured output is constrained to.",
    )
    schema.set_defaults(func=run_schema)


def check_file(path: str) -> dict[str, Any]:
    """``{"file", "valid", "findings"}`` for one spec file (the file must exist)."""
    from workbench.spec.validate.layers import invalid_json, validate

    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _report(
            path, error("invalid_json", f"not UTF-8 text (byte {exc.start})", "", "save it as UTF-8")
        )
    except OSError as exc:
        raise WorkbenchError(f"cannot read spec file {path}: {exc.strerror}", "check the path") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return _report(path, invalid_json(exc))
    except RecursionError:
        return _report(path, error("invalid_json", "the JSON is nested too deeply to read", ""))
    except ValueError as exc:  # e.g. an integer literal with more than 4300 digits
        return _report(path, error("invalid_json", f"not valid JSON: {exc}", ""))
    result = validate(raw)
    return {"file": path, "valid": result.ok, "findings": [f.to_dict() for f in result.findings]}


def _report(path: str, finding: Finding) -> dict[str, Any]:
    return {"file": path, "valid": False, "findings": [finding.to_dict()]}


def run_check(args: argparse.Namespace) -> int:
    for name in args.files:  # read nothing until every path is known to exist: no partial reports
        p = Path(name)
        if not p.is_file():
            what = "is a directory, not a file" if p.is_dir() else "not found"
            raise WorkbenchError(f"spec file {what}: {name}", "check the path")
    reports = [check_file(name) for name in args.files]
    failed = 1 if args.strict and not all(r["valid"] for r in reports) else 0
    if args.json:
        print_json(reports)
        return failed
    for report in reports:
        mark = _mark(report["valid"])
        print(f"{mark} {report['file']}")
        for f in report["findings"]:
            print(f"    {Finding.from_dict(f)}")
    valid = sum(r["valid"] for r in reports)
    if len(reports) > 1:
        print(f"{len(reports)} files: {valid} valid, {len(reports) - valid} invalid")
    return failed


def _mark(valid: bool) -> str:
    mark = "✓" if valid else "✗"
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        mark.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok " if valid else "ERR"
    return mark


def run_schema(args: argparse.Namespace) -> int:
    from workbench.spec.query import query_json_schema

    print_json(query_json_schema())
    return 0
