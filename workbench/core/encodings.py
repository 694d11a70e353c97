"""Offline tiktoken encodings, built from the files shipped in the package (counting: ``core.tokens``).

``tiktoken.get_encoding`` downloads its BPE file on first use, which fails without a
network. Here the two encodings the OpenAI chat models use (``o200k_base``,
``cl100k_base``) are built from ``workbench/data/tokenizers/*.tiktoken``: the files
OpenAI publishes, byte for byte, whose SHA-256 is checked on every load against
``SHA256SUMS`` beside them (and against the hash tiktoken itself pins). The regex and
special tokens come from the installed ``tiktoken_ext/openai_public.py``, so the
encodings are tiktoken's own; nothing is ever downloaded.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import WorkbenchError
from workbench.core.paths import package_data

if TYPE_CHECKING:
    import tiktoken

__all__ = ["DEFAULT_ENCODING", "ENCODINGS", "get_encoding", "load_encoding"]

DEFAULT_ENCODING = "o200k_base"
ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")
_REINSTALL = "reinstall query-workbench, e.g. `pip install --force-reinstall query-workbench`"


def _tokenizer_dir() -> Path:
    return package_data("tokenizers")


def _expected_hash(name: str, sums: Path) -> str:
    filename = f"{name}.tiktoken"
    try:
        lines = sums.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise WorkbenchError(
            f"tokenizer checksum file {sums} is missing or unreadable ({err.strerror})", _REINSTALL
        ) from None
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == filename:
            return parts[0].lower()
    raise WorkbenchError(f"tokenizer checksum file {sums} has no entry for {filename}", _REINSTALL)


_CONSTRUCTOR_LOCK = threading.Lock()


def _tiktoken_params(name: str) -> tuple[str, dict[str, int], str | None]:
    """``pat_str``, special tokens and pinned hash from tiktoken's own constructor, without its download.

    The constructor calls ``load_tiktoken_bpe(url, expected_hash=...)``; it is run with that
    loader swapped for one that only records the hash, so nothing is fetched.
    """
    from tiktoken_ext import openai_public

    seen: dict[str, str | None] = {}

    def _record(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        seen["hash"] = expected_hash
        return {}

    with _CONSTRUCTOR_LOCK:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = _record  # type: ignore[assignment]
        try:
            params = openai_public.ENCODING_CONSTRUCTORS[name]()
        finally:
            openai_public.load_tiktoken_bpe = original  # type: ignore[assignment]
    return params["pat_str"], dict(params["special_tokens"]), seen.get("hash")


def _parse_ranks(data: bytes, path: Path) -> dict[bytes, int]:
    # Same format and parsing as tiktoken.load.load_tiktoken_bpe, which we do not call on a
    # local path because it would also copy the file into tiktoken's temp cache.
    # binascii.a2b_base64 is base64.b64decode without its argument checks (200k tokens: 150 -> 125 ms)
    try:
        return {
            binascii.a2b_base64(token): int(rank)
            for token, rank in (line.split() for line in data.splitlines() if line)
        }
    except ValueError:  # a line that is not two fields, or a token that is not base64
        raise WorkbenchError(f"tokenizer file {path} is not a valid .tiktoken file", _REINSTALL) from None


def load_encoding(
    name: str, path: str | Path | None = None, *, sums: str | Path | None = None
) -> tiktoken.Encoding:
    """Build encoding ``name`` from a local BPE file, verifying its SHA-256 first (uncached).

    Args:
        name: ``o200k_base`` or ``cl100k_base``.
        path: the ``.tiktoken`` file (default: the one shipped in the package).
        sums: the ``SHA256SUMS`` file the hash is read from (default: the package's).

    Raises:
        WorkbenchError: unknown name, missing file, or a file whose hash does not match.
    """
    import tiktoken

    if name not in ENCODINGS:
        raise WorkbenchError(f"unknown encoding {name!r}", f"use one of: {', '.join(ENCODINGS)}")
    file = Path(path) if path is not None else _tokenizer_dir() / f"{name}.tiktoken"
    sums_file = Path(sums) if sums is not None else _tokenizer_dir() / "SHA256SUMS"
    expected = _expected_hash(name, sums_file)
    try:
        data = file.read_bytes()
    except OSError as err:
        raise WorkbenchError(
            f"tokenizer file {file} is missing or unreadable ({err.strerror})", _REINSTALL
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise WorkbenchError(
            f"tokenizer file {file} is corrupted (sha256 {actual[:12]}…, expected {expected[:12]}…)",
            _REINSTALL,
        )
    pat_str, special_tokens, pinned = _tiktoken_params(name)
    if pinned is not None and pinned != expected:
        raise WorkbenchError(f"{sums_file} does not match tiktoken's pinned hash for {name}", _REINSTALL)
    return tiktoken.Encoding(
        name=name, pat_str=pat_str, mergeable_ranks=_parse_ranks(data, file), special_tokens=special_tokens
    )


@functools.cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The verified encoding ``name`` (``o200k_base`` or ``cl100k_base``), built once per process.

    Example:
        >>> get_encoding("o200k_base").encode("hello world")
        [24912, 2375]
    """
    return load_encoding(name)
