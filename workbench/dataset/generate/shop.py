"""The simulated online shop behind the generated telemetry: contract columns, incidents, faults.

Plain data shared by the SQL builders (``sql``, ``spans``) and described in
``build``'s docstring; times are seconds before the dataset's ``now``.
"""

from __future__ import annotations

from workbench.dataset.generate.traces import ENDPOINTS

WINDOW_SECONDS = 14 * 86400
HEALTHZ_SHARE = next(e.weight for e in ENDPOINTS if e.route == "/healthz") / sum(e.weight for e in ENDPOINTS)
#: endpoint weight multipliers for eu-west-1 traffic during the flash sale (incident 2).
SALE_BOOST = {("POST", "/api/checkout"): 8.0, ("POST", "/api/payments"): 8.0, ("POST", "/api/cart/items"): 2.0,
              ("GET", "/api/cart"): 2.0}  # fmt: skip

DAY, HOUR, MINUTE = 86400, 3600, 60
#: incident times as seconds before ``now`` (see the module docstring).
INCIDENTS = {
    "release_53_android": 3 * DAY + 3 * HOUR,  # 2026-11-17 09:00
    "release_53_ios": 2 * DAY + 3 * HOUR,  # 2026-11-18 09:00
    "release_53_web": 3 * DAY + 3 * HOUR,  # 2026-11-17 09:00
    "payment_burst_start": 1 * DAY + 22 * HOUR,  # 2026-11-18 14:00
    "payment_burst_end": 1 * DAY + 19 * HOUR,  # 2026-11-18 17:00
    "slow_orders_start": 2 * DAY + 4 * HOUR,  # 2026-11-18 08:00
    "slow_orders_end": 2 * DAY + 1 * HOUR,  # 2026-11-18 11:00
    "cart_release_start": 4 * DAY + 2 * HOUR + 30 * MINUTE,  # 2026-11-16 09:30
    "cart_release_end": 3 * DAY + 23 * HOUR + 30 * MINUTE,  # 2026-11-16 12:30
}

#: fault kinds: name, role of the failing span, its status, status of its ancestors,
#: exception type and message on the failing span, then on its ancestors.
FAULTS: tuple[tuple[str, str, int | None, int, str, str, str, str], ...] = (
    ("none", "", None, 0, "", "", "", ""),
    ("token_expired", "auth", None, 401, "TokenExpiredError", "access token expired",
     "UnauthorizedError", "authentication failed: access token expired"),
    ("invalid_credentials", "main", 401, 401, "InvalidCredentialsError", "invalid email or password",
     "UnauthorizedError", "login failed: invalid credentials"),
    ("product_not_found", "main", 404, 404, "ProductNotFoundError", "product does not exist",
     "NotFoundError", "upstream catalog returned 404"),
    ("order_not_found", "main", 404, 404, "OrderNotFoundError", "order does not exist",
     "NotFoundError", "upstream checkout returned 404"),
    ("order_forbidden", "main", 403, 403, "ForbiddenError", "order belongs to another user",
     "ForbiddenError", "upstream checkout returned 403"),
    ("out_of_stock", "main", 409, 409, "OutOfStockError", "requested quantity is not available",
     "ConflictError", "upstream cart returned 409"),
    ("inventory_conflict", "main", 409, 409, "InventoryConflictError", "inventory changed during checkout",
     "ConflictError", "upstream checkout returned 409"),
    ("checkout_validation", "main", 400, 400, "ValidationError", "shipping address is incomplete",
     "BadRequestError", "upstream checkout returned 400"),
    ("bad_query", "main", 400, 400, "QueryParseError", "unbalanced quotes in search query",
     "BadRequestError", "upstream search returned 400"),
    ("rate_limited", "gw", 429, 429, "RateLimitExceededError", "rate limit of 100 requests per minute exceeded",
     "RateLimitExceededError", "gateway rate limit exceeded"),
    ("internal", "main", 500, 502, "InternalServerError", "unexpected error while handling the request",
     "UpstreamServiceError", "upstream service returned 500"),
    ("gw_unavailable", "gw", 503, 503, "ServiceUnavailableError", "no healthy upstream",
     "UpstreamServiceError", "gateway returned 503"),
    ("provider_error", "provider", 502, 502, "PaymentProviderError", "payment provider returned 502 Bad Gateway",
     "UpstreamServiceError", "payment failed: provider error"),
    ("provider_timeout", "provider", 504, 502, "TimeoutError", "payment provider did not respond within 10000 ms",
     "UpstreamServiceError", "payment failed: provider timeout"),
    ("cart_npe", "main", 500, 502, "java.lang.NullPointerException",
     'Cannot invoke "CartItem.getSku()" because "item" is null',
     "UpstreamServiceError", "upstream cart returned 500"),
    ("orders_db_timeout", "db_orders", None, 500, "QueryCanceledError",
     "canceling statement due to statement timeout", "InternalServerError", "database query timed out"),
    ("gw_timeout", "gw", 504, 504, "GatewayTimeoutError", "upstream request timeout",
     "UpstreamServiceError", "gateway timed out"),
    ("carrier_error", "carrier", 502, 502, "CarrierAPIError", "carrier quote API returned 502 Bad Gateway",
     "UpstreamServiceError", "shipping quote failed: carrier error"),
)  # fmt: skip
FAULT_ID = {f[0]: i for i, f in enumerate(FAULTS)}

CORE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("timestamp", "TIMESTAMP", "Start time of the span, UTC."),
    ("trace.trace_id", "VARCHAR", "Hex id shared by every span of one trace (one request)."),
    ("trace.span_id", "VARCHAR", "Hex id of this span."),
    ("trace.parent_id", "VARCHAR", "Span id of the parent span; NULL on root spans."),
    ("service.name", "VARCHAR", "Name of the service that emitted the span."),
    ("name", "VARCHAR", "Span name, e.g. 'GET /api/products' for HTTP handlers or 'SELECT orders' for queries."),
    ("span.kind", "VARCHAR", "Role of the span in the request: server, client, internal, producer or consumer."),
    ("duration_ms", "DOUBLE", "How long the span took, in milliseconds."),
    ("http.request.method", "VARCHAR", "HTTP request method; NULL on spans that are not HTTP."),
    ("http.route", "VARCHAR", "Matched route template of the HTTP handler, e.g. /api/products/{id}."),
    ("http.response.status_code", "INTEGER", "HTTP response status code of the span."),
    ("error", "BOOLEAN", "True when the span failed (4xx/5xx responses, exceptions)."),
    ("exception.type", "VARCHAR", "Class of the exception on a failed span; NULL unless error."),
    ("exception.message", "VARCHAR", "Message of the exception on a failed span; NULL unless error."),
    ("app.platform", "VARCHAR", "Client platform of the user who made the request: android, ios or web."),
    ("app.version", "VARCHAR", "Version of the client app that made the request."),
    ("user.id", "VARCHAR", "Id of the signed-in user who made the request."),
    ("app.user_tier", "VARCHAR", "Subscription tier of the user: free, pro or enterprise."),
    ("cloud.region", "VARCHAR", "Cloud region that served the request."),
    ("k8s.pod.name", "VARCHAR", "Kubernetes pod that emitted the span."),
    ("host.name", "VARCHAR", "Host (Kubernetes node) the pod runs on."),
    ("db.system", "VARCHAR", "Database on database client spans: postgresql or redis."),
    ("db.operation.name", "VARCHAR", "Database operation on database client spans, e.g. SELECT or GET."),
    ("app.cart.item_count", "INTEGER", "Number of items in the user's cart."),
    ("app.order.total_usd", "DOUBLE", "Order value in US dollars, on the checkout service's checkout span."),
    ("app.payment.provider", "VARCHAR", "Payment provider charged for the order: stripe, paypal or adyen."),
    ("app.cache_hit", "BOOLEAN", "Whether the lookup was served from the redis cache."),
    ("feature_flag.new_checkout", "BOOLEAN", "Whether the new checkout flow is enabled for the user."),
)  # fmt: skip

LANGS = ("node", "go", "java", "python")
#: language of each service (index into LANGS), in SERVICES order.
SERVICE_LANG = (0, 1, 1, 2, 1, 2, 2, 3, 2, 0)
PODS_PER_SERVICE = (4, 4, 3, 3, 6, 3, 3, 4, 4, 2)
NODES_PER_REGION = 8
