"""Per-schema caches: derived data kept by schema identity, and rendered column lines.

A ``Schema`` is immutable, so anything derived from it (rendered column lines and their
token counts, the relevance index, compression results) can be computed once per schema
object. ``SCHEMA_CACHE.slot(schema)`` is a dict that lives as long as the schema object
does; ``lines_for`` keeps each column's line and token count per format and encoding,
so moving a slider never re-renders or re-tokenizes a column it has seen.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from workbench.core.encodings import DEFAULT_ENCODING
from workbench.core.tokens import count_tokens
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.format import SchemaFormat, format_column

__all__ = ["SCHEMA_CACHE", "Lines", "block_tokens", "lines_for"]


class _IdentityCache:
    """Values computed once per live object (keyed by ``id``, dropped when the object dies)."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[weakref.ref[Any], dict[Any, Any]]] = {}
        self._lock = threading.Lock()

    def slot(self, obj: Any) -> dict[Any, Any]:
        key = id(obj)
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0]() is obj:
                return item[1]
            store: dict[Any, Any] = {}
            self._items[key] = (weakref.ref(obj, lambda _r, k=key: self._items.pop(k, None)), store)
            return store


SCHEMA_CACHE = _IdentityCache()


_SEPARATOR = {"lines": "\n", "json": ",\n", "ddl": "\n"}


def block_tokens(text: str, encoding: str) -> int:
    """Exact tokens of a schema block: counted line by line, each distinct line once (``core.tokens``)."""
    return count_tokens(text, encoding)


class Lines:
    """Column lines and their token counts for one schema, format and encoding (cached)."""

    def __init__(self, schema: Schema, fmt: SchemaFormat, encoding: str) -> None:
        self.fmt = fmt
        self.encoding = encoding
        self.sep = _SEPARATOR[fmt.format]
        if fmt.format == "json":
            self.prefix, self.suffix = "[\n", "\n]"
        elif fmt.format == "ddl":
            self.prefix, self.suffix = f"CREATE TABLE {schema.table} (\n", "\n);"
        else:
            self.prefix, self.suffix = "", ""
        self.wrapper_tokens = self._count(self.prefix) + self._count(self.suffix)
        self._cache: dict[str, tuple[str, int]] = {}

    def _count(self, text: str) -> int:
        return count_tokens(text, self.encoding)

    def _entry(self, col: ColumnInfo) -> tuple[str, int]:
        entry = self._cache.get(col.name)
        if entry is None:
            line = format_column(col, self.fmt)
            entry = self._cache[col.name] = (line, self._count(line + self.sep))
        return entry

    def line(self, col: ColumnInfo) -> str:
        return self._entry(col)[0]

    def tokens(self, col: ColumnInfo) -> int:
        """Tokens of the column's line with its separator (an upper bound on its share of the block)."""
        return self._entry(col)[1]

    def text(self, columns: Iterable[ColumnInfo]) -> str:
        """The schema block, identical to ``format_schema(columns, fmt, table)``."""
        return self.prefix + self.sep.join(self._entry(c)[0] for c in columns) + self.suffix

    def count(self, columns: Iterable[ColumnInfo]) -> int:
        """Exact tokens of the block for ``columns``."""
        return block_tokens(self.text(columns), self.encoding)


_lines_lock = threading.Lock()
_LINES_PER_SCHEMA = (
    8  # formats kept per schema: enough for toggling, bounded while a slider sweeps domain_max
)


def lines_for(schema: Schema, fmt: SchemaFormat, encoding: str = DEFAULT_ENCODING) -> Lines:
    """The cached ``Lines`` of ``schema`` (by identity) for a format and encoding."""
    key = (fmt, encoding)
    with _lines_lock:
        cache: OrderedDict[tuple[SchemaFormat, str], Lines] = SCHEMA_CACHE.slot(schema).setdefault(
            "lines", OrderedDict()
        )
        lines = cache.get(key)
        if lines is None:
            lines = cache[key] = Lines(schema, fmt, encoding)
            while len(cache) > _LINES_PER_SCHEMA:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
    return lines
