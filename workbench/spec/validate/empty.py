"""Explaining an empty result: which filter, window or column most likely emptied it.

Callers run ``explain_empty(spec, schema)`` after a query returned no rows. It
reuses the semantic rules that predict emptiness (window outside the data,
contradictory filters, values outside a domain, columns without data in the
window) and keeps only the findings that explain an empty result.
"""

from __future__ import annotations

from workbench.core.findings import Finding, info, run_rules, validator_failure
from workbench.schema.columns import Schema
from workbench.spec.query import QuerySpec
from workbench.spec.validate.semantics import (
    check_contradictions,
    check_stale_columns,
    check_time_window,
    check_value_domains,
    iso,
    make_context,
)


def explain_empty(spec: QuerySpec, schema: Schema, *, data_start: int | None = None) -> list[Finding]:
    """After an empty result: the findings that most likely explain it, most likely first.

    Looks at the window against the data, filters that cannot all be true, values
    outside a column's domain, and columns without data in the window. When none of
    these applies, one ``info`` finding says that the filters together match nothing.
    """
    ctx = make_context(spec, schema, data_start)
    rules = (check_time_window, check_contradictions, check_value_domains, check_stale_columns)
    found = run_rules(((r.__name__, r) for r in rules), ctx, failure=validator_failure)
    found = [f for f in found if f.code != "time_partially_outside" and _explains(f, spec)]
    if spec.havings:
        found.append(
            info(
                "havings_filter_groups",
                "havings drop every group that fails them; the groups may exist without them",
                "havings",
                "run the query without havings to compare",
            )
        )
    if not any(f.severity != "info" for f in found):
        where = "filters" if spec.filters else ""
        found.append(
            info(
                "empty_result_unexplained",
                f"no single filter explains the empty result: together "
                f"they match no event from {iso(ctx.start)} to {iso(ctx.end)}",
                where,
                "remove the filters one at a time to find the one that empties the result",
            )
        )
    return found


def _explains(finding: Finding, spec: QuerySpec) -> bool:
    """Does this finding explain an empty result? Under OR, one filter's miss does not."""
    if finding.code not in ("value_not_in_domain", "value_case_mismatch", "stale_column"):
        return True
    if finding.code == "stale_column" and "filters[" not in finding.path:
        return False  # a breakdown or calculation on a stale column does not remove events
    if finding.code == "value_not_in_domain" and "no effect" in finding.message:
        return False
    one_of_several_ors = spec.filter_combination == "OR" and len(spec.filters) > 1
    return not (finding.path.startswith("filters[") and one_of_several_ors)
