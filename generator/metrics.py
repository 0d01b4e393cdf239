"""What a promise measures, and which way is "more" for the client.

A metric has a name, a kind (duration, cadence, count, money, percentage, set, yes/no) and a
direction. The catalogue below holds the common ones; a playbook adds or overrides metrics in
its own ``metrics:`` section. Every expectation, acceptable answer, claim, remedy and campaign
promise is compared with the commitment of its metric through that metric's kind and direction:
a 60-day trial claim exceeds a 30-day trial commitment (longer is more), and so does a
30-minute reply against a one-hour reply commitment (shorter is more).

Values are read as people write them ("same day", "next business day", "forever", "$750",
"99.9%", "24/7"); :func:`read` returns the measured value or a sentence saying what is
expected instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .units import Cadence, Duration, Money

KINDS = ("duration", "cadence", "count", "money", "percentage", "set", "yes/no")

# Which value is "more" for the client, by kind; the first word is the usual one.
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "duration": ("shorter", "longer"),
    "cadence": ("more-often", "less-often"),
    "count": ("higher", "lower"),
    "money": ("lower", "higher"),
    "percentage": ("higher", "lower"),
    "set": ("superset",),
    "yes/no": ("yes", "no"),
}
ALL_DIRECTIONS = tuple(dict.fromkeys(d for ds in DIRECTIONS.values() for d in ds))

# What each kind of value looks like, for messages and the schema.
EXPECTED = {
    "duration": 'a length of time like "4h business", "2 weeks", "30 days", "1 year", "same day", '
                '"next business day" or "forever"',
    "cadence": 'how often, like "daily", "weekly", "twice a month", "every 6 months" or "quarterly"',
    "count": 'a number like "5", "40 hours a week", "24/7", "Monday–Friday 9:00–17:30" or "unlimited"',
    "money": 'an amount with its currency like "$750", "750 USD", "1,200 EUR/month" or '
             '"29 USD per seat/month"',
    "percentage": 'a percentage like "99.9%"',
    "set": 'a list like [email, phone]',
    "yes/no": '"yes" or "no"',
}


KIND_WORDS = {"duration": "a length of time", "cadence": "how often", "count": "a number",
              "money": "an amount of money", "percentage": "a percentage", "set": "a list", "yes/no": "yes or no"}
BETTER_WORDS = {"shorter": "shorter", "longer": "longer", "more-often": "more often", "less-often": "less often",
                "higher": "higher", "lower": "lower", "superset": "more of them", "yes": "yes", "no": "no"}


@dataclass(frozen=True)
class Metric:
    """A measurable promise: its name, kind, which way is more, and a label for people."""

    id: str
    kind: str
    more: str
    name: str = ""
    source: str = "catalogue"  # "catalogue" or "playbook"
    keywords: tuple[str, ...] = ()  # words that name it in prose ("trial", "reply")

    @property
    def label(self) -> str:
        return self.name or self.id.replace("_", " ")

    @property
    def kind_words(self) -> str:
        """What kind of value it is, in words: "a length of time"."""
        return KIND_WORDS[self.kind]

    @property
    def better(self) -> str:
        """Which way is better for the client, in a word or two: "longer", "more often"."""
        return BETTER_WORDS[self.more]

    @property
    def larger_is_more(self) -> bool:
        """For numeric kinds: whether a larger measured number means more for the client."""
        return self.more in ("longer", "more-often", "higher", "yes")


def _m(id, kind, more, name, keywords=""):
    return Metric(id, kind, more, name, keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()))


CATALOGUE: dict[str, Metric] = {m.id: m for m in (
    # how fast: shorter is more
    _m("response_time", "duration", "shorter", "Time to reply",
       "reply, replies, replied, respond, responds, response, responses, answer, answers, answered, get back"),
    _m("first_response_time", "duration", "shorter", "Time to the first reply",
       "first reply, first response"),
    _m("incident_response_time", "duration", "shorter", "Time to act on an incident",
       "incident, incidents, outage, outages"),
    _m("acknowledgement_time", "duration", "shorter", "Time to acknowledge",
       "acknowledge, acknowledged, acknowledgement, acknowledgment"),
    _m("resolution_time", "duration", "shorter", "Time to resolve",
       "resolve, resolved, resolution, fix, fixed"),
    _m("onboarding_time", "duration", "shorter", "Time to onboard",
       "onboarding, onboard, onboarded, up and running, go live, live"),
    _m("delivery_time", "duration", "shorter", "Time to deliver",
       "deliver, delivers, delivered, delivery, ship, ships, shipped, shipping, dispatch, dispatched"),
    _m("turnaround_time", "duration", "shorter", "Turnaround time",
       "turnaround, turned around"),
    _m("contract_term", "duration", "shorter", "Minimum contract term",
       "contract, contracts, minimum term, lock-in, tie-in"),
    _m("notice_period", "duration", "shorter", "Notice period to cancel",
       "notice"),
    # how long the client is covered: longer is more
    _m("trial_period", "duration", "longer", "Free trial",
       "trial, trials, try, free for"),
    _m("return_window", "duration", "longer", "Return window",
       "return, returns, send it back"),
    _m("refund_window", "duration", "longer", "Refund window",
       "refund, refunds, money back"),
    _m("warranty", "duration", "longer", "Warranty",
       "warranty, warranties"),
    _m("guarantee_period", "duration", "longer", "Guarantee period",
       "guarantee, guaranteed"),
    _m("payment_terms", "duration", "longer", "Time to pay an invoice",
       "payment terms, to pay"),
    _m("data_retention", "duration", "longer", "How long data is kept",
       "retention, retained, kept for, stored for"),
    # how often: more often is more
    _m("meeting_cadence", "cadence", "more-often", "Meetings",
       "meeting, meetings, meet, call, calls, check-in, check-ins, review, reviews"),
    _m("reporting_cadence", "cadence", "more-often", "Reports",
       "report, reports, reporting"),
    _m("contact_cadence", "cadence", "more-often", "Contact",
       "contact, touch base"),
    _m("update_cadence", "cadence", "more-often", "Updates",
       "update, updates"),
    # how much: larger is more
    _m("support_hours", "count", "higher", "Support hours a week",
       "support, helpdesk, help desk"),
    _m("revisions", "count", "higher", "Revisions included",
       "revision, revisions, rounds of changes"),
    _m("included_users", "count", "higher", "Users included",
       "user, users, seat, seats, team member, team members, login, logins"),
    # what it costs: lower is more
    _m("price", "money", "lower", "Price",
       "price, prices, priced, cost, costs, pay, for, at, only, just, from"),
    _m("fee", "money", "lower", "Fee",
       "fee, fees"),
    _m("management_fee", "money", "lower", "Management fee",
       "management fee"),
    _m("setup_fee", "money", "lower", "Set-up fee",
       "set-up fee, setup fee, set up fee"),
    _m("minimum_spend", "money", "lower", "Minimum spend",
       "minimum spend"),
    # percentages: higher is more
    _m("uptime", "percentage", "higher", "Uptime",
       "uptime, availability, available"),
    _m("discount", "percentage", "higher", "Discount",
       "discount, discounts, off"),
    _m("service_credit", "percentage", "higher", "Service credit",
       "service credit, credit"),
    # sets: a superset is more
    _m("channels", "set", "superset", "Contact channels"),
    _m("languages", "set", "superset", "Languages"),
    # yes/no: yes is more
    _m("dedicated_contact", "yes/no", "yes", "A named person to talk to"),
    _m("money_back_guarantee", "yes/no", "yes", "Money-back guarantee"),
    _m("free_shipping", "yes/no", "yes", "Free shipping"),
)}


# ---------------------------------------------------------------- reading values


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


_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90}
_NUMBER_WORDS = "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))

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
    rf"^(?P<n>\d[\d,]*(?:\.\d+)?|{_NUMBER_WORDS})[\s-]*(?P<b1>business|working|calendar)?[\s-]*"
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
    if text in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[text])
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


_TIMES_A = re.compile(rf"^(?P<n>once|twice|thrice|\d+|{_NUMBER_WORDS})(?:\s*x|\s+times?)?"
                      r"\s+(?:a|an|per|each|every)\s+"
                      r"(?P<per>day|business day|working day|week|fortnight|month|quarter|year)$", re.IGNORECASE)
_EVERY = re.compile(rf"^every\s+(?:(?P<other>other)\s+)?(?:(?P<n>\d+|{_NUMBER_WORDS})\s+)?"
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


_COUNT = re.compile(rf"^(?:up to\s+|at least\s+)?(?P<n>\d[\d,]*(?:\.\d+)?|{_NUMBER_WORDS})(?:\s+[a-z][a-z -]*)?$", re.IGNORECASE)


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
_PERIOD_YEARS = {"year": 1.0, "quarter": 4.0, "month": 12.0, "week": 52.0}


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


# ---------------------------------------------------------------- comparing

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
            a.per in _PERIOD_YEARS and c.per in _PERIOD_YEARS)):
        return f"one is {_per_period(a)} and the other {_per_period(c)}"
    return None


def _per_unit(m: Measured) -> str:
    return f"per {m.unit}" if m.unit else "a total"


def _per_period(m: Measured) -> str:
    return f"per {m.per}" if m.per else "a one-off amount"


def _money_per_year(a: Measured, c: Measured) -> tuple[float, float]:
    if a.per in _PERIOD_YEARS and c.per in _PERIOD_YEARS and a.per != c.per:
        return a.number * _PERIOD_YEARS[a.per], c.number * _PERIOD_YEARS[c.per]
    return a.number, c.number


# ---------------------------------------------------------------- the playbook's metrics


def registry(declared=()) -> dict[str, Metric]:
    """The catalogue with the playbook's own declarations added or overriding it."""
    out = dict(CATALOGUE)
    for d in declared:
        own = tuple(k.strip() for k in (getattr(d, "keywords", None) or ()) if k and k.strip())
        inherited = CATALOGUE[d.id].keywords if d.id in CATALOGUE and CATALOGUE[d.id].kind == d.kind else ()
        out[d.id] = Metric(d.id, d.kind, d.more or DIRECTIONS[d.kind][0], d.name or "", "playbook",
                           own or inherited)
    return out


def describe_direction(metric: Metric) -> str:
    return {"shorter": "a shorter time is more", "longer": "a longer time is more",
            "more-often": "more often is more", "less-often": "less often is more",
            "higher": "a higher number is more", "lower": "a lower amount is more",
            "superset": "more items is more", "yes": '"yes" is more', "no": '"no" is more'}[metric.more]


# ---------------------------------------------------------------- promises in prose
#
# A statement such as "Every feature free for 60 days" or "a 60-day home trial" promises a
# trial period as surely as a structured claim does. The reader below finds such promises: a
# value of a metric's kind (a number and a unit of time, a percentage, an amount with its
# currency, a cadence word, a number right before what it counts) next to one of that metric's
# keywords, in the same clause, at most a few words apart. It is a heuristic: it reads only
# what it is sure of and says nothing about the rest (see PB312 for its limits).

_PROSE_NUMBER_WORDS = "|".join(w for w in sorted(_WORD_NUMBERS, key=len, reverse=True) if w not in ("a", "an"))
_PROSE_NUMBER = r"\d[\d,]*(?:\.\d+)?|" + _PROSE_NUMBER_WORDS
_PROSE_DURATION = re.compile(
    rf"\b(?P<n>{_PROSE_NUMBER})[\s-]+(?:(?P<b>business|working|calendar)[\s-]+)?"
    r"(?P<u>minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?)\b"
    r"|\b(?P<word>same[\s-]day|next[\s-](?:business[\s-]|working[\s-])?day|within the hour|lifetime|forever)\b"
    r"|\b(?:within|in|under)\s+an?\s+(?P<one>hour|day|week|month|year)\b",
    re.IGNORECASE)
_PROSE_PERCENT = re.compile(r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
_CURRENCY = r"USD|EUR|GBP|CHF|CAD|AUD|NZD|SEK|NOK|DKK|PLN"
_MONEY_QUALIFIER = (r"(?:\s*(?:/|per\s+|an?\s+|each\s+)(?:seat|user|licen[cs]e|person|member|client|location|"
                    r"site|employee|month|year|week|quarter)s?\b)*")
_PROSE_MONEY = re.compile(
    rf"(?:[$€£]\s?|\b(?:{_CURRENCY})\s?)\d[\d,]*(?:\.\d+)?(?:\s?(?:{_CURRENCY})\b)?{_MONEY_QUALIFIER}"
    rf"|\b\d[\d,]*(?:\.\d+)?\s?(?:{_CURRENCY}|euros?)\b{_MONEY_QUALIFIER}", re.IGNORECASE)
_PROSE_CADENCE = re.compile(
    r"\b(?:daily|weekly|fortnightly|biweekly|monthly|quarterly|yearly|annually|semi-annually|twice-weekly"
    rf"|every\s+(?:other\s+)?(?:(?:\d+|{_NUMBER_WORDS})\s+)?(?:business\s+day|working\s+day|day|week|fortnight|"
    r"month|quarter|year)s?"
    rf"|(?:once|twice|(?:\d+|{_NUMBER_WORDS})\s+times)\s+(?:a|per|each)\s+(?:day|week|fortnight|month|quarter|year))\b",
    re.IGNORECASE)
_PROSE_COUNT = re.compile(rf"(?P<always>\b24/7|\b24x7\b|\baround the clock\b)|\b(?P<n>\d+|{_PROSE_NUMBER_WORDS}|unlimited)\b",
                          re.IGNORECASE)
_CLAUSES = re.compile(r"(?<=[.;!?])\s+|\n\s*\n|\s[–—]\s|\s-\s")
_WORD = re.compile(r"[\w$€£%]+(?:[-'/.][\w%]+)*")
# A value after one of these words in its clause is not promised: "no 60-day trial", "unlike
# their 7-day trials", "instead of 39 USD", "save 200 USD".
_NOT_PROMISED = re.compile(r"\b(?:no|not|never|without|unlike|instead|beyond|except|excluding|than|was|were|"
                           r"save|saves|saving|worth|competitors?|others)\b|n't\b", re.IGNORECASE)
# How many words may stand between a value and its metric's keyword.
PROSE_DISTANCE = 4


@dataclass(frozen=True)
class ProsePromise:
    """A promise read from prose: its metric, the value as the checker reads it, and the words."""

    metric: Metric
    value: str
    phrase: str


def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern:
    words = sorted({k.lower() for k in keywords}, key=len, reverse=True)
    body = "|".join(r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", w)) for w in words)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


_KEYWORD_PATTERNS: dict[tuple, re.Pattern] = {}


def _keywords_of(metric: Metric) -> re.Pattern | None:
    if not metric.keywords:
        return None
    pattern = _KEYWORD_PATTERNS.get(metric.keywords)
    if pattern is None:
        pattern = _KEYWORD_PATTERNS[metric.keywords] = _keyword_pattern(metric.keywords)
    return pattern


def _values(clause: str):
    """(start, end, kinds, value as the checker reads it) of every value written in a clause."""
    for m in _PROSE_DURATION.finditer(clause):
        if m.group("word"):
            text = m.group("word")
        elif m.group("one"):
            text = f"1 {m.group('one').lower()}"
        else:
            unit = m.group("u").lower()
            unit = unit if unit.endswith("s") else unit + "s"
            text = f"{m.group('n')} {m.group('b') + ' ' if m.group('b') else ''}{unit}"
        yield m.start(), m.end(), ("duration",), text
    for m in _PROSE_PERCENT.finditer(clause):
        yield m.start(), m.end(), ("percentage",), f"{m.group('n')}%"
    for m in _PROSE_MONEY.finditer(clause):
        yield m.start(), m.end(), ("money",), m.group(0).strip()
    for m in _PROSE_CADENCE.finditer(clause):
        yield m.start(), m.end(), ("cadence",), m.group(0)
    for m in _PROSE_COUNT.finditer(clause):
        yield m.start(), m.end(), ("count",), m.group(0)


# Small words do not push a value away from its keyword: "answers every email within four hours".
_SMALL_WORDS = {"a", "an", "the", "within", "in", "under", "for", "of", "by", "up", "to", "every", "each", "all",
                "our", "your", "its", "their", "is", "are", "be", "on", "at", "just", "only"}


def _words_between(clause: str, a: int, b: int) -> int:
    """Words between two places of a clause; a comma counts as three (it starts another thought)."""
    if b <= a:
        return 0
    between = clause[a:b]
    return sum(1 for w in _WORD.findall(between) if w.lower() not in _SMALL_WORDS) + 3 * between.count(",")


# Text with none of these holds no value the reader could take: most prose is skipped at once.
_MAY_HOLD_VALUE = re.compile(
    rf"\d|[$€£%]|\b(?:{_PROSE_NUMBER_WORDS}|same|next|hour|lifetime|forever|unlimited|clock|daily|weekly|"
    r"fortnightly|biweekly|monthly|quarterly|yearly|annually|every|once|twice|percent)\b", re.IGNORECASE)


def read_prose(text: str, metrics) -> list[ProsePromise]:
    """The promises a sentence makes on ``metrics`` (an iterable of :class:`Metric`): each value
    of a metric's kind next to one of its keywords. Values that cannot be read for the metric,
    and values after a word that takes the promise back ("no", "unlike", "instead of"), are
    left out."""
    if not text or not _MAY_HOLD_VALUE.search(text):
        return []
    return list(_read_prose(" ".join(str(text).split()), tuple(metrics)))


@lru_cache(maxsize=4096)
def _read_prose(text: str, metrics: tuple) -> tuple[ProsePromise, ...]:
    by_kind: dict[str, list[tuple[Metric, re.Pattern]]] = {}
    for metric in metrics:
        pattern = _keywords_of(metric)
        if pattern is not None and metric.kind not in ("set", "yes/no"):
            by_kind.setdefault(metric.kind, []).append((metric, pattern))
    if not by_kind:
        return ()
    out: list[ProsePromise] = []
    for clause in _CLAUSES.split(text):
        if not clause:
            continue
        hits: dict[str, list] = {}
        for kind, entries in by_kind.items():
            hits[kind] = [(metric, m.start(), m.end()) for metric, pattern in entries
                          for m in pattern.finditer(clause)]
        taken: list[tuple[int, int]] = []
        for start, end, kinds, value in sorted(_values(clause), key=lambda v: (v[0], -(v[1] - v[0]))):
            if any(s < end and start < e for s, e in taken):
                continue  # inside a value already read ("14" of "14 days")
            best = None
            for kind in kinds:
                for metric, ks, ke in hits.get(kind, ()):
                    if ks < end and start < ke:
                        continue
                    after = ks >= end
                    gap = _words_between(clause, end, ks) if after else _words_between(clause, ke, start)
                    if kind == "count" and (not after or gap > 0) and not value.lower().startswith(("24", "around")):
                        continue  # a number counts only what follows it: "5 revisions"
                    if gap > PROSE_DISTANCE:
                        continue
                    key = (gap, after, -(ke - ks))
                    if best is None or key < best[0]:
                        best = (key, metric, ks, ke)
            if best is None:
                continue
            _, metric, ks, ke = best
            lo, hi = min(start, ks), max(end, ke)
            if _NOT_PROMISED.search(clause[:lo][-40:]) or _NOT_PROMISED.search(clause[lo:hi]):
                continue
            if isinstance(read(metric, value), Unreadable):
                continue
            taken.append((start, end))
            out.append(ProsePromise(metric, value, clause[lo:hi]))
    return tuple(out)


def read_values(text: str, metric: Metric) -> list[str]:
    """Every value of ``metric``'s kind written anywhere in ``text``, as the checker reads it
    (durations, percentages, money and cadences; counts and sets are not read this way)."""
    if metric.kind not in ("duration", "percentage", "money", "cadence") or not text:
        return []
    out: list[str] = []
    for clause in _CLAUSES.split(" ".join(str(text).split())):
        taken: list[tuple[int, int]] = []
        for start, end, kinds, value in sorted(_values(clause), key=lambda v: (v[0], -(v[1] - v[0]))):
            if metric.kind not in kinds or any(s < end and start < e for s, e in taken):
                continue
            if not isinstance(read(metric, value), Unreadable):
                taken.append((start, end))
                out.append(value)
    return out
