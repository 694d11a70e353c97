"""``workbench lab``: which folder it serves, what it writes, and the command it runs.

Starting the real server is covered by ``test_browser.py``; these check the parts that
decide what a user gets, without starting anything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.cli import build_parser, lab
from workbench.core.errors import WorkbenchError

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "notebooks" / "01_quickstart.ipynb"


def test_in_a_checkout_it_serves_the_checkout_at_the_quickstart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "notebooks")
    ws = lab.resolve_workspace()
    assert ws.root == REPO and ws.notebook == QUICKSTART
    assert ws.url_path == "/lab/tree/notebooks/01_quickstart.ipynb"


def test_outside_a_checkout_it_finds_the_checkout_the_package_runs_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no prompts/ here or above: pip install -e . from elsewhere
    assert lab.find_checkout() == REPO
    assert lab.resolve_workspace().root == REPO


def test_a_dir_with_notebooks_is_served_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_quickstart.ipynb").write_text("{}")
    ws = lab.resolve_workspace(tmp_path)
    assert ws == lab.Workspace(tmp_path.resolve(), tmp_path.resolve() / "notebooks" / "01_quickstart.ipynb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"]  # nothing copied in


def test_a_new_dir_becomes_a_workspace_with_copies_and_keeps_existing_files(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    (target / "prompts").mkdir(parents=True)
    (target / "prompts" / "compact.yaml").write_text("# my own edits\n")
    ws = lab.resolve_workspace(target)
    assert ws.notebook == target.resolve() / "notebooks" / "01_quickstart.ipynb"
    names = sorted(p.name for p in (target / "notebooks").iterdir())
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert (target / "questions" / "core.yaml").read_bytes() == (
        REPO / "questions" / "core.yaml"
    ).read_bytes()
    assert (target / "prompts" / "examples" / "core.yaml").is_file()
    assert (target / "prompts" / "compact.yaml").read_text() == "# my own edits\n"  # never overwritten


def test_from_a_wheel_the_workspace_gets_the_shipped_prompts_and_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No checkout: the notebooks, prompts and questions a wheel ships are copied in, so the notebooks run."""
    monkeypatch.setattr(lab, "find_checkout", lambda: None)
    monkeypatch.setattr(lab, "packaged_notebooks", lambda: REPO / "notebooks")
    monkeypatch.setattr(lab, "shipped_dir", lambda name: REPO / name)  # where a wheel's copies would be
    ws = lab.resolve_workspace(tmp_path / "ws")
    assert ws.notebook.is_file()
    assert (tmp_path / "ws" / "questions" / "core.yaml").is_file()
    assert (tmp_path / "ws" / "prompts" / "instructions" / "default.md").is_file()


def test_dir_must_not_be_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(WorkbenchError, match="is a file"):
        lab.resolve_workspace(f)


def test_no_notebooks_anywhere_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab, "find_checkout", lambda: None)
    monkeypatch.setattr(lab, "packaged_notebooks", lambda: None)
    with pytest.raises(WorkbenchError, match="notebooks were not found"):
        lab.resolve_workspace(tmp_path / "empty")


def test_settings_turn_off_news_and_windowing_in_a_folder_of_its_own(tmp_path: Path) -> None:
    path = lab.write_lab_settings(tmp_path)
    assert path == tmp_path / "labconfig" / "default_setting_overrides.json"
    data = json.loads(path.read_text())
    assert data["@jupyterlab/notebook-extension:tracker"] == {"windowingMode": "none"}
    assert data["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert data["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False
    assert lab.settings_dir().is_relative_to(Path(os.environ["WORKBENCH_HOME"]))  # not ~/.jupyter


def test_command_is_loopback_offline_and_allows_root_only_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    ws = lab.Workspace(REPO, QUICKSTART)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    cmd = lab.lab_command(ws, 8899)
    assert cmd[1:3] == ["-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=8899" in cmd
    assert f"--ServerApp.root_dir={REPO}" in cmd and "--no-browser" in cmd
    assert "--LabApp.news_url=None" in cmd
    assert "--allow-root" not in cmd and not any("token" in part.lower() for part in cmd)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--allow-root" in lab.lab_command(ws, 8899)


def test_env_carries_the_token_and_puts_our_config_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/somewhere/else")
    env = lab.lab_env("secret", tmp_path)
    assert env["JUPYTER_TOKEN"] == "secret"
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(tmp_path), "/somewhere/else"]


def test_free_port_skips_a_busy_one() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert lab.free_port(port, tries=5) != port


def test_cli_options(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["lab", "--port", "9999", "--no-browser", "--dir", "x"])
    assert (args.port, args.no_browser, args.dir) == (9999, True, Path("x"))
    with pytest.raises(WorkbenchError, match="--port"):
        lab.run(build_parser().parse_args(["lab", "--port", "70000"]))


def test_browser_opens_a_private_redirect_page_not_the_token_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    opened: list[str] = []
    done = threading.Event()
    monkeypatch.setattr(lab.webbrowser, "open", lambda uri: (opened.append(uri), done.set()))
    lab.open_browser("http://127.0.0.1:8888/lab/tree/notebooks/01_quickstart.ipynb?token=t&x=1", tmp_path)
    assert done.wait(5)
    page = tmp_path / "open-lab.html"
    assert opened == [page.as_uri()] and "token" not in opened[0]
    assert (
        "url=http://127.0.0.1:8888/lab/tree/notebooks/01_quickstart.ipynb?token=t&amp;x=1" in page.read_text()
    )
    assert page.stat().st_mode & 0o777 == 0o600
