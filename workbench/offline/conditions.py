"""Conditions of a question: concepts (errors, traces, orders, boolean flags), exists, and the
words left unexplained. What errors and traces mean comes from the prompt (``Parse.meant_filter``),
else from the priors in ``vocabulary.yaml``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.offline.clauses import COUNT_NOUNS, DURATION_WORDS, ORDER_VALUE_WORDS
from workbench.offline.text import BOUNDARY, FILLER, NEGATORS, STOP, SUBJECT_NOUNS
from workbench.offline.values import negated
from workbench.offline.vocabulary import prior, words

if TYPE_CHECKING:
    from workbench.offline.state import Parse

ERROR_WORDS = words("conditions.error_words")
SUCCESS_WORDS = words("conditions.success_words")
_FALSE_WORDS = words("conditions.false_words")
_TRUE_WORDS = words("conditions.true_words")
_CONDITION_WORDS = words("conditions.condition_words")
_RATE_WORDS = frozenset(
    {"rate", "rates", "ratio", "percentage", "percent", "%", "fraction", "share", "proportion"}
)
_NEGATED_OPS = {"=": "!=", "!=": "=", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "exists": "does-not-exist",
                "does-not-exist": "exists", "in": "not-in", "not-in": "in"}  # fmt: skip


# --------------------------------------------------------------------------- concepts


def concepts(p: Parse) -> None:
    """Errors and successes, error rates, traces, boolean flags like cache hits."""
    for i in range(p.n):
        if not p.free(i):
            continue
        w = p.low(i)
        nxt = p.low(i + 1)
        if (w in ERROR_WORDS or w in SUCCESS_WORDS) and nxt in _RATE_WORDS:
            col, op, value = error_filter(p)
            p.take(i, i + 2)
            boolean = op == "=" and isinstance(value, bool)
            if (
                boolean
                and p.choose("shape:error rate", [("breakdown", 0.0), ("filter", -0.2)]) == "breakdown"
            ):
                p.add_breakdown(col)
            else:
                p.add_filter(*(_negate(col, op, value) if w in SUCCESS_WORDS else (col, op, value)))
        elif w in ERROR_WORDS or w in SUCCESS_WORDS:
            neg = negated(p, i)
            col, op, value = error_filter(p)
            p.take(i)
            p.add_filter(*(_negate(col, op, value) if (w in SUCCESS_WORDS) != neg else (col, op, value)))
        elif (
            p.toks[i].stem in ("order", "purchase")
            and w != p.toks[i].stem
            and p.low(i + 1) not in ("by", "of")
        ):
            col = p.concept("order_value")
            p.take(i)
            if (
                col
                and not any(f["column"] == col for f in p.filters)
                and p.choose("concept:orders", [("exists", 0.0), ("none", -0.5)]) == "exists"
            ):
                p.add_filter(col, "exists")
        elif w in ("trace", "traces") and p.low(i - 1) not in ("per", "by"):
            p.take(i)  # what "traces" means is the prompt's: a filter (root spans) or nothing
            if (found := p.meant_filter("trace")) and (taught := p.convention(*found)):
                p.add_filter(*taught)
        elif (w == "root" and p.toks[min(i + 1, p.n - 1)].stem in ("span", "trace")) or (
            w in ("top-level", "entry") and nxt.startswith("span")
        ):
            parent = p.concept("parent")
            if parent:
                p.take(i, i + 2)
                p.add_filter(parent, "does-not-exist")
    _booleans(p)


def error_filter(p: Parse) -> tuple[str, str, Any]:
    """What errors mean: the prompt's statement, else the priors' first guess the schema allows
    (either as the examples write it)."""
    found = p.meant_filter("error")
    for guess in [] if found else prior("errors"):
        if col := p.concept(guess["concept"]):
            found = col, guess["op"], guess["value"]
            break
    if found is None:
        return p.literal(["error"], "filter"), "=", True
    return p.convention(*found) or found


def _negate(col: str, op: str, value: Any) -> tuple[str, str, Any]:
    """The filter that keeps what ``(col, op, value)`` leaves out (``error = true`` -> ``error = false``)."""
    if op == "=" and isinstance(value, bool):
        return col, op, not value
    return col, _NEGATED_OPS.get(op, op), value


def _booleans(p: Parse) -> None:
    for i in range(p.n):
        for size in (3, 2, 1):
            if (
                not all(
                    p.free(k) and p.toks[k].kind == "word" and p.low(k) not in STOP
                    for k in range(i, i + size)
                )
                or i + size > p.n
            ):
                continue
            ranked = p.lex.rank_columns([t.stem for t in p.toks[i : i + size]])
            if not ranked or ranked[0][0].type != "boolean" or ranked[0][1] < 0.8:
                continue
            col = ranked[0][0].name
            around = {p.low(k) for k in (i - 2, i - 1, i + size, i + size + 1)}
            p.take(i, i + size)
            if p.low(i + size) in ("rate", "ratio", "percentage", "%"):
                p.take(i + size)
                if p.choose("shape:rate", [("breakdown", 0.0), ("filter", -0.2)]) == "breakdown":
                    p.add_breakdown(col)
                    break
            if {"vs", "versus", "compared"} & around or ("with" in around and "without" in around):
                p.add_breakdown(col)
                break
            value = not (_FALSE_WORDS & around) or bool(_TRUE_WORDS & {p.low(i + size)})
            for k in (i - 1, i + size):
                if p.low(k) in _FALSE_WORDS | _TRUE_WORDS and p.low(k) not in ("with", "no", "not", "on"):
                    p.take(k)
            p.add_filter(col, "=", value)
            break


def exists(p: Parse) -> None:
    """``with a payment provider`` (exists), ``without a db system`` (does-not-exist)."""
    for i in range(p.n):
        w = p.low(i)
        if not p.free(i) or w not in (
            "with",
            "having",
            "has",
            "have",
            "without",
            "missing",
            "lacking",
            "where",
            "whose",
            "no",
        ):
            continue
        j = i + 1
        positive = w not in ("without", "missing", "lacking", "no")
        if w == "with" and p.low(j) == "no":
            positive, j = False, j + 1
        while p.low(j) in ("a", "an", "any", "some", "the", "at", "least", "one"):
            j += 1
        words = []
        for k in range(j, min(j + 3, p.n)):
            if not p.free(k) or p.toks[k].kind != "word" or p.low(k) in BOUNDARY:
                break
            words.append(p.toks[k].stem)
        for size in range(len(words), 0, -1):
            col, _score = p.column_for(words[:size], "any", threshold=0.7)
            info = p.lex.get(col) if col else None
            if info is None or info.type == "boolean":
                continue
            end = j + size
            tail = [p.low(end), p.low(end + 1), p.low(end + 2)]
            if (tail[0] in ("is", "are") and tail[1] in ("null", "missing", "empty", "unset")) or tail[
                :3
            ] == ["is", "not", "set"]:
                positive = False
            p.take(i, end)
            for k in range(end, min(end + 3, p.n)):
                if p.low(k) in (
                    "is",
                    "are",
                    "set",
                    "present",
                    "exists",
                    "null",
                    "missing",
                    "empty",
                    "unset",
                    "not",
                ):
                    p.take(k)
                else:
                    break
            p.add_filter(col, "exists" if positive else "does-not-exist")
            break


# --------------------------------------------------------------------------- leftovers


def leftovers(p: Parse) -> None:
    """Words nothing explained: in a condition position they are a condition the model cannot place.

    A condition position is after a condition word ("on the shelf") or a verb and "the" ("used the
    shelf"), before a noun that names what is counted or a word the examples taught as a filter
    ("iphoner blowups"), after "how many" ("how many whales"), or among the opening words of a question
    with no statistic ("blowups by route"): dropping such a word would answer another question, so it is
    kept as unknown (the model declines, naming it)."""
    known_measures = {w for phrase in DURATION_WORDS | set(ORDER_VALUE_WORDS) for w in phrase.split()}
    counted = _opening_words(p)
    for i in range(p.n):
        t = p.toks[i]
        if not p.free(i) or t.kind in ("punct", "op", "num", "pct", "money"):
            continue
        if t.kind in ("version", "path", "quoted", "status_class", "status_code"):
            p.unknown.append(t.text)
            continue
        s = t.stem
        if (s in STOP or t.low in STOP or s in FILLER or t.low in FILLER or s in NEGATORS or s in SUBJECT_NOUNS
                or s in COUNT_NOUNS or s in known_measures or p.lex.knows(s) or len(s) < 2):  # fmt: skip
            continue
        k = i - 1
        while k >= 0 and p.low(k) in ("the", "a", "an", "only", "just", "all"):
            k -= 1
        nxt = p.toks[i + 1].stem if i + 1 < p.n else ""
        if (
            p.low(k) in _CONDITION_WORDS
            or nxt in SUBJECT_NOUNS
            or nxt in COUNT_NOUNS
            or (k < 0 and nxt in ("user", "request"))
            or i + 1 in p.taught  # modifies a word the examples taught ("iphoner blowups")
            or p.seq(k - 1, "how", "many")  # what is counted ("how many whales")
            or (k < i - 1 and p.low(k + 1) == "the" and p.toks[k].kind == "word")  # "used the shelf"
            or (i in counted and not p.calcs)  # the opening words name what is counted ("blowups by route")
        ):
            p.unknown.append(t.text)
        else:
            p.unplaced.append(t.text)


def _opening_words(p: Parse) -> set[int]:
    """The question's opening words up to a boundary word ("droid blowups | by route") that nothing
    explained: with no statistic they name what is counted."""
    out: set[int] = set()
    for i in range(p.n):
        if p.low(i) in BOUNDARY or p.toks[i].kind != "word":
            break
        if p.free(i):
            out.add(i)
    return out
