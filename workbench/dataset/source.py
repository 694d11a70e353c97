"""Open a telemetry dataset: the embedded generated one, a DuckDB file, or Parquet/CSV files.

Every dataset is a DuckDB file with a table or view ``events`` that queries run
against through read-only connections. Parquet/CSV files are read through a cached
DuckDB file holding a VIEW over them (``dataset.files``); the user's files are never written.

Connections are locked down: each is a private in-memory DuckDB instance with
the dataset file attached read-only, external access disabled and the
configuration locked, so a query cannot write, read other files, attach
databases or load extensions. Views over Parquet/CSV files need to read their
files: exactly those files are whitelisted (DuckDB's ``allowed_paths``) before
external access is turned off, so external access stays off for them too.
Only views the workbench wrote itself (its cache) get a whitelist: a ``.duckdb``
file from elsewhere is read with no file access at all, from the first query on
(its ``events`` view, its metadata), so a hostile view cannot read secrets.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core import paths
from workbench.core.errors import DatasetError
from workbench.dataset.files import (
    NOT_FOUND_FIX,
    TABLE,
    cached_view,
    check_timestamp,
    expand,
    file_kind,
    fingerprint,
)
from workbench.dataset.generate.build import (
    DEFAULT_NOW,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    generate,
)
from workbench.dataset.lockdown import attach_locked as _attach
from workbench.dataset.metadata import column_info, compute_metadata, iso_utc, quote, utc
from workbench.engines.base import is_dsn
from workbench.engines.duckdb import DuckDBEngine
from workbench.schema.columns import Schema

if TYPE_CHECKING:
    from workbench.dataset.remote import EngineDataset

__all__ = [
    "DEFAULT_NOW",
    "DEFAULT_ROWS",
    "DEFAULT_SEED",
    "Dataset",
    "DatasetError",
    "generate",
    "open_dataset",
]


@dataclass
class Dataset:
    """An opened dataset: where it is, its clock and identity, and read-only connections to it.

    Args:
        path: the DuckDB file queries run against.
        now: the dataset's "now" (UTC); relative times in questions resolve against it.
        identity: short stable id (generator settings, or a summary of the source files).
        source: ``generated``, ``duckdb``, ``parquet`` or ``csv``.
        files: the Parquet/CSV files behind the ``events`` view (empty otherwise).
    """

    path: Path
    now: datetime
    identity: str
    source: str = "duckdb"
    table: str = TABLE
    files: tuple[Path, ...] = ()
    info: dict[str, str] = field(default_factory=dict)
    _metadata: list[dict[str, Any]] | None = field(default=None, repr=False)
    _schema: Schema | None = field(default=None, repr=False)
    _rows: int | None = field(default=None, repr=False)
    _engine: DuckDBEngine | None = field(default=None, repr=False)

    dialect = "duckdb"

    @property
    def engine(self) -> DuckDBEngine:
        """The engine queries run on: one locked connection, opened on first use and reused."""
        if self._engine is None:
            self._engine = DuckDBEngine(self.connect, f"duckdb:{self.path.name}")
        return self._engine

    def close(self) -> None:
        """Close the engine's shared connection (it opens again on the next query)."""
        if self._engine is not None:
            self._engine.close()

    def connect(self, settings: dict[str, Any] | None = None):
        """A new read-only DuckDB connection with external access off and the configuration locked.

        Each connection is its own DuckDB instance with the dataset file attached read-only
        (as database ``dataset``, the default), so its lock-down never affects other connections
        to the same file. ``settings`` (e.g. ``{"threads": 2}``) are applied before the lock.
        """
        con = _attach(self.path, self.files, settings)
        return con

    def schema(self) -> Schema:
        """Column metadata as a :class:`Schema` (computed once, then cached)."""
        if self._schema is None:
            rows = self._metadata if self._metadata is not None else self._read_metadata()
            self._schema = Schema(
                columns=tuple(column_info(r) for r in rows),
                now=self.now,
                identity=self.identity,
                table=self.table,
            )
        return self._schema

    def row_count(self) -> int:
        if self._rows is None:
            with self.connect() as con:
                self._rows = int(con.execute(f"SELECT count(*) FROM {quote(self.table)}").fetchone()[0])
        return self._rows

    def describe(self) -> dict[str, Any]:
        """A summary for ``workbench data info``."""
        schema = self.schema()
        with self.connect() as con:
            first, last = con.execute(
                f'SELECT min("timestamp"), max("timestamp") FROM {quote(self.table)}'
            ).fetchone()
        types: dict[str, int] = {}
        for col in schema:
            types[col.type] = types.get(col.type, 0) + 1
        active = schema.active(7)
        return {
            "path": str(self.path),
            "source": self.source,
            "files": [str(f) for f in self.files],
            "table": self.table,
            "identity": self.identity,
            "now": iso_utc(self.now),
            "now_epoch": int(self.now.timestamp()),
            "rows": self.row_count(),
            "columns": len(schema),
            "columns_active_7d": len(active),
            "columns_inactive_7d": len(schema) - len(active),
            "column_types": types,
            "first_event": iso_utc(utc(first)) if first else None,
            "last_event": iso_utc(utc(last)) if last else None,
            "file_bytes": self.path.stat().st_size if self.path.exists() else None,
            "info": dict(self.info),
        }

    def _read_metadata(self) -> list[dict[str, Any]]:
        import duckdb

        with self.connect() as con:
            try:
                cur = con.execute(
                    "SELECT key_name, type, description, last_written, distinct_count, sample_values, "
                    "domain, null_fraction FROM column_metadata"
                )
            except duckdb.Error as exc:
                raise DatasetError(
                    f"cannot read column_metadata in {self.path}: {str(exc).splitlines()[0]}",
                    "make column_metadata a table (a view may not read files)",
                ) from exc
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _trusted_files(path: Path) -> tuple[Path, ...]:
    """The files behind a dataset the workbench cached itself (its own view); ``()`` for any other file.

    A ``.duckdb`` file from elsewhere names no files its views may read: its ``dataset_info``
    is data, not a whitelist.
    """
    cache = (paths.home() / ".cache" / "datasets").resolve()
    if path.parent != cache:
        return ()
    try:
        con = _attach(path)
    except Exception:
        return ()
    try:
        row = con.execute("SELECT value FROM dataset_info WHERE key = 'files'").fetchone()
        return tuple(Path(f) for f in json.loads(row[0])) if row else ()
    except Exception:
        return ()
    finally:
        con.close()


def generated_identity(rows: int, seed: int, now: str) -> str:
    return fingerprint("generated", GENERATOR_VERSION, rows, seed, now)


def open_dataset(
    source: str | Path | Sequence[str | Path] | None = None,
    *,
    rows: int | None = None,
    seed: int | None = None,
) -> Dataset | EngineDataset:
    """Open a dataset.

    Args:
        source: ``None`` for the embedded dataset (generated on first use), a ``.duckdb`` file
            with an ``events`` table or view, Parquet/CSV files (a path, a glob or a list), or
            a DSN: ``clickhouse://host:8123/db?table=T``, ``chdb:///path?table=T``,
            ``postgresql://host/db?table=T`` (an ``EngineDataset``; see ``dataset.remote``).
        rows, seed: settings of the embedded dataset when ``source`` is ``None``.

    Raises:
        DatasetError: the source is missing or not shaped like events.
    """
    if source is None:
        return _open_default(rows, seed)
    if isinstance(source, str) and is_dsn(source):
        from workbench.dataset.remote import open_dsn

        return open_dsn(source)
    if isinstance(source, str | Path):
        text = str(source)
        if any(ch in text for ch in "*?[") and not Path(text).exists():
            return _open_files(expand([text]))
        p = Path(text).expanduser()
        if not p.exists():
            raise DatasetError(f"dataset not found: {p}", NOT_FOUND_FIX)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if file_kind(f))
            if not files:
                raise DatasetError(f"no .duckdb, .parquet or .csv files in {p}", "pass a file path")
            return (
                _open_files(files)
                if not any(f.suffix == ".duckdb" for f in files)
                else _open_duckdb(files[0])
            )
        if file_kind(p) in ("parquet", "csv"):
            return _open_files([p])
        return _open_duckdb(p)
    return _open_files(expand([str(s) for s in source]))


def _open_default(rows: int | None, seed: int | None) -> Dataset:
    rows = DEFAULT_ROWS if rows is None else rows
    seed = DEFAULT_SEED if seed is None else seed
    path = paths.default_dataset_path()
    if (rows, seed) != (DEFAULT_ROWS, DEFAULT_SEED):
        path = path.with_name(f"telemetry-{rows}-{seed}.duckdb")
    written_by = _generator_version(path) if path.exists() else None
    stale = written_by is not None and written_by != GENERATOR_VERSION  # never overwrite other files
    if not path.exists() or stale:
        why = (
            "regenerating the embedded dataset (written by an older generator)"
            if stale
            else ("generating the embedded dataset")
        )
        print(f"workbench: {why} ({rows:,} rows, seed {seed}) at {path}", file=sys.stderr)
        generate(path, rows=rows, seed=seed)
    return _open_duckdb(path)


def _generator_version(path: Path) -> str | None:
    """The generator version recorded in a generated file (``None`` if unreadable or not generated)."""
    try:
        con = _attach(path)
    except Exception:
        return None
    try:
        row = con.execute("SELECT value FROM dataset_info WHERE key = 'generator_version'").fetchone()
        return None if row is None else str(row[0])
    except Exception:
        return None
    finally:
        con.close()


def _open_duckdb(path: Path, files: Sequence[Path] | None = None) -> Dataset:
    """Open a DuckDB dataset file; ``files``: the Parquet/CSV files of a view the workbench wrote."""
    import duckdb

    path = path.resolve()
    trusted = tuple(files) if files is not None else _trusted_files(path)
    try:
        con = _attach(path, trusted)
    except duckdb.Error as exc:
        raise DatasetError(f"not a DuckDB file: {path}", "pass a .duckdb, .parquet or .csv file") from exc
    with con:
        try:
            info, metadata, now = _read_dataset(con, path)
        except duckdb.Error as exc:  # e.g. a view that reads files: refused, external access is off
            raise DatasetError(
                f"cannot read `{TABLE}` in {path}: {str(exc).splitlines()[0]}",
                "make `events` a table (a view may not read files)",
            ) from exc
    generated = info.get("source") == "generated"
    if generated:
        identity = generated_identity(int(info["rows"]), int(info["seed"]), info["now"])
    elif "identity" in info:
        identity = info["identity"]
    else:
        st = path.stat()
        identity = fingerprint("duckdb", path, st.st_size, st.st_mtime_ns)
    source = info.get("source", "duckdb")
    return Dataset(
        path=path, now=now, identity=identity, source=source, files=trusted, info=info, _metadata=metadata
    )


def _read_dataset(con: Any, path: Path) -> tuple[dict[str, str], list[dict[str, Any]] | None, datetime]:
    """The info, computed metadata (when the file has none) and "now" of an attached dataset."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'dataset'"
        ).fetchall()
    }
    if TABLE not in tables:
        raise DatasetError(f"no `{TABLE}` table in {path}", f"create a table or view named {TABLE}")
    columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE {TABLE}").fetchall()}
    check_timestamp(columns, path)
    info = {}
    if "dataset_info" in tables:
        info = {str(k): str(v) for k, v in con.execute("SELECT key, value FROM dataset_info").fetchall()}
    metadata = None if "column_metadata" in tables else compute_metadata(con, TABLE)
    if "now" in info:
        now = utc(datetime.fromisoformat(info["now"].replace("Z", "+00:00")))
    else:
        last = con.execute(f'SELECT max("timestamp") FROM {TABLE}').fetchone()[0]
        now = utc(last) if last else DEFAULT_NOW
    return info, metadata, now


def _open_files(files: list[Path]) -> Dataset:
    """Parquet/CSV files through their cached DuckDB view (``files.cached_view``)."""
    cache, resolved = cached_view(files)
    return _open_duckdb(cache, resolved)
