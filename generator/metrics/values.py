"""Reading values as people write them ("same day", "next business day", "forever", "$750",
"99.9%", "24/7") for a metric of a given kind."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..units import Cadence, Duration, Money
from .catalogue import EXPECTED, Metric


@dataclass(frozen=True)
class Measured:
    """A value read for a metric: a number (or a set) and what it must match to compare."""

    kind: str
    number: float = 0.0
    items: frozenset = frozenset()
    currency: str | None = None  # money
    per: str | None = None       # money: per month, year ...
    unit: str | None = None      # money: per seat, user ...


@dataclass(frozen=True)
class Unreadable:
    """A value that cannot be read for a metric, and a sentence saying what is expected."""

    reason: str


WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90}
NUMBER_WORDS = "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))

_FOREVER = {"forever", "unlimited", "lifetime", "for life", "a lifetime", "indefinitely", "indefinite",
            "no limit", "no time limit", "never expires", "permanent", "permanently", "any time",
            "anytime", "whenever", "always"}
_IMMEDIATE = {"immediately", "immediate", "instantly", "instant", "real time", "real-time", "right away", "at once"}

_LONG_UNITS = {"mo": 730.0, "mos": 730.0, "month": 730.0, "months": 730.0,
               "y": 8760.0, "yr": 8760.0, "yrs": 8760.0, "year": 8760.0, "years": 8760.0,
               "quarter": 2190.0, "quarters": 2190.0, "fortnight": 336.0, "fortnights": 336.0}
_LEADING = re.compile(r"^(?:within|in|under|less than|up to|at most|no more than|no later than|"
                      r"inside|by)\s+(?:the\s+)?", re.IGNORECASE)
_DURATION_WORDS = re.compile(
    rf"^(?P<n>\d[\d,]*(?:\.\d+)?|{NUMBER_WORDS})[\s-]*(?P<b1>business|working|calendar)?[\s-]*"
    r"(?P<unit>[a-z]+?)s?(?:[\s-]+(?P<b2>business|working|calendar))?$", re.IGNORECASE)
_SAME_DAY = re.compile(r"^(?:the\s+)?same[\s-]+(?:business[\s-]+|working[\s-]+)?day$"
                       r"|^(?:by\s+)?(?:the\s+)?end[\s-]+of[\s-]+(?:the\s+)?(?:business\s+)?day$|^eod$",
                       re.IGNORECASE)
_NEXT_DAY = re.compile(r"^(?:the\s+)?next[\s-]+(business|working)?[\s-]*day$", re.IGNORECASE)

# "same day" is taken as half a business day, so it asks more than "1d business" or "next
# business day" and less than "within the hour".
SAME_DAY = Duration(4.0, "h", True, "same day")


def _number(text: str) -> float | None:
    text = text.strip().lower()
    if text in WORD_NUMBERS:
        return float(WORD_NUMBERS[text])
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _read_duration(text: str) -> float | None:
    """Calendar hours of a length of time written in words or units; inf for "forever"."""
    t = " ".join(text.strip().lower().split())
    if t in _FOREVER:
        return math.inf
    if t in _IMMEDIATE:
        return 0.0
    t = _LEADING.sub("", t)
    if t in ("the hour", "an hour", "the same hour", "hour"):
        return 1.0
    if t in ("tomorrow", "the next day"):
        return 24.0
    if _SAME_DAY.match(t):
        return SAME_DAY.calendar_hours
    m = _NEXT_DAY.match(t)
    if m:
        return Duration(1.0, "d", bool(m.group(1)), t).calendar_hours
    try:
        return Duration.parse(t).calendar_hours
    except ValueError:
        pass
    m = _DURATION_WORDS.match(t)
    if not m:
        return None
    n = _number(m.group("n"))
    unit = m.group("unit").lower()
    business = (m.group("b1") or m.group("b2") or "").lower() in ("business", "working")
    if n is None:
        return None
    if unit in _LONG_UNITS or unit + "s" in _LONG_UNITS:
        return n * _LONG_UNITS.get(unit, _LONG_UNITS.get(unit + "s"))
    for candidate in (unit, unit + "s"):
        try:
            return Duration.parse(f"{n:g}{candidate}{' business' if business else ''}").calendar_hours
        except ValueError:
            continue
    return None


_TIMES_A = re.compile(rf"^(?P<n>once|twice|thrice|\d+|{NUMBER_WORDS})(?:\s*x|\s+times?)?"
                      r"\s+(?:a|an|per|each|every)\s+"
                      r"(?P<per>day|business day|working day|week|fortnight|month|quarter|year)$", re.IGNORECASE)
_EVERY = re.compile(rf"^every\s+(?:(?P<other>other)\s+)?(?:(?P<n>\d+|{NUMBER_WORDS})\s+)?"
                    r"(?P<per>day|business day|working day|week|fortnight|month|quarter|year)s?$", re.IGNORECASE)
_PER_YEAR = {"day": 250.0, "business day": 250.0, "working day": 250.0, "week": 52.0, "fortnight": 26.0,
             "month": 12.0, "quarter": 4.0, "year": 1.0}
_CADENCE_WORDS = {"semi-annually": 2.0, "semiannually": 2.0, "biannually": 2.0, "half-yearly": 2.0,
                  "twice a year": 2.0, "never": 0.0, "bimonthly": 6.0, "every other month": 6.0,
                  "every day": 250.0, "each day": 250.0}


def _read_cadence(text: str) -> float | None:
    """How many times a year."""
    t = " ".join(text.strip().lower().split())
    if t in _CADENCE_WORDS:
        return _CADENCE_WORDS[t]
    try:
        return Cadence.parse(t).per_year
    except ValueError:
        pass
    m = _TIMES_A.match(t)
    if m:
        n = {"once": 1.0, "twice": 2.0, "thrice": 3.0}.get(m.group("n").lower()) or _number(m.group("n"))
        return None if n is None else n * _PER_YEAR[m.group("per").lower()]
    m = _EVERY.match(t)
    if m:
        n = _number(m.group("n")) if m.group("n") else 1.0
        if n is None or n <= 0:
            return None
        if m.group("other"):
            n *= 2
        return _PER_YEAR[m.group("per").lower()] / n
    return None


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_A_WEEK = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?:h|hrs?|hours?)\s*(?:a|per|/)\s*(?:week|wk|w)$",
                           re.IGNORECASE)
_DAY_SPAN = re.compile(
    r"(?P<d1>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*(?:-|–|—|to|through|thru)\s*(?P<d2>mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
    r"|(?P<weekdays>weekdays|working days|business days|every day|daily)", re.IGNORECASE)
_TIME_SPAN = re.compile(
    r"(?P<h1>\d{1,2})(?:[:.](?P<m1>\d\d))?\s*(?P<p1>am|pm)?\s*(?:-|–|—|to|until|till)\s*"
    r"(?P<h2>\d{1,2})(?:[:.](?P<m2>\d\d))?\s*(?P<p2>am|pm)?", re.IGNORECASE)


def _clock(h: str, m: str | None, ampm: str | None) -> float:
    hour = float(h) % 24
    if ampm and ampm.lower() == "pm" and hour < 12:
        hour += 12
    if ampm and ampm.lower() == "am" and hour == 12:
        hour = 0
    return hour + (float(m) / 60 if m else 0.0)


def _weekly_hours(text: str) -> float | None:
    """Hours a week of a schedule: "24/7", "40 hours a week", "Monday–Friday 9:00–17:30"."""
    t = " ".join(text.strip().lower().split())
    if t in ("24/7", "24x7", "24 / 7", "around the clock", "round the clock", "always"):
        return 168.0
    m = _HOURS_A_WEEK.match(t)
    if m:
        return float(m.group("n"))
    days_m, time_m = _DAY_SPAN.search(t), _TIME_SPAN.search(t)
    if not days_m or not time_m or time_m.start() < days_m.end():
        return None
    if days_m.group("weekdays"):
        days = 7 if days_m.group("weekdays") in ("every day", "daily") else 5
    else:
        a, b = _DAYS.index(days_m.group("d1")[:3]), _DAYS.index(days_m.group("d2")[:3])
        days = (b - a) % 7 + 1
    start = _clock(time_m.group("h1"), time_m.group("m1"), time_m.group("p1"))
    end = _clock(time_m.group("h2"), time_m.group("m2"), time_m.group("p2") or (
        "pm" if time_m.group("p1") == "am" and float(time_m.group("h2")) < float(time_m.group("h1")) else None))
    if end <= start:
        return None
    return days * (end - start)


_COUNT = re.compile(rf"^(?:up to\s+|at least\s+)?(?P<n>\d[\d,]*(?:\.\d+)?|{NUMBER_WORDS})(?:\s+[a-z][a-z -]*)?$", re.IGNORECASE)


def _read_count(text: str) -> float | None:
    t = " ".join(text.strip().lower().split())
    if t in _FOREVER or t in ("no cap", "any number", "as many as you like"):
        return math.inf
    hours = _weekly_hours(t)
    if hours is not None:
        return hours
    m = _COUNT.match(t)
    return _number(m.group("n")) if m else None


_PERCENT = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?:%|percent|per cent)$", re.IGNORECASE)
_FREE = {"free", "free of charge", "no charge", "nothing", "0", "zero"}
_MONEY_LEAD = re.compile(r"^(?:from|only|just|starting at|starting from|as little as)\s+", re.IGNORECASE)
PERIOD_YEARS = {"year": 1.0, "quarter": 4.0, "month": 12.0, "week": 52.0}


def _read_money(text: str) -> Measured | None:
    t = " ".join(text.strip().split())
    if t.lower() in _FREE:
        return Measured("money", 0.0)
    try:
        money = Money.parse(_MONEY_LEAD.sub("", t))
    except ValueError:
        return None
    return Measured("money", money.amount, currency=money.currency, per=money.per, unit=money.unit)


_YES = {"yes", "true", "y", "included", "always"}
_NO = {"no", "false", "n", "not included", "never"}


def _as_set(value) -> frozenset:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(" ".join(str(v).strip().lower().split()) for v in value if str(v).strip())
    parts = re.split(r"\s*(?:,|;|\band\b|\bor\b|&|/)\s*", str(value).strip().lower())
    return frozenset(p for p in parts if p)


def read(metric: Metric, value) -> Measured | Unreadable:
    """``value`` measured for ``metric``, or why it cannot be compared."""
    kind = metric.kind
    if kind == "set":
        items = _as_set(value)
        return Measured("set", items=items) if items else Unreadable(f"it is empty; write {EXPECTED['set']}")
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = value[0]
        else:
            return Unreadable(f"it is a list, but {metric.id} is a {kind}; write {EXPECTED[kind]}")
    text = str(value).strip()
    number: float | None = None
    if kind == "duration":
        number = _read_duration(text)
    elif kind == "cadence":
        number = _read_cadence(text)
    elif kind == "count":
        number = _read_count(text)
    elif kind == "percentage":
        m = _PERCENT.match(text)
        number = float(m.group("n")) if m else None
        if number is None and _number(text) is not None:
            return Unreadable(f'it has no "%"; write {EXPECTED[kind]}')
    elif kind == "money":
        money = _read_money(text)
        if money is not None:
            return money
    elif kind == "yes/no":
        low = text.lower()
        number = 1.0 if low in _YES else 0.0 if low in _NO else None
    if number is None:
        return Unreadable(f"it is not {_article(kind)} {kind}; write {EXPECTED[kind]}")
    return Measured(kind, number)


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"
