"""Every widget in a real browser at 1400x1000, checked for what a person would notice.

One notebook holding each view is written into the lab's workspace and run from the Run menu; the test
then uses each widget as a person does (type a question and press Enter, move the token budget, edit
an example, run an evaluation, click a grid cell) and asserts: nothing is clipped sideways without a
scrollbar, the clicked cell's detail is inside the viewport, charts have data. A screenshot of each
view lands in ``tests/artifacts/`` (CI keeps them).
"""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from browser_harness import ARTIFACTS, LabServer, chromium, lab_page, lab_server  # noqa: F401  (fixtures)
from test_browser import BROKEN_WIDGET, IDLE, run_notebook_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NOTEBOOK = "notebooks/widgets_check.ipynb"
CELLS = [
    "from workbench.dataset.source import open_dataset\n"
    "from workbench.evaluation.questions import load_question_set\n"
    "from workbench import widgets as wb\n"
    "ds = open_dataset()\n"
    "questions = load_question_set('../questions/core.yaml')\n"
    "few = questions.select(ids=['q001', 'q002', 'q004', 'q006', 'q008', 'q012'])",
    "wb.SideBySide(['naive', 'honeycomb', 'compact'], dataset=ds, questions=questions, cache=None)",
    "wb.Dashboard(few, ['naive', 'honeycomb', 'compact'], ds, trials=1, store='runs-check.duckdb')",
    "wb.SchemaEditor('compact', few, dataset=ds)",
    "wb.ExamplesEditor('compact', dataset=ds)",
    "wb.InstructionsEditor('compact', dataset=ds)",
    "wb.PromptInspector('compact', dataset=ds)",
]

#: elements under ``root`` that stick out sideways where no ancestor (up to the root) scrolls sideways,
#: and boxes that hide overflow without a scrollbar (``overflow-x: hidden|clip`` with content wider)
CLIPPED_JS = """
(root) => {
  const limit = root.getBoundingClientRect().right + 1;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    if (el instanceof SVGElement || el.closest('svg, .js-plotly-plot .modebar')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const style = getComputedStyle(el);
    if (['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 2
        && !el.closest('.jp-OutputArea-prompt') && el.textContent.trim()) {
      bad.push('hidden overflow: ' + el.className + ' ' + el.textContent.slice(0, 40));
      continue;
    }
    if (r.right > limit) {
      let a = el.parentElement, ok = false;
      while (a && a !== root.parentElement) { if (scrolls(a)) { ok = true; break; } a = a.parentElement; }
      if (!ok) bad.push('past the edge: ' + el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 40));
    }
  }
  return bad.slice(0, 10);
}
"""


def write_notebook(root) -> None:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
        for s in CELLS
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
          "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    (root / NOTEBOOK).write_text(json.dumps(nb))


def not_clipped(page, selector: str) -> None:
    root = page.locator(selector).first
    bad = root.evaluate(CLIPPED_JS)
    assert not bad, f"{selector}: {bad}"


def shot(page, selector: str, name: str) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_every_widget_is_usable_at_1400x1000(lab_page, lab_server: LabServer) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = lab_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    write_notebook(lab_server.root)
    try:
        page.goto(lab_server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
        run_notebook_until(page, lab_server, NOTEBOOK, ".wb-inspector", timeout_s=150)
        page.wait_for_selector(IDLE, timeout=60_000)
        body = page.locator("body").inner_text()
        for text in BROKEN_WIDGET:
            assert text not in body, f"{text!r} shown on the page"

        # side by side: type, press Enter; rows line up across the variant columns
        side = page.locator(".wb-side-by-side")
        side.locator(".wb-question input").fill("errors per hour in the last day")
        side.locator(".wb-question input").press("Enter")
        expect(side.locator(".wb-status")).to_contain_text("done in", timeout=60_000)
        expect(side.locator(".wb-query .wb-builder")).to_have_count(3)
        tops = side.locator(".wb-variant").evaluate_all(
            "cols => cols.map(c => [...c.children].map(r => Math.round(r.getBoundingClientRect().top)))"
        )
        assert all(t == tops[0] for t in tops), f"rows do not line up across the columns: {tops}"
        heights = side.locator(".wb-variant").first.evaluate(
            "c => [...c.children].map(r => [r.getBoundingClientRect().top, r.getBoundingClientRect().height])"
        )
        assert all(a[0] + a[1] <= b[0] + 1 for a, b in pairwise(heights)), f"rows overlap: {heights}"
        shown = [h for h in heights if h[1] > 0]
        assert len(shown) >= 6, f"rows missing: {heights}"
        expect(side.locator(".wb-chart .js-plotly-plot")).to_have_count(3, timeout=20_000)
        points = side.locator(".wb-chart .js-plotly-plot .scatterlayer .point")
        assert points.count() > 3, "the time-series charts have no data"
        not_clipped(page, ".wb-side-by-side")
        shot(page, ".wb-side-by-side", "side-by-side")

        # dashboard: run an evaluation, click a cell: its detail is beside the grid, in view
        dash = page.locator(".wb-dashboard")
        dash.locator(".wb-eval-run button, button.wb-eval-run").first.click()
        expect(dash.locator(".wb-status")).to_contain_text("finished", timeout=90_000)
        expect(dash.locator(".wb-grid td.wb-cell")).to_have_count(18)
        cell = dash.locator(".wb-grid td.wb-cell").nth(4)
        cell.scroll_into_view_if_needed()
        cell.click()
        detail = dash.locator(".wb-detail")
        expect(detail.locator(".wb-trial")).to_have_count(1, timeout=10_000)
        expect(detail.locator(".wb-builder").first).to_be_visible()
        box, view = detail.bounding_box(), page.viewport_size
        assert box["y"] >= 0 and box["y"] < view["height"] - 100, f"detail out of view: {box}"
        assert box["x"] > cell.bounding_box()["x"], "the detail sits beside the grid"
        assert (
            dash.locator(".wb-chart .js-plotly-plot .scatterlayer .point").count() == 3
        )  # a point per variant
        assert dash.locator(".wb-chart .legend .traces").count() == 3
        not_clipped(page, ".wb-dashboard")
        shot(page, ".wb-detail", "dashboard")

        # schema editor: move the budget (a log slider: the middle is about 1,000 tokens, not 10,000)
        schema = page.locator(".wb-schema-editor")
        schema.scroll_into_view_if_needed()
        handle = schema.locator(".widget-hslider .ui-slider-handle, .widget-hslider .noUi-handle").nth(2)
        readout = schema.locator(".widget-readout").nth(2)
        before = readout.inner_text()
        handle.focus()
        for _ in range(10):
            handle.press("ArrowLeft")
        expect(readout).not_to_have_text(before, timeout=10_000)
        not_clipped(page, ".wb-schema-editor")
        shot(page, ".wb-schema-editor", "schema-editor")

        # examples editor: search, open one example, edit its question; the list stays compact
        examples = page.locator(".wb-examples-editor")
        examples.scroll_into_view_if_needed()
        assert examples.locator(".wb-examples-list").bounding_box()["height"] <= 560
        examples.locator(".wb-examples-search input").fill("error")
        rows = examples.locator(".wb-example-row")
        first = rows.evaluate_all("rs => rs.findIndex(r => r.getBoundingClientRect().height > 0)")
        assert (
            first >= 0
            and rows.evaluate_all("rs => rs.filter(r => r.getBoundingClientRect().height).length") < 30
        )
        rows.nth(first).locator(".wb-example-edit").click()
        editor = examples.locator(".wb-example-editor:visible")
        expect(editor).to_have_count(1)
        box = editor.locator(".wb-example-question textarea")
        box.fill(box.input_value() + " please")
        box.press("Tab")  # leaving the box sends the edit
        expect(examples.locator(".wb-example-summary").filter(has_text="please")).to_have_count(
            1, timeout=10_000
        )
        not_clipped(page, ".wb-examples-editor")
        shot(page, ".wb-example-editor:visible", "examples-editor")

        # instructions editor and inspector: token costs shown, a real price
        instructions = page.locator(".wb-instructions-editor")
        expect(instructions.locator(".wb-instructions-cost")).to_contain_text("instructions:")
        not_clipped(page, ".wb-instructions-editor")
        shot(page, ".wb-instructions-editor", "instructions-editor")
        inspector = page.locator(".wb-inspector")
        expect(inspector.locator(".wb-price-note")).to_contain_text("offline is free")
        not_clipped(page, ".wb-inspector")
        shot(page, ".wb-inspector .wb-cost", "inspector")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "widgets-failure.png"), full_page=True)
        print(f"JupyterLab log:\n{lab_server.log_tail()}\nbrowser console errors: {page.console_errors}")
        raise
