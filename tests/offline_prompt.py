"""Hand-made request bodies in ARCHITECTURE.md's rendered prompt layout, for the offline model's tests.

The columns mirror DESIGN.md's core columns (names, types, value domains); the
descriptions and example pairs are written here, not taken from any dataset
or question set.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.prompt.conventions import Conventions, FilterConvention, render_conventions
from workbench.schema.columns import ColumnInfo
from workbench.schema.format import SchemaFormat, format_schema
from workbench.spec.query import query_json_schema

NOW = 1795176000  # 2026-11-20T12:00:00Z
NOW_ISO = "2026-11-20T12:00:00Z"
MIDNIGHT = NOW - NOW % 86400

_ROUTES = ("/api/products", "/api/products/{id}", "/api/search", "/api/recommendations", "/api/cart",
           "/api/cart/items", "/api/checkout", "/api/payments", "/api/orders/{id}", "/api/login",
           "/api/shipping/quote", "/healthz")  # fmt: skip
_SERVICES = ("frontend", "api-gateway", "auth", "cart", "catalog", "checkout", "payment", "recommendation",
             "search", "shipping")  # fmt: skip


def core_columns() -> list[ColumnInfo]:
    c = ColumnInfo
    return [
        c("timestamp", "timestamp", "when the span started (UTC)"),
        c(
            "trace.trace_id",
            "string",
            "id of the trace the span belongs to",
            sample_values=("4bf92f3577b34da6", "00f067aa0ba902b7"),
        ),
        c("trace.span_id", "string", "id of the span", sample_values=("a3ce929d0e0e4736",)),
        c(
            "trace.parent_id",
            "string",
            "id of the parent span; null for root spans",
            sample_values=("53995c3f42cd8ad8",),
        ),
        c("service.name", "string", "the service that emitted the span", values=_SERVICES),
        c(
            "name",
            "string",
            "span name",
            sample_values=("POST /api/checkout", "SELECT orders", "GET /api/products"),
        ),
        c(
            "span.kind",
            "string",
            "OpenTelemetry span kind",
            values=("server", "client", "internal", "producer", "consumer"),
        ),
        c("duration_ms", "float", "span duration in milliseconds"),
        c("http.request.method", "string", "HTTP request method", values=("GET", "POST", "PUT", "DELETE")),
        c("http.route", "string", "matched HTTP route template", values=_ROUTES),
        c(
            "http.response.status_code",
            "integer",
            "HTTP response status code",
            values=(200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504),
        ),
        c("error", "boolean", "true when the span failed"),
        c(
            "exception.type",
            "string",
            "exception class of a failed span",
            sample_values=("TimeoutError", "CardDeclined"),
        ),
        c(
            "exception.message",
            "string",
            "exception message of a failed span",
            sample_values=("upstream timed out",),
        ),
        c("app.platform", "string", "client platform", values=("android", "ios", "web")),
        c("app.version", "string", "client app version", sample_values=("5.1.0", "5.2.0", "5.3.0")),
        c("user.id", "string", "id of the signed-in user", sample_values=("u_10293", "u_55812")),
        c("app.user_tier", "string", "subscription tier of the user", values=("free", "pro", "enterprise")),
        c(
            "cloud.region",
            "string",
            "cloud region serving the request",
            values=("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"),
        ),
        c("k8s.pod.name", "string", "kubernetes pod", sample_values=("checkout-7d9f8-abcde",)),
        c("host.name", "string", "host machine", sample_values=("ip-10-0-3-17",)),
        c("db.system", "string", "database system of a db client span", values=("postgresql", "redis")),
        c(
            "db.operation.name",
            "string",
            "database operation",
            values=("SELECT", "INSERT", "UPDATE", "GET", "SET"),
        ),
        c("app.cart.item_count", "integer", "number of items in the cart"),
        c("app.order.total_usd", "float", "order total in US dollars, on checkout spans"),
        c("app.payment.provider", "string", "payment provider used", values=("stripe", "paypal", "adyen")),
        c("app.cache_hit", "boolean", "whether the response came from cache"),
        c("feature_flag.new_checkout", "boolean", "new checkout flow enabled"),
    ]


def q(question: str, query: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return question, query


#: a small example set written for these tests
EXAMPLES = [
    q("how many errors per service in the last hour",
      {"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": True}],
       "breakdowns": ["service.name"], "time_range": 3600}),
    q("p95 latency of the search service yesterday",
      {"calculations": [{"op": "P95", "column": "duration_ms"}],
       "filters": [{"column": "service.name", "op": "=", "value": "search"}],
       "start_time": MIDNIGHT - 86400, "end_time": MIDNIGHT}),
    q("top 3 regions by request count in the past week",
      {"calculations": [{"op": "COUNT"}], "breakdowns": ["cloud.region"],
       "orders": [{"op": "COUNT", "order": "descending"}], "limit": 3, "time_range": 604800}),
]  # fmt: skip


def examples_block(pairs: list[tuple[str, dict[str, Any]]]) -> str:
    return "\n\n".join(
        f"Q: {question}\nA: {json.dumps(query, separators=(',', ':'))}" for question, query in pairs
    )


INSTRUCTIONS = "You turn questions about an online shop's telemetry into a query over the `events` table."

#: DESIGN.md's question conventions, rendered the way a variant's ``conventions:`` block is
CONVENTIONS = render_conventions(
    Conventions(
        default_time_range=14 * 86400,
        now_time_range=7200,
        duration_column="duration_ms",
        slow_op="P99",
        error_filter=FilterConvention(column="error", op="=", value=True),
        status_column="http.response.status_code",
        user_column="user.id",
        revenue_column="app.order.total_usd",
        revenue_op="SUM",
        root_span_filter=FilterConvention(column="trace.parent_id", op="does-not-exist"),
    )
)


def body(
    question: str,
    *,
    columns: list[ColumnInfo] | None = None,
    examples: list[tuple[str, dict[str, Any]]] | None = None,
    mode: str = "tool",
    fmt: SchemaFormat | None = None,
    drop: tuple[str, ...] = (),
    conventions: str | None = CONVENTIONS,
    **params: Any,
) -> dict[str, Any]:
    """A chat.completions body: system = instructions + clock + conventions + columns + examples; user = question."""
    cols = [c for c in (columns if columns is not None else core_columns()) if c.name not in drop]
    system = f"{INSTRUCTIONS}\n\nTable: events. Current time (now): {NOW_ISO} = epoch {NOW}.\n\n"
    if conventions:
        system += f"## Conventions\n{conventions}\n\n"
    system += f"## Columns\n{format_schema(cols, fmt or SchemaFormat())}\n\n"
    pairs = EXAMPLES if examples is None else examples
    if pairs:
        system += f"## Examples\n{examples_block(pairs)}\n"
    out: dict[str, Any] = {
        "model": "offline",
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": f"## Question\n{question}"},
        ],
        "temperature": 0,
        **params,
    }
    schema = query_json_schema()
    if mode == "tool":
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": "run_query",
                    "description": "Run a query on the events table.",
                    "parameters": schema,
                    "strict": True,
                },
            }
        ]
        out["tool_choice"] = "auto"
    elif mode == "json_schema":
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "query_spec", "schema": schema, "strict": True},
        }
    return out


def spec_of(response: dict[str, Any]) -> dict[str, Any] | None:
    """The query the response carries (tool arguments or JSON content), nulls and empty lists dropped."""
    message = response["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    text = calls[0]["function"]["arguments"] if calls else message.get("content")
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    return _clean(value)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
