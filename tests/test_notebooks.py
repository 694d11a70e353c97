"""Every notebook runs top to bottom, headless, with no error; and each matches its source.

The notebooks run as a newcomer runs them: kernel ``python3``, working folder
``notebooks/`` (so ``project_root()`` finds the repo's ``prompts/`` and ``questions/``),
the embedded defaults. ``WORKBENCH_HOME`` points at a temp home that already holds the
small test dataset, so no 500k-row generation happens, and the data, the run log, the
response cache and the exports land there, not in the checkout. All notebooks share one
home, in order, so notebook 5 exports with notebook 4's run in the log.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 180
#: the widget each notebook must display (by its class name in the output)
WIDGETS = {
    "01_quickstart": "SideBySide",
    "02_schema_compression": "SchemaEditor",
    "03_few_shot_examples": "ExamplesEditor",
    "04_evaluate_and_compare": "Dashboard",
}


@pytest.fixture(scope="module")
def notebook_home(tmp_path_factory: pytest.TempPathFactory, small_dataset_path: Path) -> Path:
    home = tmp_path_factory.mktemp("notebook-home")
    (home / "data").mkdir()
    shutil.copy2(small_dataset_path, home / "data" / "telemetry.duckdb")
    return home


def test_the_five_notebooks_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01_quickstart", "02_schema_compression", "03_few_shot_examples", "04_evaluate_and_compare", "05_export",
    ]  # fmt: skip


def test_notebooks_match_their_sources() -> None:
    spec = importlib.util.spec_from_file_location("build_notebooks", REPO / "tools" / "build_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run python tools/build_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_headless_without_error(
    path: Path, notebook_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKBENCH_HOME", str(notebook_home))  # the kernel inherits it
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on the first error

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    stderr = "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream" and o.name == "stderr")  # fmt: skip
    assert "Traceback" not in stderr, stderr
    widget = WIDGETS.get(path.stem)
    if widget is not None:
        shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                 if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]  # fmt: skip
        assert any(o["data"].get("text/plain", "").startswith(widget) for o in shown), (
            f"no {widget} displayed"
        )
