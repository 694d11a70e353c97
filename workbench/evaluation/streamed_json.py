"""Indented JSON whose long lists are written item by item as they are read, with ``json.dump``'s text.

The eval JSON's per-trial results are most of its bytes and of the memory building it would take.
:func:`dump_streamed` writes a document in which a :class:`Streamed` value stands for a list:
the rest of the document (small: metrics, settings) is encoded at once, and each streamed list
is encoded one item at a time in its place, indented as ``json.dump`` indents a list at that
depth, so the file is byte for byte ``json.dump(document_with_lists, file, indent=..., default=...)``.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TextIO

__all__ = ["Streamed", "dump_streamed"]


class Streamed:
    """A list in a document for :func:`dump_streamed`: its items, read once, as they are written."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def dump_streamed(data: Any, file: TextIO, *, indent: int = 2, default: Callable[[Any], Any] = str) -> None:
    """``json.dump(data, file, indent=indent, default=default)`` with each :class:`Streamed` value
    written as the list of its items, one item encoded at a time."""
    streams: dict[str, Streamed] = {}
    token = secrets.token_hex(8)  # a marker no data holds

    def placeholder(value: Any) -> Any:
        if isinstance(value, Streamed):
            marker = json.dumps(f"\x00{token}:{len(streams)}")
            streams[marker] = value
            return json.loads(marker)
        return default(value)

    text = json.dumps(data, indent=indent, default=placeholder)
    done = 0
    if streams:
        for match in re.finditer("|".join(re.escape(m) for m in streams), text):
            file.write(text[done : match.start()])
            line = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
            level = len(line) - len(line.lstrip(" "))
            _write_list(file, streams[match.group()].items, level, indent, default)
            done = match.end()
    file.write(text[done:])


def _write_list(
    file: TextIO, items: Iterable[Any], level: int, indent: int, default: Callable[[Any], Any]
) -> None:
    """The list as ``json.dump`` writes one whose line starts at ``level`` spaces."""
    pad = "\n" + " " * (level + indent)
    empty = True
    for item in items:
        text = io.StringIO()  # one item at a time; it may hold streams of its own
        dump_streamed(item, text, indent=indent, default=default)
        file.write(("[" if empty else ",") + pad + text.getvalue().replace("\n", pad))
        empty = False
    file.write("[]" if empty else "\n" + " " * level + "]")
