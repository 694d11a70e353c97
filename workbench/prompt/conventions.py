"""The team's conventions: how everyday query language maps to this dataset (DESIGN.md "Question conventions").

One source of truth for two readers: the prompt renders them for the model as a ``## Conventions``
section, and the critic (``workbench.critic``) checks answers against them. Another team with
other conventions edits the ``conventions:`` block of its variant, not code.

Every field is optional: an unset field means the team states no convention for it, and the
critic then checks nothing that depends on it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Conventions", "FilterConvention", "render_conventions"]

ScalarValue = str | int | float | bool


class FilterConvention(BaseModel):
    """One filter a word stands for, e.g. errors = ``error = true``, traces = ``trace.parent_id does-not-exist``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1)
    op: str = "="
    value: ScalarValue | None = None

    def text(self) -> str:
        if self.value is None:
            return f"{self.column} {self.op}"
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        return f"{self.column} {self.op} {value}"


class Conventions(BaseModel):
    """The team's reading of query language. Unset fields state no convention.

    Args:
        default_time_range: seconds covered when the question names no time (e.g. 1209600).
        now_time_range: seconds covered by "right now", "currently".
        duration_column: the column latency, duration, slow and fast mean.
        slow_op: the statistic "slowest X" means when the question names none (e.g. ``P99``).
        error_filter: the filter errors and failures mean.
        status_column: the HTTP status column 5xx / 4xx / "status 404" refer to.
        user_column: the column users means ("how many users" = COUNT_DISTINCT of it).
        revenue_column: the column revenue, sales and order value mean.
        revenue_op: the statistic revenue means when none is named (e.g. ``SUM``).
        root_span_filter: the filter that keeps root spans ("traces").
        day_boundary: calendar days ("yesterday", "on nov 18") are whole days in this time zone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_time_range: int | None = Field(default=None, ge=1)
    now_time_range: int | None = Field(default=None, ge=1)
    duration_column: str | None = None
    slow_op: str | None = None
    error_filter: FilterConvention | None = None
    status_column: str | None = None
    user_column: str | None = None
    revenue_column: str | None = None
    revenue_op: str | None = None
    root_span_filter: FilterConvention | None = None
    day_boundary: Literal["UTC"] = "UTC"

    @property
    def empty(self) -> bool:
        return self == Conventions()


def render_conventions(conv: Conventions | None) -> str:
    """The conventions as short statements for the prompt (``term: column`` lines a model follows)."""
    if conv is None or conv.empty:
        return ""
    lines: list[str] = []
    time = []
    if conv.default_time_range is not None:
        time.append(f"no time mentioned: time_range {conv.default_time_range} (the whole dataset window)")
    if conv.now_time_range is not None:
        time.append(f'"right now", "currently": time_range {conv.now_time_range}')
    if time:
        lines.append("Time: " + "; ".join(time) + ". Calendar days are UTC days.")
    if conv.duration_column:
        line = f"Latency, duration, slow, fast: {conv.duration_column}."
        if conv.slow_op:
            line += (
                f' "slowest X" with no statistic: {conv.slow_op} of {conv.duration_column} broken down by X,'
                f" ordered by {conv.slow_op} descending."
            )
        lines.append(line)
    if conv.error_filter:
        lines.append(f"Errors, failures, failed: filter {conv.error_filter.text()}.")
    if conv.status_column:
        col = conv.status_column
        lines.append(f"5xx: {col} >= 500. 4xx: {col} >= 400 and < 500 (two filters).")
    if conv.user_column:
        lines.append(f'Users: {conv.user_column} ("how many users" = COUNT_DISTINCT of {conv.user_column}).')
    if conv.revenue_column:
        op = f" (revenue = {conv.revenue_op})" if conv.revenue_op else ""
        lines.append(f"Revenue, sales, order value: {conv.revenue_column}{op}.")
    if conv.root_span_filter:
        lines.append(f"Traces: root spans, filter {conv.root_span_filter.text()}.")
    return "\n".join(f"- {line}" for line in lines)
