"""SQL that builds the traces inside DuckDB: macros, lookup tables, one row per trace (design: ``build``).

Every pseudo-random value is ``hx(key, salt)`` (a re-hash of DuckDB's ``hash``)
of a trace, span, pod or user key, so the data is a pure function of the seed. The spans of
the traces, the pod and user tables and the ``events`` table are ``spans``.
"""

from __future__ import annotations

from workbench.dataset.generate import traces as trace_shapes
from workbench.dataset.generate.shop import (
    FAULT_ID,
    FAULTS,
    HEALTHZ_SHARE,
    INCIDENTS,
    SALE_BOOST,
    WINDOW_SECONDS,
)
from workbench.dataset.generate.traces import ENDPOINT_INDEX, ENDPOINTS, ROLES, SERVICES


def literal(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def sql_list(values, cast: str = "") -> str:
    """A DuckDB list literal of ``values``, cast to ``cast[]`` when given."""
    body = "[" + ", ".join(literal(v) for v in values) + "]"
    return f"({body}::{cast}[])" if cast else body


def platform_sql(u: str) -> str:
    return f"CASE WHEN hx({u}, 101) % 100 < 42 THEN 'android' WHEN hx({u}, 101) % 100 < 72 THEN 'ios' ELSE 'web' END"


def region_sql(u: str) -> str:
    return (f"CASE WHEN hx({u}, 102) % 100 < 40 THEN 0 WHEN hx({u}, 102) % 100 < 60 THEN 1 "
            f"WHEN hx({u}, 102) % 100 < 85 THEN 2 ELSE 3 END")  # fmt: skip


def n_users(rows: int) -> int:
    return max(500, rows // 25)


def setup_sql(seed: int, rows: int, now_s: int) -> list[str]:
    """Macros and small lookup tables shared by the trace and span statements."""
    start = now_s - WINDOW_SECONDS
    stmts = [
        # hash(a, b, c) XORs its last argument in, so hash(x, 1) and hash(x, 2) are strongly
        # correlated; re-hashing the combination makes every (key, salt) stream independent.
        f"CREATE OR REPLACE TEMP MACRO hx(k1_, k2_) AS hash(xor(hash(k1_, {seed}), hash(k2_)))",
        "CREATE OR REPLACE TEMP MACRO u01(k1_, k2_) AS ((hx(k1_, k2_) >> 11)::DOUBLE + 0.5) / 9007199254740992.0",
        "CREATE OR REPLACE TEMP MACRO nrm(k1_, k2_) AS sqrt(-2 * ln(u01(k1_, k2_))) * cos(2 * pi() * u01(k1_, k2_ + 7919))",
        # 336 hours: diurnal weight, cumulative start and width as fractions of all traffic.
        f"""CREATE OR REPLACE TEMP TABLE hours AS
        WITH w AS (
            SELECT range AS h,
                   (1 + 0.55 * cos(2 * pi() * (hour(make_timestamp(({start} + range * 3600) * 1000000)) - 16) / 24))
                   * (CASE WHEN dayofweek(make_timestamp(({start} + range * 3600) * 1000000)) IN (0, 6)
                           THEN 0.8 ELSE 1.0 END) AS w
            FROM range(336))
        SELECT h, (sum(w) OVER (ORDER BY h) - w) / sum(w) OVER () AS cum, w / sum(w) OVER () AS width FROM w""",
    ]
    # Endpoint mixes: 0 normal traffic, 1 the EU flash sale, 2 health checks.
    cum = []
    for mix in (0, 1, 2):
        weights = [
            (0.0 if (e.route == "/healthz") != (mix == 2) else e.weight)
            * (SALE_BOOST.get((e.method, e.route), 1.0) if mix == 1 else 1.0)
            for e in ENDPOINTS
        ]
        acc, total = 0.0, sum(weights)
        for i, w in enumerate(weights):
            if w > 0:
                cum.append(f"({mix}, {i}, {acc / total!r})")
            acc += w
    stmts.append(
        f"CREATE OR REPLACE TEMP TABLE eps AS SELECT * FROM (VALUES {', '.join(cum)}) v(mix, ep, cum)"
    )
    return stmts


def shape_tables_sql() -> list[str]:
    shapes = trace_shapes.all_shapes()
    keys, spans = [], []
    for sh in shapes:
        rows = sh["spans"]
        meds = [r["span"].med for r in rows]
        sigs = [r["span"].sig for r in rows]
        cls = [r["span"].cls for r in rows]
        roles = [ROLES.index(r["span"].role) for r in rows]
        keys.append(
            f"({sh['id']}, {sh['ep']}, {literal(sh['web'])}, {literal(sh['miss'])}, {literal(sh['authfail'])}, "
            f"{sh['hsvc']}, {len(rows)}, {sql_list(meds, 'DOUBLE')}, {sql_list(sigs, 'DOUBLE')}, "
            f"{sql_list(cls, 'INTEGER')}, {sql_list(roles, 'INTEGER')})"
        )
        for r in rows:
            s = r["span"]
            spans.append(
                "(" + ", ".join([
                    str(sh["id"]), str(r["idx"]), literal(r["pidx"]), str(r["size"]), sql_list(r["roles"], "INTEGER"),
                    str(ROLES.index(s.role)), str(SERVICES.index(s.service)), literal(s.kind), literal(s.name),
                    literal(s.method), literal(s.route), literal(s.ok), literal(s.db_system), literal(s.db_op),
                    literal(s.db_table), literal(s.rpc), literal(s.messaging), literal(s.cache),
                ]) + ")"
            )  # fmt: skip
    return [
        f"CREATE OR REPLACE TEMP TABLE shape_keys AS SELECT * FROM (VALUES {', '.join(keys)}) "
        "v(shape, ep, web, miss, authfail, hsvc, n, meds, sigs, cls, roles)",
        f"CREATE OR REPLACE TEMP TABLE shape_spans AS SELECT * FROM (VALUES {', '.join(spans)}) "
        "v(shape, idx, pidx, size, sub_roles, role, svc, kind, sname, method, route, ok, db_system, db_op, "
        "db_table, rpc, msg, cache)",
    ]


# traces_sql is one long function on purpose: it builds one SQL statement whose CTEs depend on each
# other in order (time, user, incidents, fault, own times); split into pieces, the reader would have to
# reassemble the statement to follow it (the code-shape ratchet lists it with this reason).
def traces_sql(seed: int, rows: int, now_s: int, n_keep: int, n_gen: int, *, count_only: bool = False) -> str:
    """One row per trace: shape, span offset, time, user, incidents, fault and own times.

    Trace ``t`` happens at quantile ``(t + jitter) / n_keep`` of the diurnal traffic curve, where
    ``n_keep`` is the number of traces whose spans fit in ``rows``; since the endpoint mix depends
    on time (the EU flash sale), ``_fill`` finds ``n_keep`` by fixed-point iteration, using
    ``count_only`` (kept traces and spans covered, without the per-span work).
    """
    start = now_s - WINDOW_SECONDS
    inc = {k: now_s - v for k, v in INCIDENTS.items()}
    ep = ENDPOINT_INDEX
    n_u = n_users(rows)
    login, healthz = ep[("POST", "/api/login")], ep[("GET", "/healthz")]
    checkout, payments = ep[("POST", "/api/checkout")], ep[("POST", "/api/payments")]
    orders, products_id = ep[("GET", "/api/orders/{id}")], ep[("GET", "/api/products/{id}")]
    cart_eps = (
        ep[("GET", "/api/cart")],
        ep[("POST", "/api/cart/items")],
        ep[("PUT", "/api/cart/items")],
        checkout,
    )
    f = FAULT_ID

    def rule(kind: str, cond: str, p: float, salt: int) -> str:
        return f"WHEN {cond} AND u01(t, {salt}) < {p} THEN {f[kind]}"

    fault_rules = "\n".join([
        f"WHEN authfail THEN {f['token_expired']}",
        rule("invalid_credentials", f"ep = {login}", 0.07, 210),
        rule("provider_timeout", f"ep IN ({checkout}, {payments}) AND region = 2 AND ts_s >= "
             f"{inc['payment_burst_start']} AND ts_s < {inc['payment_burst_end']}",
             "(CASE WHEN provider = 'adyen' THEN 0.7 ELSE 0.25 END)", 211),
        rule("cart_npe", f"ep IN {cart_eps} AND cart_bad", 0.5, 212),
        rule("orders_db_timeout", f"ep IN ({orders}, {checkout}, {payments}) AND slow_orders", 0.03, 213),
        rule("product_not_found", f"ep = {products_id}", 0.03, 214),
        rule("order_not_found", f"ep = {orders}", 0.02, 215),
        rule("order_forbidden", f"ep = {orders}", 0.008, 216),
        rule("out_of_stock", f"ep = {ep[('POST', '/api/cart/items')]}", 0.015, 217),
        rule("inventory_conflict", f"ep = {checkout}", 0.015, 218),
        rule("checkout_validation", f"ep = {checkout}", 0.01, 219),
        rule("bad_query", f"ep = {ep[('GET', '/api/search')]}", 0.007, 220),
        rule("provider_error", f"ep IN ({checkout}, {payments})", 0.005, 221),
        rule("carrier_error", f"ep = {ep[('GET', '/api/shipping/quote')]}", 0.01, 222),
        rule("rate_limited", f"ep <> {healthz}", 0.004, 223),
        rule("internal", f"ep <> {healthz}", 0.0015, 224),
        rule("gw_unavailable", f"ep <> {healthz}", 0.0008, 225),
        rule("gw_timeout", f"ep <> {healthz}", 0.0004, 226),
    ])  # fmt: skip
    fault_roles = sql_list([ROLES.index(x[1]) if x[1] else 0 for x in FAULTS], "INTEGER")
    cached = tuple(ep[("GET", r)] for r in trace_shapes.CACHED_ROUTES)

    def share53(release: str) -> str:
        r = inc[release]
        return f"(CASE WHEN ts_s < {r} THEN 0 ELSE least(0.65, 0.06 + 0.14 * (ts_s - {r}) / 86400) END)"

    q = f"least((t + u01(t, 6)) / {n_keep}.0, 0.9999999)"
    sql = f"""
    CREATE OR REPLACE TEMP TABLE traces AS
    WITH t_base AS (
        SELECT range AS t, u01(range, 0) < {HEALTHZ_SHARE} AS health,
               floor({n_u} * pow(u01(range, 2), 2.2))::BIGINT AS uidx0
        FROM range({n_gen})),
    t_time AS (
        SELECT b.*, least({now_s - 60}.0, {start} + (h.h + ({q} - h.cum) / h.width) * 3600) AS ts_s
        FROM t_base b ASOF JOIN hours h ON {q} >= h.cum),
    t_user AS (
        SELECT *,
               CASE WHEN NOT health THEN uidx0 END AS uidx,
               CASE WHEN NOT health THEN {platform_sql("uidx0")} END AS platform,
               CASE WHEN health THEN (hx(t, 103) % 4)::INTEGER ELSE {region_sql("uidx0")} END AS region
        FROM t_time),
    t_ep AS (
        SELECT u.*, e.ep
        FROM (SELECT *, CASE WHEN health THEN 2
                             WHEN region = 2 AND ts_s >= {inc["payment_burst_start"]}
                                  AND ts_s < {inc["payment_burst_end"]} THEN 1 ELSE 0 END AS mix,
                        u01(t, 1) AS ue
              FROM t_user) u
        ASOF JOIN eps e ON e.mix = u.mix AND u.ue >= e.cum),
    t_flags AS (
        SELECT *,
               ep IN {cached} AND u01(t, 3) < 0.28 AS miss0,
               ep NOT IN ({login}, {healthz}) AND u01(t, 4) < 0.006 AS authfail,
               CASE WHEN ep = {healthz} THEN (hx(t, 5) % {len(SERVICES)})::INTEGER ELSE -1 END AS hsvc
        FROM t_ep),
    t_shape AS (
        SELECT u.*, k.shape, k.n, k.meds, k.sigs, k.cls, k.roles AS roles_by_idx,
               sum(k.n) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - k.n AS off
        FROM t_flags u JOIN shape_keys k
          ON k.ep = u.ep AND k.web = (coalesce(u.platform, '') = 'web') AND k.miss = u.miss0
         AND k.authfail = u.authfail AND k.hsvc = u.hsvc),
    t_kept AS (SELECT * FROM t_shape WHERE off < {rows}),
    t_ver AS (
        SELECT *,
               CASE WHEN platform IS NULL THEN NULL
                    WHEN u01(uidx, 104) < (CASE platform WHEN 'android' THEN {share53("release_53_android")}
                                                         WHEN 'ios' THEN {share53("release_53_ios")}
                                                         ELSE (ts_s >= {inc["release_53_web"]})::INTEGER END)
                         THEN '5.3.0'
                    WHEN platform = 'web' THEN '5.2.0'
                    WHEN u01(uidx, 105) < least(0.92, 0.6 + 0.025 * (ts_s - {start}) / 86400) THEN '5.2.0'
                    ELSE '5.1.0' END AS version,
               CASE WHEN region = 2 THEN (['stripe', 'stripe', 'paypal', 'adyen', 'adyen'])[1 + (hx(t, 7) % 5)::BIGINT]
                    ELSE (['stripe', 'stripe', 'stripe', 'paypal', 'paypal', 'adyen'])[1 + (hx(t, 7) % 6)::BIGINT]
                    END AS provider,
               ts_s >= {inc["slow_orders_start"]} AND ts_s < {inc["slow_orders_end"]} AS slow_orders,
               ts_s >= {inc["cart_release_start"]} AND ts_s < {inc["cart_release_end"]} AS cart_bad
        FROM t_kept),
    t_fault AS (
        SELECT *, CASE {fault_rules} ELSE 0 END AS fk FROM t_ver),
    t_final AS (
        SELECT *,
               CASE WHEN fk = {f["cart_npe"]} AND ep = {checkout} THEN {ROLES.index("cart")}
                    ELSE {fault_roles}[fk + 1] END AS frole,
               CASE fk WHEN {f["provider_timeout"]} THEN 10000 WHEN {f["orders_db_timeout"]} THEN 5000
                       WHEN {f["gw_timeout"]} THEN 15000 ELSE 0 END AS timeout_ms,
               platform = 'android' AND version = '5.3.0' AS regressed,
               ([1.0, 1.05, 1.1, 1.35])[region + 1] AS rmul
        FROM t_fault)
    SELECT t, ep, uidx, platform, region, shape, n, off, ts_s, version, provider, slow_orders, cart_bad,
           fk, frole, regressed, miss0 AS miss, hsvc,
           ep = {ep[("GET", "/api/products")]} AND fk = 0 AND u01(t, 8) < 0.005 AS redirect,
           list_transform(generate_series(1, n), lambda i:
               meds[i] * rmul * exp(sigs[i] * nrm(t * 64 + i, 9))
               * (CASE cls[i] WHEN 1 THEN (CASE WHEN regressed THEN 20 ELSE 1 END)
                              WHEN 2 THEN (CASE WHEN slow_orders THEN 12 ELSE 1 END) ELSE 1 END)
               + (CASE WHEN roles_by_idx[i] = frole THEN timeout_ms ELSE 0 END)) AS owns
    FROM t_final
    """
    if count_only:
        head = sql.split("CREATE OR REPLACE TEMP TABLE traces AS", 1)[1].split("    t_ver AS (", 1)[0]
        return head.rstrip().rstrip(",") + "\n    SELECT count(*), coalesce(max(off + n), 0) FROM t_kept"
    return sql
