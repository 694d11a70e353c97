"""Helpers shared by CLI verbs: reading files and printing JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import WorkbenchError


def read_text(path: str | Path, what: str = "file") -> str:
    p = Path(path)
    if not p.exists():
        raise WorkbenchError(f"{what} not found: {p}", "check the path")
    if p.is_dir():
        raise WorkbenchError(f"{what} is a directory, not a file: {p}", "give a file path")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkbenchError(f"{what} is not UTF-8 text: {p}", "save it as UTF-8") from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
