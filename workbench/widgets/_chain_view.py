"""Conversations in the widgets: a column's chain of turns (side-by-side) and the dashboard's chain view.

A turn shows as its question, what it changed against the query before it (``spec.diff``'s lines) and,
one click away, its query in builder form. The dashboard's ``ChainView`` shows a conversation run (``eval
--conversations``): the chain metrics table of the CLI and the report (``evaluation.chains.chain_rows``),
a conversation x variant grid of turns correct, and the clicked chain's turns next to their golds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from markupsafe import Markup

from workbench.core.templates import render
from workbench.evaluation.chains import ChainEval, chain_rows
from workbench.spec.diff import spec_diff
from workbench.spec.readback import readback_or_none
from workbench.widgets._common import ERROR_COLOR, OK_COLOR, clear_error, error_widget, fragment
from workbench.widgets._grid import CellGrid, PicksCells, cell_key
from workbench.widgets._query_view import query_html
from workbench.widgets._run_view import cell_color

__all__ = ["ChainView", "chain_metrics_html", "diff_html", "gold_gap", "opening_html", "turns_html"]

_MONO = "font-family:monospace;font-size:11px;white-space:pre-wrap;margin:0 0 0 14px;line-height:1.35"


def diff_html(
    lines: Sequence[str] | None, *, none: str = "no change", css_class: str = "wb-turn-diff"
) -> str:
    """Diff lines (``+ filter ...``, ``time: a -> b``) as a small monospace block; ``none`` when empty."""
    if lines is None or not lines:
        text = "no valid query" if lines is None else none
        return fragment("diff_block", text=text, css_class=css_class, style=_MONO, muted=True)
    return fragment("diff_block", text="\n".join(lines), css_class=css_class, style=_MONO)


def opening_html(spec: Any, now: int | None = None) -> str:
    """A conversation's first turn: what its query says (readback), since it changed nothing before it."""
    said = readback_or_none(spec, now) if spec else None
    if said is None:
        return diff_html(None)
    return fragment("turn_start", text=said, style=_MONO)


def turns_html(turns: Sequence[Any], now: int | None = None) -> str:
    """A ``Conversation``'s turns, oldest first (``wb-turn`` each): the question, its change and its query."""
    if not turns:
        return ""
    items = []
    for n, t in enumerate(turns, 1):
        lines = t.diff.lines() if t.diff is not None else None
        query = (
            query_html(t.spec, now, against=t.previous, against_label="the query before")
            if t.spec is not None and t.previous is not None
            else query_html(t.spec, now, empty=t.answer.message or "no valid query")
        )
        change = diff_html(lines) if n > 1 else opening_html(t.spec, now)
        items.append({"question": t.question, "change": Markup(change), "query": Markup(query)})
    return render("workbench.widgets", "turns.html.j2", turns=items).rstrip("\n")


def gold_gap(spec: Any, gold: Any, now: int | None = None) -> list[str] | None:
    """What would turn ``spec`` into ``gold`` (``spec_diff`` lines); ``None`` when either does not parse."""
    if not spec or not gold:
        return None
    try:
        return spec_diff(spec, gold, now).lines()
    except Exception:  # a logged spec is untrusted data: show no gap rather than fail the view
        return None


def chain_metrics_html(result: ChainEval, k: int | None = None) -> str:
    """``chain_rows`` (the CLI's and the report's chain table) as an HTML table (``wb-chain-metrics``)."""
    header, *rows = chain_rows(result, k)
    html = render(
        "workbench.widgets", "chain_metrics.html.j2", run_id=str(result.run_id), name=result.name,
        n_chains=_n_chains(result), trials=result.trials, header=header, rows=rows,
    )  # fmt: skip
    return html.rstrip("\n")


def _n_chains(result: ChainEval) -> int:
    return len({cid for by_chain in result.records.values() for cid in by_chain})


class ChainView(PicksCells, widgets.VBox):
    """The dashboard's chain view (``wb-chain-view``): metrics, a conversation x variant grid, one chain's turns.

    A grid cell is the own-context turns correct over all trials of the chain (``cells``); a click shows the
    chain's turns per trial: question, right or wrong, what the turn changed, what was missing against the gold
    and the query in builder form with the clauses that differ from the gold marked.
    """

    def __init__(self) -> None:
        super().__init__(layout=widgets.Layout(display="none"))
        self.add_class("wb-chain-view")
        self.result: ChainEval | None = None
        self.golds: dict[str, Any] = {}
        self.now: int | None = None
        self.selected: tuple[str, str] | None = None
        self.cells: dict[tuple[str, str], tuple[int, int]] = {}
        self.metrics_html = widgets.HTML()
        self.metrics_html.add_class("wb-chain-metrics-box")
        self.grid = CellGrid(
            label="conversation", unit="turns", layout=widgets.Layout(flex="1 1 50%", min_width="0")
        )
        self.grid.add_class("wb-chain-grid")
        self.grid.observe(self._clicked, names="selected")
        self.detail = widgets.HTML(
            layout=widgets.Layout(flex="1 1 50%", min_width="0", max_height="640px", overflow="auto")
        )
        self.detail.add_class("wb-chain-detail")
        self.error = error_widget()
        self.children = [
            self.metrics_html,
            self.error,
            widgets.HBox(
                [self.grid, self.detail], layout=widgets.Layout(align_items="flex-start", width="100%")
            ),
        ]

    def show(
        self, result: ChainEval | None, golds: dict[str, Any] | None = None, now: int | None = None
    ) -> None:
        """Show a chain eval (``None`` hides the view: the run holds no conversations)."""
        self.result, self.golds, self.now, self.selected = result, dict(golds or {}), now, None
        clear_error(self.error)
        if result is None:
            self.layout.display = "none"
            self.cells = {}
            return
        self.layout.display = None
        self.metrics_html.value = chain_metrics_html(result)
        self._fill_grid(result)
        self.detail.value = "<i>click a cell to see the chain's turns next to their golds</i>"

    def _fill_grid(self, result: ChainEval) -> None:
        chains = list(dict.fromkeys(c for v in result.variants for c in result.records.get((v, "own"), {})))
        self.cells, rows = {}, []
        for cid in chains:
            cells = []
            for v in result.variants:
                by_trial = result.records.get((v, "own"), {}).get(cid, {})
                turns = [t for ts in by_trial.values() for t in ts]
                c, n = sum(bool(t["correct"]) for t in turns), len(turns)
                self.cells[(cid, v)] = (c, n)
                cells.append({"correct": c, "trials": n, "color": cell_color(c, n)})
            rows.append({"id": cid, "question": self._story(cid), "cells": cells})
        with self.grid.hold_sync():
            self.grid.selected = ""
            self.grid.variants = list(result.variants)
            self.grid.rows = rows

    def _story(self, chain_id: str) -> str:
        """The chain's questions joined by arrows, from the first trial that holds them."""
        for v in self.result.variants if self.result else ():
            by_trial = self.result.records.get((v, "own"), {}).get(chain_id)
            if by_trial:
                turns = next(iter(by_trial.values()))
                return " \u2192 ".join(str(t.get("question") or "?") for t in turns)
        return ""

    def select(self, chain_id: str, variant: str) -> None:
        """Show the turns of ``chain_id`` for ``variant``, every trial, each next to its gold."""
        if self.result is None:
            return
        self.selected = (chain_id, variant)
        if self.grid.selection != self.selected:
            self.grid.selected = cell_key(chain_id, variant)
        own = self.result.records.get((variant, "own"), {}).get(chain_id, {})
        gold_ctx = self.result.records.get((variant, "gold"), {}).get(chain_id, {})
        trials = [
            {
                "n": trial,
                "ok": all(t["correct"] for t in turns),
                "open": not all(t["correct"] for t in turns) or len(own) == 1,
                "turns": [
                    self._turn(chain_id, n, t, (gold_ctx.get(trial) or [None] * len(turns))[n - 1])
                    for n, t in enumerate(turns, 1)
                ],
            }
            for trial, turns in sorted(own.items())
        ]
        html = render(
            "workbench.widgets", "chain_detail.html.j2", chain_id=chain_id, variant=variant, trials=trials,
            ok_color=OK_COLOR, error_color=ERROR_COLOR,
        )  # fmt: skip
        self.detail.value = html.rstrip("\n")

    def _turn(
        self, chain_id: str, n: int, t: dict[str, Any], with_gold: dict[str, Any] | None
    ) -> dict[str, Any]:
        """One turn for ``chain_detail.html.j2``: its question and verdict, what it changed, what it missed
        against the gold and its query (the clauses that differ from the gold marked)."""
        gold = self.golds.get(f"{chain_id}.{n}")
        gap = gold_gap(t.get("spec"), gold, self.now) if not t["correct"] else None
        change = diff_html(t.get("diff")) if n > 1 else opening_html(t.get("spec"), self.now)
        return {
            "n": n,
            "question": str(t.get("question") or ""),
            "correct": bool(t["correct"]),
            "with_gold": bool(with_gold["correct"]) if with_gold is not None and n > 1 else None,
            "change": Markup(change),
            "gap": Markup(diff_html(gap, css_class="wb-gold-gap")) if gap else "",
            "query": Markup(query_html(t.get("spec"), self.now, against=gold)),
        }
