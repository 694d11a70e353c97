"""``workbench lab``: JupyterLab on the workbench notebooks, opened at the quickstart.

It works offline on a fresh machine with nothing else to set up:

- **which notebooks**: ``--dir DIR`` when given; else the project checkout around the
  current folder, else the checkout this package was installed from (``pip install -e .``),
  else the notebooks shipped inside the package (``workbench/notebooks/``, copied to
  ``~/.query-workbench``). A ``--dir`` without notebooks becomes a new workspace: the
  notebooks, ``prompts/`` and ``questions/`` are copied in (existing files are kept), so
  edits there never touch the checkout.
- **settings**: JupyterLab's defaults are changed for this server only, through a
  ``labconfig/default_setting_overrides.json`` in a folder of the workbench's own that is
  put on ``JUPYTER_CONFIG_PATH`` for the child process: no news or update checks (nothing
  is fetched), and no notebook windowing (widgets further down a long notebook render).
  The user's own JupyterLab settings still win, and their global config is not touched.
- **access**: loopback only, with a random token (from ``JUPYTER_TOKEN`` when set) passed
  in the environment, not on the command line; the printed URL carries it.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.paths import shipped_dir

QUICKSTART = "01_quickstart.ipynb"
HOST = "127.0.0.1"
FIRST_PORT = 8888
#: JupyterLab defaults for the workbench's server (see the module docstring)
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
#: what a new ``--dir`` workspace gets from a checkout besides the notebooks
WORKSPACE_FOLDERS = ("prompts", "questions")


@dataclass(frozen=True)
class Workspace:
    """The folder JupyterLab serves and the quickstart notebook inside it."""

    root: Path
    notebook: Path

    @property
    def url_path(self) -> str:
        return "/lab/tree/" + self.notebook.relative_to(self.root).as_posix()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lab",
        help="open JupyterLab on the workbench notebooks, at the quickstart",
        description=(
            "Start JupyterLab (loopback only, offline) on the workbench notebooks and open the "
            "quickstart. Stop it with Ctrl-C."
        ),
    )
    p.add_argument(
        "--port", type=int, default=None, help=f"port (default: the first free one from {FIRST_PORT})"
    )
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
    p.add_argument(
        "--dir", type=Path, default=None, metavar="DIR",
        help="serve this folder; one without notebooks becomes a workspace with copies of them "
             "(default: the project checkout)",
    )  # fmt: skip
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- finding the notebooks


def _checkout_of(folder: Path | None) -> Path | None:
    if folder is not None and (folder / "notebooks" / QUICKSTART).is_file() and (folder / "prompts").is_dir():
        return folder
    return None


def find_checkout() -> Path | None:
    """The project checkout around the current folder, else the one this package runs from."""
    from workbench.core.paths import project_root

    return _checkout_of(project_root()) or _checkout_of(Path(__file__).resolve().parents[2])


def packaged_notebooks() -> Path | None:
    """``workbench/notebooks/`` when the notebooks were installed with the package."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    return folder if (folder / QUICKSTART).is_file() else None


def _copy_missing(src: Path, dst: Path, pattern: str = "**/*") -> int:
    """Copy files under ``src`` to ``dst`` that ``dst`` does not have yet; returns how many."""
    copied = 0
    for f in sorted(src.glob(pattern)):
        if not f.is_file() or ".ipynb_checkpoints" in f.parts:
            continue
        target = dst / f.relative_to(src)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            copied += 1
    return copied


def populate(folder: Path) -> Workspace:
    """Make ``folder`` a workspace: copy the notebooks, prompts and questions in (existing files are kept)."""
    checkout = find_checkout()
    source = checkout / "notebooks" if checkout else packaged_notebooks()
    if source is None:
        raise WorkbenchError(
            "the workbench notebooks were not found (no project checkout, and none installed with the package)",
            "run workbench lab in a checkout of the project, or pass --dir to a folder with notebooks/",
        )
    _copy_missing(source, folder / "notebooks", "*.ipynb")
    for name in WORKSPACE_FOLDERS:  # the checkout's, or the copies a wheel ships
        shipped = checkout / name if checkout is not None else shipped_dir(name)
        if shipped is not None and shipped.is_dir():
            _copy_missing(shipped, folder / name)
    return Workspace(folder, folder / "notebooks" / QUICKSTART)


def resolve_workspace(folder: Path | None = None) -> Workspace:
    """Where JupyterLab runs and which notebook it opens (see the module docstring)."""
    if folder is not None:
        folder = folder.expanduser().resolve()
        if folder.exists() and not folder.is_dir():
            raise WorkbenchError(f"--dir is a file, not a folder: {folder}", "give a folder")
        for notebook in (folder / "notebooks" / QUICKSTART, folder / QUICKSTART):
            if notebook.is_file():
                return Workspace(folder, notebook)
        return populate(folder)
    checkout = find_checkout()
    if checkout is not None:
        return Workspace(checkout, checkout / "notebooks" / QUICKSTART)
    from workbench.core.paths import home

    return populate(home())


# --------------------------------------------------------------------------- the server


def settings_dir() -> Path:
    """The workbench's own JupyterLab config folder (never the user's global one)."""
    from workbench.core.paths import home

    return home() / ".cache" / "jupyter-config"


def write_lab_settings(folder: Path) -> Path:
    """Write ``LAB_SETTINGS`` as JupyterLab default-setting overrides under ``folder``."""
    path = folder / "labconfig" / "default_setting_overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(LAB_SETTINGS, indent=2) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def free_port(start: int = FIRST_PORT, tries: int = 50) -> int:
    """The first port from ``start`` that nothing listens on at ``HOST``."""
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    raise WorkbenchError(f"no free port in {start}-{start + tries - 1}", "pass --port")


def lab_command(workspace: Workspace, port: int) -> list[str]:
    """The ``jupyter lab`` command line (the token comes from the environment)."""
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={workspace.root}",
        "--ServerApp.log_level=WARN",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def lab_env(token: str, config_dir: Path) -> dict[str, str]:
    """The child's environment: the token, and our config folder first on ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ)
    env["JUPYTER_TOKEN"] = token
    extra = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(config_dir), *([extra] if extra else [])])
    return env


def wait_until_ready(proc: subprocess.Popen, port: int, token: str, timeout_s: float = 90.0) -> None:
    """Poll ``/api/status`` until the server answers; fail if it exits or takes too long."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise WorkbenchError(
                f"JupyterLab exited with code {proc.returncode} before it was ready",
                "see its messages above; is the port in use? try another --port",
            )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise WorkbenchError(f"JupyterLab did not answer within {timeout_s:.0f} s", "see its messages above")


def open_browser(url: str, folder: Path) -> None:
    """Open ``url`` through a private redirect page (as Jupyter does), so the token is not on a command line."""
    page = folder / "open-lab.html"
    page.write_text(f'<meta http-equiv="refresh" content="0;url={html.escape(url)}">\n', encoding="utf-8")
    page.chmod(0o600)
    threading.Thread(target=webbrowser.open, args=(page.as_uri(),), daemon=True).start()


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        raise WorkbenchError(f"--port must be between 1 and 65535, got {args.port}", "pick a free port")
    workspace = resolve_workspace(args.dir)
    config_dir = settings_dir()
    write_lab_settings(config_dir)
    port = args.port or free_port()
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    url = f"http://{HOST}:{port}{workspace.url_path}?token={token}"
    print(f"starting JupyterLab on {workspace.root} ...", flush=True)
    proc = subprocess.Popen(lab_command(workspace, port), env=lab_env(token, config_dir), cwd=workspace.root)
    # Ctrl-C goes to the whole foreground group: JupyterLab handles it (and shuts its kernels
    # down); this process just waits for it. A SIGTERM to this process is passed on.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        wait_until_ready(proc, port, token)
        print(f"\nQuery Workbench is running at:\n\n    {url}\n\nPress Ctrl-C twice to stop it.", flush=True)
        if not args.no_browser:
            open_browser(url, config_dir)
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
