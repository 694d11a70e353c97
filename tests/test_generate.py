"""The generated telemetry: contract columns, realistic shapes, planted incidents, metadata, determinism."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from workbench.dataset.generate import build as gen
from workbench.dataset.generate.build import CORE_COLUMNS, DEFAULT_NOW, generate

NOW = DEFAULT_NOW.replace(tzinfo=None)

DOMAINS = {
    "service.name": {"frontend", "api-gateway", "auth", "cart", "catalog", "checkout", "payment",
                     "recommendation", "search", "shipping"},
    "span.kind": {"server", "client", "internal", "producer", "consumer"},
    "http.request.method": {"GET", "POST", "PUT", "DELETE"},
    "http.route": {"/api/products", "/api/products/{id}", "/api/search", "/api/recommendations", "/api/cart",
                   "/api/cart/items", "/api/checkout", "/api/payments", "/api/orders/{id}", "/api/login",
                   "/api/shipping/quote", "/healthz"},
    "http.response.status_code": {200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504},
    "app.platform": {"android", "ios", "web"},
    "app.user_tier": {"free", "pro", "enterprise"},
    "cloud.region": {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"},
    "db.system": {"postgresql", "redis"},
    "db.operation.name": {"SELECT", "INSERT", "UPDATE", "GET", "SET"},
    "app.payment.provider": {"stripe", "paypal", "adyen"},
}  # fmt: skip
EXPECTED_TYPES = {
    "timestamp": "TIMESTAMP", "duration_ms": "DOUBLE", "http.response.status_code": "INTEGER",
    "error": "BOOLEAN", "app.cart.item_count": "INTEGER", "app.order.total_usd": "DOUBLE",
    "app.cache_hit": "BOOLEAN", "feature_flag.new_checkout": "BOOLEAN",
}  # fmt: skip


@pytest.fixture(scope="module")
def con(small_dataset_path):
    c = duckdb.connect(str(small_dataset_path), read_only=True)
    yield c
    c.close()


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def test_contract_columns_and_types(con) -> None:
    described = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    for name, typ, _ in CORE_COLUMNS:
        assert described[name] == typ == EXPECTED_TYPES.get(name, "VARCHAR")
    assert list(described)[: len(CORE_COLUMNS)] == [c[0] for c in CORE_COLUMNS]
    assert len(described) >= 400


@pytest.mark.parametrize("column", sorted(DOMAINS))
def test_value_domains(con, column: str) -> None:
    values = {r[0] for r in con.execute(f'SELECT DISTINCT "{column}" FROM events').fetchall()} - {None}
    assert values <= DOMAINS[column]
    # 60k rows are enough for every value of the small domains to show up
    assert len(values) >= len(DOMAINS[column]) - 1


def test_time_window_and_durations(con) -> None:
    first, last = con.execute('SELECT min("timestamp"), max("timestamp") FROM events').fetchone()
    assert NOW - timedelta(days=14) <= first < NOW - timedelta(days=13, hours=23)
    assert NOW - timedelta(minutes=10) < last < NOW
    assert one(con, "SELECT count(*) FROM events WHERE duration_ms <= 0 OR duration_ms IS NULL") == 0


def test_diurnal_traffic(con) -> None:
    by_hour = dict(con.execute('SELECT hour("timestamp"), count(*) FROM events GROUP BY 1').fetchall())
    assert by_hour[16] > 1.8 * by_hour[4]


def test_errors_follow_status_codes(con) -> None:
    rows = con.execute(
        'SELECT error, "http.response.status_code" >= 400, "exception.type" IS NOT NULL, '
        '"exception.message" IS NOT NULL, count(*) FROM events GROUP BY ALL'
    ).fetchall()
    for error, failed_status, has_type, has_message, _ in rows:
        assert has_type == has_message == error
        if failed_status is not None:
            assert failed_status == error
    assert 0.002 < one(con, "SELECT avg(error::INT) FROM events") < 0.05


def test_trace_structure(con) -> None:
    roots = con.execute(
        'SELECT count(*), count(DISTINCT "trace.trace_id") FROM events WHERE "trace.parent_id" IS NULL'
    ).fetchone()
    assert roots[0] == roots[1] == one(con, 'SELECT count(DISTINCT "trace.trace_id") FROM events')
    orphans = one(
        con,
        'SELECT count(*) FROM events c LEFT JOIN events p ON p."trace.trace_id" = c."trace.trace_id" '
        'AND p."trace.span_id" = c."trace.parent_id" WHERE c."trace.parent_id" IS NOT NULL AND p."trace.span_id" IS NULL',
    )
    assert orphans == 0
    assert one(con, 'SELECT count(*) - count(DISTINCT "trace.span_id") FROM events') < 3
    # a child starts no earlier than its parent
    assert (
        one(
            con,
            'SELECT count(*) FROM events c JOIN events p ON p."trace.trace_id" = c."trace.trace_id" '
            'AND p."trace.span_id" = c."trace.parent_id" WHERE c."timestamp" < p."timestamp" '
            "OR c.duration_ms > p.duration_ms + 0.01",
        )
        == 0
    )
    assert one(con, 'SELECT avg(n) FROM (SELECT count(*) n FROM events GROUP BY "trace.trace_id")') > 3


def test_span_kinds_and_names(con) -> None:
    db = con.execute(
        'SELECT DISTINCT "span.kind", "db.system", "db.operation.name", name FROM events WHERE "db.system" IS NOT NULL'
    ).fetchall()
    assert {r[0] for r in db} == {"client"}
    for _, system, op, name in db:
        assert name.startswith(op)
        if system == "postgresql":
            assert name.split(" ")[0] in {"SELECT", "INSERT", "UPDATE"} and len(name.split(" ")) == 2
    names = {r[0] for r in con.execute("SELECT DISTINCT name FROM events").fetchall()}
    assert {"SELECT orders", "GET /api/products", "POST /api/checkout", "orders publish"} <= names
    http_server = one(
        con,
        'SELECT count(*) FROM events WHERE "http.route" IS NOT NULL AND '
        '("span.kind" <> \'server\' OR name <> "http.request.method" || \' \' || "http.route")',
    )
    assert http_server == 0


def test_business_columns(con) -> None:
    where = one(
        con,
        'SELECT count(*) FROM events WHERE "app.order.total_usd" IS NOT NULL '
        "AND NOT (\"service.name\" = 'checkout' AND name = 'POST /api/checkout')",
    )
    assert where == 0
    assert one(con, 'SELECT min("app.order.total_usd") FROM events') > 0
    assert one(con, 'SELECT count(DISTINCT "user.id") FROM events') > 1000
    assert one(con, 'SELECT count(*) FROM events WHERE "app.cache_hit" IS NOT NULL') > 1000
    providers = one(con, 'SELECT count(*) FROM events WHERE "app.payment.provider" IS NOT NULL')
    assert providers > 100


def test_long_tail_is_sparse_and_typed(small_schema) -> None:
    tail = [c for c in small_schema if c.name not in {n for n, _, _ in CORE_COLUMNS}]
    assert len(tail) >= 370
    assert {c.type for c in tail} == {"string", "integer", "float", "boolean"}
    sparse = [c for c in tail if c.null_fraction > 0.8]
    assert len(sparse) > 0.7 * len(tail)
    prefixes = {c.name.split(".")[0] for c in tail}
    assert {"http", "process", "k8s", "exp", "cloud", "messaging", "app", "feature_flag"} <= prefixes
    assert all(c.description and c.description.endswith(".") for c in small_schema)


def test_deprecated_columns_stopped_more_than_7_days_ago(con, small_schema) -> None:
    cutoff = small_schema.now - timedelta(days=7)
    stale = [c for c in small_schema if c.last_written is not None and c.last_written < cutoff]
    assert len(stale) >= 25
    names = {c.name for c in stale}
    assert {"http.method", "db.statement", "exp.holiday_banner_2025"} <= names
    for name in ("http.method", "db.statement"):
        last = one(con, f'SELECT max("timestamp") FROM events WHERE "{name}" IS NOT NULL')
        assert last is not None and last < NOW - timedelta(days=7)
    assert len(small_schema.active(7)) < len(small_schema) - 25


def test_metadata_matches_the_data(con, small_schema) -> None:
    for name in ("service.name", "http.response.status_code", "app.user_tier", "exp.search_ranker_v2"):
        col = small_schema.get(name)
        exact = one(con, f'SELECT count(DISTINCT "{name}") FROM events')
        assert col.distinct_count == exact
        assert col.values is not None and len(col.values) == exact
        top = one(
            con,
            f'SELECT "{name}" FROM events WHERE "{name}" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1',
        )
        assert col.sample_values[0] == top
    for name in ("user.id", "trace.trace_id", "duration_ms", "timestamp", "k8s.pod.name"):
        col = small_schema.get(name)
        assert col.distinct_count == one(con, f'SELECT count(DISTINCT "{name}") FROM events')
        assert col.values is None
        top = con.execute(
            f'SELECT "{name}" FROM events WHERE "{name}" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5'
        ).fetchall()
        assert list(col.sample_values) == ([] if name == "timestamp" else [r[0] for r in top])
    for name in ("app.order.total_usd", "exception.type", "messaging.system", "app.checkout.step"):
        col = small_schema.get(name)
        last, nulls = con.execute(
            f'SELECT max("timestamp") FILTER (WHERE "{name}" IS NOT NULL), avg(("{name}" IS NULL)::INT) FROM events'
        ).fetchone()
        assert col.last_written == last.replace(tzinfo=UTC)
        assert col.null_fraction == pytest.approx(nulls)
    never = small_schema.get("app.debug.sql_trace")
    assert never.last_written is None and never.distinct_count == 0 and never.null_fraction == 1.0
    info = dict(con.execute("SELECT key, value FROM dataset_info").fetchall())
    assert info["now"] == "2026-11-20T12:00:00Z" and info["rows"] == "60000" and info["seed"] == "7"


# --- planted incidents --------------------------------------------------------------------------


def test_android_530_latency_regression(con) -> None:
    sql = """
        SELECT quantile_cont(duration_ms, 0.99) FROM events
        WHERE "http.route" = '/api/products/{id}' AND "trace.parent_id" IS NULL
          AND "timestamp" >= TIMESTAMP '2026-11-18' AND (COND)
    """
    android_530 = "\"app.platform\" = 'android' AND \"app.version\" = '5.3.0'"
    bad = one(con, sql.replace("COND", android_530))
    good = one(con, sql.replace("COND", f"NOT ({android_530})"))
    assert bad > 4 * good
    before = one(
        con,
        "SELECT count(*) FROM events WHERE \"app.version\" = '5.3.0' AND \"timestamp\" < TIMESTAMP '2026-11-17 09:00'",
    )
    assert before == 0
    # "slow endpoints for android users yesterday": the regressed routes top the list
    top = con.execute("""
        SELECT "http.route" FROM events
        WHERE "app.platform" = 'android' AND "timestamp" >= TIMESTAMP '2026-11-19' AND "timestamp" < TIMESTAMP '2026-11-20'
          AND "http.route" IS NOT NULL
        GROUP BY 1 ORDER BY quantile_cont(duration_ms, 0.99) DESC LIMIT 3
    """).fetchall()  # fmt: skip
    assert {r[0] for r in top} & {"/api/products/{id}", "/api/search", "/api/recommendations"}
    assert top[0][0] == "/api/search"  # the quickstart's story: the Android search regression comes first


def test_payment_error_burst_in_eu_west_1(con) -> None:
    sql = """
        SELECT avg(error::INT) FROM events
        WHERE "service.name" = 'payment' AND "span.kind" = 'server' AND "cloud.region" = 'eu-west-1' AND {cond}
    """
    window = "\"timestamp\" >= TIMESTAMP '2026-11-18 14:00' AND \"timestamp\" < TIMESTAMP '2026-11-18 17:00'"
    inside = one(con, sql.format(cond=window))
    outside = one(con, sql.format(cond=f"NOT ({window})"))
    assert inside > 0.15 and outside < 0.03
    assert (
        one(
            con,
            "SELECT count(*) FROM events WHERE \"exception.type\" = 'TimeoutError' AND NOT (" + window + ")",
        )
        == 0
    )


def test_slow_orders_query_window(con) -> None:
    sql = "SELECT median(duration_ms) FROM events WHERE name = 'SELECT orders' AND {cond}"
    window = "\"timestamp\" >= TIMESTAMP '2026-11-18 08:00' AND \"timestamp\" < TIMESTAMP '2026-11-18 11:00'"
    assert one(con, sql.format(cond=window)) > 6 * one(con, sql.format(cond=f"NOT ({window})"))


def test_cart_bad_deploy(con) -> None:
    window = "\"timestamp\" >= TIMESTAMP '2026-11-16 09:30' AND \"timestamp\" < TIMESTAMP '2026-11-16 12:30'"
    npe = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {window}) FROM events "
        "WHERE \"exception.type\" = 'java.lang.NullPointerException'"
    ).fetchone()
    assert npe[0] >= 3 and npe[0] == npe[1]
    versions = {r[0] for r in con.execute(
        f"SELECT DISTINCT \"service.version\" FROM events WHERE \"service.name\" = 'cart' AND {window}"
    ).fetchall()}  # fmt: skip
    assert versions == {"2.14.0"}


# --- determinism, atomic writes, generator plumbing ------------------------------------------------


def _canonical(value: object) -> object:
    """A JSON-ready value that does not depend on how DuckDB or Python prints it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(path: Path) -> tuple[int, str]:
    """(rows, sha256) over everything the generator writes: the columns and their types, every row of
    ``events`` (as canonical JSON lines, sorted), ``column_metadata`` and ``dataset_info``.

    Computed in Python so it depends on the data alone, not on DuckDB's hash() or row order.
    """
    digest = hashlib.sha256()

    def add(rows) -> None:
        for line in sorted(json.dumps(_canonical(list(r)), sort_keys=True) for r in rows):
            digest.update(line.encode() + b"\n")
        digest.update(b"--\n")

    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute("SELECT column_name, column_type FROM (DESCRIBE events)").fetchall()
        digest.update(json.dumps(columns).encode())
        events = con.execute("SELECT * FROM events").fetchall()
        add(events)
        add(con.execute("SELECT * FROM column_metadata").fetchall())
        add(con.execute("SELECT key, value FROM dataset_info").fetchall())
    return len(events), digest.hexdigest()


def test_deterministic_for_seed_and_rows(tmp_path) -> None:
    a = fingerprint(generate(tmp_path / "a.duckdb", rows=8_000, seed=3))
    b = fingerprint(generate(tmp_path / "b.duckdb", rows=8_000, seed=3, threads=1))
    c = fingerprint(generate(tmp_path / "c.duckdb", rows=8_000, seed=4))
    assert a == b
    assert a[0] == c[0] == 8_000
    assert a[1] != c[1]


def test_now_moves_the_window(tmp_path) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    p = generate(tmp_path / "n.duckdb", rows=3_000, seed=1, now=now)
    with duckdb.connect(str(p), read_only=True) as con:
        first, last = con.execute('SELECT min("timestamp"), max("timestamp") FROM events').fetchone()
        info = dict(con.execute("SELECT * FROM dataset_info").fetchall())
    assert datetime(2024, 12, 18) <= first and last < datetime(2025, 1, 1)
    assert info["now"] == "2025-01-01T00:00:00Z"


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(gen, "_fill", boom)
    target = tmp_path / "t.duckdb"
    with pytest.raises(KeyboardInterrupt):
        generate(target, rows=1_000)
    assert list(tmp_path.iterdir()) == []


def test_tiny_and_odd_row_counts(tmp_path) -> None:
    for rows in (1, 7, 1_234):
        p = generate(tmp_path / f"r{rows}.duckdb", rows=rows, seed=5)
        with duckdb.connect(str(p), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM events").fetchone()[0] == rows
    with pytest.raises(ValueError):
        generate(tmp_path / "zero.duckdb", rows=0)


def test_overwrites_existing_file(tmp_path) -> None:
    target = tmp_path / "x.duckdb"
    target.write_text("not a database")
    generate(target, rows=500)
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 500


#: GENERATOR_VERSION -> fingerprint() of generate(rows=3_000, seed=1): one per version, the same on
#: every DuckDB release the project allows (the data and its metadata must not depend on DuckDB's patch).
FINGERPRINTS = {
    "3": (3_000, "c2ebce9a6168faaf63c9d45a8da77ba0548b6066e0b0047740bdc0766cd91752"),
    # 4: the slow SELECT orders incident moved from Nov 19 to Nov 18 (the headline question's day)
    "4": (3_000, "5cdf43d35f248b3211506bd33ca70082d6e974594944018d2e67a7dc2c904525"),
}


def test_generated_data_changes_only_with_the_generator_version(tmp_path) -> None:
    """The version is part of every dataset identity: data that changes under an old version lies about it."""
    assert gen.GENERATOR_VERSION in FINGERPRINTS, "record the fingerprint of the new GENERATOR_VERSION"
    got = fingerprint(generate(tmp_path / "fp.duckdb", rows=3_000, seed=1))
    assert got == FINGERPRINTS[gen.GENERATOR_VERSION], (
        f"the generated data or its metadata changed ({got}): bump GENERATOR_VERSION in "
        "workbench/dataset/generate/build.py and record the new fingerprint"
    )


def test_an_embedded_dataset_from_another_generator_is_regenerated(monkeypatch, tmp_path, capsys) -> None:
    from workbench.dataset import source as dataset

    monkeypatch.setattr(dataset, "DEFAULT_ROWS", 2_000)
    monkeypatch.setattr(dataset.paths, "default_dataset_path", lambda: tmp_path / "telemetry.duckdb")
    first = dataset.open_dataset()
    assert first.info["generator_version"] == gen.GENERATOR_VERSION
    with duckdb.connect(str(first.path)) as con:
        con.execute("UPDATE dataset_info SET value = '0' WHERE key = 'generator_version'")
    capsys.readouterr()
    again = dataset.open_dataset()
    assert "regenerating the embedded dataset" in capsys.readouterr().err
    assert again.info["generator_version"] == gen.GENERATOR_VERSION and again.identity == first.identity
    # a DuckDB file at that path that the generator did not write is never overwritten
    (tmp_path / "telemetry.duckdb").unlink()
    with duckdb.connect(str(tmp_path / "telemetry.duckdb")) as con:
        con.execute("CREATE TABLE events AS SELECT 1 AS x")
    with pytest.raises(dataset.DatasetError):
        dataset.open_dataset()
    with duckdb.connect(str(tmp_path / "telemetry.duckdb"), read_only=True) as con:
        assert con.execute("SELECT x FROM events").fetchall() == [(1,)]
