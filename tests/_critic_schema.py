"""A small hand-made schema for the critic's table tests (its own questions, not the shipped set)."""

from __future__ import annotations

from datetime import UTC, datetime

from workbench.prompt.conventions import Conventions, FilterConvention
from workbench.schema.columns import ColumnInfo, Schema

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOW_EPOCH = int(NOW.timestamp())
MIDNIGHT = NOW_EPOCH - NOW_EPOCH % 86400


def col(name: str, type_: str, distinct: int = 1000, values=None, desc: str = "") -> ColumnInfo:
    return ColumnInfo(name, type_, description=desc, last_written=NOW, distinct_count=distinct,
                      values=values, sample_values=tuple(values or ())[:3])  # fmt: skip


SCHEMA = Schema(
    columns=(
        col("duration_ms", "float", 50_000, desc="How long the span took, in milliseconds."),
        col(
            "service.name",
            "string",
            4,
            ("billing", "inventory", "gateway", "mailer"),
            "Service that emitted it.",
        ),
        col("app.platform", "string", 3, ("android", "ios", "web"), "Client platform."),
        col("http.route", "string", 3, ("/v1/pay", "/v1/items", "/v1/login"), "Matched route template."),
        col("http.response.status_code", "integer", 5, (200, 201, 404, 500, 503), "HTTP status code."),
        col("error", "boolean", 2, (False, True), "True when the span failed."),
        col("user.id", "string", 90_000, None, "Id of the user."),
        col("app.plan", "string", 2, ("basic", "premium"), "Subscription plan of the user."),
        col("trace.parent_id", "string", 90_000, None, "Parent span id; NULL on root spans."),
        col("app.retry_budget", "integer", 1, (3,), "Configured retry budget."),
        col("app.invoice.amount_usd", "float", 900, None, "Invoice amount in US dollars."),
        col("feature_flag.one_click", "boolean", 2, (False, True), "Whether one-click payment was on."),
    ),
    now=NOW,
)
CONVENTIONS = Conventions(
    default_time_range=604800,
    now_time_range=3600,
    duration_column="duration_ms",
    slow_op="P90",
    error_filter=FilterConvention(column="error", op="=", value=True),
    status_column="http.response.status_code",
    user_column="user.id",
    revenue_column="app.invoice.amount_usd",
    revenue_op="SUM",
    root_span_filter=FilterConvention(column="trace.parent_id", op="does-not-exist"),
)
