"""Promises written in prose, read next to the keywords of a metric."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .catalogue import Metric
from .values import NUMBER_WORDS, WORD_NUMBERS, Unreadable, read


# ---------------------------------------------------------------- promises in prose
#
# A statement such as "Every feature free for 60 days" or "a 60-day home trial" promises a
# trial period as surely as a structured claim does. The reader below finds such promises: a
# value of a metric's kind (a number and a unit of time, a percentage, an amount with its
# currency, a cadence word, a number right before what it counts) next to one of that metric's
# keywords, in the same clause, at most a few words apart. It is a heuristic: it reads only
# what it is sure of and says nothing about the rest (see PB312 for its limits).

_PROSE_NUMBER_WORDS = "|".join(w for w in sorted(WORD_NUMBERS, key=len, reverse=True) if w not in ("a", "an"))
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
    rf"|every\s+(?:other\s+)?(?:(?:\d+|{NUMBER_WORDS})\s+)?(?:business\s+day|working\s+day|day|week|fortnight|"
    r"month|quarter|year)s?"
    rf"|(?:once|twice|(?:\d+|{NUMBER_WORDS})\s+times)\s+(?:a|per|each)\s+(?:day|week|fortnight|month|quarter|year))\b",
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
