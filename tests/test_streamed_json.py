"""``streamed_json.dump_streamed``: ``json.dump``'s exact text with lists written item by item."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from workbench.evaluation.streamed_json import Streamed, dump_streamed

ITEMS = [
    {"id": "q1", "trials": [{"a": 1, "b": [], "c": {}}, {"a": None, "s": 'é\n"x"'}]},
    [1, [2, []]],
    "z",
    3.5,
]


def _as_lists(value):
    """The document with every Streamed replaced by the list of its items."""
    if isinstance(value, Streamed):
        return [_as_lists(v) for v in value.items]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_lists(v) for v in value]
    return value


@pytest.mark.parametrize(
    "make",
    [
        lambda: {
            "variants": [{"name": "a", "results": Streamed(iter(ITEMS)), "k": 1}, {"results": Streamed([])}]
        },
        lambda: Streamed(iter(ITEMS)),  # the whole document
        lambda: [Streamed(ITEMS), {"deep": {"deeper": [Streamed([Streamed(ITEMS)])]}}, Streamed(())],
        lambda: {"when": date(2026, 12, 3), "results": Streamed([{"when": date(2026, 1, 1)}])},  # default=str
        lambda: {"no streams": ITEMS},
    ],
)
def test_dump_streamed_writes_json_dumps_text(make) -> None:
    out = io.StringIO()
    dump_streamed(make(), out)
    assert out.getvalue() == json.dumps(_as_lists(make()), indent=2, default=str)


def test_items_are_read_as_they_are_written() -> None:
    out = io.StringIO()
    seen = []

    def items():
        for i in range(3):
            seen.append(out.tell())  # what was written before this item was read
            yield {"i": i}

    dump_streamed({"results": Streamed(items())}, out)
    assert seen[0] < seen[1] < seen[2]
