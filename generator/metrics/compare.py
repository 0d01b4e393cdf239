"""Comparing two values of a metric: which is more for the client."""

from __future__ import annotations

import math

from .catalogue import Metric
from .values import PERIOD_YEARS, Measured, Unreadable, read

# Months and years are written loosely: lengths within 2% of each other are the same promise.
DURATION_TOLERANCE = 0.02


def exceeds(metric: Metric, asked: Measured, committed: Measured) -> bool | str:
    """Whether ``asked`` is more for the client than ``committed``; a sentence when the two
    cannot be compared (money in two currencies, per month against one-off ...)."""
    if metric.kind == "set":
        return not asked.items <= committed.items
    if metric.kind == "money":
        reason = _money_mismatch(asked, committed)
        if reason:
            return reason
        a, c = _money_per_year(asked, committed)
        return a < c - 1e-9 if not metric.larger_is_more else a > c + 1e-9
    a, c = asked.number, committed.number
    if a == c:
        return False
    if metric.kind == "duration" and math.isfinite(a) and math.isfinite(c) and \
            abs(a - c) <= DURATION_TOLERANCE * max(a, c):
        return False  # "1 month" and "30 days", "12 months" and "1 year" say the same
    if metric.larger_is_more:
        return a > c + 1e-9 * max(1.0, abs(c) if c != math.inf else 1.0)
    return a < c - 1e-9 * max(1.0, abs(c) if c != math.inf else 1.0)


def asks_more(metric: Metric | None, asked, committed) -> bool | None:
    """Whether the value ``asked`` is more for the client than ``committed``; None when either
    cannot be read for ``metric`` or the two do not compare."""
    if metric is None:
        return None
    a, c = read(metric, asked), read(metric, committed)
    if isinstance(a, Unreadable) or isinstance(c, Unreadable):
        return None
    outcome = exceeds(metric, a, c)
    return None if isinstance(outcome, str) else outcome


def _money_mismatch(a: Measured, c: Measured) -> str | None:
    if a.number == 0 or c.number == 0:
        return None  # free compares with any price
    if a.currency != c.currency:
        return f"one is in {a.currency} and the other in {c.currency}"
    if a.unit != c.unit:
        return f'one is {_per_unit(a)} and the other {_per_unit(c)}'
    if (a.per is None) != (c.per is None) or (a.per != c.per and not (
            a.per in PERIOD_YEARS and c.per in PERIOD_YEARS)):
        return f"one is {_per_period(a)} and the other {_per_period(c)}"
    return None


def _per_unit(m: Measured) -> str:
    return f"per {m.unit}" if m.unit else "a total"


def _per_period(m: Measured) -> str:
    return f"per {m.per}" if m.per else "a one-off amount"


def _money_per_year(a: Measured, c: Measured) -> tuple[float, float]:
    if a.per in PERIOD_YEARS and c.per in PERIOD_YEARS and a.per != c.per:
        return a.number * PERIOD_YEARS[a.per], c.number * PERIOD_YEARS[c.per]
    return a.number, c.number
