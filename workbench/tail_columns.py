"""The long tail of the telemetry schema: ~400 mostly sparse OpenTelemetry-style columns.

Real tracing datasets are wide: resource attributes on every span, request
headers on edge spans, custom ``app.*`` fields on a few span types, experiment
and feature flags per user, and old attribute names that stopped being written
after an SDK upgrade. Each column here is a :class:`TailColumn`: a *gate* (an
SQL condition over the generator's base fields saying on which spans it can
appear), a *density* (share of gated spans that carry it), a value expression
and a one-sentence description. Deprecated columns carry ``until``: the
generator never writes them after that moment (all more than 7 days before
``now``), so Honeycomb's "written in the last 7 days" rule drops them.

Value expressions may use ``{h}`` (a hash of ``key`` for this column), ``{u}``
(a uniform in [0, 1)) and ``{z}`` (a standard normal). Gated-out spans are
NULL without evaluating the value, so sparse columns cost almost nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .trace_shapes import CACHED_ROUTES, ENDPOINT_INDEX, REGIONS, ROLES, SERVICES

S, I, F, B = "VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"  # noqa: E741
DAY = 86400
#: base fields that are functions of the pod, and of the user (see ``TailColumn.level``).
POD_FIELDS = frozenset({"_pod", "_svc", "_lang", "_reg", "_node", "_host", "_pod_name", "_bad_cart"})
USER_FIELDS = frozenset({"_uidx", "_plat", "_mobile", "_reg", "_tier"})


@dataclass(frozen=True)
class TailColumn:
    name: str
    type: str
    gate: str
    expr: str
    description: str
    key: str = "_rid"
    density: float = 1.0
    until: int | None = None  # seconds before now after which the column is never written

    @property
    def level(self) -> str:
        """Where the value is computed: once per ``pod``, once per ``user``, or per span (``row``).

        Values that depend only on the pod (resource attributes) or only on the user (experiment
        arms, devices) are computed in small dimension tables and joined, which is much cheaper
        than evaluating them for every span; the gate still decides per span.
        """
        fields = set(re.findall(r"\b_[a-z][a-z_]*\b", self.expr))
        hashed = any(tok in self.expr for tok in ("{h}", "{u}", "{z}"))
        if fields and fields <= POD_FIELDS and (not hashed or self.key == "_pod"):
            return "pod"
        if self.key == "_uidx" and fields <= USER_FIELDS:
            return "user"
        return "row"


def _q(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def pick(*values: object) -> str:
    """Uniform choice (repeat a value to weight it)."""
    return f"([{', '.join(_q(v) for v in values)}])[1 + ({{h}} % {len(values)})::BIGINT]"


def irange(lo: int, hi: int) -> str:
    return f"({lo} + ({{h}} % {hi - lo + 1}))"


def frange(lo: float, hi: float, nd: int = 2) -> str:
    return f"round({lo} + {{u}} * {hi - lo}, {nd})"


def lognorm(median: float, sigma: float, nd: int = 2) -> str:
    return f"round({median} * exp({sigma} * {{z}}), {nd})"


def chance(p: float) -> str:
    return f"({{h}} % 10000 < {int(p * 10000)})"


def hexid(n: int) -> str:
    if n <= 16:
        return f"printf('%0{n}x', {{h}} >> {64 - 4 * n})"
    return f"substr(md5({{h}}::VARCHAR), 1, {n})"


def uuid() -> str:
    return "regexp_replace(md5({h}::VARCHAR), '^(.{8})(.{4}).(.{3}).(.{3})(.{12})$', '\\1-\\2-4\\3-a\\4-\\5')"


def by(field: str, values: list | tuple, cast: str = "") -> str:
    """Look a value up by a 0-based integer field (e.g. service or region index)."""
    body = f"[{', '.join(_q(v) for v in values)}]"
    return f"({body}{'::' + cast + '[]' if cast else ''})[{field} + 1]"


EP = ENDPOINT_INDEX
MAIN = ROLES.index("main")


def ep_main(method: str, route: str) -> str:
    return f"(_ep = {EP[(method, route)]} AND _role = {MAIN})"


SVC = {s: i for i, s in enumerate(SERVICES)}
LANG_NAMES = ("nodejs", "go", "java", "cpython")

# Gates over the generator's base fields.
ALL = "TRUE"
ROOT_HTTP = "_root AND _http"
SRV_HTTP = "_srv_http"
HTTP = "_http"
CLIENT_HTTP = "_http AND _kind = 'client'"
SERVER = "_kind = 'server'"
GRPC = "_grpc"
DB = "_dbs IS NOT NULL"
PG = "_dbs = 'postgresql'"
REDIS = "_dbs = 'redis'"
MSG = "_msg"
USER = "_user"
USER_ROOT = "_user AND _root"
MOBILE_ROOT = "_mobile AND _root"
WEB_ROOT = "_plat = 'web' AND _root"
ERR = "_err"
POST_ROOT = "_root AND _method IN ('POST', 'PUT')"
CHECKOUT = ep_main("POST", "/api/checkout")
PAY = f"(_svc = {SVC['payment']} AND _role = {ROLES.index('payment')} OR {ep_main('POST', '/api/payments')})"
SEARCH = ep_main("GET", "/api/search")
PRODUCT = ep_main("GET", "/api/products/{id}")
PRODUCTS = ep_main("GET", "/api/products")
RECO = ep_main("GET", "/api/recommendations")
CART_MAIN = f"(_svc = {SVC['cart']} AND _kind = 'server')"
LOGIN = ep_main("POST", "/api/login")
QUOTE = ep_main("GET", "/api/shipping/quote")
ORDERS = ep_main("GET", "/api/orders/{id}")
ORDER_SPANS = f"({CHECKOUT} OR {PAY} OR {ORDERS})"
JAVA, GO, NODE, PY = "_lang = 2", "_lang = 1", "_lang = 0", "_lang = 3"
USER_KEY = "_uidx"
SESSION_KEY = "(_uidx * 16 + _day)"


def c(name: str, typ: str, gate: str, expr: str, desc: str, key: str = "_rid", density: float = 1.0,
      until: int | None = None) -> TailColumn:  # fmt: skip
    return TailColumn(name, typ, gate, expr, desc, key, density, until)


# fmt: off
def _headers() -> list[TailColumn]:
    H = "http.request.header."
    R = "http.response.header."
    langs = ("en-US", "en-US", "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "ja-JP", "pt-BR", "nl-NL")
    return [
        c(H + "accept", S, ROOT_HTTP, pick("application/json", "application/json", "application/json, text/plain, */*", "*/*"),
          "Accept header sent by the client."),
        c(H + "accept-encoding", S, ROOT_HTTP, pick("gzip, deflate, br", "gzip, deflate, br", "gzip", "br, gzip"),
          "Accept-Encoding header sent by the client."),
        c(H + "accept-language", S, f"{ROOT_HTTP} AND _user", pick(*langs), "Accept-Language header of the user's device or browser.", key=USER_KEY),
        c(H + "content-type", S, POST_ROOT, pick("application/json", "application/json; charset=utf-8"),
          "Content-Type header of request bodies."),
        c(H + "content-length", I, POST_ROOT, irange(40, 2400), "Size of the request body in bytes, from the Content-Length header."),
        c(H + "x-request-id", S, ROOT_HTTP, uuid(), "Request id assigned by the edge load balancer."),
        c(H + "x-forwarded-for", S, ROOT_HTTP,
          "printf('%d.%d.%d.%d', 20 + {h} % 180, ({h} >> 8) % 256, ({h} >> 16) % 256, 1 + ({h} >> 24) % 254)",
          "Client IP address chain added by the load balancer.", key=USER_KEY),
        c(H + "x-forwarded-proto", S, ROOT_HTTP, "'https'", "Protocol the client used to reach the load balancer."),
        c(H + "x-b3-sampled", S, ROOT_HTTP, pick("1"), "Zipkin B3 sampling decision propagated by the client.", density=0.35),
        c(H + "cache-control", S, ROOT_HTTP, pick("no-cache", "no-cache", "max-age=0"), "Cache-Control header sent by the client.", density=0.2),
        c(H + "referer", S, WEB_ROOT, pick("https://shop.example.com/", "https://shop.example.com/search", "https://shop.example.com/cart",
          "https://www.google.com/", "https://shop.example.com/p/"), "Referer header of web requests."),
        c(H + "origin", S, WEB_ROOT, "'https://shop.example.com'", "Origin header of web requests."),
        c(H + "x-client-platform", S, f"{ROOT_HTTP} AND _user", "_plat", "Platform header the shop's apps send with every request."),
        c(H + "x-client-version", S, f"{ROOT_HTTP} AND _user", "_ver", "App version header the shop's apps send with every request."),
        c(H + "x-device-id", S, MOBILE_ROOT, hexid(16), "Stable device id header sent by the mobile apps.", key=USER_KEY),
        c(H + "x-api-version", S, ROOT_HTTP, pick("2025-06-15", "2025-06-15", "2025-06-15", "2024-10-01"), "API version the client pinned."),
        c(H + "if-none-match", S, f"{ROOT_HTTP} AND _method = 'GET'", "'W/\"' || " + hexid(12) + " || '\"'",
          "ETag the client already has, for conditional GETs.", density=0.15),
        c(H + "x-amzn-trace-id", S, ROOT_HTTP, "'Root=1-' || " + hexid(8) + " || '-' || " + hexid(16),
          "AWS load balancer trace id header."),
        c(H + "x-envoy-attempt-count", I, SRV_HTTP, "(CASE WHEN {h} % 100 < 97 THEN 1 ELSE 2 END)",
          "Number of attempts Envoy made for this request."),
        c(H + "x-session-id", S, f"{ROOT_HTTP} AND _user", hexid(24), "Session id header of the signed-in user.", key=SESSION_KEY),
        c(H + "sec-ch-ua-platform", S, WEB_ROOT, pick('"Windows"', '"Windows"', '"macOS"', '"Android"', '"Linux"', '"iOS"'),
          "Client hint naming the browser's operating system.", key=USER_KEY),
        c(H + "sec-fetch-mode", S, WEB_ROOT, "'cors'", "Fetch metadata header: request mode."),
        c(H + "sec-fetch-site", S, WEB_ROOT, pick("same-origin", "same-origin", "same-site"), "Fetch metadata header: relation of origin and target."),
        c(H + "dnt", S, WEB_ROOT, "'1'", "Do-Not-Track header sent by privacy-minded browsers.", key=USER_KEY, density=0.08),
        c(H + "host", S, ROOT_HTTP, "'api.shop.example.com'", "Host header of the request."),
        c(H + "x-real-ip", S, ROOT_HTTP,
          "printf('%d.%d.%d.%d', 20 + {h} % 180, ({h} >> 8) % 256, ({h} >> 16) % 256, 1 + ({h} >> 24) % 254)",
          "Client IP as seen by the edge proxy.", key=USER_KEY, density=0.5),
        c(R + "content-type", S, ROOT_HTTP, "'application/json'", "Content-Type of the response."),
        c(R + "content-length", I, ROOT_HTTP, irange(2, 48000), "Size of the response body in bytes."),
        c(R + "cache-control", S, f"{ROOT_HTTP} AND _method = 'GET'", pick("private, max-age=0", "public, max-age=60", "no-store"),
          "Cache-Control header of the response."),
        c(R + "x-cache", S, f"_root AND _ep IN ({', '.join(str(EP[('GET', r)]) for r in CACHED_ROUTES)})", "(CASE WHEN _miss THEN 'MISS' ELSE 'HIT' END)", "Whether the API response cache served the request."),
        c(R + "etag", S, f"{ROOT_HTTP} AND _method = 'GET'", "'W/\"' || " + hexid(12) + " || '\"'", "ETag of the returned representation.", density=0.6),
        c(R + "retry-after", I, f"{ROOT_HTTP} AND _status IN (429, 503)", pick(1, 5, 30, 60), "Seconds the client should wait before retrying."),
        c(R + "x-ratelimit-limit", I, ROOT_HTTP, "100", "Requests per minute allowed for the caller."),
        c(R + "x-ratelimit-remaining", I, ROOT_HTTP, "(CASE WHEN _status = 429 THEN 0 ELSE {h} % 100 END)", "Requests left in the caller's rate-limit window."),
        c(R + "server-timing", S, ROOT_HTTP, "printf('app;dur=%.1f', _dur)", "Server-Timing header with the handler's duration.", density=0.5),
        c(R + "vary", S, ROOT_HTTP, pick("Accept-Encoding", "Accept-Encoding, Origin"), "Vary header of the response."),
        c(R + "strict-transport-security", S, ROOT_HTTP, "'max-age=31536000; includeSubDomains'", "HSTS policy sent with the response."),
        c(R + "x-content-type-options", S, ROOT_HTTP, "'nosniff'", "X-Content-Type-Options header of the response."),
    ]  # fmt: skip


def _network() -> list[TailColumn]:
    provider_host = "(CASE _prov WHEN 'stripe' THEN 'api.stripe.com' WHEN 'paypal' THEN 'api-m.paypal.com' ELSE 'checkout-live.adyen.com' END)"
    client_host = f"(CASE WHEN _role = {ROLES.index('provider')} THEN {provider_host} ELSE 'api.shipfast.example.net' END)"
    ua = ("(CASE _plat WHEN 'android' THEN 'ShopApp/' || _ver || ' (Android ' || " + pick("13", "14", "14", "15")
          + " || '; ' || " + pick("Pixel 8", "Pixel 7a", "SM-S911B", "SM-A546B", "moto g84") + " || ')' "
          "WHEN 'ios' THEN 'ShopApp/' || _ver || ' (iPhone; iOS ' || " + pick("17.6", "18.1", "18.1", "18.2") + " || ')' "
          "ELSE " + pick("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
                         "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                         "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0") + " END)")
    url_path = ("replace(replace(_route, '{id}', CASE WHEN _ep = " + str(EP[("GET", "/api/orders/{id}")])
                + " THEN 'ord_' || " + hexid(10) + " ELSE (({h} >> 3) % 9000 + 1000)::VARCHAR END), '/healthz', '/healthz')")
    return [
        c("url.scheme", S, SRV_HTTP, "(CASE WHEN _root THEN 'https' ELSE 'http' END)", "URL scheme of the request."),
        c("url.path", S, SRV_HTTP, url_path, "Path of the request URL with ids filled in.", key="_t"),
        c("url.query", S, f"_srv_http AND _ep = {EP[('GET', '/api/search')]}", "'q=' || " + pick("shoes", "red+dress", "usb-c+cable", "coffee", "lego", "laptop+stand", "yoga+mat") + " || '&page=' || (1 + ({h} >> 20) % 4)::VARCHAR",
          "Query string of the request URL.", key="_t"),
        c("url.full", S, CLIENT_HTTP, f"(CASE WHEN _role = {ROLES.index('provider')} THEN 'https://' || {provider_host} || '/v1/payments' ELSE 'https://api.shipfast.example.net/v2/quotes' END)",
          "Full URL called by an outgoing HTTP client span."),
        c("server.address", S, f"{HTTP} OR {DB} OR {GRPC}",
          f"(CASE WHEN _kind = 'client' AND _dbs = 'postgresql' THEN 'shop-db.cluster-c8xk2.' || {by('_reg', REGIONS)} || '.rds.amazonaws.com' "
          f"WHEN _dbs = 'redis' THEN 'shop-cache.' || {by('_reg', REGIONS)} || '.cache.amazonaws.com' "
          f"WHEN _kind = 'client' THEN {client_host} WHEN _root THEN 'api.shop.example.com' "
          f"ELSE {by('_svc', SERVICES)} || '.shop.svc.cluster.local' END)",
          "Host name of the server side of the call."),
        c("server.port", I, f"{HTTP} OR {DB} OR {GRPC}",
          "(CASE WHEN _dbs = 'postgresql' THEN 5432 WHEN _dbs = 'redis' THEN 6379 WHEN _root OR _kind = 'client' THEN 443 WHEN _grpc THEN 50051 ELSE 8080 END)",
          "Port of the server side of the call."),
        c("client.address", S, f"{ROOT_HTTP} AND _user",
          "printf('%d.%d.%d.%d', 20 + {h} % 180, ({h} >> 8) % 256, ({h} >> 16) % 256, 1 + ({h} >> 24) % 254)",
          "IP address of the end user's device.", key=USER_KEY),
        c("client.port", I, ROOT_HTTP, irange(1024, 65535), "Source port of the client connection."),
        c("network.protocol.name", S, HTTP, "'http'", "Application protocol of the span."),
        c("network.protocol.version", S, HTTP, "(CASE WHEN _root THEN " + pick("2", "2", "1.1") + " ELSE '1.1' END)", "HTTP protocol version."),
        c("network.peer.address", S, f"{SERVER} AND NOT _root", "printf('10.%d.%d.%d', 10 + _reg, ({h} >> 8) % 64, 2 + ({h} >> 16) % 250)",
          "IP address of the peer that called this service."),
        c("network.peer.port", I, f"{SERVER} AND NOT _root", irange(32768, 60999), "Port of the peer that called this service."),
        c("network.transport", S, f"{HTTP} OR {DB} OR {GRPC}", "'tcp'", "Transport protocol of the call."),
        c("network.type", S, f"{HTTP} OR {DB} OR {GRPC}", "'ipv4'", "Network layer protocol of the call."),
        c("user_agent.original", S, f"{ROOT_HTTP} AND _user", ua, "User-Agent string of the app or browser.", key=USER_KEY),
        c("http.request.body.size", I, f"{HTTP} AND _method IN ('POST', 'PUT')", irange(40, 2400), "Size of the request body in bytes."),
        c("http.response.body.size", I, HTTP, irange(2, 48000), "Size of the response body in bytes."),
        c("http.request.resend_count", I, CLIENT_HTTP, irange(1, 2), "How many times the client resent the request.", density=0.04),
        c("http.response.header.x-provider-request-id", S, CLIENT_HTTP, "'req_' || " + hexid(14), "Request id returned by the external API."),
    ]  # fmt: skip


def _resource() -> list[TailColumn]:
    runtime_version = ("20.18.1", "go1.23.4", "21.0.5+11-LTS", "3.12.7")
    runtime_desc = ("Node.js", "go", "Eclipse Adoptium OpenJDK 64-Bit Server VM 21.0.5+11-LTS", "CPython 3.12.7")
    exe = ("node", "gateway", "auth", "java", "catalog", "java", "java", "python3", "java", "node")
    sdk_version = ("1.29.0", "1.33.0", "1.45.0", "1.29.0")
    svc_version = ("3.18.2", "1.42.0", "2.7.1", "2.13.4", "4.2.0", "3.9.5", "2.21.3", "1.12.0", "2.4.8", "1.30.2")
    teams = ("web", "platform", "identity", "shopping", "catalog", "checkout", "payments", "discovery", "discovery", "fulfilment")
    pod_uid = uuid().replace("{h}", "hx(_pod, 77)")
    inst = ("m6i.xlarge", "m6i.xlarge", "c6i.2xlarge", "m7g.xlarge", "r6i.large")
    zone = "(" + by("_reg", REGIONS) + " || " + by("(_node % 3)", ["a", "b", "c"]) + ")"
    return [
        c("process.runtime.name", S, ALL, by("_lang", LANG_NAMES), "Name of the language runtime of the service."),
        c("process.runtime.version", S, ALL, by("_lang", runtime_version), "Version of the language runtime."),
        c("process.runtime.description", S, ALL, by("_lang", runtime_desc), "Description of the language runtime."),
        c("process.pid", I, ALL, "(1 + hx(_pod, 5) % 60)", "Process id of the service inside its container."),
        c("process.executable.name", S, ALL, by("_svc", exe), "Executable name of the service process."),
        c("process.owner", S, ALL, "'app'", "User the service process runs as."),
        c("process.parent_pid", I, ALL, "1", "Parent process id of the service process."),
        c("telemetry.sdk.name", S, ALL, "'opentelemetry'", "Telemetry SDK that produced the span."),
        c("telemetry.sdk.language", S, ALL, by("_lang", ("nodejs", "go", "java", "python")), "Language of the telemetry SDK."),
        c("telemetry.sdk.version", S, ALL, by("_lang", sdk_version), "Version of the telemetry SDK."),
        c("otel.scope.name", S, ALL,
          "(CASE WHEN _dbs = 'postgresql' THEN " + by("_lang", ("@opentelemetry/instrumentation-pg", "github.com/XSAM/otelsql", "io.opentelemetry.jdbc", "opentelemetry.instrumentation.psycopg")) +
          " WHEN _dbs = 'redis' THEN " + by("_lang", ("@opentelemetry/instrumentation-ioredis", "github.com/redis/go-redis/extra/redisotel", "io.opentelemetry.lettuce-5.1", "opentelemetry.instrumentation.redis")) +
          " WHEN _grpc THEN " + by("_lang", ("@opentelemetry/instrumentation-grpc", "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", "io.opentelemetry.grpc-1.6", "opentelemetry.instrumentation.grpc")) +
          " WHEN _http THEN " + by("_lang", ("@opentelemetry/instrumentation-http", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "io.opentelemetry.spring-webmvc-6.0", "opentelemetry.instrumentation.fastapi")) +
          " ELSE 'shop.' || " + by("_svc", SERVICES) + " END)",
          "Instrumentation library that created the span."),
        c("otel.status_code", S, ERR, "'ERROR'", "OpenTelemetry span status; set to ERROR on failed spans."),
        c("otel.status_description", S, ERR, "(CASE WHEN _status IS NOT NULL THEN 'HTTP ' || _status::VARCHAR ELSE 'exception' END)", "Short description of the span's error status."),
        c("service.version", S, ALL, f"(CASE WHEN _bad_cart THEN '2.14.0' ELSE {by('_svc', svc_version)} END)", "Deployed version of the service."),
        c("service.namespace", S, ALL, "'shop'", "Namespace grouping the shop's services."),
        c("service.instance.id", S, ALL, pod_uid, "Unique id of the service instance (its pod uid)."),
        c("deployment.environment.name", S, ALL, "'production'", "Deployment environment of the service."),
        c("k8s.namespace.name", S, ALL, "'shop'", "Kubernetes namespace of the pod."),
        c("k8s.deployment.name", S, ALL, by("_svc", SERVICES), "Kubernetes deployment that owns the pod."),
        c("k8s.replicaset.name", S, ALL, "regexp_replace(_pod_name, '-[^-]+$', '')",
          "Kubernetes replica set that owns the pod."),
        c("k8s.node.name", S, ALL, "_host", "Kubernetes node the pod is scheduled on."),
        c("k8s.cluster.name", S, ALL, "'shop-prod-' || " + by("_reg", REGIONS), "Kubernetes cluster that runs the pod."),
        c("k8s.container.name", S, ALL, by("_svc", SERVICES), "Name of the container in the pod."),
        c("k8s.container.restart_count", I, ALL, "(CASE WHEN hx(_pod, 9) % 10 < 8 THEN 0 ELSE hx(_pod, 9) % 4 END)", "How many times the container has restarted."),
        c("k8s.pod.uid", S, ALL, pod_uid, "Unique id of the Kubernetes pod."),
        c("k8s.pod.labels.app", S, ALL, by("_svc", SERVICES), "The pod's app label."),
        c("k8s.pod.labels.team", S, ALL, by("_svc", teams), "Team that owns the service, from the pod's team label."),
        c("cloud.provider", S, ALL, "'aws'", "Cloud provider hosting the service."),
        c("cloud.platform", S, ALL, "'aws_eks'", "Cloud platform hosting the service."),
        c("cloud.account.id", S, ALL, "'482913775301'", "Cloud account that owns the infrastructure."),
        c("cloud.availability_zone", S, ALL, zone, "Availability zone of the node."),
        c("host.id", S, ALL, "'i-0' || " + hexid(16).replace("{h}", "hx(_node, 11)"), "Cloud instance id of the node."),
        c("host.type", S, ALL, by("(_node % 5)", inst), "Instance type of the node."),
        c("host.arch", S, ALL, "(CASE WHEN _node % 5 = 3 THEN 'arm64' ELSE 'amd64' END)", "CPU architecture of the node."),
        c("host.image.id", S, ALL, "'ami-0' || " + hexid(16).replace("{h}", "hx(_reg, 12)"), "Machine image the node booted from."),
        c("os.type", S, ALL, "'linux'", "Operating system of the node."),
        c("os.description", S, ALL, "'Bottlerocket OS 1.26.1 (aws-k8s-1.31)'", "Operating system release of the node."),
        c("container.id", S, ALL, hexid(12).replace("{h}", "hx(_pod, 13)"), "Id of the container that emitted the span."),
        c("container.image.name", S, ALL, "'registry.shop.example.com/shop/' || " + by("_svc", SERVICES), "Container image of the service."),
        c("container.image.tag", S, ALL, f"(CASE WHEN _bad_cart THEN '2.14.0' ELSE {by('_svc', svc_version)} END)", "Tag of the container image."),
        c("container.runtime", S, ALL, "'containerd'", "Container runtime on the node."),
    ]  # fmt: skip


def _rpc_db_messaging() -> list[TailColumn]:
    query_text = ("(CASE _dbop WHEN 'SELECT' THEN 'SELECT * FROM ' || _dbtable || ' WHERE id = $1' "
                  "WHEN 'INSERT' THEN 'INSERT INTO ' || _dbtable || ' VALUES ($1, $2, $3, $4)' "
                  "WHEN 'UPDATE' THEN 'UPDATE ' || _dbtable || ' SET status = $1, updated_at = now() WHERE id = $2' END)")
    return [
        c("rpc.system", S, GRPC, "'grpc'", "Remote procedure call system."),
        c("rpc.service", S, GRPC, "split_part(_rpc, '/', 1)", "Full name of the gRPC service called."),
        c("rpc.method", S, GRPC, "split_part(_rpc, '/', 2)", "Name of the gRPC method called."),
        c("rpc.grpc.status_code", I, GRPC, "(CASE WHEN NOT _err THEN 0 WHEN _fk = 1 THEN 16 WHEN _fk IN (3, 4) THEN 5 ELSE 13 END)", "gRPC status code of the call (0 is OK)."),
        c("rpc.message.uncompressed_size", I, GRPC, irange(30, 9000), "Uncompressed size of the gRPC response message in bytes.", density=0.5),
        c("db.collection.name", S, PG, "_dbtable", "Table the database query touches."),
        c("db.namespace", S, DB, "(CASE WHEN _dbs = 'postgresql' THEN 'shop' ELSE '0' END)", "Database (or redis db index) the client is connected to."),
        c("db.query.text", S, PG, query_text, "Parameterised SQL text of the query."),
        c("db.response.returned_rows", I, f"{PG} AND _dbop = 'SELECT'", "(CASE WHEN {h} % 10 = 0 THEN 0 ELSE 1 + {h} % 48 END)", "Rows returned by the query."),
        c("db.client.connection.pool.name", S, PG, "_dbs || '-' || " + by("_svc", SERVICES) + " || '-pool'", "Connection pool the query ran on."),
        c("db.client.connection.wait_ms", F, PG, lognorm(0.4, 1.1, 3), "Time spent waiting for a pooled connection, in milliseconds.", density=0.6),
        c("db.redis.key_prefix", S, REDIS, "(CASE WHEN _svc = " + str(SVC['cart']) + " THEN 'cart' WHEN _svc = " + str(SVC['auth']) + " THEN 'session' ELSE 'cache' END)", "Prefix of the redis key used."),
        c("db.redis.ttl_s", I, f"{REDIS} AND _dbop = 'SET'", pick(60, 300, 300, 3600, 86400), "Expiry given to the redis key, in seconds."),
        c("messaging.system", S, MSG, "'kafka'", "Messaging system used."),
        c("messaging.destination.name", S, MSG, "_msgdest", "Topic the message was published to or consumed from."),
        c("messaging.operation.type", S, MSG, "(CASE WHEN _kind = 'producer' THEN 'send' ELSE 'process' END)", "Kind of messaging operation."),
        c("messaging.operation.name", S, MSG, "(CASE WHEN _kind = 'producer' THEN 'publish' ELSE 'process' END)", "Name of the messaging operation."),
        c("messaging.message.id", S, MSG, uuid(), "Id of the message.", key="_t"),
        c("messaging.kafka.consumer.group", S, f"{MSG} AND _kind = 'consumer'", "'shipping-orders'", "Kafka consumer group that processed the message."),
        c("messaging.kafka.message.offset", I, MSG, "(_t // 4)", "Offset of the message in its partition."),
        c("messaging.destination.partition.id", S, MSG, "({h} % 12)::VARCHAR", "Partition the message went to.", key="_t"),
        c("messaging.message.body.size", I, MSG, irange(300, 4200), "Size of the message body in bytes.", key="_t"),
        c("messaging.client.id", S, MSG, "(CASE WHEN _kind = 'producer' THEN 'checkout-producer-' ELSE 'shipping-consumer-' END) || (_pod % 3)::VARCHAR", "Client id of the Kafka producer or consumer."),
        c("messaging.kafka.message.key", S, MSG, "'ord_' || " + hexid(10), "Key of the Kafka message (the order id).", key="_t"),
        c("messaging.batch.message_count", I, f"{MSG} AND _kind = 'consumer'", irange(1, 20), "Messages in the batch the consumer processed."),
    ]  # fmt: skip


def _app() -> list[TailColumn]:
    categories = ("electronics", "fashion", "home", "toys", "sports", "beauty", "books", "grocery", "garden", "pets", "office", "auto")
    countries = ("US", "US", "US", "CA", "GB", "DE", "FR", "NL", "SG", "AU", "JP", "BR")
    screens = ("Home", "ProductList", "ProductDetail", "Search", "Cart", "Checkout", "Orders", "Login")
    android_models = ("Pixel 8", "Pixel 7a", "Galaxy S23", "Galaxy A54", "moto g84", "OnePlus 12")
    ios_models = ("iPhone 15", "iPhone 15 Pro", "iPhone 14", "iPhone 13", "iPhone SE")
    carriers = ("ups", "fedex", "dhl", "usps")
    order_id = "'ord_' || " + hexid(10)
    currency = by("_reg", ("USD", "USD", "EUR", "SGD"))
    include = ("(CASE WHEN _plat = 'android' AND _ver = '5.3.0' THEN 'reviews,variants,bundles' "
               "ELSE " + pick("variants", "variants", "variants,price") + " END)")
    return [
        c("app.session.id", S, USER, hexid(20), "Id of the user's app session.", key=SESSION_KEY),
        c("app.request.id", S, "_root AND _user", uuid(), "Id the shop assigns to each user request."),
        c("app.search.query", S, SEARCH, pick("shoes", "red dress", "usb-c cable", "coffee", "lego", "laptop stand", "yoga mat", "headphones",
          "winter jacket", "desk lamp", "phone case", "running shoes", "gift card", "air fryer", "sunglasses"), "Text the user searched for."),
        c("app.search.results_count", I, SEARCH, "(CASE WHEN {h} % 20 = 0 THEN 0 ELSE {h} % 480 END)", "Number of search results found."),
        c("app.search.page", I, SEARCH, "(1 + ({h} % 100 // 70) + ({h} % 100 // 92))", "Results page requested."),
        c("app.search.sort", S, SEARCH, pick("relevance", "relevance", "relevance", "price_asc", "price_desc", "newest"), "Sort order of the search."),
        c("app.search.filters_count", I, SEARCH, irange(0, 4), "Number of facet filters applied to the search."),
        c("app.search.engine", S, SEARCH, pick("bm25", "hybrid"), "Ranking engine that served the search.", key=USER_KEY),
        c("app.product.id", S, f"{PRODUCT} OR ({CART_MAIN} AND _method IN ('POST', 'PUT', 'DELETE'))", "'sku-' || (1000 + {h} % 9000)::VARCHAR", "Product (SKU) the request is about."),
        c("app.product.category", S, f"{PRODUCT} OR {PRODUCTS}", pick(*categories), "Product category viewed."),
        c("app.product.price_usd", F, PRODUCT, lognorm(29, 0.9), "Listed price of the product in US dollars."),
        c("app.product.in_stock", B, PRODUCT, chance(0.94), "Whether the product is in stock."),
        c("app.product.rating", F, PRODUCT, frange(2.5, 5.0, 1), "Average customer rating of the product.", density=0.8),
        c("app.product.review_count", I, PRODUCT, "({h} % 2000)", "Number of reviews of the product.", density=0.8),
        c("app.catalog.page_size", I, PRODUCTS, pick(20, 20, 40, 60), "Products per page requested."),
        c("app.catalog.include", S, f"{PRODUCT} AND _user", include, "Related data the client asked to embed in the product response."),
        c("app.catalog.products_returned", I, PRODUCTS, irange(0, 60), "Products returned in the listing."),
        c("app.recommendation.model", S, RECO, pick("two-tower-v3", "two-tower-v4"), "Recommendation model that produced the results.", key=USER_KEY),
        c("app.recommendation.count", I, RECO, irange(4, 24), "Number of recommendations returned."),
        c("app.recommendation.strategy", S, RECO, pick("personalized", "personalized", "trending", "similar_items"), "Strategy used for the recommendations."),
        c("app.ml.inference_ms", F, "_name = 'model.predict'", "round(_dur * 0.85, 3)", "Time spent in model inference, in milliseconds."),
        c("app.ml.features_count", I, "_name = 'model.predict'", pick(128, 256), "Number of features fed to the model."),
        c("app.cart.id", S, CART_MAIN, "'cart_' || " + hexid(12), "Id of the user's cart.", key=USER_KEY),
        c("app.cart.value_usd", F, CART_MAIN, lognorm(64, 0.8), "Value of the cart in US dollars."),
        c("app.cart.quantity", I, f"{CART_MAIN} AND _method IN ('POST', 'PUT')", "(CASE WHEN {h} % 10 < 8 THEN 1 ELSE 2 + {h} % 3 END)", "Quantity added or set for the item."),
        c("app.checkout.step", S, f"{CHECKOUT} AND _ver = '5.3.0'", pick("review", "payment", "confirm"), "Checkout step reported by app 5.3.0 and later."),
        c("app.checkout.is_guest", B, CHECKOUT, chance(0.12), "Whether the user checked out as a guest."),
        c("app.coupon.code", S, CHECKOUT, pick("WELCOME10", "FREESHIP", "SAVE15", "BLACKFRIDAY"), "Coupon code applied to the order.", density=0.12),
        c("app.discount_usd", F, CHECKOUT, frange(1, 30), "Discount applied to the order in US dollars.", density=0.14),
        c("app.tax_usd", F, CHECKOUT, frange(0.2, 25), "Tax charged on the order in US dollars."),
        c("app.shipping.cost_usd", F, f"{CHECKOUT} OR {QUOTE}", pick(0.0, 0.0, 4.99, 7.99, 12.99), "Shipping cost in US dollars."),
        c("app.shipping.method", S, f"{CHECKOUT} OR {QUOTE}", pick("standard", "standard", "standard", "express", "pickup"), "Shipping method chosen."),
        c("app.shipping.carrier", S, f"{QUOTE} OR (_name = 'orders process')", pick(*carriers), "Carrier used for the shipment."),
        c("app.shipping.country", S, f"{QUOTE} OR {CHECKOUT}", pick(*countries), "Destination country of the shipment.", key=USER_KEY),
        c("app.shipping.eta_days", I, QUOTE, irange(1, 9), "Estimated delivery time in days."),
        c("app.order.id", S, ORDER_SPANS, order_id, "Id of the order.", key="_t"),
        c("app.order.currency", S, CHECKOUT, currency, "Currency the order was paid in."),
        c("app.payment.method", S, PAY, pick("card", "card", "card", "wallet", "bank_transfer"), "Payment method used."),
        c("app.payment.card_brand", S, PAY, pick("visa", "visa", "mastercard", "amex"), "Card brand of the payment.", density=0.75),
        c("app.payment.three_ds", B, PAY, chance(0.3), "Whether 3-D Secure verification was required."),
        c("app.payment.attempt", I, PAY, "(CASE WHEN {h} % 100 < 92 THEN 1 ELSE 2 + {h} % 2 END)", "Attempt number of this payment."),
        c("app.payment.fraud_score", F, PAY, frange(0, 1, 3), "Fraud score the payment provider returned (0 to 1)."),
        c("app.payment.idempotency_key", S, PAY, uuid(), "Idempotency key sent to the payment provider.", key="_t"),
        c("app.auth.method", S, LOGIN, pick("password", "password", "google", "apple", "magic_link"), "How the user signed in."),
        c("app.auth.mfa", B, LOGIN, chance(0.22), "Whether multi-factor authentication was used.", key=USER_KEY),
        c("app.auth.token_age_s", I, f"_role = {ROLES.index('auth')}", irange(1, 3600), "Age of the access token in seconds."),
        c("app.auth.bcrypt_cost", I, "_name = 'bcrypt.verify'", "12", "Bcrypt cost factor used to verify the password."),
        c("app.user.country", S, USER_ROOT, pick(*countries), "Country of the user's account.", key=USER_KEY),
        c("app.user.signup_days", I, USER_ROOT, "({h} % 2400)", "Days since the user signed up.", key=USER_KEY),
        c("app.user.is_employee", B, USER_ROOT, "({h} % 1000 < 8)", "Whether the user is a shop employee.", key=USER_KEY),
        c("app.user.ab_bucket", I, USER_ROOT, "({h} % 100)", "Bucket (0-99) the user falls in for experiments.", key=USER_KEY),
        c("app.user.locale", S, USER_ROOT, pick("en-US", "en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "pt-BR"), "Locale of the user's account.", key=USER_KEY),
        c("app.org.id", S, f"{USER_ROOT} AND _tier <> 'free'", "'org_' || " + hexid(8).replace("{h}", "hx(_uidx // 40, 3)"), "Organisation of a pro or enterprise user."),
        c("app.device.model", S, MOBILE_ROOT, f"(CASE WHEN _plat = 'android' THEN {pick(*android_models)} ELSE {pick(*ios_models)} END)", "Device model of the mobile user.", key=USER_KEY),
        c("app.device.os_version", S, MOBILE_ROOT, f"(CASE WHEN _plat = 'android' THEN {pick('13', '14', '14', '15')} ELSE {pick('17.6', '18.1', '18.1', '18.2')} END)", "Operating system version of the mobile device.", key=USER_KEY),
        c("app.device.battery_saver", B, MOBILE_ROOT, chance(0.12), "Whether the device was in battery saver mode.", density=0.7),
        c("app.network.type", S, MOBILE_ROOT, pick("wifi", "wifi", "cellular", "cellular", "cellular"), "Network the mobile device was on."),
        c("app.network.effective_type", S, MOBILE_ROOT, pick("4g", "4g", "4g", "5g", "3g"), "Effective connection type reported by the device.", density=0.6),
        c("app.screen.name", S, MOBILE_ROOT, pick(*screens), "Screen the mobile user was on when the request was made."),
        c("app.build_number", I, f"{MOBILE_ROOT}", "(CASE _ver WHEN '5.1.0' THEN 5100412 WHEN '5.2.0' THEN 5200733 ELSE 5300118 END)", "Build number of the mobile app."),
        c("app.install_source", S, MOBILE_ROOT, "(CASE WHEN _plat = 'android' THEN 'play_store' ELSE 'app_store' END)", "Store the app was installed from.", key=USER_KEY),
        c("app.web.page", S, WEB_ROOT, pick("/", "/search", "/p/[sku]", "/c/[category]", "/cart", "/checkout", "/orders"), "Page of the web shop that made the request."),
        c("app.web.browser", S, WEB_ROOT, pick("chrome", "chrome", "chrome", "safari", "firefox", "edge"), "Browser of the web user.", key=USER_KEY),
        c("app.web.viewport", S, WEB_ROOT, pick("1920x1080", "1440x900", "1536x864", "390x844", "412x915"), "Viewport size of the browser.", key=USER_KEY),
        c("app.retry_count", I, "_kind = 'client'", irange(1, 3), "Retries the client made before this attempt.", density=0.03),
        c("app.rate_limit.bucket", S, "_root AND _http", pick("user", "user", "ip"), "Rate-limit bucket the request was counted in."),
        c("app.rate_limit.remaining", I, "_root AND _http", "(CASE WHEN _status = 429 THEN 0 ELSE {h} % 100 END)", "Requests left in the caller's rate-limit bucket."),
        c("app.cache.key", S, REDIS, "(CASE WHEN _svc = " + str(SVC['cart']) + " THEN 'cart:' WHEN _svc = " + str(SVC['auth']) + " THEN 'session:' ELSE 'product:' END) || ({h} % 9000 + 1000)::VARCHAR", "Redis key read or written."),
        c("app.cache.size_bytes", I, f"{REDIS} AND _dbop = 'GET' AND NOT _miss", irange(120, 16000), "Size of the cached value in bytes."),
        c("app.inventory.warehouse", S, "_dbtable = 'inventory'", by("_reg", ("iad-1", "pdx-2", "dub-1", "sin-1")), "Warehouse whose inventory was read or updated."),
        c("app.inventory.reserved", B, "_dbtable = 'inventory' AND _dbop = 'UPDATE'", "NOT _err", "Whether the inventory reservation succeeded."),
        c("app.db.rows_scanned", I, PG, "(CASE WHEN _dbtable = 'orders' AND _dur > 50 THEN 200000 + {h} % 800000 ELSE 1 + {h} % 60 END)", "Rows the database scanned for the query (from EXPLAIN sampling).", density=0.25),
        c("app.gc.pause_ms", F, f"{JAVA} AND _kind = 'server'", lognorm(3, 0.9), "Garbage-collection pause during the request, in milliseconds.", density=0.15),
        c("app.heap.used_mb", F, "_kind = 'server'", f"round({by('_lang', (180.0, 95.0, 1400.0, 420.0))} * (0.6 + 0.4 * {{u}}), 1)", "Heap in use by the service process, in megabytes.", density=0.4),
        c("app.feature.count", I, USER_ROOT, irange(3, 14), "Number of feature flags evaluated for the request."),
        c("app.locale", S, USER_ROOT, pick("en-US", "en-US", "en-GB", "de-DE", "fr-FR", "ja-JP", "pt-BR"), "Locale the response was rendered in.", key=USER_KEY),
        c("app.currency", S, USER_ROOT, currency, "Currency prices were shown in."),
        c("app.region.failover", B, "_root", "false", "Whether the request was served by a failover region.", density=0.01),
        c("app.tenant.shard", I, USER, "({h} % 16)", "Database shard of the user's data.", key=USER_KEY, density=0.5),
        c("app.loyalty.points", I, CHECKOUT, "({h} % 5000)", "Loyalty points balance of the user at checkout.", key=USER_KEY, density=0.4),
        c("app.loyalty.tier", S, CHECKOUT, pick("bronze", "bronze", "silver", "gold"), "Loyalty tier of the user at checkout.", key=USER_KEY, density=0.4),
        c("app.gift_wrap", B, CHECKOUT, chance(0.05), "Whether gift wrapping was requested."),
        c("app.wishlist.size", I, f"{RECO} OR {PRODUCT}", irange(0, 40), "Items on the user's wishlist.", key=USER_KEY, density=0.3),
        c("app.ab.variant", S, USER_ROOT, pick("A", "B"), "Variant of the site-wide A/B test.", key=USER_KEY),
        c("app.push.enabled", B, MOBILE_ROOT, chance(0.55), "Whether push notifications are enabled on the device.", key=USER_KEY),
        c("app.dark_mode", B, "_user AND _root AND _plat <> 'web'", chance(0.4), "Whether the app was in dark mode.", key=USER_KEY),
        c("app.referral.source", S, USER_ROOT, pick("organic", "organic", "email", "push", "ads", "social"), "Marketing source of the session.", key=SESSION_KEY, density=0.5),
        c("app.campaign.id", S, USER_ROOT, pick("bf-2026-early", "nov-newsletter", "retarget-q4", "app-install-q4"), "Marketing campaign of the session.", key=SESSION_KEY, density=0.12),
        c("app.debug.sql_trace", B, "FALSE", "true", "Whether verbose SQL tracing was on (declared but never enabled)."),
        c("app.beta.ar_preview", S, "FALSE", "'on'", "AR product preview beta state (declared but never shipped)."),
        c("app.healthcheck.probe", S, f"_ep = {EP[('GET', '/healthz')]}", pick("liveness", "readiness", "readiness"), "Which Kubernetes probe called the health check."),
        c("app.error.code", S, ERR, "(CASE WHEN _status >= 500 OR _status IS NULL THEN 'E_INTERNAL' WHEN _status = 429 THEN 'E_RATE_LIMIT' WHEN _status = 401 THEN 'E_AUTH' WHEN _status = 404 THEN 'E_NOT_FOUND' ELSE 'E_CLIENT' END)", "Shop-specific error code of a failed span."),
        c("app.error.retryable", B, ERR, "(_status IS NULL OR _status >= 500 OR _status = 429)", "Whether the client may retry the failed request."),
        c("app.error.fingerprint", S, ERR, hexid(12).replace("{h}", "hx(_fk * 16 + _svc, 19)"), "Fingerprint grouping identical errors."),
        c("exception.escaped", B, f"{ERR} AND _fault", "true", "Whether the exception escaped the span's scope."),
        c("exception.stacktrace", S, f"{ERR} AND _fault AND _lang = 2", "'at com.shop.' || " + by("_svc", SERVICES) + " || '.Handler.handle(Handler.java:' || (40 + _fk * 7)::VARCHAR || ')'", "First frame of the exception stack trace (JVM services)."),
        c("error.type", S, ERR, "(CASE WHEN _status IS NOT NULL THEN _status::VARCHAR ELSE 'exception' END)", "Class of error the span ended with."),
        c("client.geo.country_iso_code", S, USER_ROOT, by("_reg", ("US", "US", "GB", "SG")), "Country of the client IP, from GeoIP."),
        c("client.geo.city_name", S, USER_ROOT, f"(CASE _reg WHEN 0 THEN {pick('New York', 'Boston', 'Atlanta', 'Chicago')} WHEN 1 THEN {pick('Seattle', 'San Francisco', 'Los Angeles')} WHEN 2 THEN {pick('London', 'Dublin', 'Berlin', 'Paris', 'Amsterdam')} ELSE {pick('Singapore', 'Sydney', 'Jakarta')} END)", "City of the client IP, from GeoIP.", key=USER_KEY),
        c("client.geo.continent_code", S, USER_ROOT, by("_reg", ("NA", "NA", "EU", "AS")), "Continent of the client IP, from GeoIP."),
        c("client.geo.timezone", S, USER_ROOT, by("_reg", ("America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Singapore")), "Time zone of the client IP, from GeoIP."),
        c("device.manufacturer", S, MOBILE_ROOT, f"(CASE WHEN _plat = 'android' THEN {pick('Google', 'Samsung', 'Samsung', 'Motorola', 'OnePlus')} ELSE 'Apple' END)", "Manufacturer of the mobile device.", key=USER_KEY),
        c("device.id", S, MOBILE_ROOT, hexid(16), "Vendor device id of the mobile device.", key=USER_KEY),
        c("os.name", S, MOBILE_ROOT, "(CASE WHEN _plat = 'android' THEN 'Android' ELSE 'iOS' END)", "Operating system of the mobile device."),
        c("os.version", S, MOBILE_ROOT, f"(CASE WHEN _plat = 'android' THEN {pick('13', '14', '14', '15')} ELSE {pick('17.6', '18.1', '18.1', '18.2')} END)", "Operating system version of the mobile device.", key=USER_KEY),
        c("app.search.latency_budget_ms", I, SEARCH, "250", "Latency budget the search service aims for, in milliseconds."),
        c("app.search.typo_corrected", B, SEARCH, chance(0.08), "Whether the query was spell-corrected."),
        c("app.search.language", S, SEARCH, pick("en", "en", "en", "de", "fr", "es"), "Detected language of the search query."),
        c("app.product.variant_count", I, PRODUCT, irange(1, 12), "Number of variants (sizes, colours) of the product."),
        c("app.product.brand", S, PRODUCT, pick("Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne"), "Brand of the product."),
        c("app.product.image_count", I, PRODUCT, irange(1, 9), "Number of images of the product."),
        c("app.recommendation.candidate_count", I, RECO, irange(200, 2000), "Candidates scored before picking the recommendations."),
        c("app.recommendation.fallback", B, RECO, chance(0.04), "Whether the trending fallback replaced personalised results."),
        c("app.cart.items_added", I, f"{CART_MAIN} AND _method = 'POST'", irange(1, 3), "Items added to the cart by the request."),
        c("app.checkout.address_validated", B, CHECKOUT, chance(0.97), "Whether the shipping address passed validation."),
        c("app.checkout.payment_attempts", I, CHECKOUT, "(CASE WHEN {h} % 100 < 94 THEN 1 ELSE 2 END)", "Payment attempts made during the checkout."),
        c("app.order.weight_kg", F, CHECKOUT, lognorm(1.5, 0.8), "Shipping weight of the order in kilograms."),
        c("app.shipping.warehouse", S, QUOTE, by("_reg", ("iad-1", "pdx-2", "dub-1", "sin-1")), "Warehouse the quote ships from."),
        c("app.shipping.label_created", B, "_name = 'orders process'", "NOT _err", "Whether a shipping label was created for the order."),
        c("app.shipping.rate_source", S, QUOTE, pick("carrier", "carrier", "cache"), "Where the shipping rate came from."),
        c("app.payment.currency", S, PAY, by("_reg", ("USD", "USD", "EUR", "SGD")), "Currency of the payment."),
        c("app.payment.risk_level", S, PAY, pick("low", "low", "low", "low", "medium", "high"), "Risk level the fraud check assigned."),
        c("app.payment.provider_latency_ms", F, f"_role = {ROLES.index('provider')}", "round(_dur, 3)", "Time the payment provider took to answer, in milliseconds."),
        c("app.payment.provider_status", S, f"_role = {ROLES.index('provider')}", "(CASE WHEN NOT _err THEN 'succeeded' WHEN _status = 504 THEN 'timeout' ELSE 'error' END)", "Outcome reported by the payment provider."),
        c("app.auth.session_ttl_s", I, LOGIN, "86400", "Lifetime of the new session in seconds."),
        c("app.auth.failed_attempts", I, LOGIN, "(CASE WHEN {h} % 100 < 85 THEN 0 ELSE 1 + {h} % 3 END)", "Failed sign-in attempts before this one."),
        c("app.auth.token_type", S, f"_role = {ROLES.index('auth')}", "'jwt'", "Type of access token verified."),
        c("app.auth.scopes", S, f"_role = {ROLES.index('auth')}", pick("read", "read write", "read write", "read write orders"), "Scopes granted by the access token."),
        c("app.gateway.plugin_count", I, f"_role = {ROLES.index('gw')}", irange(4, 9), "Gateway plugins that ran for the request."),
        c("app.gateway.auth_cache_hit", B, f"_role = {ROLES.index('gw')} AND _ep <> {EP[('POST', '/api/login')]}", chance(0.8), "Whether the gateway had the token check cached."),
        c("app.frontend.render_ms", F, f"_role = {ROLES.index('fe')}", lognorm(12, 0.5, 3), "Server-side render time of the web frontend, in milliseconds."),
        c("app.frontend.ssr", B, f"_role = {ROLES.index('fe')}", chance(0.6), "Whether the page was rendered on the server."),
        c("app.frontend.bundle_version", S, f"_role = {ROLES.index('fe')}", pick("b1432", "b1433", "b1433"), "Version of the web frontend's JavaScript bundle."),
        c("app.db.statement_cache_hit", B, PG, chance(0.9), "Whether the prepared statement was cached on the connection."),
        c("app.db.replica", B, f"{PG} AND _dbop = 'SELECT'", chance(0.6), "Whether the query ran on a read replica."),
        c("app.kafka.lag", I, f"{MSG} AND _kind = 'consumer'", irange(0, 500), "Consumer lag of the partition when the message was processed."),
        c("app.consumer.retry", B, f"{MSG} AND _kind = 'consumer'", chance(0.01), "Whether the message was a redelivery."),
        c("http.request.header.x-forwarded-host", S, ROOT_HTTP, "'shop.example.com'", "Host the client originally requested."),
        c("http.request.header.traceparent", S, ROOT_HTTP, "'00-' || " + hexid(32) + " || '-' || " + hexid(16) + " || '-01'", "W3C trace context sent by instrumented clients.", density=0.3),
        c("meta.signal_type", S, ALL, "'trace'", "Kind of telemetry the event came from."),
        c("meta.annotation_type", S, "FALSE", "'span_event'", "Annotation type for span events and links (none in this dataset)."),
        c("meta.span_count", I, "_root", "_n", "Number of spans in the trace, set on root spans by the collector."),
        c("meta.refinery.reason", S, "_root", "(CASE WHEN _err THEN 'rules/error/1' ELSE 'deterministic/chance' END)", "Sampling rule that kept the trace."),
        c("meta.refinery.send_reason", S, "_root", pick("trace_send_got_root", "trace_send_got_root", "trace_send_expired"), "Why the sampler sent the trace when it did."),
        c("meta.refinery.original_sample_rate", I, "_root", "1", "Sample rate of the trace before the sampler's decision."),
        c("meta.stressed", B, "_root", "false", "Whether the sampler was in stress relief mode.", density=0.02),
        c("sample_rate", I, "_root", "1", "Number of events each kept event represents."),
    ]  # fmt: skip


def _runtime_metrics() -> list[TailColumn]:
    server = "_kind = 'server'"
    return [
        c("runtime.jvm.gc.count", I, f"{JAVA} AND {server}", irange(0, 3), "JVM garbage collections during the request.", density=0.3),
        c("runtime.jvm.threads.count", I, f"{JAVA} AND {server}", irange(60, 240), "Live JVM threads when the request finished.", density=0.3),
        c("runtime.jvm.heap.used_mb", F, f"{JAVA} AND {server}", frange(600, 1800, 1), "JVM heap in use, in megabytes.", density=0.3),
        c("runtime.jvm.classes.loaded", I, f"{JAVA} AND {server}", irange(14000, 16000), "Classes loaded by the JVM.", density=0.3),
        c("runtime.go.goroutines", I, f"{GO} AND {server}", irange(40, 900), "Goroutines alive when the request finished.", density=0.3),
        c("runtime.go.gc.count", I, f"{GO} AND {server}", irange(0, 2), "Go garbage collections during the request.", density=0.3),
        c("runtime.go.mem.heap_alloc_mb", F, f"{GO} AND {server}", frange(20, 160, 1), "Go heap allocated, in megabytes.", density=0.3),
        c("runtime.node.event_loop.lag_ms", F, f"{NODE} AND {server}", lognorm(1.2, 0.8, 3), "Node.js event-loop lag, in milliseconds.", density=0.3),
        c("runtime.node.heap.used_mb", F, f"{NODE} AND {server}", frange(80, 300, 1), "Node.js heap in use, in megabytes.", density=0.3),
        c("runtime.node.active_handles", I, f"{NODE} AND {server}", irange(10, 200), "Active libuv handles in the Node.js process.", density=0.3),
        c("runtime.python.gc.gen2_count", I, f"{PY} AND {server}", irange(0, 40), "Generation-2 garbage collections in the Python process.", density=0.3),
        c("runtime.python.threads", I, f"{PY} AND {server}", irange(8, 40), "Threads in the Python process.", density=0.3),
        c("process.cpu.utilization", F, server, frange(0.02, 0.95, 3), "CPU utilisation of the service process (0 to 1).", density=0.3),
        c("process.memory.usage", I, server, "(" + by("_lang", (180, 95, 1400, 420)) + " * 1048576 + {h} % 104857600)", "Resident memory of the service process, in bytes.", density=0.3),
        c("process.open_file_descriptor.count", I, server, irange(30, 900), "Open file descriptors in the service process.", density=0.3),
        c("process.thread.count", I, server, irange(8, 240), "Threads in the service process.", density=0.3),
        c("process.uptime_s", I, server, "(hx(_pod, 21) % 900000 + 600)", "Seconds since the service process started.", density=0.3),
        c("container.cpu.limit", F, server, by("_svc", (1.0, 2.0, 0.5, 1.0, 2.0, 1.0, 1.0, 4.0, 2.0, 0.5)), "CPU cores the container may use.", density=0.3),
        c("container.memory.limit_mb", I, server, by("_svc", (512, 512, 256, 2048, 1024, 2048, 2048, 4096, 2048, 512)), "Memory limit of the container, in megabytes.", density=0.3),
    ]  # fmt: skip


EXPERIMENTS: tuple[tuple[str, str, tuple, float, str], ...] = (
    # name, type, values, share of users enrolled, what it tests
    ("search_ranker_v2", S, ("control", "treatment"), 0.3, "the second-generation search ranker"),
    ("reco_model_v4", S, ("control", "treatment"), 0.25, "the v4 recommendation model"),
    ("one_page_checkout", S, ("control", "treatment"), 0.2, "a single-page checkout"),
    ("free_shipping_threshold", S, ("25", "35", "50"), 0.3, "the order value that unlocks free shipping"),
    ("dark_mode_default", B, (True, False), 0.1, "dark mode on by default"),
    ("product_page_layout", S, ("A", "B", "C"), 0.3, "three product page layouts"),
    ("price_anchor", S, ("control", "strikethrough", "percent_off"), 0.15, "how discounts are displayed"),
    ("cart_upsell", S, ("control", "treatment"), 0.2, "upsell suggestions in the cart"),
    ("infinite_scroll", B, (True, False), 0.25, "infinite scrolling on listings"),
    ("push_optin_prompt", S, ("control", "early", "late"), 0.15, "when the app asks for push permission"),
    ("review_summary_ai", S, ("control", "treatment"), 0.1, "AI summaries of product reviews"),
    ("bundle_discount", S, ("control", "5pct", "10pct"), 0.12, "discounts for product bundles"),
    ("express_pay_button", B, (True, False), 0.2, "an express pay button on product pages"),
    ("address_autocomplete", S, ("control", "google", "loqate"), 0.18, "address autocomplete providers"),
    ("guest_checkout", B, (True, False), 0.1, "checkout without an account"),
    ("image_cdn_v2", B, (True, False), 0.4, "the new image CDN"),
    ("search_autocomplete_v3", S, ("control", "treatment"), 0.25, "the v3 search autocomplete"),
    ("homepage_hero", S, ("deals", "new_arrivals", "personalized"), 0.35, "the homepage hero banner content"),
    ("loyalty_banner", B, (True, False), 0.08, "a loyalty programme banner"),
    ("shipping_eta_display", S, ("control", "date", "days"), 0.2, "how delivery estimates are shown"),
    ("wishlist_v2", B, (True, False), 0.15, "the redesigned wishlist"),
    ("size_guide", S, ("control", "table", "fit_predictor"), 0.1, "size guidance on fashion products"),
    ("reco_carousel_position", S, ("top", "middle", "bottom"), 0.2, "where recommendations appear on the page"),
    ("low_stock_badge", B, (True, False), 0.25, "low-stock badges on products"),
    ("payment_retry_flow", S, ("control", "treatment"), 0.1, "a guided retry after failed payments"),
    ("sticky_add_to_cart", B, (True, False), 0.2, "a sticky add-to-cart button"),
    ("checkout_trust_badges", B, (True, False), 0.15, "trust badges on the checkout page"),
    ("search_spellcheck", S, ("control", "treatment"), 0.3, "spelling correction in search"),
    ("recently_viewed", B, (True, False), 0.25, "a recently-viewed products strip"),
    ("category_nav_v2", S, ("control", "mega_menu", "sidebar"), 0.2, "the category navigation"),
    ("delivery_slots", B, (True, False), 0.05, "choosing a delivery time slot"),
    ("bnpl_messaging", S, ("control", "klarna", "affirm"), 0.12, "buy-now-pay-later messaging"),
    ("video_pdp", B, (True, False), 0.08, "product videos on product pages"),
    ("smart_sort", S, ("control", "treatment"), 0.2, "personalised sort order on listings"),
    ("coupon_field_collapsed", B, (True, False), 0.3, "collapsing the coupon field at checkout"),
    ("reco_email_widget", S, ("control", "treatment"), 0.05, "recommendations in order emails"),
    ("onboarding_quiz", B, (True, False), 0.1, "a style quiz for new users"),
    ("price_drop_alerts", B, (True, False), 0.12, "price drop alerts"),
    ("compare_products", S, ("control", "treatment"), 0.1, "a product comparison table"),
    ("ship_to_store", B, (True, False), 0.08, "shipping to a pickup store"),
    ("pdp_reviews_first", B, (True, False), 0.15, "showing reviews above the description"),
    ("cart_save_for_later", S, ("control", "treatment"), 0.18, "a save-for-later list in the cart"),
    ("search_filters_chips", B, (True, False), 0.22, "filter chips above search results"),
    ("checkout_address_map", S, ("control", "treatment"), 0.07, "a map pin for the delivery address"),
    ("mobile_bottom_nav", S, ("control", "4_tabs", "5_tabs"), 0.3, "the mobile bottom navigation"),
)
ENDED_EXPERIMENTS: tuple[tuple[str, str, tuple, float, str, int], ...] = (
    ("holiday_banner_2025", S, ("control", "treatment"), 0.3, "a holiday banner from last season", 11 * DAY),
    ("search_ranker_v1_holdout", S, ("control", "holdout"), 0.05, "the holdout of the first search ranker", 13 * DAY),
    ("checkout_v1_holdout", B, (True, False), 0.05, "the holdout of the old checkout", 10 * DAY + 5 * 3600),
    ("old_nav", B, (True, False), 0.2, "the previous navigation bar", 9 * DAY),
    ("reco_model_v3_ramp", S, ("control", "treatment"), 0.4, "the v3 recommendation model ramp-up", 12 * DAY),
    ("free_shipping_35", B, (True, False), 0.2, "free shipping from 35 dollars", 8 * DAY),
)
FLAGS: tuple[tuple[str, float, str], ...] = (
    ("dark_mode", 0.6, "dark mode support"), ("express_shipping", 0.8, "express shipping options"),
    ("saved_cards", 0.9, "saved payment cards"), ("apple_pay", 0.5, "Apple Pay at checkout"),
    ("google_pay", 0.5, "Google Pay at checkout"), ("klarna", 0.25, "Klarna payments"),
    ("reviews_v2", 0.35, "the new reviews component"), ("product_videos", 0.15, "product videos"),
    ("gift_cards", 0.7, "gift card redemption"), ("order_tracking_map", 0.3, "the live order tracking map"),
    ("new_search_ui", 0.45, "the new search results UI"), ("chat_support", 0.2, "in-app chat support"),
    ("price_alerts", 0.1, "price alerts"), ("multi_currency", 0.55, "prices in local currency"),
    ("loyalty_points", 0.4, "the loyalty points programme"), ("wishlist_sharing", 0.2, "sharing wishlists"),
    ("returns_portal", 0.65, "the self-service returns portal"), ("biometric_login", 0.5, "biometric login in the apps"),
    ("same_day_delivery", 0.1, "same-day delivery"), ("ar_try_on", 0.05, "augmented-reality try-on"),
    ("store_locator_v2", 0.3, "the new store locator"), ("subscriptions", 0.12, "subscribe-and-save orders"),
)


def _experiments() -> list[TailColumn]:
    out = []
    for i, (name, typ, values, share, what) in enumerate(EXPERIMENTS):
        gate = f"_user AND hx(_uidx, {900 + i}) % 1000 < {int(share * 1000)}"
        out.append(c(f"exp.{name}", typ, gate, pick(*values), f"Experiment arm of the user in the test of {what}.", key=USER_KEY))
    for i, (name, typ, values, share, what, until) in enumerate(ENDED_EXPERIMENTS):
        gate = f"_user AND hx(_uidx, {960 + i}) % 1000 < {int(share * 1000)}"
        out.append(c(f"exp.{name}", typ, gate, pick(*values), f"Experiment arm of the user in the (ended) test of {what}.", key=USER_KEY, until=until))
    for i, (name, share, what) in enumerate(FLAGS):
        out.append(c(f"feature_flag.{name}", B, "_user", f"(hx(_uidx, {800 + i}) % 1000 < {int(share * 1000)})",
                     f"Whether {what} is enabled for the user.", key=USER_KEY))
    return out


def _deprecated() -> list[TailColumn]:
    """Old semantic-convention names, replaced by an SDK upgrade, and retired custom fields."""
    http_cut = 10 * DAY + 3 * 3600  # 2026-11-10 09:00: OTel SDK upgrade to the stable HTTP conventions
    db_cut = 8 * DAY + 21 * 3600  # 2026-11-11 15:00: database conventions upgrade
    msg_cut = 7 * DAY + 18 * 3600  # 2026-11-12 18:00
    app_cut = 12 * DAY + 6 * 3600  # 2026-11-08 06:00
    D = "Deprecated: "
    return [
        c("http.method", S, HTTP, "_method", D + "old name of http.request.method.", until=http_cut),
        c("http.status_code", I, HTTP, "_status", D + "old name of http.response.status_code.", until=http_cut),
        c("http.url", S, CLIENT_HTTP, "'https://api.example.net/v1'", D + "old name of url.full.", until=http_cut),
        c("http.target", S, SRV_HTTP, "_route", D + "old name of url.path.", until=http_cut),
        c("http.scheme", S, SRV_HTTP, "'https'", D + "old name of url.scheme.", until=http_cut),
        c("http.host", S, ROOT_HTTP, "'api.shop.example.com'", D + "old name of server.address for HTTP.", until=http_cut),
        c("http.user_agent", S, f"{ROOT_HTTP} AND _user", "'ShopApp/' || coalesce(_ver, '')", D + "old name of user_agent.original.", until=http_cut),
        c("http.flavor", S, HTTP, pick("1.1", "2.0"), D + "old name of network.protocol.version.", until=http_cut),
        c("http.client_ip", S, f"{ROOT_HTTP} AND _user", "printf('%d.%d.%d.%d', 20 + {h} % 180, ({h} >> 8) % 256, ({h} >> 16) % 256, 1 + ({h} >> 24) % 254)",
          D + "old name of client.address.", key=USER_KEY, until=http_cut),
        c("http.request_content_length", I, f"{HTTP} AND _method IN ('POST', 'PUT')", irange(40, 2400), D + "old name of http.request.body.size.", until=http_cut),
        c("http.response_content_length", I, HTTP, irange(2, 48000), D + "old name of http.response.body.size.", until=http_cut),
        c("http.server_name", S, ROOT_HTTP, "'api.shop.example.com'", D + "old name of the server's host name.", until=http_cut),
        c("net.peer.name", S, f"{HTTP} OR {DB}", "'peer.shop.svc.cluster.local'", D + "old name of server.address.", until=http_cut),
        c("net.peer.port", I, f"{HTTP} OR {DB}", "(CASE WHEN _dbs = 'postgresql' THEN 5432 WHEN _dbs = 'redis' THEN 6379 ELSE 443 END)", D + "old name of server.port.", until=http_cut),
        c("net.host.name", S, SRV_HTTP, "'api.shop.example.com'", D + "old name of the server's host name.", until=http_cut),
        c("net.host.port", I, SRV_HTTP, "8080", D + "old name of the server's listening port.", until=http_cut),
        c("net.transport", S, f"{HTTP} OR {DB}", "'ip_tcp'", D + "old name of network.transport.", until=http_cut),
        c("net.sock.peer.addr", S, f"{SERVER} AND NOT _root", "printf('10.%d.%d.%d', 10 + _reg, ({h} >> 8) % 64, 2 + ({h} >> 16) % 250)", D + "old name of network.peer.address.", until=http_cut),
        c("net.sock.peer.port", I, f"{SERVER} AND NOT _root", irange(32768, 60999), D + "old name of network.peer.port.", until=http_cut),
        c("db.statement", S, PG, "'SELECT * FROM ' || _dbtable || ' WHERE id = ?'", D + "old name of db.query.text.", until=db_cut),
        c("db.name", S, DB, "(CASE WHEN _dbs = 'postgresql' THEN 'shop' ELSE '0' END)", D + "old name of db.namespace.", until=db_cut),
        c("db.user", S, PG, "'shop_app'", D + "database user; no longer recorded.", until=db_cut),
        c("db.operation", S, DB, "_dbop", D + "old name of db.operation.name.", until=db_cut),
        c("db.sql.table", S, PG, "_dbtable", D + "old name of db.collection.name.", until=db_cut),
        c("db.redis.database_index", I, REDIS, "0", D + "old name of db.namespace for redis.", until=db_cut),
        c("db.connection_string", S, PG, "'postgresql://shop-db:5432/shop'", D + "database connection string; no longer recorded.", until=db_cut),
        c("messaging.destination", S, MSG, "_msgdest", D + "old name of messaging.destination.name.", until=msg_cut),
        c("messaging.kafka.partition", I, MSG, "({h} % 12)", D + "old name of messaging.destination.partition.id.", key="_t", until=msg_cut),
        c("messaging.operation", S, MSG, "(CASE WHEN _kind = 'producer' THEN 'publish' ELSE 'process' END)", D + "old name of messaging.operation.type.", until=msg_cut),
        c("messaging.message_id", S, MSG, uuid(), D + "old name of messaging.message.id.", key="_t", until=msg_cut),
        c("deployment.environment", S, ALL, "'production'", D + "old name of deployment.environment.name.", until=msg_cut),
        c("otel.library.name", S, "_kind = 'server'", "'shop.' || " + by("_svc", SERVICES), D + "old name of otel.scope.name.", until=http_cut),
        c("otel.library.version", S, "_kind = 'server'", "'1.0.0'", D + "old name of otel.scope.version.", until=http_cut),
        c("enduser.id", S, USER_ROOT, "'usr_' || " + hexid(10).replace("{h}", "hx(_uidx, 5)"), D + "old user id attribute; use user.id.", until=app_cut),
        c("app.legacy_cart_id", S, CART_MAIN, "'lc-' || ({h} % 900000)::VARCHAR", D + "cart id of the old cart service.", key=USER_KEY, until=app_cut),
        c("app.old_checkout_step", I, CHECKOUT, irange(1, 4), D + "numeric checkout step of the old checkout.", until=app_cut),
        c("app.v1.session_token_type", S, f"_role = {ROLES.index('auth')}", pick("jwt", "opaque"), D + "token type of the v1 auth API.", until=10 * DAY),
        c("app.v1.api_client", S, "_root AND _user", pick("ios-legacy", "android-legacy", "web-legacy"), D + "client name sent by the v1 API.", until=9 * DAY + 7 * 3600),
        c("app.search.legacy_engine", S, SEARCH, "'solr'", D + "search engine before the migration to the new ranker.", until=11 * DAY + 2 * 3600),
        c("app.payment.gateway", S, PAY, "_prov", D + "old name of app.payment.provider.", until=10 * DAY + 4 * 3600),
        c("app.cache.hit", B, "_cache", "NOT _miss", D + "old name of app.cache_hit.", until=9 * DAY + 10 * 3600),
        c("app.user.plan", S, USER_ROOT, "'legacy'", D + "old name of app.user_tier.", until=12 * DAY),
    ]  # fmt: skip


TAIL_COLUMNS: tuple[TailColumn, ...] = tuple(
    sorted(
        _headers() + _network() + _resource() + _rpc_db_messaging() + _app() + _runtime_metrics()
        + _experiments() + _deprecated(),
        key=lambda col: col.name,
    )
)


# fmt: on


def _value_sql(col: TailColumn, salt: int) -> str:
    h = f"hx({col.key}, {salt})"
    expr = col.expr.replace("{h}", h)
    expr = expr.replace("{u}", f"(({h} >> 11)::DOUBLE / 9007199254740992.0)")
    return expr.replace(
        "{z}",
        f"(sqrt(-2 * ln((({h} >> 32)::DOUBLE + 0.5) / 4294967296.0)) "
        f"* cos(2 * pi() * (({h} & 4294967295::UBIGINT)::DOUBLE / 4294967296.0)))",
    )


def _salt(i: int) -> int:
    return 10_000 + i * 7


def dim_name(i: int) -> str:
    return f"d{i}_"


def dim_sql(level: str) -> list[str]:
    """Select items computing the ``level`` ("pod" or "user") columns in their dimension table."""
    items = []
    for i, col in enumerate(TAIL_COLUMNS):
        if col.level != level:
            continue
        value = _value_sql(col, _salt(i))
        if level == "user" and col.density < 1.0:
            value = (
                f"CASE WHEN hx(_uidx, {_salt(i) + 1}) % 10000 < {int(col.density * 10000)} THEN {value} END"
            )
        items.append(f"({value})::{col.type} AS {dim_name(i)}")
    return items


def select_sql(seed: int, now_s: int) -> list[str]:
    """One ``CASE WHEN gate THEN value END::TYPE AS "name"`` select item per tail column."""
    items = []
    for i, col in enumerate(TAIL_COLUMNS):
        level = col.level
        value = dim_name(i) if level != "row" else _value_sql(col, _salt(i))
        conds = [] if col.gate == ALL else [f"({col.gate})"]
        if col.until is not None:
            conds.append(f"_ts_s < {now_s - col.until}")
        if col.density < 1.0 and level != "user":
            conds.append(f"hx(_rid, {_salt(i) + 1}) % 10000 < {int(col.density * 10000)}")
        expr = f"CASE WHEN {' AND '.join(conds)} THEN ({value}) END" if conds else value
        items.append(f'({expr})::{col.type} AS "{col.name}"')
    return items
