"""Tokens of a question and the offline model's general English vocabulary.

The vocabulary is what the model "knows" before it reads a prompt: function
words, everyday query words, number words, units and a small synonym table
for telemetry nouns. It never names a column: columns only come from the
schema block the prompt lists (``lexicon.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core.text import singular
from workbench.offline.vocabulary import table, words

_TOKEN_RE = re.compile(
    r"""
    (?P<quoted>"[^"\n]+"|'[^'\n]+'|`[^`\n]+`|“[^”\n]+”)
   |(?P<op>>=|<=|!=|==|=>|=|>|<)
   |(?P<money>\$\s?\d+(?:[.,]\d+)*\s?[kKmM]?\b)
   |(?P<path>/[\w\-./{}:]*[\w}]|/)
   |(?P<word>[A-Za-z0-9_][\w\-.{}:/']*[\w}]|[A-Za-z0-9%])
   |(?P<punct>[,;?!()%])
    """,
    re.X,
)

_NUM_UNIT = re.compile(
    r"^(?P<n>\d+(?:\.\d+)?)(?P<u>ms|msec|msecs|millis|s|sec|secs|second|seconds|m|min|mins|minute|minutes"
    r"|h|hr|hrs|hour|hours|d|day|days|w|wk|wks|week|weeks|k|usd)$"
)
_ORDINAL = re.compile(r"^(?P<n>\d+)(?:st|nd|rd|th)$")
_PCT = re.compile(r"^p(?P<n>\d{1,2}(?:\.\d+)?|100)$")
_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:[.\-]\w+)*$|^v\d+(?:\.\d+)*$")
_STATUS_CLASS = re.compile(r"^(?P<d>[1-5])xx$")
_STATUS_PLURAL = re.compile(r"^(?P<n>[1-5]\d\d)s$")

NUMBER_WORDS = table("text.number_words")

#: time units in seconds, by every spelling a question uses
TIME_UNITS = table("text.time_units")


@dataclass
class Tok:
    """One token of the question."""

    i: int
    text: str  # as typed
    low: str
    stem: str
    kind: str  # word | num | pct | version | status_class | status_code | quoted | path | op | money | punct
    num: float | None = None
    unit: str | None = None


def stem(word: str) -> str:
    """A plural-insensitive form: ``endpoints`` → ``endpoint``, ``queries`` → ``query``."""
    w = word.lower()
    return w if len(w) <= 3 or not w.isalpha() else singular(w)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def tokenize(text: str) -> list[Tok]:
    """Split a question into typed tokens (numbers with units, percentiles, paths, quoted text...)."""
    out: list[Tok] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "word"
        raw = m.group(0)
        if kind == "word" and raw.lower().startswith("non-") and len(raw) > 4:
            out.append(Tok(len(out), raw[:3], "non", "non", "word"))
            raw = raw[4:]
        tok = _classify(len(out), raw, kind)
        out.append(tok)
    return out


def _classify(i: int, raw: str, kind: str) -> Tok:
    low = raw.lower()
    if kind == "quoted":
        inner = raw[1:-1]
        return Tok(i, inner, inner.lower(), inner.lower(), "quoted")
    if kind == "money":
        digits = re.sub(r"[^\d.,]", "", raw)
        value = _number(digits) * (1000 if low.endswith("k") else 1_000_000 if low.endswith("m") else 1)
        return Tok(i, raw, low, low, "money", value, "usd")
    if kind in ("op", "punct", "path"):
        return Tok(i, raw, low, low, kind)
    if re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", low):
        return Tok(i, raw, low, low, "num", _number(low))
    if m := _STATUS_CLASS.match(low):
        return Tok(i, raw, low, low, "status_class", float(m["d"]))
    if m := _STATUS_PLURAL.match(low):
        return Tok(i, raw, low, low, "status_code", float(m["n"]))
    if m := _PCT.match(low):
        return Tok(i, raw, low, low, "pct", float(m["n"]))
    if m := _ORDINAL.match(low):
        return Tok(i, raw, low, low, "num", float(m["n"]), "ordinal")
    if _VERSION.match(low):
        return Tok(i, raw, low, low, "version")
    if m := _NUM_UNIT.match(low):
        return Tok(i, raw, low, low, "num", float(m["n"]), m["u"])
    if low in NUMBER_WORDS:
        return Tok(i, raw, low, low, "num", float(NUMBER_WORDS[low]), "word")
    return Tok(i, raw, low, stem(low), "word")


# --------------------------------------------------------------------------- general vocabulary

#: function words: never a condition
# fmt: off
STOP = words("text.stop")
# fmt: on

#: everyday nouns and verbs of telemetry questions that carry no condition by themselves
# fmt: off
FILLER = words("text.filler")
# fmt: on

#: generic subject nouns: "android users", "checkout requests" (they name who, not a column)
# fmt: off
SUBJECT_NOUNS = words("text.subject_nouns")
# fmt: on

#: words that end a noun phrase
# fmt: off
BOUNDARY = words("text.boundary")
# fmt: on

#: general knowledge: a question word → name parts it may refer to, with a weight
SYNONYMS: dict[str, dict[str, float]] = table("text.synonyms")

#: column name parts that say little on their own ("app.", "http.", "*.name")
# fmt: off
GENERIC_PARTS = words("text.generic_parts")
# fmt: on

# fmt: off
NEGATORS = words("text.negators")
# fmt: on
