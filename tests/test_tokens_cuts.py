"""Counting multi-line text piece by piece (``tokens._cuts``) gives exactly the whole text's count."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from workbench.core import tokens
from workbench.core.encodings import ENCODINGS, get_encoding

REPO = Path(__file__).resolve().parents[1]
#: pieces chosen to stress the split patterns around newlines: punctuation runs, "/", tabs, CR,
#: contractions, digits, non-ASCII letters and marks, trailing spaces, runs of blank lines
_ATOMS = ("\n", "\n\n", "\r\n", " \n", "\t", " ", "  ", "/", "//", ")", "})", "],", ":", "#", "## ", "-",
          "'s", "'LL", "abc", "Xyz", "ABC", "x", "123", "4567", "é", "日本", "ñ", "\u0301", "\u00a0", "\u2003",
          "\u2028", "\x0b", '"', '{"a":', "<|endoftext|>", "Q: ", "A: ", ".", "...", "?!", "$", "_id", "`")  # fmt: skip


def _whole(text: str, encoding: str) -> int:
    return len(get_encoding(encoding).encode_ordinary(text))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_pieces_add_up_on_generated_text(encoding: str) -> None:
    rng = random.Random(19)
    cut = 0
    for _ in range(3000):
        text = "".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 40)))
        pieces = tokens._cuts(text)
        cut += len(pieces) > 1
        assert "".join(pieces) == text
        assert sum(_whole(p, encoding) for p in pieces) == _whole(text, encoding), repr(text)
        assert tokens.count_tokens(text, encoding) == _whole(text, encoding), repr(text)
    assert cut > 1000  # the generator does reach the cut points


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_pieces_add_up_on_shipped_text(encoding: str) -> None:
    files = [*REPO.glob("prompts/**/*.md"), *REPO.glob("prompts/**/*.yaml"), *REPO.glob("questions/*.yaml"),
             REPO / "README.md", REPO / "ARCHITECTURE.md"]  # fmt: skip
    assert len(files) > 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        for start in range(0, len(text), 4000):  # windows, so that a mismatch names a small text
            window = text[start : start + 6000]
            assert tokens.count_tokens(window, encoding) == _whole(window, encoding), f"{path}@{start}"


def test_cuts_only_where_proven() -> None:
    assert tokens._cuts("a\nb\n/c\n d\n\n#e") == ["a\n", "b\n/c\n d\n\n", "#e"]
    assert all(tokens._cuttable(e) for e in ENCODINGS)


def test_long_lines_stay_out_of_the_line_cache() -> None:
    tokens._count_short.cache_clear()
    tokens._count_long.cache_clear()
    text = "word " * 1000  # one 5,000-character line
    assert tokens.count_tokens(text) == _whole(text, "o200k_base")
    assert tokens._count_short.cache_info().currsize == 0
    assert tokens._count_long.cache_info().currsize == 1
    assert tokens.count_tokens("short line\n" + text) == _whole("short line\n" + text, "o200k_base")
    assert tokens._count_short.cache_info().currsize == 1
