"""A schema compression's result (``CompressedSchema``), and how results are remembered compactly.

``compress.compress`` keeps each result ``Packed`` by column position in ``Results`` (one per schema,
bounded by bytes) and unpacks a fresh ``CompressedSchema`` for every caller.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

from workbench.schema.cache import SCHEMA_CACHE, lines_for
from workbench.schema.columns import ColumnInfo, Schema

__all__ = ["RESULTS_BYTES", "CompressedSchema", "Packed", "Results", "positions"]


@dataclass(frozen=True)
class CompressedSchema:
    """The schema block for one question, and an account of what was left out.

    Args:
        columns: the kept columns, pinned first, then by priority.
        text: the schema block (``format_schema`` of ``columns``).
        tokens: exact tokens of ``text``.
        kept: names of ``columns``.
        dropped: column → reason (``excluded``, ``inactive``, ``irrelevant``, ``max_columns``,
            ``budget``), in dataset order.
        depends_on_question: whether another question may give another block.
        scores: relevance scores of the ranked columns, highest first (absent = 0);
            empty when not ranked.
        over_budget: the pinned columns alone exceed ``token_budget`` (kept anyway).
        notes: human-readable remarks (unknown pinned or excluded names).
    """

    columns: tuple[ColumnInfo, ...]
    text: str
    tokens: int
    kept: tuple[str, ...]
    dropped: dict[str, str]
    depends_on_question: bool
    scores: dict[str, float]
    over_budget: bool = False
    notes: tuple[str, ...] = ()

    @property
    def reasons(self) -> dict[str, int]:
        """How many columns were dropped for each reason."""
        return dict(Counter(self.dropped.values()))


#: memory the compression results of one schema may hold (estimated by ``Packed.nbytes``). A result is
#: kept packed (column positions, a reason code per column, the non-zero scores: about 1.7 KB for 432
#: columns, against about 21 KB as a ``CompressedSchema``), so 4 MB holds every question of a
#: 2,000-question eval: its plan, its column recall and its renders compress each question once.
RESULTS_BYTES = 4 * 1024 * 1024
REASON_CODES: tuple[str, ...] = ("", "inactive", "excluded", "irrelevant", "max_columns", "budget")


@dataclass(frozen=True)
class Packed:
    """A ``CompressedSchema`` packed by column position in its schema (unpacked on every call)."""

    kept: array  # positions of the kept columns, in priority order
    reasons: bytes  # per column of the schema: 0 = not dropped, else an index into REASON_CODES
    scored: array  # positions of the columns with a non-zero score, highest first
    scores: array  # their scores
    tokens: int
    over_budget: bool
    notes: tuple[str, ...]

    @property
    def nbytes(self) -> int:
        return 400 + len(self.reasons) + self.kept.itemsize * len(self.kept) + 12 * len(self.scores)

    @classmethod
    def pack(cls, schema: Schema, result: CompressedSchema) -> Packed:
        position = positions(schema)
        reasons = bytearray(len(position))
        for name, reason in result.dropped.items():
            reasons[position[name]] = REASON_CODES.index(reason)
        return cls(
            kept=array("I", (position[n] for n in result.kept)),
            reasons=bytes(reasons),
            scored=array("I", (position[n] for n in result.scores)),
            scores=array("d", result.scores.values()),
            tokens=result.tokens,
            over_budget=result.over_budget,
            notes=result.notes,
        )

    def unpack(self, schema: Schema, settings: Any, encoding: str) -> CompressedSchema:
        all_columns = schema.columns
        columns = tuple(all_columns[i] for i in self.kept)
        return CompressedSchema(
            columns=columns,
            text=lines_for(schema, settings.format_settings(), encoding).text(columns),
            tokens=self.tokens,
            kept=tuple(c.name for c in columns),
            dropped={all_columns[i].name: REASON_CODES[r] for i, r in enumerate(self.reasons) if r},
            depends_on_question=settings.depends_on_question,
            scores={all_columns[i].name: score for i, score in zip(self.scored, self.scores, strict=True)},
            over_budget=self.over_budget,
            notes=self.notes,
        )


def positions(schema: Schema) -> dict[str, int]:
    """Column name -> its position in ``schema`` (remembered per schema object)."""
    store = SCHEMA_CACHE.slot(schema)
    positions = store.get("positions")
    if positions is None:
        positions = store["positions"] = {name: i for i, name in enumerate(schema.names)}
    return positions


class Results:
    """One schema's packed compression results, by key, within ``RESULTS_BYTES``.

    When full, a new result is not kept (the ones kept stay): an eval compresses its questions in the
    same order in each pass, so the first ones that fit serve every pass (evicting the oldest instead
    would serve none of them).
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str | None, str], Packed] = {}
        self.nbytes = 0

    def get(self, key: tuple[str, str | None, str]) -> Packed | None:
        return self.items.get(key)

    def put(self, key: tuple[str, str | None, str], packed: Packed) -> None:
        if key not in self.items and self.nbytes + packed.nbytes <= RESULTS_BYTES:
            self.items[key] = packed
            self.nbytes += packed.nbytes
