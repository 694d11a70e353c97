"""Building blocks of the long-tail column catalogue: ``TailColumn``, value helpers and span gates.

Value helpers return SQL with placeholders the generator fills per column:
``{h}`` (a hash of the column's ``key``), ``{u}`` (a uniform in [0, 1)) and
``{z}`` (a standard normal). Gates are SQL conditions over the generator's base
fields (``_root``, ``_http``, ``_svc``, ``_user``...), see ``spans``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.dataset.generate.traces import ENDPOINT_INDEX, ROLES, SERVICES

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
