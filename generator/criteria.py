"""What a stage's or persona's criteria let through, field by field.

A criterion is a list of one-field conditions (``{fit_score: {gte: 30}}``, ``{industry: {in:
[retail]}}``) that must all hold; here each becomes a :class:`Range` of the values it lets
through, so the checker can tell whether two definitions can both hold (a lead that is two
personas at once), the pages can say what a stage asks, and the scorer knows the thresholds.
The conditions themselves are models (``generator.model.criteria``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .model import Ops

# the scores a lead has, computed by the scoring model; criteria compare them like any field
SCORE_FIELDS = ("fit_score", "engagement_score", "total_score")


@dataclass(frozen=True)
class Range:
    """What values of one field a condition lets through."""

    lo: float = -math.inf
    lo_incl: bool = True
    hi: float = math.inf
    hi_incl: bool = True
    allowed: frozenset | None = None
    excluded: frozenset = frozenset()

    def empty_numeric(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_incl and self.hi_incl))


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def to_range(ops: Ops) -> Range:
    lo, lo_incl, hi, hi_incl = -math.inf, True, math.inf, True
    if ops.gte is not None:
        lo, lo_incl = ops.gte, True
    if ops.gt is not None and ops.gt >= lo:
        lo, lo_incl = ops.gt, False
    if ops.lte is not None:
        hi, hi_incl = ops.lte, True
    if ops.lt is not None and ops.lt <= hi:
        hi, hi_incl = ops.lt, False
    allowed = None
    if ops.eq is not None:
        allowed = frozenset([ops.eq.lower()])
    if ops.in_ is not None:
        values = frozenset(v.lower() for v in ops.in_)
        allowed = values if allowed is None else allowed & values
    excluded = set()
    if ops.ne is not None:
        excluded.add(ops.ne.lower())
    if ops.not_in:
        excluded.update(v.lower() for v in ops.not_in)
    return Range(lo, lo_incl, hi, hi_incl, allowed, frozenset(excluded))


def in_interval(value: float, r: Range) -> bool:
    if value < r.lo or (value == r.lo and not r.lo_incl):
        return False
    if value > r.hi or (value == r.hi and not r.hi_incl):
        return False
    return True


@lru_cache(maxsize=4096)
def intersects(a: Range, b: Range) -> bool:
    """Whether some value satisfies both ranges."""
    lo, lo_incl = (a.lo, a.lo_incl) if a.lo > b.lo else (b.lo, b.lo_incl) if b.lo > a.lo else (
        a.lo, a.lo_incl and b.lo_incl)
    hi, hi_incl = (a.hi, a.hi_incl) if a.hi < b.hi else (b.hi, b.hi_incl) if b.hi < a.hi else (
        a.hi, a.hi_incl and b.hi_incl)
    numeric = Range(lo, lo_incl, hi, hi_incl)
    if numeric.empty_numeric():
        return False
    allowed = a.allowed if b.allowed is None else b.allowed if a.allowed is None else a.allowed & b.allowed
    excluded = a.excluded | b.excluded
    if allowed is not None:
        candidates = allowed - excluded
        if not candidates:
            return False
        bounded = numeric.lo != -math.inf or numeric.hi != math.inf
        if bounded:
            return any(_num(v) is not None and in_interval(_num(v), numeric) for v in candidates)
    return True


def conditions_by_field(conditions) -> dict[str, Range]:
    """Combine a list of one-field conditions (all must hold) into a range per field."""
    out: dict[str, Range] = {}
    for cond in conditions or ():
        for field, ops in cond.items():
            r = to_range(ops)
            if field in out:
                out[field] = _combine(out[field], r)
            else:
                out[field] = r
    return out


def _combine(a: Range, b: Range) -> Range:
    lo, lo_incl = max((a.lo, not a.lo_incl), (b.lo, not b.lo_incl))
    hi, hi_incl = min((a.hi, a.hi_incl), (b.hi, b.hi_incl))
    allowed = a.allowed if b.allowed is None else b.allowed if a.allowed is None else a.allowed & b.allowed
    return Range(lo, not lo_incl, hi, hi_incl, allowed, a.excluded | b.excluded)


def lower_bound(criteria, field: str):
    """(value, inclusive, index in criteria.all) of the lower bound on ``field`` or None."""
    if criteria is None:
        return None
    for index, cond in enumerate(criteria.all):
        ops = cond.get(field)
        if ops is None:
            continue
        if ops.gte is not None:
            return ops.gte, True, index
        if ops.gt is not None:
            return ops.gt, False, index
    return None


def mentions_field(criteria, field: str) -> bool:
    return criteria is not None and any(field in cond for cond in criteria.conditions())


# ---------------------------------------------------------------- in words

# each operator as a reader says it, in the order a condition's parts are read out
OPERATOR_WORDS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "is", "ne": "is not",
                  "in_": "is one of", "not_in": "is none of", "exists": "is known"}


def condition_text(cond: dict[str, Ops]) -> str:
    """A condition as the pages say it: "fit score ≥ 30", "industry is one of dtc, ecommerce",
    "email opt in is known" (or "is not known"); several parts are joined with "and". Plain
    text, for the caller to escape."""
    parts = []
    for fieldname, ops in cond.items():
        for op, word in OPERATOR_WORDS.items():
            value = getattr(ops, op)
            if value is None:
                continue
            if isinstance(value, list):
                shown = ", ".join(value)
            elif isinstance(value, bool):
                word, shown = ("is known" if value else "is not known"), ""
            elif isinstance(value, float):
                shown = f"{value:g}"
            else:
                shown = value
            parts.append(f"{fieldname.replace('_', ' ')} {word} {shown}".strip())
    return " and ".join(parts)
