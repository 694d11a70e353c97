"""Validation of a query spec: Honeycomb's structural rules, then the dataset's semantics.

Two stages, each a tuple of small rule functions that return ``Finding`` records:

- ``check_structure(raw)``: the rules Honeycomb documents, on arbitrary JSON,
  without a dataset (``STRUCTURE_RULES``: JSON shape in ``validate_shape``,
  calculations and filters in ``validate_structure``, orders/havings/formulas in
  ``validate_links``, time/granularity/limit in ``validate_window``). A spec
  written for Honeycomb gets the verdict Honeycomb's documentation implies.
- ``check_semantics(spec, schema)`` (``validate_semantics``): the spec against one
  dataset: unknown columns, wrong types, values outside a known domain, windows
  without data, contradictions, and what the embedded engine cannot run.

``validate(raw, schema)`` runs both (semantics only when the structure has no
error) and returns a ``Validation``. Nothing here raises on bad input: a
model's output is untrusted data, and every problem is a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import SpecError
from workbench.core.findings import Finding, error, has_errors, run_rules, validator_failure
from workbench.schema.columns import Schema
from workbench.spec.query import QuerySpec, parse_spec, spec_to_dict
from workbench.spec.validate.empty import explain_empty
from workbench.spec.validate.links import LINK_RULES
from workbench.spec.validate.semantics import SEMANTIC_RULES, check_semantics
from workbench.spec.validate.shape import READ_ONLY_KEYS, SHAPE_RULES, json_type
from workbench.spec.validate.structure import CALCULATION_RULES, FILTER_RULES, StructureRule
from workbench.spec.validate.window import WINDOW_RULES

__all__ = [
    "SEMANTIC_RULES",
    "STRUCTURE_RULES",
    "Validation",
    "check_semantics",
    "check_structure",
    "explain_empty",
    "validate",
]


STRUCTURE_RULES: tuple[StructureRule, ...] = (
    *SHAPE_RULES,
    *CALCULATION_RULES,
    *FILTER_RULES,
    *LINK_RULES,
    *WINDOW_RULES,
)


def check_structure(raw: Any) -> list[Finding]:
    """Every structural finding for ``raw`` (any JSON value), by Honeycomb's rules. Never raises.

    Example:
        >>> [f.code for f in check_structure({"calculations": [{"op": "p99"}]})]
        ['unknown_op']
    """
    if not isinstance(raw, dict):
        return [
            error(
                "not_an_object",
                f"a query spec must be a JSON object, got {json_type(raw)}",
                "",
                'wrap the fields in {...}, e.g. {"calculations": [{"op": "COUNT"}]}',
            )
        ]
    return run_rules(((rule.__name__, rule) for rule in STRUCTURE_RULES), raw, failure=validator_failure)


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one spec.

    Args:
        spec: the parsed spec when the structure has no error, else ``None``.
        findings: every finding, structural first.
    """

    spec: QuerySpec | None
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        """No error findings (warnings and info do not block execution)."""
        return self.spec is not None and not has_errors(self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """``{"valid", "spec", "findings"}``, the shape the CLI and widgets print."""
        return {
            "valid": self.ok,
            "spec": self.spec.to_dict() if self.spec is not None else None,
            "findings": [f.to_dict() for f in self.findings],
        }


def _as_raw(raw: Any) -> tuple[Any, list[Finding]]:
    """JSON text is parsed here (a syntax error becomes an ``invalid_json`` finding)."""
    if isinstance(raw, QuerySpec):
        return spec_to_dict(raw), []
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            return json.loads(raw), []
        except json.JSONDecodeError as exc:
            return None, [invalid_json(exc)]
        except RecursionError:
            return None, [error("invalid_json", "the JSON is nested too deeply to read", "")]
        except ValueError as exc:  # e.g. an integer literal with more than 4300 digits
            return None, [error("invalid_json", f"not valid JSON: {exc}", "")]
    return raw, []


def invalid_json(exc: json.JSONDecodeError) -> Finding:
    """The finding for JSON that does not parse, with line and column."""
    return error(
        "invalid_json",
        f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        "",
        "fix the JSON syntax",
    )


def validate(raw: Any, schema: Schema | None = None) -> Validation:
    """Validate a spec (dict, JSON text or ``QuerySpec``): structure, then semantics when a schema is given.

    Example:
        >>> v = validate({"calculations": [{"op": "P99", "column": "duration_ms"}], "limit": 5000})
        >>> v.ok, [f.code for f in v.findings]
        (False, ['limit_out_of_range'])
    """
    data, findings = _as_raw(raw)
    if findings:
        return Validation(None, tuple(findings))
    findings = check_structure(data)
    if has_errors(findings):
        return Validation(None, tuple(findings))
    cleaned = {k: v for k, v in data.items() if k not in READ_ONLY_KEYS}
    try:
        spec = parse_spec(cleaned)
    except SpecError as exc:  # the structural rules should have caught it; never let it escape
        return Validation(None, (*findings, error("invalid_spec", str(exc), "")))
    if schema is not None:
        findings = [*findings, *check_semantics(spec, schema)]
    return Validation(spec, tuple(findings))
