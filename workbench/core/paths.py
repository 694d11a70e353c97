"""Where the workbench keeps its files.

The *home* holds the generated dataset (``data/``), the experiment log
(``runs/``) and the response cache (``.cache/``). It is, in order:
``$WORKBENCH_HOME``; the nearest folder at or above the current directory that
has a ``prompts/`` folder (a project checkout, also when a notebook runs in
``notebooks/``); ``~/.query-workbench``.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    env = os.environ.get("WORKBENCH_HOME")
    if env:
        return Path(env).expanduser().resolve()
    project = project_root()
    if project is not None:
        return project
    return Path("~/.query-workbench").expanduser()


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) that holds a ``prompts/`` folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "prompts").is_dir():
            return folder
    return None


def default_dataset_path() -> Path:
    return home() / "data" / "telemetry.duckdb"


def runs_path() -> Path:
    return home() / "runs" / "runs.duckdb"


def cache_path() -> Path:
    return home() / ".cache" / "responses.sqlite"


def prompts_dir() -> Path:
    """Prompt variants: the project's ``prompts/``, else the home's, else the shipped ones."""
    root = project_root()
    if root is not None:
        return root / "prompts"
    own = home() / "prompts"
    shipped = shipped_dir("prompts")
    return shipped if not own.is_dir() and shipped is not None else own


def shipped_dir(name: str) -> Path | None:
    """A folder the package ships (``prompts``, ``questions``): the checkout's, or the wheel's copy."""
    here = Path(__file__).resolve().parents[1]  # the package folder
    for folder in (here.parent / name, here / "shipped" / name):
        if folder.is_dir():
            return folder
    return None


def package_data(*parts: str) -> Path:
    return Path(__file__).parents[1].joinpath("data", *parts)
