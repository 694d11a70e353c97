"""The column the examples use where a question's word matched a copy of it by name.

Apart from ``taught`` (which reads ``state.Reading``) so that ``state`` can use it without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.offline.lexicon import Lexicon

__all__ = ["team_column"]


def team_column(name: str, lex: Lexicon, seen: frozenset[str]) -> str:
    """The column the examples use in place of ``name`` when both list the same values.

    A schema often holds a value twice (a header copy of the client platform beside the team's own
    column): the word matched the copy by name, the examples show which of the two the team queries.
    ``name`` itself when the examples use it, or no other column they use lists the same values."""
    col = lex.get(name)
    if name in seen or col is None or col.type != "string" or not col.values or len(col.values) < 2:
        return name  # true/false or numbers say nothing of what a column holds: named values only
    mine = {str(v).lower() for v in col.values}
    same = [
        other
        for other in sorted(seen)
        if (found := lex.get(other)) is not None
        and found.type == "string"
        and {str(v).lower() for v in found.values or ()} == mine
    ]
    return same[0] if len(same) == 1 else name
