"""Column metadata of a dataset, the way Honeycomb's columns API gives it.

A ``Schema`` is what compression, semantic validation, rendering and the
production artifact see of a dataset: plain frozen data with a JSON round
trip. It imports neither pandas nor duckdb (the runtime uses it);
``dataset.py`` builds it from a DuckDB table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

ColumnType = Literal["string", "integer", "float", "boolean", "timestamp"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column's metadata.

    Args:
        name: the column's key name, e.g. ``http.route``.
        type: Honeycomb-style type: string, integer, float, boolean (plus timestamp).
        description: what the column holds, one sentence.
        last_written: the newest event time with a non-null value; ``None`` if never written.
        distinct_count: number of distinct non-null values.
        sample_values: a few frequent values, most frequent first, as they appear in the data.
        values: the complete value domain when it is small (low cardinality), else ``None``.
        null_fraction: share of events where the column is null.
    """

    name: str
    type: ColumnType
    description: str = ""
    last_written: datetime | None = None
    distinct_count: int = 0
    sample_values: tuple[Any, ...] = ()
    values: tuple[Any, ...] | None = None
    null_fraction: float = 0.0

    @property
    def is_numeric(self) -> bool:
        return self.type in ("integer", "float")

    def active_since(self, cutoff: datetime) -> bool:
        return self.last_written is not None and self.last_written >= cutoff

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "last_written": self.last_written.isoformat() if self.last_written else None,
            "distinct_count": self.distinct_count,
            "sample_values": list(self.sample_values),
            "values": list(self.values) if self.values is not None else None,
            "null_fraction": self.null_fraction,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnInfo:
        lw = data.get("last_written")
        return cls(
            name=data["name"],
            type=data["type"],
            description=data.get("description") or "",
            last_written=_parse_time(lw) if lw else None,
            distinct_count=int(data.get("distinct_count") or 0),
            sample_values=tuple(data.get("sample_values") or ()),
            values=tuple(data["values"]) if data.get("values") is not None else None,
            null_fraction=float(data.get("null_fraction") or 0.0),
        )


def _parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Schema:
    """The columns of one events table, plus the dataset's clock and identity.

    Args:
        columns: every column, in the dataset's order.
        now: the dataset's "now" (relative time in questions resolves against it), UTC.
        identity: a short stable id of the dataset (generator settings or content summary).
        table: the table name queries run against.
        relation: what queries read instead of the table itself, when a column mapping gives the
            logical columns (an sqlglot derived table aliased ``table``; see ``engines.mapping``).
    """

    columns: tuple[ColumnInfo, ...]
    now: datetime
    identity: str = ""
    table: str = "events"
    relation: Any = field(default=None, compare=False, repr=False)
    _index: dict[str, ColumnInfo] = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {c.name: c for c in self.columns})

    def __iter__(self) -> Iterator[ColumnInfo]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def get(self, name: str) -> ColumnInfo | None:
        return self._index.get(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def now_epoch(self) -> int:
        return int(self.now.timestamp())

    def active(self, days: float) -> Schema:
        """Columns written in the last ``days`` days before ``now`` (Honeycomb's rule)."""
        cutoff = self.now - timedelta(days=days)
        return self.select(c.name for c in self.columns if c.active_since(cutoff))

    def select(self, names: Iterable[str]) -> Schema:
        """A schema with only ``names`` (unknown names ignored), in the given order."""
        picked = tuple(self._index[n] for n in dict.fromkeys(names) if n in self._index)
        return replace(self, columns=picked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "now": self.now.isoformat(),
            "identity": self.identity,
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        return cls(
            columns=tuple(ColumnInfo.from_dict(c) for c in data["columns"]),
            now=_parse_time(data["now"]),
            identity=data.get("identity", ""),
            table=data.get("table", "events"),
        )
