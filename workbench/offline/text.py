"""Tokens of a question and the offline model's general English vocabulary.

The vocabulary is what the model "knows" before it reads a prompt: function
words, everyday query words, number words, units and a small synonym table
for telemetry nouns. It never names a column: columns only come from the
schema block the prompt lists (``lexicon.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "dozen": 12,
}  # fmt: skip

#: time units in seconds, by every spelling a question uses
TIME_UNITS = {
    "ms": 0.001, "msec": 0.001, "msecs": 0.001, "millis": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "wk": 604800, "wks": 604800, "week": 604800, "weeks": 604800, "fortnight": 1209600,
    "month": 2592000, "months": 2592000,
}  # fmt: skip


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
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("uses", "sses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


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
STOP = frozenset("""
a an the of to in on at for and or by is are was were be been being what which who whom whose how me
my i we our us you your show give list tell find get please there that this those these it its with
from as do does did any all can could would should will shall may might must into onto than then so
such just only also too very much many some each every per about across within during between over
under up down out off via using use used whats what's where when while has have had having let lets
let's want need see view look looking display return returning returned compute calculate chart
graph plot report show me pull fetch check break broken broke group grouped split them they their if
but not no yes ok okay same like vs versus against compared compare comparison here now currently
among amongst inside outside throughout toward towards upon beside besides near behind beyond
despite unlike whether either neither nor yet still already even never always often sometimes
usually again back away ever really actually basically
""".split())  # noqa: SIM905
# fmt: on

#: everyday nouns and verbs of telemetry questions that carry no condition by themselves
# fmt: off
FILLER = frozenset("""
span event request call hit traffic activity data info information result stat statistic metric
value number numbers figure breakdown distribution trend pattern overview summary thing stuff
happening going happen happened doing look like seen occur occurred occurring shop store site
website system app application backend frontend overall total everything anything something sorted
sort order ordered rank ranked ranking descending ascending desc asc top bottom first last most
least more less fewer highest lowest biggest largest smallest best worst greatest maximum minimum
average avg mean median typical percentile count counting counted amount volume rate different
distinct unique various separate individual kind type issue problem incident case spike spiking dip
jump go get got give see across whole entire full recent recently lately currently right now ago
since until til till before after between today yesterday tonight morning afternoon evening night
week weekend month day hour minute second time times period window timeline timeseries series over
under above below exceed exceeding exceeded greater bigger longer shorter higher lower slower faster
taking took take takes spent spend least at-least exactly equal equals around about roughly
approximately nearly almost per-minute per-hour hourly daily weekly minutely each every both either
neither other another all entire table events dataset query queries ask answer analyze analyse
analysis measure measured show shows showing display current latest newest oldest recent trace
traced tracing
""".split())  # noqa: SIM905
# fmt: on

#: generic subject nouns: "android users", "checkout requests" (they name who, not a column)
# fmt: off
SUBJECT_NOUNS = frozenset("""
user customer request call span event traffic session visitor people person client shopper buyer
operation transaction hit
""".split())  # noqa: SIM905
# fmt: on

#: words that end a noun phrase
# fmt: off
BOUNDARY = frozenset("""
for on in at from with without where which that who whose when while since during over under by per
and or but not excluding except exclude ignoring ignore than to into between within across last past
previous this today yesterday of is are was were has have had vs versus compared
""".split())  # noqa: SIM905
# fmt: on

#: general knowledge: a question word → name parts it may refer to, with a weight
SYNONYMS: dict[str, dict[str, float]] = {
    "endpoint": {"route": 0.8, "path": 0.75, "url": 0.6, "target": 0.4},
    "url": {"url": 0.95, "path": 0.7, "route": 0.6, "target": 0.5},
    "path": {"path": 1.0, "route": 0.8, "url": 0.6},
    "route": {"route": 1.0, "path": 0.7},
    "api": {"route": 0.5},
    "latency": {"duration": 0.9, "latency": 1.0, "elapsed": 0.7},
    "duration": {"duration": 1.0, "latency": 0.8, "elapsed": 0.7},
    "response": {"response": 1.0},
    "customer": {"user": 0.8, "customer": 1.0},
    "shopper": {"user": 0.7},
    "buyer": {"user": 0.6},
    "account": {"user": 0.6, "account": 1.0},
    "os": {"platform": 0.8, "os": 1.0},
    "device": {"platform": 0.7, "device": 1.0},
    "release": {"version": 0.9, "release": 1.0},
    "build": {"version": 0.6, "build": 1.0},
    "plan": {"tier": 0.8, "plan": 1.0},
    "subscription": {"tier": 0.7},
    "segment": {"tier": 0.5},
    "datacenter": {"region": 0.7, "zone": 0.6},
    "dc": {"region": 0.6},
    "zone": {"zone": 1.0, "region": 0.6},
    "location": {"region": 0.6},
    "geo": {"region": 0.6},
    "machine": {"host": 0.8, "node": 0.6},
    "node": {"node": 1.0, "host": 0.7},
    "server": {"host": 0.6},
    "instance": {"host": 0.6, "pod": 0.6, "instance": 1.0},
    "container": {"container": 1.0, "pod": 0.7},
    "verb": {"method": 0.8},
    "processor": {"provider": 0.7},
    "database": {"db": 0.9, "database": 1.0},
    "db": {"db": 1.0, "database": 0.9},
    "exception": {"exception": 1.0},
    "error": {"error": 1.0, "exception": 0.6},
    "failure": {"error": 0.8, "exception": 0.5},
    "flag": {"flag": 1.0, "feature": 0.5},
    "toggle": {"flag": 0.8},
    "quantity": {"count": 0.5, "item": 0.6, "quantity": 1.0},
    "size": {"count": 0.4, "size": 1.0},
    "amount": {"total": 0.6, "amount": 1.0, "usd": 0.5},
    "price": {"total": 0.5, "price": 1.0, "usd": 0.5},
    "money": {"usd": 0.7, "total": 0.5},
    "dollar": {"usd": 1.0},
    "usd": {"usd": 1.0},
    "revenue": {"revenue": 1.0, "total": 0.6, "usd": 0.6},
    "sale": {"total": 0.5, "usd": 0.5},
    "spend": {"total": 0.5, "usd": 0.5},
    "value": {"value": 1.0, "total": 0.6, "usd": 0.5, "amount": 0.6},
    "code": {"code": 1.0},
    "status": {"status": 1.0},
    "kind": {"kind": 1.0, "type": 0.5},
    "type": {"type": 1.0, "kind": 0.5},
    "operation": {"operation": 1.0, "name": 0.4},
    "op": {"operation": 0.9},
    "message": {"message": 1.0, "msg": 1.0},
    "region": {"region": 1.0},
    "pod": {"pod": 1.0},
    "host": {"host": 1.0},
    "hostname": {"host": 1.0},
    "item": {"item": 1.0},
    "cart": {"cart": 1.0, "basket": 0.9},
    "basket": {"cart": 0.9},
    "cached": {"cache": 1.0},
    "cache": {"cache": 1.0},
    "trace": {"trace": 1.0},
    "parent": {"parent": 1.0},
    "service": {"service": 1.0},
    "microservice": {"service": 0.9},
    "tier": {"tier": 1.0},
    "version": {"version": 1.0},
    "platform": {"platform": 1.0, "os": 0.6},
    "method": {"method": 1.0},
    "provider": {"provider": 1.0},
}

#: column name parts that say little on their own ("app.", "http.", "*.name")
# fmt: off
GENERIC_PARTS = frozenset("""
app http name id attr attrs attribute attributes custom meta resource span net ms usd count total
value type info data field tag tags label labels otel sdk key
""".split())  # noqa: SIM905
# fmt: on

# fmt: off
NEGATORS = frozenset("""
not non excluding except exclude excluded ignoring ignore without no other minus
""".split())  # noqa: SIM905
# fmt: on
