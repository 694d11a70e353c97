"""The notebooks in a real browser: JupyterLab + headless Chromium through Playwright, at 1400x1000.

The quickstart: ``notebooks/01_quickstart.ipynb`` in the JupyterLab that ``workbench lab`` starts, every
cell run from the Run menu; the side-by-side shows a red clause for a variant's wrong answer, then answers a
typed question. Every widget: a notebook holding each view, used as a person does (press Enter, run an
evaluation, click a grid cell, move the token budget, search and edit an example), checked for what a person
would notice: rows that line up, nothing clipped sideways without a scrollbar, the clicked detail in view,
charts with data. Screenshots land in ``tests/artifacts/`` (CI keeps them). Both tests share one JupyterLab.
"""

from __future__ import annotations

import json
import re
import time
from itertools import pairwise

import pytest
from browser_harness import ARTIFACTS, LabServer, chromium, lab_page, lab_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NOTEBOOK = "notebooks/01_quickstart.ipynb"
QUESTION = "errors by cloud region in the last 6 hours"
IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
BROKEN_WIDGET = ("Error displaying widget", "Loading widget")


def run_all_cells(page, timeout_ms: float = 5_000) -> None:
    """Run ▸ Run All Cells, as a user would (the ``runmenu:run-all`` command)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=timeout_ms)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(timeout=timeout_ms)


def accept_kernel_dialog(page) -> bool:
    """Accept JupyterLab's "Select Kernel" dialog (its default is the notebook's Python 3) if it is open.

    On a loaded machine a kernel can start so slowly that JupyterLab gives up on it and asks
    which kernel to use, although the notebook names one: a user clicks Select, so does the test.
    """
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible() and "Select Kernel" in dialog.first.inner_text():
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        return True
    return False


def run_notebook_until(page, server: LabServer, notebook: str, selector: str, timeout_s: float) -> None:
    """Run all cells once the kernel is up, until ``selector`` shows.

    Run All is only pressed when the server's kernel for the notebook is idle and the page
    shows it idle (pressed earlier, JupyterLab finds no kernel and runs nothing); it is
    pressed again if no cell has started 15 s later, or after a kernel dialog was accepted.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout_s
    target, idle = page.locator(selector), page.locator(IDLE)
    started = page.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[(\*|\d+)\]"))
    pressed_at: float | None = None

    def due(at: float | None) -> bool:
        return at is None or (not started.count() and time.monotonic() - at > 15)

    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    while time.monotonic() < deadline:
        if target.count() and target.first.is_visible():
            return
        if errors.count():  # a cell failed: say why now rather than wait for the deadline
            raise AssertionError(f"a cell failed: {errors.first.inner_text()[-2000:]}")
        if accept_kernel_dialog(page):
            pressed_at = None  # a new kernel: what ran before is gone
        elif due(pressed_at) and idle.count() and server.kernel_state(notebook) == "idle":
            try:
                run_all_cells(page)
                pressed_at = time.monotonic()
            except PlaywrightTimeout:
                pass  # a dialog opened in between: handled on the next round
        page.wait_for_timeout(500)
    raise AssertionError(f"{selector} did not appear within {timeout_s:.0f} s")


def test_quickstart_side_by_side_answers_a_typed_question(lab_page, lab_server: LabServer) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = lab_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(lab_server.url("/lab/tree/notebooks/01_quickstart.ipynb"), wait_until="domcontentloaded")
        run_notebook_until(page, lab_server, NOTEBOOK, ".wb-side-by-side", timeout_s=120)
        side = page.locator(".wb-side-by-side")
        page.wait_for_selector(IDLE, timeout=60_000)
        expect(side.locator(".wb-variant")).to_have_count(3)
        # the notebook already asked a question of the set that some variant gets wrong: a red clause shows it
        expect(side.locator(".wb-mismatch").first).to_be_visible()
        expect(side.locator(".wb-query tr.wb-diff").first).to_be_visible()

        side.locator(".wb-question input").fill(QUESTION)
        side.locator("button.wb-run, .wb-run button").first.click()
        expect(side.locator(".wb-readback").first).to_contain_text("cloud.region", timeout=60_000)
        expect(side.locator(".wb-status")).to_contain_text("done in", timeout=60_000)

        queries = side.locator(".wb-query .wb-raw-json pre")  # the raw JSON, one click away
        expect(queries).to_have_count(3)
        for text in queries.evaluate_all("pres => pres.map(p => p.textContent)"):
            spec = json.loads(text)
            assert isinstance(spec, dict) and spec.get("calculations"), text
        headers = side.locator(".wb-result table.wb-result-table th")
        expect(headers.first).to_be_visible()
        assert headers.count() >= 2

        side.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "quickstart.png"))

        body = page.locator("body").inner_text()
        for text in BROKEN_WIDGET:
            assert text not in body, f"{text!r} shown on the page"
        assert side.locator(".wb-error:visible").count() == 0, side.locator(".wb-error").all_inner_texts()
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.all_inner_texts()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "quickstart-failure.png"), full_page=True)
        print(f"JupyterLab log:\n{lab_server.log_tail()}\nbrowser console errors: {page.console_errors}")
        raise


WIDGETS_NOTEBOOK = "notebooks/widgets_check.ipynb"
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
    (root / WIDGETS_NOTEBOOK).write_text(json.dumps(nb))


def not_clipped(page, selector: str) -> None:
    root = page.locator(selector).first
    bad = root.evaluate(CLIPPED_JS)
    assert not bad, f"{selector}: {bad}"


def shot(page, selector: str, name: str) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


#: per chart: its width and its column's, the heatmap images drawn, the x tick labels' boxes and rotations
HEATMAP_JS = """
(charts) => charts.map(c => {
  const plot = c.querySelector('.js-plotly-plot');
  const ticks = [...(plot ? plot.querySelectorAll('.xtick text') : [])];
  return {
    width: plot ? plot.getBoundingClientRect().width : 0,
    column: c.getBoundingClientRect().width,
    images: plot ? plot.querySelectorAll('.heatmaplayer image').length : 0,
    z: plot && plot.data && plot.data[0] ? (plot.data[0].z || []).flat().filter(v => v > 0).length : 0,
    // a label of two lines ("12:00", "Nov 19, 2026") is two boxes: labels overlap only within one line
    lines: ticks.flatMap(t => {
      const parts = t.querySelectorAll('tspan.line');
      return [...(parts.length ? parts : [t])].map(e => {
        const r = e.getBoundingClientRect();
        return [Math.round(r.top), r.left, r.right, r.width, r.height];
      });
    }),
    rotated: ticks.filter(t => /rotate\\((?!0[,)])/.test(t.getAttribute('transform') || '')).length,
    texts: ticks.map(t => t.textContent),
  };
})
"""


def check_heatmaps(page, side) -> None:
    """A HEATMAP question: in each column a heatmap with data, as wide as its column, with date labels that
    read across (horizontal, not overlapping)."""
    from playwright.sync_api import expect

    side.locator(".wb-question input").fill("heatmap of duration_ms per hour over the last day")
    side.locator(".wb-question input").press("Enter")
    expect(side.locator(".wb-chart .js-plotly-plot .heatmaplayer image")).to_have_count(3, timeout=60_000)
    expect(side.locator(".wb-status")).to_contain_text("done in", timeout=60_000)
    charts = side.locator(".wb-chart").evaluate_all(HEATMAP_JS)
    assert len(charts) == 3, charts
    for c in charts:
        assert c["images"] == 1 and c["z"] > 0, f"a heatmap without data: {c}"
        assert 0.8 * c["column"] <= c["width"] <= c["column"] + 1, f"not sized to its column: {c}"
        assert len(c["texts"]) >= 2 and c["rotated"] == 0, f"date labels missing or turned: {c}"
        assert all(w >= h for *_, w, h in c["lines"]), f"vertical date labels: {c}"
        spans = sorted((top, left, right) for top, left, right, _, _ in c["lines"])
        overlaps = [(a, b) for a, b in pairwise(spans) if a[0] == b[0] and a[2] > b[1] + 1]
        assert not overlaps, f"date labels overlap: {c['texts']} {overlaps}"
        assert any(re.search(r"\d{1,2}:\d{2}|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", t)
                   for t in c["texts"]), f"no dates on the x axis: {c['texts']}"  # fmt: skip
    not_clipped(page, ".wb-side-by-side")
    shot(page, ".wb-chart", "side-by-side-heatmap")


def test_every_widget_is_usable_at_1400x1000(lab_page, lab_server: LabServer) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = lab_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    write_notebook(lab_server.root)
    try:
        page.goto(lab_server.url(f"/lab/tree/{WIDGETS_NOTEBOOK}"), wait_until="domcontentloaded")
        run_notebook_until(page, lab_server, WIDGETS_NOTEBOOK, ".wb-inspector", timeout_s=150)
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
        check_heatmaps(page, side)

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
        page.wait_for_function(  # the search hides the rows it does not match
            "() => [...document.querySelectorAll('.wb-examples-editor .wb-example-row')]"
            ".filter(r => r.getBoundingClientRect().height).length < 30",
            timeout=10_000,
        )
        first = rows.evaluate_all("rs => rs.findIndex(r => r.getBoundingClientRect().height > 0)")
        assert first >= 0
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
        # edit the instructions and save them to the variant file (the workspace's copy of prompts/compact.yaml)
        box = instructions.locator(".wb-instructions textarea")
        box.fill(box.input_value() + "\nPrefer P95 when no percentile is named.")
        box.press("Tab")
        expect(instructions.locator(".wb-instructions-cost")).to_contain_text(
            "vs the original", timeout=10_000
        )
        instructions.locator(".wb-instructions-save button, button.wb-instructions-save").first.click()
        expect(instructions.locator(".wb-instructions-status")).to_contain_text("saved to", timeout=10_000)
        saved = (lab_server.root / "prompts" / "compact.yaml").read_text()
        assert "Prefer P95 when no percentile is named." in saved
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
