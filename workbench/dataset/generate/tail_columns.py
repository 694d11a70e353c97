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
(a uniform in [0, 1)) and ``{z}`` (a standard normal); see ``tail_dsl.py``.
Gated-out spans are NULL without evaluating the value. Values that depend only
on the pod or the user are computed once per pod/user in dimension tables
(``TailColumn.level``). This module holds the infrastructure families (headers,
network, resource, RPC/database/messaging, runtime metrics) and the SQL;
``tail_app.py`` the custom ``app.*`` fields, experiments, flags and deprecated
names.
"""

from __future__ import annotations

from workbench.dataset.generate.tail_app import _app, _deprecated, _experiments
from workbench.dataset.generate.tail_dsl import (
    ALL,
    CLIENT_HTTP,
    DB,
    EP,
    ERR,
    GO,
    GRPC,
    HTTP,
    JAVA,
    LANG_NAMES,
    MOBILE_ROOT,
    MSG,
    NODE,
    PG,
    POST_ROOT,
    PY,
    REDIS,
    ROOT_HTTP,
    SERVER,
    SESSION_KEY,
    SRV_HTTP,
    SVC,
    USER_KEY,
    WEB_ROOT,
    F,
    I,
    S,
    TailColumn,
    by,
    c,
    frange,
    hexid,
    irange,
    lognorm,
    pick,
    uuid,
)
from workbench.dataset.generate.traces import CACHED_ROUTES, REGIONS, ROLES, SERVICES


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
