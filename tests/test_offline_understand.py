"""The offline model reads everyday telemetry questions into the expected query specs.

Each row is one general question (written here, not taken from a question set)
and the full spec the model should answer at temperature 0 with the test
prompt of ``offline_prompt.py`` (DESIGN.md core columns, three examples).
"""

from __future__ import annotations

import pytest
from offline_prompt import MIDNIGHT, NOW, body, spec_of

from workbench.offline import complete

DAY = 86400
WINDOW = {"time_range": 14 * DAY}
YESTERDAY = {"start_time": MIDNIGHT - DAY, "end_time": MIDNIGHT}
TODAY = {"start_time": MIDNIGHT, "end_time": MIDNIGHT + DAY}
MONDAY = MIDNIGHT - 4 * DAY  # 2026-11-20 is a Friday
P99 = {"op": "P99", "column": "duration_ms"}
P99_DESC = {"op": "P99", "column": "duration_ms", "order": "descending"}
COUNT = {"op": "COUNT"}
ERRORS = {"column": "error", "op": "=", "value": True}
ROUTE = "http.route"

CASES = [
    ("slow endpoints for android users yesterday",
     {"calculations": [P99], "filters": [{"column": "app.platform", "op": "=", "value": "android"}],
      "breakdowns": [ROUTE], "orders": [P99_DESC], **YESTERDAY}),
    ("error rate by region last 6 hours",
     {"calculations": [COUNT], "breakdowns": ["cloud.region", "error"], "time_range": 6 * 3600}),
    ("top 5 users by order value this week",
     {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}], "breakdowns": ["user.id"],
      "orders": [{"op": "SUM", "column": "app.order.total_usd", "order": "descending"}], "limit": 5,
      "start_time": MONDAY, "end_time": NOW}),
    ("p95 latency of /api/checkout per hour",
     {"calculations": [{"op": "P95", "column": "duration_ms"}],
      "filters": [{"column": ROUTE, "op": "=", "value": "/api/checkout"}], **WINDOW, "granularity": 3600}),
    ("how many 5xx on payment yesterday",
     {"calculations": [COUNT], "filters": [{"column": "http.response.status_code", "op": ">=", "value": 500},
                                           {"column": "service.name", "op": "=", "value": "payment"}], **YESTERDAY}),
    ("p99 latency by service", {"calculations": [P99], "breakdowns": ["service.name"], **WINDOW}),
    ("average order value by platform today",
     {"calculations": [{"op": "AVG", "column": "app.order.total_usd"}], "breakdowns": ["app.platform"], **TODAY}),
    ("how many users in the last 3 days", {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}], "time_range": 3 * DAY}),
    ("how many ios users yesterday",
     {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}],
      "filters": [{"column": "app.platform", "op": "=", "value": "ios"}], **YESTERDAY}),
    ("top 10 slowest routes in the last 24 hours",
     {"calculations": [P99], "breakdowns": [ROUTE], "orders": [P99_DESC], "limit": 10, "time_range": DAY}),
    ("which service has the most errors",
     {"calculations": [COUNT], "filters": [ERRORS], "breakdowns": ["service.name"],
      "orders": [{"op": "COUNT", "order": "descending"}], **WINDOW}),
    ("services with more than 1000 errors",
     {"calculations": [COUNT], "filters": [ERRORS], "breakdowns": ["service.name"],
      "havings": [{"calculate_op": "COUNT", "op": ">", "value": 1000}], **WINDOW}),
    ("requests slower than 2 seconds on checkout",
     {"calculations": [COUNT], "filters": [{"column": "duration_ms", "op": ">", "value": 2000},
                                           {"column": "service.name", "op": "=", "value": "checkout"}], **WINDOW}),
    ("spans with more than 5 items in the cart",
     {"calculations": [COUNT], "filters": [{"column": "app.cart.item_count", "op": ">", "value": 5}], **WINDOW}),
    ("orders over $100 last week",
     {"calculations": [COUNT], "filters": [{"column": "app.order.total_usd", "op": ">", "value": 100}], "time_range": 7 * DAY}),
    ("error count excluding healthz",
     {"calculations": [COUNT], "filters": [{"column": ROUTE, "op": "!=", "value": "/healthz"}, ERRORS], **WINDOW}),
    ("p99 latency for android or ios",
     {"calculations": [P99], "filters": [{"column": "app.platform", "op": "in", "value": ["android", "ios"]}], **WINDOW}),
    ("requests not from android",
     {"calculations": [COUNT], "filters": [{"column": "app.platform", "op": "!=", "value": "android"}], **WINDOW}),
    ("spans with a payment provider",
     {"calculations": [COUNT], "filters": [{"column": "app.payment.provider", "op": "exists"}], **WINDOW}),
    ("spans without a db system",
     {"calculations": [COUNT], "filters": [{"column": "db.system", "op": "does-not-exist"}], **WINDOW}),
    ("p50 and p99 latency per route",
     {"calculations": [{"op": "P50", "column": "duration_ms"}, P99], "breakdowns": [ROUTE], **WINDOW}),
    ("daily revenue", {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}], **WINDOW, "granularity": DAY}),
    ("4xx by route in the last hour",
     {"calculations": [COUNT], "filters": [{"column": "http.response.status_code", "op": ">=", "value": 400},
                                           {"column": "http.response.status_code", "op": "<", "value": 500}],
      "breakdowns": [ROUTE], "time_range": 3600}),
    ("404s yesterday", {"calculations": [COUNT], "filters": [{"column": "http.response.status_code", "op": "=", "value": 404}], **YESTERDAY}),
    ("median duration of redis calls",
     {"calculations": [{"op": "P50", "column": "duration_ms"}], "filters": [{"column": "db.system", "op": "=", "value": "redis"}], **WINDOW}),
    ("p95 latency with the new checkout vs without",
     {"calculations": [{"op": "P95", "column": "duration_ms"}], "breakdowns": ["feature_flag.new_checkout"], **WINDOW}),
    ("cache misses per service",
     {"calculations": [COUNT], "filters": [{"column": "app.cache_hit", "op": "=", "value": False}], "breakdowns": ["service.name"], **WINDOW}),
    ("how many traces per hour today",
     {"calculations": [COUNT], "filters": [{"column": "trace.parent_id", "op": "does-not-exist"}], **TODAY, "granularity": 3600}),
    ("latency on nov 18", {"calculations": [P99], "start_time": MIDNIGHT - 2 * DAY, "end_time": MIDNIGHT - DAY}),
    ("errors since monday", {"calculations": [COUNT], "filters": [ERRORS], "start_time": MONDAY, "end_time": NOW}),
    ("what is the error rate right now", {"calculations": [COUNT], "breakdowns": ["error"], "time_range": 7200}),
    ("busiest pods in the past 30 minutes",
     {"calculations": [COUNT], "breakdowns": ["k8s.pod.name"], "orders": [{"op": "COUNT", "order": "descending"}], "time_range": 1800}),
    ("routes where p99 is over 2 seconds",
     {"calculations": [P99], "breakdowns": [ROUTE], "havings": [{"calculate_op": "P99", "column": "duration_ms", "op": ">", "value": 2000}], **WINDOW}),
    ("total revenue from paypal in the past week",
     {"calculations": [{"op": "SUM", "column": "app.order.total_usd"}],
      "filters": [{"column": "app.payment.provider", "op": "=", "value": "paypal"}], "time_range": 7 * DAY}),
    ("errors for the payment service in eu-west-1 by version",
     {"calculations": [COUNT], "filters": [{"column": "service.name", "op": "=", "value": "payment"},
                                           {"column": "cloud.region", "op": "=", "value": "eu-west-1"}, ERRORS],
      "breakdowns": ["app.version"], **WINDOW}),
    ("p99 latency of POST requests to /api/checkout from nov 10 to nov 12",
     {"calculations": [P99], "filters": [{"column": "http.request.method", "op": "=", "value": "POST"},
                                         {"column": ROUTE, "op": "=", "value": "/api/checkout"}],
      "start_time": MIDNIGHT - 10 * DAY, "end_time": MIDNIGHT - 7 * DAY}),
    ("number of unique users per tier over time",
     {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}], "breakdowns": ["app.user_tier"], **WINDOW, "granularity": 3600}),
    ("most common exception types among errors",
     {"calculations": [COUNT], "filters": [ERRORS], "breakdowns": ["exception.type"],
      "orders": [{"op": "COUNT", "order": "descending"}], **WINDOW}),
    ("max latency of the search service between 2pm and 4pm yesterday",
     {"calculations": [{"op": "MAX", "column": "duration_ms"}], "filters": [{"column": "service.name", "op": "=", "value": "search"}],
      "start_time": MIDNIGHT - DAY + 14 * 3600, "end_time": MIDNIGHT - DAY + 16 * 3600}),
    ("count of spans by kind and status code",
     {"calculations": [COUNT], "breakdowns": ["span.kind", "http.response.status_code"], **WINDOW}),
]  # fmt: skip


@pytest.mark.parametrize(("question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_question_reads_as_expected(question: str, expected: dict) -> None:
    response = complete(body(question))
    assert response["choices"][0]["finish_reason"] == "tool_calls", response["choices"][0]["message"]
    assert spec_of(response) == expected


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("p99 latency by browser", "browser"),
        ("error count per datacenter rack", "rack"),
        ("average latency per tenant", "tenant"),
    ],
)
def test_unknown_column_term_is_kept_as_the_users_word(question: str, term: str) -> None:
    """A breakdown on information no listed column holds keeps the user's word (validation then names it)."""
    spec = spec_of(complete(body(question)))
    assert spec is not None and term in " ".join(spec.get("breakdowns", []))
    assert all(
        b == term or b.startswith(term) or term in b
        for b in spec["breakdowns"]
        if b not in {c["column"] for c in spec.get("filters", [])}
    )
