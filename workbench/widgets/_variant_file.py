"""Saving an edited variant back to its file: atomically, and never over a file changed on disk since it was read.

``VariantFiles`` remembers each variant file's content (a sha256) when an editor first sees it; ``save``
writes only when the file is still that content (or does not exist yet), through a temp file in the same
folder and ``os.replace``, so a crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.yamlio import display_path

__all__ = ["VariantFiles", "header_comments", "write_atomic"]


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def header_comments(text: str) -> str:
    """The comment lines a YAML file opens with (kept on save: the file's own explanation of itself)."""
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in its folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class VariantFiles:
    """The variant files an editor has read, each with its content when read."""

    def __init__(self) -> None:
        self._seen: dict[Path, str] = {}

    def remember(self, path: str | Path | None) -> None:
        """Note ``path``'s content the first time the editor sees a variant loaded from it."""
        if path is None:
            return
        key = Path(path).resolve()
        if key not in self._seen and (digest := _digest(key)) is not None:
            self._seen[key] = digest

    def check(self, target: Path) -> bool:
        """Whether ``target`` exists; raises a one-line ``ConfigError`` (a ``WorkbenchError``) when writing it could lose someone's edit."""
        digest, known = _digest(target), self._seen.get(target)
        if digest is None:
            return False
        if known is None:
            raise ConfigError(
                f"{display_path(target)} exists and was not loaded here: nothing written",
                "choose a new path in 'save to'",
            )
        if digest != known:
            raise ConfigError(
                f"{display_path(target)} changed on disk since it was loaded: nothing written",
                "reload the variant to keep those changes, or save to another path",
            )
        return True

    def save(
        self, variant: Any, target: str | Path, *, instructions: str, conventions: Any
    ) -> tuple[Path, str]:
        """Write ``instructions`` and ``conventions`` into the variant file ``target``; returns ``(path, note)``.

        An existing file keeps its other settings and its header comments (other comments are not kept);
        a new file gets ``variant``'s settings under the file's name.
        """
        from workbench.prompt.variant import load_variant

        path = Path(target).expanduser().resolve()
        if path.suffix not in (".yaml", ".yml"):
            raise ConfigError(f"{display_path(path)} is not a variant file", "give a path ending in .yaml")
        exists = self.check(path)
        base = load_variant(path) if exists else variant.with_(name=path.stem)
        new = base.with_(conventions=None).with_(instructions=instructions, conventions=conventions)
        header = header_comments(path.read_text(encoding="utf-8")) if exists else ""
        write_atomic(path, header + new.dump())
        self._seen[path] = _digest(path) or ""
        note = f" (the instructions are now in the file, no longer read from {base.instructions_file})"
        return path, note if base.instructions_file else ""
