"""Values with units: durations (business or calendar), contact cadences and money.

They let the checker compare what a persona expects, what a question accepts and what a
value proposition claims against what the business commits to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

# One business day is 8 working hours; five business days span seven calendar days.
_BUSINESS_HOUR_IN_CALENDAR_HOURS = 24 * 7 / 5 / 8
_BUSINESS_DAY_IN_CALENDAR_HOURS = 24 * 7 / 5

_UNIT_HOURS = {
    "m": 1 / 60, "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 24.0, "day": 24.0, "days": 24.0,
    "w": 168.0, "wk": 168.0, "week": 168.0, "weeks": 168.0,
}
_DURATION_RE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(business|calendar|working)?\s*([a-z]+)\s*(business|calendar|working)?\s*$",
    re.IGNORECASE)


class _TextValue:
    """Mixin: a value written as text in YAML, parsed once, shown as written."""

    pattern_hint = ""

    @classmethod
    def parse(cls, text):  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler: GetCoreSchemaHandler):
        def validate(value):
            if isinstance(value, cls):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                raise ValueError(f"should be written as text like {cls.pattern_hint}")
            return cls.parse(value)

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema, handler: GetJsonSchemaHandler):
        return {"type": "string", "description": f"For example {cls.pattern_hint}"}


@dataclass(frozen=True)
class Duration(_TextValue):
    """A span of time such as ``24h business`` or ``5d``; calendar time unless marked business."""

    amount: float
    unit: str
    business: bool
    text: str

    pattern_hint = '"24h business", "2d" or "30m"'

    @classmethod
    def parse(cls, text: str) -> "Duration":
        m = _DURATION_RE.match(text)
        if not m:
            raise ValueError(f'"{text}" is not a duration; write it like {cls.pattern_hint}')
        amount, kind1, unit, kind2 = m.groups()
        unit = unit.lower()
        if unit not in _UNIT_HOURS:
            raise ValueError(f'"{unit}" is not a unit of time; use m, h, d or w')
        kind = (kind1 or kind2 or "calendar").lower()
        return cls(float(amount), unit, kind in ("business", "working"), text.strip())

    @property
    def hours(self) -> float:
        """Length in this duration's own kind of hours (business or calendar)."""
        if self.business and _UNIT_HOURS[self.unit] >= 24:
            days = 5 if _UNIT_HOURS[self.unit] >= 168 else 1  # a business week is five working days
            return self.amount * days * 8
        return self.amount * _UNIT_HOURS[self.unit]

    @property
    def calendar_hours(self) -> float:
        """Approximate length in calendar hours, so business and calendar times compare."""
        if not self.business:
            return self.hours
        return self.hours * _BUSINESS_HOUR_IN_CALENDAR_HOURS

    def __str__(self) -> str:
        return self.text


# Contact cadences by how many times a year they happen.
_CADENCE_PER_YEAR = {
    "continuous": 8760.0, "hourly": 2000.0, "same-day": 500.0,
    "daily": 250.0, "twice-weekly": 104.0, "weekly": 52.0,
    "fortnightly": 26.0, "biweekly": 26.0, "every-two-weeks": 26.0,
    "monthly": 12.0, "quarterly": 4.0, "yearly": 1.0, "annually": 1.0, "on-request": 0.0,
}
_EVERY_RE = re.compile(r"^every[ -](\d+)[ -](day|days|week|weeks|month|months)$")


@dataclass(frozen=True)
class Cadence(_TextValue):
    """How often something happens: ``daily``, ``weekly``, ``monthly``, ``every 2 weeks`` ..."""

    per_year: float
    text: str

    pattern_hint = '"daily", "weekly", "fortnightly", "monthly" or "every 3 weeks"'

    @classmethod
    def parse(cls, text: str) -> "Cadence":
        key = text.strip().lower().replace("_", "-")
        if key in _CADENCE_PER_YEAR:
            return cls(_CADENCE_PER_YEAR[key], text.strip())
        m = _EVERY_RE.match(key.replace("  ", " "))
        if m:
            n = int(m.group(1)) or 1
            per = {"day": 250.0, "week": 52.0, "month": 12.0}[m.group(2).rstrip("s")]
            return cls(per / n, text.strip())
        raise ValueError(f'"{text}" is not a cadence; write it like {cls.pattern_hint}')

    def __str__(self) -> str:
        return self.text


_MONEY_RE = re.compile(
    r"^\s*(?P<pre>[A-Z]{3}|[$€£])?\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<post>[A-Z]{3}|euros?)?"
    r"(?P<rest>(?:\s*(?:/|per\s+|an?\s+|each\s+)\s*[a-z]+)*)\s*(?P<monthly>monthly|yearly|annually|weekly)?\s*$",
    re.IGNORECASE)
_QUALIFIER_RE = re.compile(r"(?:/|per\s+|an?\s+|each\s+)\s*([a-z]+)", re.IGNORECASE)
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "EURO": "EUR", "EUROS": "EUR"}
_PERIODS = {"month": "month", "mo": "month", "year": "year", "yr": "year", "annum": "year", "week": "week",
            "day": "day", "project": "project", "hour": "hour", "quarter": "quarter"}
_ADVERB_PERIODS = {"monthly": "month", "yearly": "year", "annually": "year", "weekly": "week"}
# What a price may be counted per, besides time: the usual units of software and services.
_PER_UNITS = {"seat": "seat", "seats": "seat", "user": "user", "users": "user", "licence": "licence",
              "license": "licence", "person": "person", "client": "client", "location": "location",
              "site": "site", "employee": "employee", "member": "member", "unit": "unit"}


@dataclass(frozen=True)
class Money(_TextValue):
    """An amount with its currency, optionally per period and per seat: ``1,500 USD/month``,
    ``29 USD per seat/month``."""

    amount: float
    currency: str
    per: str | None
    text: str
    unit: str | None = None

    pattern_hint = '"1500 USD", "$1,500/month", "EUR 900 per month" or "29 USD per seat/month"'

    @classmethod
    def parse(cls, text: str) -> "Money":
        m = _MONEY_RE.match(text)
        if not m or not (m.group("pre") or m.group("post")):
            raise ValueError(f'"{text}" is not an amount of money with a currency; '
                             f"write it like {cls.pattern_hint}")
        cur = (m.group("pre") or m.group("post")).upper()
        cur = _SYMBOLS.get(cur, cur)
        per = unit = None
        for word in _QUALIFIER_RE.findall(m.group("rest") or ""):
            word = word.lower()
            if word in _PERIODS and per is None:
                per = _PERIODS[word]
            elif word in _PER_UNITS and unit is None:
                unit = _PER_UNITS[word]
            else:
                raise ValueError(f'"{text}" is not an amount of money the checker can read ("{word}" is '
                                 f"not a period or a unit like seat or user); write it like {cls.pattern_hint}")
        if m.group("monthly"):
            if per is not None:
                raise ValueError(f'"{text}" names two periods; write it like {cls.pattern_hint}')
            per = _ADVERB_PERIODS[m.group("monthly").lower()]
        return cls(float(m.group("amount").replace(",", "")), cur, per, text.strip(), unit)

    def __str__(self) -> str:
        return self.text


def measure(value):
    """Interpret a commitment-like value: a Duration, a Cadence, a set of channels or None."""
    if isinstance(value, (Duration, Cadence)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).strip().lower() for v in value)
    if isinstance(value, str):
        for kind in (Duration, Cadence):
            try:
                return kind.parse(value)
            except ValueError:
                pass
    return None


def demands_more(asked, committed) -> bool | None:
    """Whether ``asked`` asks for more than ``committed`` delivers, for a value with no metric;
    None when they don't compare.

    A shorter time, a more frequent cadence, or a channel outside the committed ones is more.
    Promises that name a metric are compared through :mod:`generator.metrics` instead, which
    knows the metric's direction (a longer trial or warranty is more).
    """
    a, c = measure(asked), measure(committed)
    if isinstance(a, Duration) and isinstance(c, Duration):
        return a.calendar_hours < c.calendar_hours - 1e-9
    if isinstance(a, Cadence) and isinstance(c, Cadence):
        return a.per_year > c.per_year + 1e-9
    if isinstance(a, frozenset) and isinstance(c, frozenset):
        return not a <= c
    return None


def describe(value) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)
