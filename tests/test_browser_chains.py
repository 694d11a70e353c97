"""Conversations in a real browser (JupyterLab + headless Chromium, 1400x1000): follow up and undo in the
side-by-side, then click a chain in the dashboard's chain view. Screenshots land in ``tests/artifacts/``."""

from __future__ import annotations

import json

import pytest
from browser_harness import ARTIFACTS, LabServer, chromium, lab_page, lab_server  # noqa: F401  (fixtures)
from test_browser import BROKEN_WIDGET, IDLE, not_clipped, run_notebook_until, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NOTEBOOK = "notebooks/chains_check.ipynb"
G1 = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "time_range": 1209600,
}
G2 = {**G1, "filters": [*G1["filters"], {"column": "app.platform", "op": "=", "value": "android"}]}
SET = {"conversations": [
    {"id": "c1", "turns": [{"question": "how many errors", "gold": G1}, {"question": "only android", "gold": G2}]},
    {"id": "c2", "turns": [{"question": "how many errors in the last 2 weeks", "gold": G1},
                           {"question": "only android", "gold": G2}]},
]}  # fmt: skip
CELLS = [
    "from workbench.dataset.source import open_dataset\n"
    "from workbench.evaluation.chains import evaluate_conversations\n"
    "from workbench.evaluation.conversations import ConversationSet\n"
    "from workbench.prompt.render import Prompt\n"
    "from workbench.store.runs import RunStore\n"
    "from workbench import widgets as wb\n"
    "ds = open_dataset()\n"
    f"cs = ConversationSet.from_dict({SET!r})\n"
    "with RunStore('runs-chains.duckdb') as store:\n"
    "    result = evaluate_conversations(cs, [Prompt.load('compact', ds)], dataset=ds, store=store, cache=False)",
    "wb.SideBySide(['honeycomb', 'compact'], dataset=ds, cache=None)",
    "dash = wb.Dashboard(cs.as_question_set(), ['compact'], ds, store='runs-chains.duckdb')\n"
    "dash.load(result.run_id)\n"
    "dash",
]


def write_notebook(server: LabServer) -> None:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
        for s in CELLS
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
          "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    (server.root / NOTEBOOK).write_text(json.dumps(nb))


def test_follow_up_undo_and_the_chain_view(lab_page, lab_server: LabServer) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = lab_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    write_notebook(lab_server)
    try:
        page.goto(lab_server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
        run_notebook_until(page, lab_server, NOTEBOOK, ".wb-chain-view", timeout_s=150)
        page.wait_for_selector(IDLE, timeout=60_000)
        body = page.locator("body").inner_text()
        for text in BROKEN_WIDGET:
            assert text not in body, f"{text!r} shown on the page"

        # side by side: ask, then follow up with Enter; each column lists both turns with the change
        side = page.locator(".wb-side-by-side")
        box = side.locator(".wb-question input")
        box.fill("errors by service yesterday")
        box.press("Enter")
        expect(side.locator(".wb-status")).to_contain_text("done in", timeout=60_000)
        expect(side.locator(".wb-run").first).to_contain_text("Follow up")
        box.fill("only checkout")
        box.press("Enter")
        expect(side.locator(".wb-status")).to_contain_text("turn 2 done in", timeout=60_000)
        expect(side.locator(".wb-turns .wb-turn")).to_have_count(4)  # 2 turns x 2 columns
        expect(side.locator(".wb-turns .wb-turn-diff").first).to_contain_text(
            "+ filter service.name = checkout"
        )
        expect(side.locator(".wb-readback").first).to_contain_text("checkout")
        not_clipped(page, ".wb-side-by-side")
        shot(page, ".wb-side-by-side", "side-by-side-conversation")
        side.locator(".wb-undo").first.click()
        expect(side.locator(".wb-status")).to_contain_text("undone: only checkout", timeout=10_000)
        expect(side.locator(".wb-turns .wb-turn")).to_have_count(2)
        expect(side.locator(".wb-readback").first).not_to_contain_text("checkout")

        # dashboard: the chain view of the logged run; a click on a chain shows its turns
        chains = page.locator(".wb-dashboard .wb-chain-view")
        chains.scroll_into_view_if_needed()
        expect(chains.locator(".wb-chain-metrics")).to_contain_text("chain success")
        expect(chains.locator(".wb-grid-table th").first).to_have_text("conversation")
        cells = chains.locator("td.wb-cell")
        expect(cells).to_have_count(2)
        assert "turns correct" in (cells.first.get_attribute("title") or "")
        cells.first.click()
        detail = chains.locator(".wb-chain-detail")
        expect(detail.locator(".wb-chain-turn")).to_have_count(2, timeout=10_000)
        expect(detail).to_contain_text("only android")
        not_clipped(page, ".wb-chain-view")
        shot(page, ".wb-chain-view", "dashboard-chains")
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.all_inner_texts()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "chains-failure.png"), full_page=True)
        print(f"JupyterLab log:\n{lab_server.log_tail()}\nbrowser console errors: {page.console_errors}")
        raise
