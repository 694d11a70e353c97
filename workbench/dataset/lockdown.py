"""Locked-down DuckDB connections to a dataset file: read-only, no file access, configuration locked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["attach_locked", "sql_literal"]


def attach_locked(path: Path, files: Sequence[Path] = (), settings: dict[str, Any] | None = None):
    """An in-memory DuckDB instance with ``path`` attached read-only as the default database, locked down.

    A private instance (rather than ``duckdb.connect(path)``, which shares one instance per file
    in the process) keeps our settings away from other connections to the same file. External
    access is turned off and the configuration locked before anything in the file is read (the
    attach reads only its catalog), so a view in an untrusted file cannot read other files: only
    ``files`` (the Parquet/CSV files the workbench's own view reads) are whitelisted.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS dataset (READ_ONLY)")
        con.execute("USE dataset")
        for key, value in (settings or {}).items():
            con.execute(f"SET {key} = {sql_literal(value)}")
        if files:
            con.execute(f"SET allowed_paths = {sql_literal([str(f) for f in files])}")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"
