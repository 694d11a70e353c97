"""The lost-connection banner in a real browser (JupyterLab + headless Chromium, 1400x1000).

A dashboard's heartbeat pings the kernel; the kernel answers for a few seconds, then stops (the test hook
``Heartbeat.answering``, as a kernel whose comms are gone would); the banner must appear inside the
widget, in the viewport, saying what happened and what to do. Screenshot: ``tests/artifacts/heartbeat-lost.png``.
"""

from __future__ import annotations

import json
import re

import pytest
from browser_harness import ARTIFACTS, LabServer, chromium, lab_page, lab_server  # noqa: F401  (fixtures)
from test_browser import BROKEN_WIDGET, IDLE, run_notebook_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

NOTEBOOK = "notebooks/heartbeat_check.ipynb"
PONGS = re.compile(r"^[1-9]\d*$")  # at least one pong came back
ANSWER_FOR_S = 6  # the kernel answers pings this long after the cell ran, then stops
CELLS = [
    "from workbench.widgets import Dashboard\n"
    "d = Dashboard('../questions/core.yaml', ['compact'], store='runs-heartbeat.duckdb')\n"
    "d",
    "import asyncio\n"
    f"_ = asyncio.get_running_loop().call_later({ANSWER_FOR_S}, setattr, d.watch.heartbeat, 'answering', False)",
]


def write_notebook(root) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
             for s in CELLS]  # fmt: skip
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
          "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    (root / NOTEBOOK).write_text(json.dumps(nb))


def test_the_banner_shows_when_the_kernel_stops_answering(lab_page, lab_server: LabServer) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = lab_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    write_notebook(lab_server.root)
    try:
        page.goto(lab_server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded")
        run_notebook_until(page, lab_server, NOTEBOOK, ".wb-dashboard", timeout_s=150)
        page.wait_for_selector(IDLE, timeout=60_000)
        body = page.locator("body").inner_text()
        for text in BROKEN_WIDGET:
            assert text not in body, f"{text!r} shown on the page"
        dash = page.locator(".wb-dashboard")
        assert dash.locator(".wb-error:visible").count() == 0, dash.locator(".wb-error").all_inner_texts()
        beat = dash.locator(".wb-heartbeat-root").first
        # the kernel answers: pongs arrive and no banner shows
        expect(beat).to_have_attribute("data-pongs", PONGS, timeout=20_000)
        expect(beat.locator(".wb-lost")).to_be_hidden()
        # then it stops answering: the banner shows, in the widget and in view
        banner = beat.locator(".wb-lost")
        expect(banner).to_be_visible(timeout=40_000)
        expect(banner).to_contain_text("lost their connection to the kernel")
        expect(banner).to_contain_text("run this cell again")
        expect(banner).to_contain_text("workbench runs list")
        box = banner.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1000, f"banner out of view: {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1400, f"banner out of view: {box}"
        last_pong, lost_at = (int(beat.get_attribute(a) or 0) for a in ("data-last-pong", "data-lost-at"))
        quiet_s = (lost_at - last_pong) / 1000
        print(f"\nbanner shown {quiet_s:.1f} s after the last pong")
        assert 8 <= quiet_s <= 8 + 2 + 2, (
            f"banner after {quiet_s:.1f} s without a pong (timeout 8 s, ping every 2 s)"
        )
        page.screenshot(path=str(ARTIFACTS / "heartbeat-lost.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "heartbeat-failure.png"), full_page=True)
        print(f"JupyterLab log:\n{lab_server.log_tail()}\nbrowser console errors: {page.console_errors}")
        raise
