"""Where files are found: the home, the project's prompts, and what a wheel ships outside a checkout."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from workbench.core import paths

REPO = Path(__file__).resolve().parents[1]


def test_every_shipped_file_is_in_the_wheel() -> None:
    """pyproject maps prompts/, questions/ and notebooks/ into the package: no file of them is left out."""
    setup = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setup["package-dir"], "no shipped folders mapped into the wheel"
    for package, folder in setup["package-dir"].items():
        assert package in setup["packages"]
        globs = setup["package-data"][package]
        files = [p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*") if p.is_file()]
        assert files, folder
        missing = [
            f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)
        ]
        assert missing == [], f"{folder}: not packaged {missing}"


def test_every_template_is_in_the_wheel() -> None:
    """The HTML templates (report, prompt previews) are package data of their package."""
    setup = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = sorted((REPO / "workbench").rglob("templates"))
    assert {f.parent.name for f in folders} >= {"report", "prompt"}
    for folder in folders:
        package = ".".join(folder.parent.relative_to(REPO).parts)
        assert package in setup["packages"], package
        globs = setup["package-data"].get(package, [])
        files = [p.relative_to(folder.parent).as_posix() for p in folder.rglob("*") if p.is_file()]
        missing = [
            f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)
        ]
        assert files and missing == [], f"{package}: not packaged {missing}"


def test_outside_a_checkout_the_wheel_copies_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "workbench"
    (package / "shipped" / "prompts").mkdir(parents=True)
    (package / "shipped" / "questions").mkdir(parents=True)
    monkeypatch.setattr(paths, "__file__", str(package / "core" / "paths.py"))
    monkeypatch.chdir(tmp_path)  # no prompts/ at or above the working directory
    assert paths.project_root() is None
    assert paths.shipped_dir("questions") == (package / "shipped" / "questions").resolve()
    assert paths.prompts_dir() == (package / "shipped" / "prompts").resolve()
    own = Path(paths.home()) / "prompts"
    own.mkdir(parents=True)
    assert paths.prompts_dir() == own  # the user's own prompts in the home win over the shipped ones


def test_a_question_set_by_name_outside_a_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.evaluation.questions import load_question_set

    monkeypatch.chdir(tmp_path)
    assert len(load_question_set("core")) == len(load_question_set("questions/core.yaml")) >= 60
