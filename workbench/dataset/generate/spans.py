"""SQL that turns traces into span rows: pod and user dimension tables, base fields per span, then
the contract columns of ``events`` (the traces themselves are ``sql``; design: ``build``).
"""

from __future__ import annotations

from workbench.dataset.generate import tail_columns
from workbench.dataset.generate.shop import (
    CORE_COLUMNS,
    FAULTS,
    NODES_PER_REGION,
    PODS_PER_SERVICE,
    SERVICE_LANG,
    WINDOW_SECONDS,
)
from workbench.dataset.generate.sql import literal, n_users, platform_sql, region_sql, sql_list
from workbench.dataset.generate.traces import ENDPOINT_INDEX, REGIONS, ROLES, SERVICES

__all__ = ["create_table_sql", "descriptions", "dims_sql", "spans_sql"]


def _pods() -> tuple[list[str], list[int], list[str]]:
    """Pod names (per service, per region, plus cart's bad 2.14.0 replica set), their node index, node names."""
    import hashlib

    def h(s: str, n: int) -> str:
        return hashlib.sha256(s.encode()).hexdigest()[:n]

    alphabet = "bcdfghjklmnpqrstvwxz2456789"

    def suffix(s: str) -> str:
        d = int(h(s, 12), 16)
        return "".join(alphabet[(d >> (5 * i)) % len(alphabet)] for i in range(5))

    pods, pod_node = [], []
    for variant in ("", "-2.14.0"):
        for si, svc in enumerate(SERVICES):
            for ri, region in enumerate(REGIONS):
                rs = h(f"{svc}{region}{variant}", 10)
                for k in range(PODS_PER_SERVICE[si]):
                    pods.append(f"{svc}-{rs}-{suffix(f'{svc}{region}{variant}{k}')}")
                    pod_node.append(
                        ri * NODES_PER_REGION + int(h(f"{svc}{k}{variant}", 4), 16) % NODES_PER_REGION
                    )
    nodes = []
    for ri, region in enumerate(REGIONS):
        domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
        for k in range(NODES_PER_REGION):
            nodes.append(f"ip-10-{10 + ri}-{16 * (k % 4) + 3}-{int(h(region + str(k), 2), 16)}.{domain}")
    return pods, pod_node, nodes


def pod_offsets() -> tuple[list[int], int]:
    """Index of each service's first pod in the pod list, and where the 2.14.0 cart pods start."""
    offs, acc = [], 0
    for n in PODS_PER_SERVICE:
        offs.append(acc)
        acc += n * len(REGIONS)
    return offs, acc


def spans_sql(seed: int, rows: int, now_s: int, lo: int, hi: int) -> str:
    """Insert the spans of traces ``lo <= t < hi`` into ``events``."""
    cols = core_select_sql(seed, now_s) + tail_columns.select_sql(seed, now_s)
    return f"INSERT INTO events SELECT {', '.join(cols)} FROM ({span_rows_sql(seed, rows, now_s, lo, hi)})"


def span_rows_sql(seed: int, rows: int, now_s: int, lo: int, hi: int) -> str:
    """One row of base fields (``_t``, ``_svc``, ``_status``...) per span of traces ``lo <= t < hi``."""
    offs, bad_base = pod_offsets()
    npods = sql_list(PODS_PER_SERVICE, "INTEGER")
    cart = SERVICES.index("cart")
    f_code = sql_list([x[2] for x in FAULTS], "INTEGER")
    u_code = sql_list([x[3] or None for x in FAULTS], "INTEGER")
    base = f"""
    SELECT tr.t AS _t, sp.idx AS _idx, tr.off + sp.idx AS _rid, sp.svc AS _svc,
           ({sql_list(SERVICE_LANG, "INTEGER")})[sp.svc + 1] AS _lang,
           sp.kind AS _kind, sp.role AS _role, sp.pidx IS NULL AS _root, sp.method IS NOT NULL AS _http,
           sp.route IS NOT NULL AS _srv_http, sp.rpc IS NOT NULL AS _grpc, sp.rpc AS _rpc,
           sp.db_system AS _dbs, sp.db_op AS _dbop, sp.db_table AS _dbtable, sp.msg AS _msgdest,
           sp.kind IN ('producer', 'consumer') AS _msg, tr.ep AS _ep, sp.route AS _route, sp.method AS _method,
           tr.platform AS _plat, tr.platform IN ('android', 'ios') AS _mobile, tr.region AS _reg,
           tr.uidx AS _uidx, tr.uidx IS NOT NULL AS _user, tr.version AS _ver, tr.fk AS _fk,
           tr.ts_s + coalesce(list_sum(tr.owns[1:sp.idx]), 0) / 1000 AS _ts_s,
           list_sum(tr.owns[sp.idx + 1:sp.idx + sp.size]) AS _dur,
           tr.fk > 0 AND list_contains(sp.sub_roles, tr.frole) AS _err,
           sp.role = tr.frole AS _fault, sp.ok AS _ok, tr.redirect AS _redirect, sp.sname AS _name,
           tr.n AS _n, tr.provider AS _prov, tr.miss AS _miss, sp.cache AS _cache, tr.cart_bad AND sp.svc = {cart} AS _bad_cart,
           (CASE WHEN tr.cart_bad AND sp.svc = {cart} THEN {bad_base} ELSE 0 END)
             + ({sql_list(offs, "INTEGER")})[sp.svc + 1] + tr.region * {npods}[sp.svc + 1]
             + (hx(tr.t * 16 + sp.svc, 41) % {npods}[sp.svc + 1])::INTEGER AS _pod,
           hx(tr.t * 64 + sp.idx, 33) AS _span_h,
           CASE WHEN sp.pidx IS NOT NULL THEN hx(tr.t * 64 + sp.pidx, 33) END AS _parent_h
    FROM traces tr JOIN shape_spans sp ON sp.shape = tr.shape
    WHERE tr.t >= {lo} AND tr.t < {hi} AND tr.off + sp.idx < {rows}
    """
    return f"""
    SELECT b.*, p.* EXCLUDE (_pod, _svc, _reg, _lang, _bad_cart), u.* EXCLUDE (_uidx, _plat, _reg, _mobile),
           floor((b._ts_s - {now_s - WINDOW_SECONDS}) / 86400)::INTEGER AS _day,
           CASE WHEN b._ok IS NULL THEN NULL
                WHEN b._err THEN CASE WHEN b._fault THEN ({f_code})[b._fk + 1] ELSE ({u_code})[b._fk + 1] END
                WHEN b._redirect AND b._srv_http THEN 301 ELSE b._ok END AS _status
    FROM ({base}) b JOIN pods p ON p._pod = b._pod LEFT JOIN users u ON u._uidx = b._uidx
    """


def dims_sql(seed: int, rows: int) -> list[str]:
    """The pod and user dimension tables: attributes computed once per pod / user, joined to spans."""
    pods, pod_node, nodes = _pods()
    offs, bad_base = pod_offsets()
    values = []
    for i, (name, node) in enumerate(zip(pods, pod_node, strict=True)):
        j = i if i < bad_base else i - bad_base
        svc = next(s for s in range(len(SERVICES) - 1, -1, -1) if offs[s] <= j)
        reg = (j - offs[svc]) // PODS_PER_SERVICE[svc]
        values.append(f"({i}, {svc}, {SERVICE_LANG[svc]}, {reg}, {node}, {literal(name)}, {literal(nodes[node])}, "
                      f"{literal(i >= bad_base)})")  # fmt: skip
    tiers = "['free', 'free', 'free', 'free', 'free', 'free', 'free', 'pro', 'pro', 'pro', 'enterprise']"
    pod_items = ", ".join(["*", *tail_columns.dim_sql("pod")])
    user_items = ", ".join(["*", *tail_columns.dim_sql("user")])
    return [
        f"""CREATE OR REPLACE TEMP TABLE pods AS SELECT {pod_items} FROM (VALUES {", ".join(values)})
            v(_pod, _svc, _lang, _reg, _node, _pod_name, _host, _bad_cart)""",
        f"""CREATE OR REPLACE TEMP TABLE users AS SELECT {user_items} FROM (
            SELECT *, _plat IN ('android', 'ios') AS _mobile FROM (
                SELECT range AS _uidx, {platform_sql("range")} AS _plat, ({region_sql("range")})::INTEGER AS _reg,
                       ({tiers})[1 + (hx(range, 107) % 11)::BIGINT] AS _tier,
                       printf('usr_%010x', hx(range, 106) >> 24) AS _user_id
                FROM range({n_users(rows)})))""",
    ]


def core_select_sql(seed: int, now_s: int) -> list[str]:
    """Select items computing the contract columns from the base fields."""
    f_type = sql_list([x[4] or None for x in FAULTS], "VARCHAR")
    f_msg = sql_list([x[5] or None for x in FAULTS], "VARCHAR")
    u_type = sql_list([x[6] or None for x in FAULTS], "VARCHAR")
    u_msg = sql_list([x[7] or None for x in FAULTS], "VARCHAR")
    cart = SERVICES.index("cart")
    ep = ENDPOINT_INDEX
    checkout_main = f"(_ep = {ep[('POST', '/api/checkout')]} AND _role = {ROLES.index('main')})"
    pay_spans = f"(_svc = {SERVICES.index('payment')} OR {checkout_main})"
    item_spans = f"((_svc = {cart} AND _kind = 'server') OR {checkout_main})"
    core = {
        "timestamp": "make_timestamp((_ts_s * 1000000)::BIGINT)",
        "trace.trace_id": "printf('%016x%016x', hx(_t, 31), hx(_t, 32))",
        "trace.span_id": "printf('%016x', _span_h)",
        "trace.parent_id": "CASE WHEN _parent_h IS NOT NULL THEN printf('%016x', _parent_h) END",
        "service.name": f"({sql_list(SERVICES)})[_svc + 1]",
        "name": "_name",
        "span.kind": "_kind",
        "duration_ms": "round(_dur, 3)",
        "http.request.method": "_method",
        "http.route": "_route",
        "http.response.status_code": "_status",
        "error": "_err",
        "exception.type": f"CASE WHEN _err THEN CASE WHEN _fault THEN ({f_type})[_fk + 1] ELSE ({u_type})[_fk + 1] END END",
        "exception.message": f"CASE WHEN _err THEN CASE WHEN _fault THEN ({f_msg})[_fk + 1] ELSE ({u_msg})[_fk + 1] END END",
        "app.platform": "_plat",
        "app.version": "_ver",
        "user.id": "_user_id",
        "app.user_tier": "_tier",
        "cloud.region": f"({sql_list(REGIONS)})[_reg + 1]",
        "k8s.pod.name": "_pod_name",
        "host.name": "_host",
        "db.system": "_dbs",
        "db.operation.name": "_dbop",
        "app.cart.item_count": f"CASE WHEN {item_spans} THEN least(40, greatest(1, round(2.4 * exp(0.7 * nrm(_t, 120)))))::INTEGER END",
        "app.order.total_usd": f"CASE WHEN {checkout_main} THEN round(greatest(4.99, 58 * exp(0.75 * nrm(_t, 121))), 2) END",
        "app.payment.provider": f"CASE WHEN {pay_spans} AND _ep IN ({ep[('POST', '/api/checkout')]}, {ep[('POST', '/api/payments')]}) THEN _prov END",
        "app.cache_hit": "CASE WHEN _cache THEN NOT _miss END",
        "feature_flag.new_checkout": f"CASE WHEN _user THEN hx(_uidx, 108) % 1000 < 100 + 400 * (_ts_s - {now_s - WINDOW_SECONDS}) / {WINDOW_SECONDS} END",
    }  # fmt: skip
    return [f'({core[name]})::{typ} AS "{name}"' for name, typ, _ in CORE_COLUMNS]


def create_table_sql() -> str:
    cols = [f'"{n}" {t}' for n, t, _ in CORE_COLUMNS]
    cols += [f'"{c.name}" {c.type}' for c in tail_columns.TAIL_COLUMNS]
    return f"CREATE TABLE events ({', '.join(cols)})"


def descriptions() -> dict[str, str]:
    """Column name -> one-sentence description, for every generated column."""
    d = {n: desc for n, _, desc in CORE_COLUMNS}
    d.update({c.name: c.description for c in tail_columns.TAIL_COLUMNS})
    return d
