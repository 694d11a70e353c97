"""The span trees the telemetry generator draws traces from.

Each *endpoint* (HTTP method + route of the online shop) has a handful of
*shapes*: the same request seen from a web browser (an extra ``frontend`` root
span) or a mobile app, with a cache hit or miss, and with the request stopped
at the auth check (HTTP 401). A shape is a small tree of span templates; the
generator picks one shape per trace and emits its spans in depth-first order,
so a span's subtree is the contiguous run of spans after it (``size`` spans),
which lets SQL compute start offsets and durations with list slices.

Everything here is plain Python data; ``sql`` and ``spans`` turn it into tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SERVICES: tuple[str, ...] = (
    "frontend", "api-gateway", "auth", "cart", "catalog",
    "checkout", "payment", "recommendation", "search", "shipping",
)  # fmt: skip
REGIONS: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")
#: span roles a fault can be attached to (index = role id; 0 = no role).
ROLES: tuple[str, ...] = (
    "", "fe", "gw", "auth", "main", "cache", "db", "db_orders", "catalog", "cart",
    "payment", "provider", "carrier", "producer", "consumer", "internal", "shipping",
)  # fmt: skip
#: incident classes of a span's own time (see build's docstring).
CLS_NONE, CLS_ANDROID_REGRESSION, CLS_ORDERS_DB = 0, 1, 2


@dataclass
class Span:
    """One span template: who emits it, what it is called and how long its own work takes."""

    service: str
    kind: str
    name: str
    role: str
    med: float  # median of the span's own time, ms (log-normal)
    sig: float = 0.5  # log-normal sigma
    cls: int = CLS_NONE
    method: str | None = None
    route: str | None = None
    ok: int | None = None  # status code of a healthy HTTP span
    db_system: str | None = None
    db_op: str | None = None
    db_table: str | None = None
    rpc: str | None = None  # "package.Service/Method" for gRPC spans
    messaging: str | None = None  # destination (topic) for producer/consumer spans
    cache: bool = False  # carries app.cache_hit
    children: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str
    service: str
    weight: float
    ok: int = 200


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/products", "catalog", 18),
    Endpoint("GET", "/api/products/{id}", "catalog", 22),
    Endpoint("GET", "/api/search", "search", 12),
    Endpoint("GET", "/api/recommendations", "recommendation", 10),
    Endpoint("GET", "/api/cart", "cart", 8),
    Endpoint("POST", "/api/cart/items", "cart", 6, ok=201),
    Endpoint("DELETE", "/api/cart/items", "cart", 1.5, ok=204),
    Endpoint("PUT", "/api/cart/items", "cart", 1),
    Endpoint("POST", "/api/checkout", "checkout", 2.6, ok=201),
    Endpoint("POST", "/api/payments", "payment", 0.8),
    Endpoint("GET", "/api/orders/{id}", "checkout", 3),
    Endpoint("POST", "/api/login", "auth", 4),
    Endpoint("GET", "/api/shipping/quote", "shipping", 3),
    Endpoint("GET", "/healthz", "", 7),
)
ENDPOINT_INDEX = {(e.method, e.route): i for i, e in enumerate(ENDPOINTS)}
CACHED_ROUTES = ("/api/products", "/api/products/{id}", "/api/recommendations")


def _pg(op: str, table: str, med: float, cls: int = CLS_NONE, role: str = "db", service: str = "") -> Span:
    return Span(service, "client", f"{op} {table}", role, med, 0.6, cls, db_system="postgresql",
                db_op=op, db_table=table)  # fmt: skip


def _redis(op: str, med: float = 0.6, cache: bool = False, role: str = "cache", service: str = "") -> Span:
    return Span(service, "client", op, role, med, 0.45, db_system="redis", db_op=op, cache=cache)


def _grpc(service: str, rpc: str, role: str, med: float, children: list[Span]) -> Span:
    return Span(service, "server", rpc, role, med, 0.5, rpc=rpc, children=children)


def _internal(name: str, med: float, sig: float = 0.5, cls: int = CLS_NONE) -> Span:
    return Span("", "internal", name, "internal", med, sig, cls)


def _main_children(ep: Endpoint, miss: bool) -> list[Span]:
    r, m = ep.route, ep.method
    reg = CLS_ANDROID_REGRESSION
    if r == "/api/products":
        if not miss:
            return [_redis("GET", cache=True)]
        return [_redis("GET", cache=True), _pg("SELECT", "products", 9), _redis("SET")]
    if r == "/api/products/{id}":
        if not miss:
            return [_redis("GET", cache=True)]
        return [_redis("GET", cache=True), _pg("SELECT", "products", 5, reg), _pg("SELECT", "inventory", 3),
                _redis("SET")]  # fmt: skip
    if r == "/api/search":
        return [
            _internal("search.parse_query", 0.8),
            _internal("search.rank", 22, 0.55, reg),
            _grpc(
                "catalog", "catalog.CatalogService/GetProducts", "catalog", 3, [_pg("SELECT", "products", 7)]
            ),
        ]
    if r == "/api/recommendations":
        if not miss:
            return [_redis("GET", cache=True)]
        return [
            _redis("GET", cache=True),
            _internal("model.predict", 30, 0.5, reg),
            _grpc(
                "catalog", "catalog.CatalogService/GetProducts", "catalog", 3, [_pg("SELECT", "products", 7)]
            ),
            _redis("SET"),
        ]
    if r == "/api/cart":
        return [
            _redis("GET", 0.7),
            _grpc("catalog", "catalog.CatalogService/GetProducts", "catalog", 2, [_redis("GET", 0.5)]),
        ]
    if r == "/api/cart/items":
        if m == "POST":
            return [
                _redis("GET", 0.7),
                _grpc("catalog", "catalog.CatalogService/GetProduct", "catalog", 2,
                      [_pg("SELECT", "products", 4), _pg("SELECT", "inventory", 3)]),
                _redis("SET", 0.8),
            ]  # fmt: skip
        return [_redis("GET", 0.7), _redis("SET", 0.8)]
    if r == "/api/checkout":
        payment = Span("payment", "server", "POST /api/payments", "payment", 6, 0.5, method="POST",
                       route="/api/payments", ok=200, children=_payment_children())  # fmt: skip
        return [
            _grpc("cart", "cart.CartService/GetCart", "cart", 2, [_redis("GET", 0.7)]),
            _pg("SELECT", "inventory", 4),
            _pg("UPDATE", "inventory", 6),
            _pg("INSERT", "orders", 7),
            payment,
            Span("", "producer", "orders publish", "producer", 3, 0.5, messaging="orders",
                 children=[Span("shipping", "consumer", "orders process", "consumer", 12, 0.6,
                                messaging="orders", children=[_pg("INSERT", "shipments", 5)])]),
        ]  # fmt: skip
    if r == "/api/payments":
        return _payment_children()
    if r == "/api/orders/{id}":
        return [
            _pg("SELECT", "orders", 5, CLS_ORDERS_DB, "db_orders"),
            _grpc("shipping", "shipping.ShippingService/GetTracking", "shipping", 2,
                  [_pg("SELECT", "shipments", 3)]),
        ]  # fmt: skip
    if r == "/api/login":
        return [_pg("SELECT", "users", 4), _internal("bcrypt.verify", 55, 0.25), _redis("SET", 0.8)]
    if r == "/api/shipping/quote":
        carrier = Span("", "client", "POST", "carrier", 140, 0.6, method="POST", ok=200)
        return [_pg("SELECT", "shipping_rates", 4), carrier, _redis("SET", 0.7)]
    raise ValueError(f"no shape for {m} {r}")


def _payment_children() -> list[Span]:
    provider = Span("", "client", "POST", "provider", 190, 0.45, method="POST", ok=200)
    return [_pg("SELECT", "orders", 4, CLS_ORDERS_DB, "db_orders"), provider, _pg("UPDATE", "orders", 5)]


def build_shape(ep: Endpoint, *, web: bool, miss: bool, authfail: bool, health_service: str = "") -> Span:
    """The span tree of one request to ``ep``."""
    if ep.route == "/healthz":
        return Span(health_service, "server", "GET /healthz", "main", 0.4, 0.4, method="GET",
                    route="/healthz", ok=200)  # fmt: skip
    name = f"{ep.method} {ep.route}"
    http = {"method": ep.method, "route": ep.route, "ok": ep.ok}
    gw_children: list[Span] = []
    if ep.route != "/api/login":
        gw_children.append(_grpc("auth", "auth.AuthService/VerifyToken", "auth", 1.5, [_redis("GET", 0.5)]))
    if not authfail:
        main_cls = CLS_ANDROID_REGRESSION if ep.route == "/api/products/{id}" else CLS_NONE
        main = Span(ep.service, "server", name, "main", 3, 0.5, main_cls, **http,
                    cache=ep.route in CACHED_ROUTES, children=_main_children(ep, miss))  # fmt: skip
        gw_children.append(main)
    root = Span("api-gateway", "server", name, "gw", 1.5, 0.4, **http, children=gw_children)
    if web:
        root = Span("frontend", "server", name, "fe", 4, 0.6, **http, children=[root])
    _inherit_service(root, root.service)
    return root


def _inherit_service(span: Span, parent_service: str) -> None:
    """Client/internal/producer spans belong to the service of the server span above them."""
    if not span.service:
        span.service = parent_service
    for child in span.children:
        _inherit_service(child, span.service)


def flatten(root: Span) -> list[dict]:
    """Depth-first rows: idx, parent idx, subtree size and the roles in the subtree."""
    rows: list[dict] = []

    def walk(span: Span, parent: int | None) -> list[str]:
        idx = len(rows)
        row = {"idx": idx, "pidx": parent, "span": span}
        rows.append(row)
        roles = [span.role]
        for child in span.children:
            roles += walk(child, idx)
        row["size"] = len(rows) - idx
        row["roles"] = sorted({ROLES.index(r) for r in roles})
        return roles

    walk(root, None)
    return rows


def all_shapes() -> list[dict]:
    """Every shape with its id, endpoint and flags; ``spans`` are the flattened rows."""
    shapes = []
    for ei, ep in enumerate(ENDPOINTS):
        if ep.route == "/healthz":
            for si, svc in enumerate(SERVICES):
                root = build_shape(ep, web=False, miss=False, authfail=False, health_service=svc)
                shapes.append({"ep": ei, "web": False, "miss": False, "authfail": False, "hsvc": si,
                               "spans": flatten(root)})  # fmt: skip
            continue
        for web in (False, True):
            for miss in (False, True):
                for authfail in (False, True):
                    if authfail and (miss or ep.route == "/api/login"):
                        continue
                    root = build_shape(ep, web=web, miss=miss, authfail=authfail)
                    shapes.append({"ep": ei, "web": web, "miss": miss, "authfail": authfail, "hsvc": -1,
                                   "spans": flatten(root)})  # fmt: skip
    for sid, shape in enumerate(shapes):
        shape["id"] = sid
    return shapes
