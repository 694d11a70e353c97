"""What changes between two rendered requests for the same question: tokens, columns, examples, text.

A prompt engineer edits a variant and wants to see what the edit does to the request before
spending an eval on it; a reviewer wants the same in a pull request. ``diff_rendered`` answers
with the token change per section and in the cacheable prefix, the schema columns and the
examples that came or went, and a unified diff of the messages.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = ["PromptDiff", "diff_rendered"]

#: names listed per group in the text form (all of them with ``lines(None)`` and in JSON)
MAX_LISTED = 25


@dataclass(frozen=True)
class PromptDiff:
    """``b`` against ``a``: per-section token counts, what the schema and examples gained and lost, the text diff."""

    a: str  # variant names
    b: str
    question: str
    sections: dict[str, tuple[int, int]]  # section -> (tokens in a, tokens in b)
    total: tuple[int, int]
    stable_prefix: tuple[int, int]
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]
    examples_added: tuple[str, ...]  # example questions
    examples_removed: tuple[str, ...]
    text_diff: tuple[str, ...]  # unified diff lines of the messages (and tools)

    @property
    def same(self) -> bool:
        return not self.text_diff

    def lines(self, context_lines: int | None = 60) -> list[str]:
        """The diff as text: token table, columns, examples, then (up to ``context_lines``) the text diff."""
        out = [
            f"{self.b} vs {self.a} for {self.question!r}",
            "",
            f"{'section':<14}{self.a:>12}{self.b:>12}{'change':>10}",
        ]
        for name, (x, y) in [
            *self.sections.items(),
            ("total", self.total),
            ("stable prefix", self.stable_prefix),
        ]:
            if x or y:
                out.append(f"{name:<14}{x:>12,}{y:>12,}{y - x:>+10,}")
        for label, names in (
            ("columns added", self.columns_added), ("columns removed", self.columns_removed),
            ("examples added", self.examples_added), ("examples removed", self.examples_removed),
        ):  # fmt: skip
            if names:
                shown = names if context_lines is None else names[:MAX_LISTED]
                listed = (
                    ["  " + ", ".join(shown)] if label.startswith("columns") else [f"  {n}" for n in shown]
                )
                out += ["", f"{label} ({len(names)}):", *listed]
                if len(shown) < len(names):
                    out.append(f"  ... and {len(names) - len(shown)} more")
        out.append("")
        if self.same:
            out.append("the requests are identical")
        else:
            shown = self.text_diff if context_lines is None else self.text_diff[:context_lines]
            out += list(shown)
            if len(shown) < len(self.text_diff):
                out.append(
                    f"... {len(self.text_diff) - len(shown)} more diff lines (all of them: --full, or lines(None))"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "question": self.question,
            "sections": {k: {"a": x, "b": y} for k, (x, y) in self.sections.items()},
            "total": {"a": self.total[0], "b": self.total[1]},
            "stable_prefix": {"a": self.stable_prefix[0], "b": self.stable_prefix[1]},
            "columns_added": list(self.columns_added), "columns_removed": list(self.columns_removed),
            "examples_added": list(self.examples_added), "examples_removed": list(self.examples_removed),
            "text_diff": list(self.text_diff),
        }  # fmt: skip


def diff_rendered(a: Any, b: Any) -> PromptDiff:
    """Compare two ``RenderedPrompt`` objects (usually two variants rendering the same question)."""
    names = list(dict.fromkeys([*a.sections, *b.sections]))
    kept_a = set(a.compressed.kept) if a.compressed else set()
    kept_b = set(b.compressed.kept) if b.compressed else set()
    ex_a = [s.example.question for s in a.chosen_examples]
    ex_b = [s.example.question for s in b.chosen_examples]
    return PromptDiff(
        a=a.variant,
        b=b.variant if b.variant != a.variant else f"{b.variant} (b)",
        question=b.question,
        sections={n: (a.sections.get(n, 0), b.sections.get(n, 0)) for n in names},
        total=(a.total_tokens, b.total_tokens),
        stable_prefix=(a.stable_prefix_tokens, b.stable_prefix_tokens),
        columns_added=tuple(sorted(kept_b - kept_a)),
        columns_removed=tuple(sorted(kept_a - kept_b)),
        examples_added=tuple(q for q in ex_b if q not in ex_a),
        examples_removed=tuple(q for q in ex_a if q not in ex_b),
        text_diff=tuple(
            difflib.unified_diff(_text(a), _text(b), fromfile=a.variant, tofile=b.variant, lineterm="", n=1)
        ),
    )


def _text(r: Any) -> list[str]:
    """The request as lines: each message under a role header, then the request parameters but messages."""
    import json

    lines: list[str] = []
    for m in r.messages:
        lines.append(f"[{m['role']}]")
        content = m.get("content")
        lines += (content if isinstance(content, str) else json.dumps(content)).splitlines()
    params = {k: v for k, v in r.body.items() if k != "messages"}
    lines.append("[parameters]")
    lines += json.dumps(params, indent=1, sort_keys=True).splitlines()
    return lines
