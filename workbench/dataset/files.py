"""Parquet and CSV files as a dataset: which files a path or glob names, and their cached DuckDB view.

For Parquet/CSV input the workbench writes a small DuckDB file into the home's
``.cache/datasets/`` holding a VIEW ``events`` over the files (absolute paths) plus computed
metadata; the user's files are never written. The cache is keyed by the files' paths, sizes and
modification times, so an edited file gets a new cache entry. ``source.open_dataset`` opens it.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import json
from pathlib import Path

from workbench.core import paths
from workbench.core.errors import DatasetError
from workbench.dataset.generate.build import DEFAULT_NOW
from workbench.dataset.metadata import iso_utc, utc, write_metadata

__all__ = [
    "FILE_KINDS",
    "NOT_FOUND_FIX",
    "TABLE",
    "cached_view",
    "check_timestamp",
    "expand",
    "file_kind",
    "fingerprint",
]

TABLE = "events"
NOT_FOUND_FIX = "run `workbench data generate` or pass --data PATH"
FILE_KINDS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".csv.gz": "csv"}


def fingerprint(*parts: object) -> str:
    """A short stable id of ``parts`` (a dataset's identity)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:12]


def file_kind(p: Path) -> str | None:
    """``duckdb``, ``parquet`` or ``csv`` by the file name's extension; ``None`` for anything else."""
    name = p.name.lower()
    if name.endswith(".duckdb") or name.endswith(".db"):
        return "duckdb"
    for ext, kind in FILE_KINDS.items():
        if name.endswith(ext):
            return kind
    return None


def expand(patterns: list[str]) -> list[Path]:
    """The files that paths and globs name, in order; a pattern naming nothing is a ``DatasetError``."""
    files: list[Path] = []
    for pattern in patterns:
        p = Path(pattern).expanduser()
        if p.exists():
            files.append(p)
            continue
        matched = sorted(globlib.glob(str(p), recursive=True))
        if not matched:
            raise DatasetError(f"dataset not found: {pattern}", NOT_FOUND_FIX)
        files += [Path(m) for m in matched]
    return files


def check_timestamp(columns: dict[str, str], where: object) -> None:
    """The ``timestamp`` column exists and holds times (``columns``: name -> DuckDB type)."""
    if "timestamp" not in columns:
        raise DatasetError(f"no `timestamp` column in {where}", "name the event time column timestamp")
    if not columns["timestamp"].upper().startswith(("TIMESTAMP", "DATE")):
        raise DatasetError(
            f"`timestamp` in {where} is {columns['timestamp']}, not a timestamp", "cast it to TIMESTAMP"
        )


def cached_view(files: list[Path]) -> tuple[Path, list[Path]]:
    """The cached DuckDB file with a VIEW ``events`` over Parquet/CSV ``files`` and their metadata
    (written on first use), and the files as absolute paths."""
    import duckdb

    files = [f.expanduser().resolve() for f in files]
    kinds = {file_kind(f) for f in files}
    for f in files:
        if not f.exists():
            raise DatasetError(f"dataset not found: {f}", NOT_FOUND_FIX)
    if len(kinds) != 1 or kinds & {None, "duckdb"}:
        raise DatasetError(
            "mixed or unsupported files: " + ", ".join(f.name for f in files[:3]),
            "pass only .parquet files or only .csv files",
        )
    kind = str(kinds.pop())
    stats = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    identity = fingerprint(kind, *stats)
    cache = paths.home() / ".cache" / "datasets" / f"{kind}-{identity}.duckdb"
    if cache.exists():
        return cache, files
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            _write_view(con, files, kind, identity)
        finally:
            con.close()
        tmp.replace(cache)
    finally:
        tmp.unlink(missing_ok=True)
    return cache, files


def _write_view(con, files: list[Path], kind: str, identity: str) -> None:
    """The VIEW ``events`` over ``files``, then ``column_metadata`` and ``dataset_info`` (on ``con``)."""
    import duckdb

    reader = "read_parquet" if kind == "parquet" else "read_csv"
    file_list = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    options = ", union_by_name = true" if len(files) > 1 else ""
    try:
        con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM {reader}({file_list}{options})")
        columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE {TABLE}").fetchall()}
    except duckdb.Error as exc:
        raise DatasetError(
            f"cannot read {kind} file(s) {files[0]}: {str(exc).splitlines()[0]}", f"check it is valid {kind}"
        ) from exc
    check_timestamp(columns, files[0] if len(files) == 1 else f"{len(files)} {kind} files")
    last = con.execute(f'SELECT max("timestamp") FROM {TABLE}').fetchone()[0]
    now = utc(last) if last else DEFAULT_NOW
    scanned = TABLE
    if kind == "csv":  # the metadata reads each column once: parse the text once, not per column
        scanned = "csv_rows"
        con.execute(f"CREATE TEMP TABLE {scanned} AS SELECT * FROM {TABLE}")
    write_metadata(
        con, scanned, None, None,
        info={"now": iso_utc(now), "source": kind, "identity": identity,
              "files": json.dumps([str(f) for f in files])},
    )  # fmt: skip
