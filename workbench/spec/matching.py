"""Is a prediction right? Result equality, a structural diff for failure analysis, outcome classes.

Correctness is judged on *executed results*, not on spec text (DESIGN.md): two
specs that differ in wording (``time_range`` vs the same absolute window,
``in`` vs two ORed ``=``) are both right when they return the same table.

``results_match`` rules:

- **Rows** are compared as a multiset (order ignored) unless ``ordered`` is
  true, which the caller sets when the gold spec has ``orders``
  (``spec_is_ordered``). Ties within an order are assumed to be broken
  deterministically by the executor, which runs gold and prediction alike.
- **Numbers** (int, float, Decimal, numpy scalars) compare with
  ``math.isclose(rel_tol, abs_tol)``: the relative tolerance absorbs float
  noise from different aggregation orders, the absolute one handles values
  near zero. ``3`` matches ``3.0``; NaN matches NaN; booleans only match
  booleans. Datetimes compare as ISO strings (a result reloaded from the
  experiment log's JSON still matches); other values compare exactly.
- **Time series.** When the gold result has a ``series`` (the spec has a
  granularity), the prediction must have one too, and it must match by the
  same rules (rows unordered: each row carries its time bucket). A series the
  gold does not have is ignored: the summary answers the question.
- **Column names are ignored.** The column counts must be equal; the columns
  are then matched *as a permutation*: a prediction that lists the same
  calculations in another order (``AVG, P99`` vs ``P99, AVG``) or puts the
  breakdown after the calculations carries the same information and matches.
  Only column pairings whose value multisets agree are tried, identity first,
  so the search stays small.

This module imports neither pandas nor duckdb.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from workbench.core.errors import SpecError
from workbench.core.findings import Finding, has_errors
from workbench.spec.query import parse_spec

__all__ = [
    "DIFF_PARTS",
    "OUTCOMES",
    "Outcome",
    "classify",
    "findings_flags",
    "results_match",
    "spec_is_ordered",
    "structural_diff",
]

REL_TOL = 1e-6
ABS_TOL = 1e-9
#: at most this many column pairings are tried (6! = 720; values prune nearly all of them).
MAX_PERMUTATIONS = 720


# --------------------------------------------------------------------------- values


def _norm(value: Any) -> Any:
    """A comparable form: numbers -> ``_Num``, times -> ISO text, containers -> tuples."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        # "2026-11-20 12:00:00" and "2026-11-20T12:00:00" are the same time
        return (
            value.replace(" ", "T", 1) if len(value) >= 19 and value[4] == "-" and value[10] == " " else value
        )
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and type(value).__module__ == "numpy":
        return _norm(item())
    if isinstance(value, int | float | Decimal):
        return _Num(float(value))
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None) - (value.utcoffset() or _ZERO)
        return value.isoformat(sep="T")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):  # a HEATMAP cell: {bucket: count}
        return tuple(sorted(((_norm(k), _norm(v)) for k, v in value.items()), key=repr))
    return value


class _Num(float):
    """A float marked as a number, so that a string '3' never equals the number 3."""

    __slots__ = ()


_ZERO = datetime(2000, 1, 1) - datetime(2000, 1, 1)


def _eq(a: Any, b: Any, rel_tol: float, abs_tol: float) -> bool:
    if isinstance(a, _Num) and isinstance(b, _Num):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(a, _Num) or isinstance(b, _Num):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_eq(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True))
    return a == b


def _sort_key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, _Num):
        return (2, -math.inf if math.isnan(v) else float(v))
    if isinstance(v, str):
        return (3, v)
    return (4, repr(v))


# --------------------------------------------------------------------------- tables


def _table(result: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, normalized rows) from a QueryResult-like object, a mapping or a (columns, rows) pair."""
    if isinstance(result, Mapping):
        columns, rows = result["columns"], result["rows"]
    elif hasattr(result, "columns") and hasattr(result, "rows"):
        columns, rows = result.columns, result.rows
    elif isinstance(result, Sequence) and len(result) == 2:
        columns, rows = result
    else:
        raise TypeError(f"expected a result with columns and rows, got {type(result).__name__}")
    cols = [str(c) for c in columns]
    normed = [tuple(_norm(v) for v in row) for row in rows]
    for row in normed:
        if len(row) != len(cols):
            raise ValueError(f"a row has {len(row)} values for {len(cols)} columns")
    return cols, normed


def _sorted_columns(rows: list[tuple[Any, ...]], n: int) -> list[list[Any]]:
    return [sorted((r[j] for r in rows), key=_sort_key) for j in range(n)]


def _columns_agree(a: list[Any], b: list[Any], rel_tol: float, abs_tol: float) -> bool:
    """Whether two sorted columns hold the same multiset of values (sorted pairing is exact for this)."""
    return all(_eq(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True))


def _rows_equal(p: tuple[Any, ...], g: tuple[Any, ...], rel_tol: float, abs_tol: float) -> bool:
    return all(_eq(x, y, rel_tol, abs_tol) for x, y in zip(p, g, strict=True))


def _exact_part(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of a row compared exactly (numbers blanked), for bucketing."""
    return tuple(None if isinstance(v, _Num) else v for v in row)


def _multiset_match(
    pred: list[tuple[Any, ...]], gold: list[tuple[Any, ...]], rel_tol: float, abs_tol: float
) -> bool:
    # Bucket by the exactly-compared values, then pair numbers greedily inside each bucket
    # after sorting: with tolerances as small as ours a greedy pairing finds a match if one exists.
    buckets: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for row in pred:
        buckets[_exact_part(row)].append(row)
    for rows in buckets.values():
        rows.sort(key=lambda r: tuple(_sort_key(v) for v in r))
    for row in sorted(gold, key=lambda r: tuple(_sort_key(v) for v in r)):
        candidates = buckets.get(_exact_part(row))
        if not candidates:
            return False
        for i, cand in enumerate(candidates):
            if _rows_equal(cand, row, rel_tol, abs_tol):
                del candidates[i]
                break
        else:
            return False
    return True


def _pairings(compatible: list[list[int]]) -> Iterable[tuple[int, ...]]:
    """Permutations where gold column i takes a pred column from ``compatible[i]``, identity first."""
    n = len(compatible)
    used = [False] * n
    chosen: list[int] = []

    def walk(i: int) -> Iterable[tuple[int, ...]]:
        if i == n:
            yield tuple(chosen)
            return
        for j in compatible[i]:
            if not used[j]:
                used[j] = True
                chosen.append(j)
                yield from walk(i + 1)
                chosen.pop()
                used[j] = False

    return walk(0)


def _series(result: Any) -> Any:
    if isinstance(result, Mapping):
        return result.get("series")
    return getattr(result, "series", None)


def results_match(
    pred: Any,
    gold: Any,
    *,
    ordered: bool = False,
    rel_tol: float = REL_TOL,
    abs_tol: float = ABS_TOL,
) -> bool:
    """Whether a predicted result equals the gold result (see the module docstring for the rules).

    Args:
        pred, gold: anything with ``.columns`` and ``.rows`` (the executor's ``QueryResult``),
            a mapping with ``columns`` and ``rows`` (its ``to_dict()``), or a ``(columns, rows)``
            pair. A ``series`` attribute or key is compared when the gold has one.
        ordered: compare rows in order (set it when the gold spec has ``orders``).
        rel_tol, abs_tol: numeric tolerances, as in ``math.isclose``.

    Example:
        >>> results_match((["n"], [(1,), (2.0000000001,)]), (["COUNT"], [(2,), (1,)]))
        True
    """
    if not _table_match(_table(pred), _table(gold), ordered, rel_tol, abs_tol):
        return False
    gold_series = _series(gold)
    if gold_series is None:
        return True
    pred_series = _series(pred)
    if pred_series is None:
        return False
    return _table_match(_table(pred_series), _table(gold_series), False, rel_tol, abs_tol)


def _table_match(
    pred: tuple[list[str], list[tuple[Any, ...]]],
    gold: tuple[list[str], list[tuple[Any, ...]]],
    ordered: bool,
    rel_tol: float,
    abs_tol: float,
) -> bool:
    (pcols, prows), (gcols, grows) = pred, gold
    if len(pcols) != len(gcols) or len(prows) != len(grows):
        return False
    if not grows:
        return True
    n = len(gcols)
    pcolumns, gcolumns = _sorted_columns(prows, n), _sorted_columns(grows, n)
    compatible = []
    for i in range(n):
        fits = [j for j in range(n) if _columns_agree(pcolumns[j], gcolumns[i], rel_tol, abs_tol)]
        if not fits:
            return False
        fits.sort(key=lambda j, i=i: j != i)  # identity first
        compatible.append(fits)
    for tried, perm in enumerate(_pairings(compatible)):
        if tried >= MAX_PERMUTATIONS:
            break
        permuted = [tuple(r[j] for j in perm) for r in prows]
        if ordered:
            if all(_rows_equal(p, g, rel_tol, abs_tol) for p, g in zip(permuted, grows, strict=True)):
                return True
        elif _multiset_match(permuted, grows, rel_tol, abs_tol):
            return True
    return False


# --------------------------------------------------------------------------- structural diff

#: the parts ``structural_diff`` reports, in display order.
DIFF_PARTS: tuple[str, ...] = ("calculations", "filters", "breakdowns", "time", "orders_limit", "havings")
#: the dataset's default ``now`` (DESIGN.md): 2026-11-20T12:00:00Z.
DEFAULT_NOW = 1795176000


def spec_is_ordered(spec: Any) -> bool:
    """Whether a spec's result rows come in a meaningful order (it has ``orders``)."""
    return bool(parse_spec(spec).orders)


def _num_key(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return v
    return float(v)


def _filter_key(f: Any) -> tuple[Any, ...]:
    value = f.value
    if isinstance(value, list | tuple):
        value = tuple(sorted((_num_key(v) for v in value), key=repr))
    else:
        value = _num_key(value)
    return (f.column, f.op, repr(value))


def structural_diff(pred_spec: Any, gold_spec: Any, *, now: int = DEFAULT_NOW) -> dict[str, bool]:
    """Which parts of a predicted spec differ from the gold: part name -> True when different.

    Parts: ``calculations`` (as a multiset: order ignored, like result columns),
    ``filters`` (order-insensitive; ``in`` lists as sets; the combination counts only with
    two or more filters), ``breakdowns`` (as a set), ``time`` (the effective window given
    ``now``, plus granularity), ``orders_limit`` (orders in sequence, and the limit),
    ``havings`` (order-insensitive). A prediction that is not a readable spec differs
    everywhere.
    """
    gold = parse_spec(gold_spec)
    try:
        pred = parse_spec(pred_spec) if pred_spec is not None else None
    except SpecError:
        pred = None
    if pred is None:
        return dict.fromkeys(DIFF_PARTS, True)

    def calcs(s: Any) -> list[tuple[Any, ...]]:
        return sorted(((c.op, c.column or "") for c in s.effective_calculations), key=repr)

    def filters(s: Any) -> tuple[Any, ...]:
        keys = sorted((_filter_key(f) for f in s.filters), key=repr)
        combo = s.filter_combination if len(keys) > 1 else "AND"
        return (combo, keys)

    def time_part(s: Any) -> tuple[Any, ...]:
        return (s.time_window(now), s.granularity or 0)

    def orders_limit(s: Any) -> tuple[Any, ...]:
        return (tuple((o.op, o.column, o.order) for o in s.orders), s.limit)

    def havings(s: Any) -> list[Any]:
        return sorted(((h.calculate_op, h.column, h.op, float(h.value)) for h in s.havings), key=repr)

    return {
        "calculations": calcs(pred) != calcs(gold),
        "filters": filters(pred) != filters(gold),
        "breakdowns": set(pred.breakdowns) != set(gold.breakdowns),
        "time": time_part(pred) != time_part(gold),
        "orders_limit": orders_limit(pred) != orders_limit(gold),
        "havings": havings(pred) != havings(gold),
    }


# --------------------------------------------------------------------------- outcome classes

Outcome = Literal["error", "invalid", "rejected", "wrong", "correct"]
#: outcome classes from worst to best.
OUTCOMES: tuple[str, ...] = ("error", "invalid", "rejected", "wrong", "correct")


def classify(
    *,
    error: str | None = None,
    valid: bool,
    semantic_valid: bool,
    correct: bool | None,
) -> Outcome:
    """The outcome class of one trial. The first rule that applies wins:

    1. ``error``: the model call itself failed (transport, timeout, refusal): ``error`` is set.
    2. ``invalid``: no usable spec came back, or it breaks Honeycomb's structural rules
       (``valid`` false): a parse failure or a structural error finding.
    3. ``rejected``: structurally fine but semantic validation against the dataset found an
       error (unknown column, wrong type...), so it was not run (``semantic_valid`` false).
    4. ``correct``: executed and its result matches the gold or an accepted alternative.
    5. ``wrong``: everything else that passed validation: executed with a different result,
       or failed while executing (``correct`` false or None).

    All flags describe the *final* spec, after any repair round.
    """
    if error:
        return "error"
    if not valid:
        return "invalid"
    if not semantic_valid:
        return "rejected"
    return "correct" if correct else "wrong"


def findings_flags(
    structure: Iterable[Finding | Mapping[str, Any]], semantics: Iterable[Finding | Mapping[str, Any]]
) -> tuple[bool, bool]:
    """``(valid, semantic_valid)`` from structural and semantic findings (errors only count)."""
    valid = not has_errors(_as_findings(structure))
    return valid, valid and not has_errors(_as_findings(semantics))


def _as_findings(items: Iterable[Finding | Mapping[str, Any]]) -> list[Finding]:
    return [f if isinstance(f, Finding) else Finding.from_dict(dict(f)) for f in items]
