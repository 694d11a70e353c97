"""``CellGrid``: the dashboard's question x variant grid as one widget (an anywidget), not a button per cell.

One HTML table drawn in the browser from ``variants`` and ``rows``; a click on a cell sets
``selected`` (``"question_id\\tvariant"``), which the dashboard observes. Hundreds of buttons made
hundreds of widget models (and comm messages); this is one model whatever the run's size.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from workbench.widgets._common import show_error

__all__ = ["CellGrid", "PicksCells", "cell_key"]

_ESM = r"""
function render({ model, el }) {
  el.classList.add("wb-grid-root");
  const draw = () => {
    const variants = model.get("variants"), rows = model.get("rows"), selected = model.get("selected");
    const table = document.createElement("table");
    table.className = "wb-grid-table";
    const head = table.createTHead().insertRow();
    for (const name of [model.get("label"), ...variants]) {
      const th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      const q = tr.insertCell();
      q.className = "wb-grid-q";
      const id = document.createElement("b");
      id.textContent = row.id + " ";
      q.append(id, row.question);
      row.cells.forEach((cell, i) => {
        const td = tr.insertCell();
        td.className = "wb-cell";
        td.textContent = cell.correct + "/" + cell.trials;
        td.style.background = cell.color;
        td.dataset.key = row.id + "\t" + variants[i];
        td.title = row.id + " · " + variants[i] + ": " + cell.correct + " of " + cell.trials + " " + model.get("unit") + " correct";
        if (td.dataset.key === selected) td.classList.add("wb-selected");
      });
    }
    table.addEventListener("click", (event) => {
      const td = event.target.closest("td.wb-cell");
      if (!td) return;
      model.set("selected", td.dataset.key);
      model.save_changes();
    });
    el.replaceChildren(table);
  };
  draw();
  for (const name of ["rows", "variants", "selected"]) model.on("change:" + name, draw);
  return () => { for (const name of ["rows", "variants", "selected"]) model.off("change:" + name, draw); };
}
export default { render };
"""

_CSS = """
.wb-grid-root { max-height: 560px; overflow: auto; min-width: 0; }
.wb-grid-table { border-collapse: collapse; font-size: 12px; }
.wb-grid-table th { position: sticky; top: 0; background: var(--jp-layout-color0, #fff); padding: 2px 6px;
  white-space: nowrap; z-index: 1; }
.wb-grid-table td { padding: 2px 6px; border-bottom: 1px solid #eee; }
.wb-grid-table td.wb-grid-q { min-width: 240px; max-width: 420px; }
.wb-grid-table td.wb-cell { cursor: pointer; text-align: center; min-width: 44px; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.wb-grid-table td.wb-cell:hover { filter: brightness(0.92); }
.wb-grid-table td.wb-selected { outline: 2px solid #1f5fa8; outline-offset: -2px; font-weight: bold; }
.wb-detail { position: sticky; top: 0; }
"""


def cell_key(question_id: str, variant: str) -> str:
    """The value ``CellGrid.selected`` takes for a cell."""
    return f"{question_id}\t{variant}"


class CellGrid(anywidget.AnyWidget):
    """A question per row, a variant per column, ``correct/trials`` per cell coloured by outcome; a click
    selects a cell (``selected``). Rows are ``{"id", "question", "cells": [{"correct", "trials", "color"}]}``."""

    _esm = _ESM
    _css = _CSS
    variants = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    #: the first column's header and what a cell counts ("3 of 4 trials correct")
    label = traitlets.Unicode("question").tag(sync=True)
    unit = traitlets.Unicode("trials").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wb-grid")

    @property
    def selection(self) -> tuple[str, str] | None:
        """``(question_id, variant)`` of the selected cell, or None."""
        if "\t" not in self.selected:
            return None
        qid, variant = self.selected.split("\t", 1)
        return qid, variant


class PicksCells:
    """A view over a ``CellGrid`` (``self.grid``): a click selects the cell with ``self.select``
    unless it is ``self.selected`` already; a failure shows in ``self.error``, never a traceback.
    Observe with ``self.grid.observe(self._clicked, names="selected")``."""

    grid: CellGrid
    selected: Any
    error: Any

    def select(self, row_id: str, variant: str) -> None:
        raise NotImplementedError

    def _clicked(self, _change: dict[str, Any]) -> None:
        picked = self.grid.selection
        if picked is not None and picked != self.selected:
            try:
                self.select(*picked)
            except Exception as exc:  # a click must never leave a traceback in the log
                show_error(self.error, exc)
