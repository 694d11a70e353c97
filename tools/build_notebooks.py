"""Build the workbench notebooks from their readable sources.

The notebooks in ``notebooks/`` are generated from Python files in the "percent"
format in ``tools/notebooks/`` (the format jupytext and VS Code read)::

    # %% [markdown]
    # # A heading
    # Some prose.

    # %%
    print("a code cell")

Edit the sources, then run ``python tools/build_notebooks.py``. The notebooks are
written without outputs and with stable cell ids, so they diff well and a rebuild
of unchanged sources changes nothing. ``--check`` exits 1 when a notebook differs
from its source (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "tools" / "notebooks"
TARGET = REPO / "notebooks"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


def parse_cells(text: str) -> list[tuple[str, str]]:
    """``(kind, source)`` per cell of a percent-format file; ``kind`` is ``markdown`` or ``code``."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# %%"):
            kind = "markdown" if "[markdown]" in stripped else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
        elif stripped and not stripped.startswith("#"):
            raise ValueError(f"code before the first '# %%' marker: {line!r}")
    out = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [_uncomment(line) for line in lines]
        body = "\n".join(lines).strip("\n")
        if body.strip():
            out.append((kind, body))
    return out


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    if line.strip() in ("#", ""):
        return ""
    raise ValueError(f"a markdown line must start with '# ': {line!r}")


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook for one source file (no outputs, stable ids)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for i, (kind, body) in enumerate(parse_cells(source.read_text(encoding="utf-8"))):
        cell = nbformat.v4.new_markdown_cell(body) if kind == "markdown" else nbformat.v4.new_code_cell(body)
        cell.id = f"{source.stem.split('_')[0]}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook is out of date")
    parser.add_argument("--out", type=Path, default=TARGET, help=f"where to write (default: {TARGET})")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if not sources:
        print(f"no notebook sources in {SOURCES}", file=sys.stderr)
        return 1
    stale = []
    for src in sources:
        target = args.out / f"{src.stem}.ipynb"
        text = render(build(src))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
    if stale:
        names = ", ".join(str(p.relative_to(REPO) if p.is_relative_to(REPO) else p) for p in stale)
        print(f"out of date: {names}; run python tools/build_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
