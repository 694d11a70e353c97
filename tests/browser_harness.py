"""A real JupyterLab and a real browser for the browser tests.

``lab_server`` starts ``workbench lab`` (the verb users run) on loopback, on a temp
workspace holding copies of the repo's notebooks, ``prompts/`` and ``questions/``, with
``WORKBENCH_HOME`` pointing at a temp home that already holds the small test dataset (so
the notebooks do not generate 500k rows). ``chromium`` drives Debian's Chromium through
Playwright (``executable_path``; never ``playwright install``, which downloads a browser).

Both are always torn down: the server's whole process group (JupyterLab and its
kernels) is terminated, then killed if it lingers. When Chromium or Playwright cannot
run, the tests skip with the reason, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
#: RECIPES.md, "JupyterLab in a real browser"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
ARTIFACTS = REPO / "tests" / "artifacts"
SERVER_START_TIMEOUT_S = 60.0


def unavailable(reason: str) -> None:
    """Skip the test, or fail it in CI, where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running ``workbench lab``: its base URL, token and log."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        """``path`` with the token (and ``reset``, so no earlier layout is restored)."""
        params = "&".join(["reset", *(f"{k}={v}" for k, v in query.items()), f"token={self.token}"])
        return f"{self.base_url}{path}?{params}"

    def kernel_state(self, notebook: str) -> str | None:
        """The execution state of the kernel of ``notebook``'s session, as the server knows it."""
        request = urllib.request.Request(f"{self.base_url}/api/sessions",
                                         headers={"Authorization": f"token {self.token}"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                sessions = json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        for s in sessions:
            if s.get("path", "").endswith(notebook) and s.get("kernel"):
                return s["kernel"].get("execution_state")
        return None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        """Shut JupyterLab and its kernels down; terminate, then kill, the process group if that fails."""
        if self.proc.poll() is None:
            request = urllib.request.Request(f"{self.base_url}/api/shutdown", method="POST", data=b"",
                                             headers={"Authorization": f"token {self.token}"})  # fmt: skip
            with contextlib.suppress(urllib.error.URLError, OSError):
                urllib.request.urlopen(request, timeout=5).close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # kernels that outlived the server
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def make_workspace(root: Path) -> Path:
    """A folder like a checkout: copies of the repo's notebooks, prompts and questions."""
    for name in ("notebooks", "prompts", "questions"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def make_home(home: Path, dataset: Path) -> Path:
    """A workbench home whose default dataset is ``dataset`` (copied)."""
    (home / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy2(dataset, home / "data" / "telemetry.duckdb")
    return home


def start_lab(root: Path, home: Path, log: Path) -> LabServer:
    """Start ``workbench lab --no-browser`` on ``root`` and wait until it answers."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ, "WORKBENCH_HOME": str(home), "JUPYTER_TOKEN": token,
        # keep the user's JupyterLab state out: settings, workspaces and runtime files in tmp
        "JUPYTER_CONFIG_DIR": str(home / "jupyter" / "config"),
        "JUPYTER_DATA_DIR": str(home / "jupyter" / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter" / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "jupyter" / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "jupyter" / "lab" / "workspaces"),
        "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    cmd = [sys.executable, "-m", "workbench", "lab", "--no-browser", "--port", str(port), "--dir", str(root)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    server = LabServer(proc, port, token, root, log)
    request = urllib.request.Request(
        f"{server.base_url}/api/status", headers={"Authorization": f"token {token}"}
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"workbench lab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    server.stop()
    raise RuntimeError(
        f"workbench lab did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n{server.log_tail()}"
    )


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory, small_dataset_path: Path) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("lab")
    root = make_workspace(base / "workspace")
    home = make_home(base / "home", small_dataset_path)
    server = start_lab(root, home, base / "lab.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright ``Browser``); skipped, or failed in CI, when it cannot run."""
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"playwright is not installed ({exc}); pip install playwright")
    pw = sync_playwright().start()
    browser = None
    try:
        try:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=30_000
            )
        except PlaywrightError as exc:
            unavailable(f"Chromium at {CHROMIUM} did not start: {str(exc).splitlines()[0]}")
        yield browser
    finally:
        if browser is not None:
            with contextlib.suppress(Exception):
                browser.close()
        pw.stop()


@pytest.fixture
def lab_page(chromium: object, lab_server: LabServer) -> Iterator[object]:
    """A fresh browser page (1400x1000); its console errors are kept in ``page.console_errors``."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
