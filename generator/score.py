"""Run the playbook's definitions on lead records: scores, stage, persona, red flags, nurture track.

Lead records come from a CRM export, streamed row by row (CSV or JSON Lines), so memory stays
flat however large the file is. A bad row is reported with its row number and skipped; every
good row is still scored.

CSV: one row per lead. ``id`` (or ``email`` / ``record_id``) names the lead; ``events`` holds
its dated activity as ``type:YYYY-MM-DD`` items separated by ``;``; every other column is an
attribute the definitions can test (industry, monthly_ad_budget, job_title ...). Lists such as
``confirmed`` use ``;`` too. JSON Lines: one object per line, ``{"id": ..., "attributes": {...},
"events": [{"type": ..., "date": ...}]}`` (attributes may also sit at the top level).
``--map COLUMN=FIELD`` renames export columns (HubSpot's "Record ID" → id).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import gc
import io
import json
import math
import operator
import os
import re
import sys
from collections import deque
from functools import partial
from itertools import accumulate, chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import model as m
from .playbook import Playbook
from .rules._util import SCORE_FIELDS

ID_COLUMNS = ("id", "record_id", "lead_id", "contact_id", "email")
EVENTS_COLUMN = "events"
LIST_FIELDS = ("confirmed",)
MAX_NUMBER = 1e9
_DECAY_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*every\s+(.+)$", re.I)


class LeadError(Exception):
    """A problem with one row, reported with its row number; the row is skipped."""


@dataclass(slots=True)
class Lead:
    row: int
    id: str
    attrs: dict[str, str]
    events: list[tuple[str, dt.date]] = field(default_factory=list)


@dataclass(slots=True)
class Scored:
    lead: Lead
    fit: float           # scores rounded to 2 decimal places
    engagement: float
    total: float
    stage: str | None
    persona: str | None
    negative: bool
    red_flags: list[str]
    nurture: str | None
    rules: tuple[tuple[str, str, float], ...]  # (rule id, group id, points) per rule that contributed
    # each contribution on its own: (rule id, group id, points after decay), every event separately
    contributions: list[tuple[str, str, float]] = field(default_factory=list, repr=False)


# ---------------------------------------------------------------- conditions


def _number(value: str):
    try:
        return float(str(value).replace(",", "").replace("_", ""))
    except ValueError:
        return None


def compile_condition(cond: dict):
    """A predicate over (attrs, scores) for a one-field condition."""
    (name, ops), = cond.items()
    is_score = name in SCORE_FIELDS
    lo = ops.gte if ops.gte is not None else ops.gt
    lo_strict = ops.gte is None and ops.gt is not None
    hi = ops.lte if ops.lte is not None else ops.lt
    hi_strict = ops.lte is None and ops.lt is not None
    numeric = lo is not None or hi is not None
    eq = ops.eq.lower() if ops.eq is not None else None
    ne = ops.ne.lower() if ops.ne is not None else None
    allowed = frozenset(v.lower() for v in ops.in_) if ops.in_ is not None else None
    banned = frozenset(v.lower() for v in ops.not_in) if ops.not_in else None
    exists = ops.exists

    def check(attrs, scores):
        value = scores.get(name) if is_score else attrs.get(name)
        if exists is not None:
            present = value is not None and value != "" and value != []
            if present != exists:
                return False
            if not present:
                return True
        if value is None or value == "":
            return False
        if numeric:
            number = value if is_score else _number(value)
            if number is None:
                return False
            if lo is not None and (number < lo or (lo_strict and number == lo)):
                return False
            if hi is not None and (number > hi or (hi_strict and number == hi)):
                return False
        if eq is not None or ne is not None or allowed is not None or banned is not None:
            values = {v.lower() for v in value} if isinstance(value, list) else {str(value).lower()}
            if eq is not None and eq not in values:
                return False
            if ne is not None and ne in values:
                return False
            if allowed is not None and not (values & allowed):
                return False
            if banned is not None and values & banned:
                return False
        return True

    return check


# Caches keep memory flat: each is cleared when it reaches its limit. Per-field caches of
# condition results stop caching a field with more distinct values than FIELD_CACHE_LIMIT
# (a website or an email address: every lead differs, so caching would only cost).
CACHE_LIMIT = 16_384
FIELD_CACHE_LIMIT = 256
NUMBER_CACHE_LIMIT = 1_024
_NO_SCORES: dict = {}
_MISSING = object()
_numbers: dict[str, float | None] = {}


def _number_text(x: float) -> str:
    """A score as the outputs write it: rounded to 2 decimal places, without trailing zeros."""
    text = ("%.2f" % x).rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _rule_text(rule: str, points: float) -> str:
    """A rule and its points as the `rules` cell lists them: "budget-5k-plus +20"."""
    return ("%s %+.2f" % (rule, points)).rstrip("0").rstrip(".")


def _csv_cell(text: str) -> str:
    """A CSV cell as csv.writer writes it: quoted when it holds a comma, a quote or a line break."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _decay_factor(decay, age: int) -> float:
    """What is left of an event's points after ``age`` days: (1 - percent) per whole period."""
    if decay is None:
        return 1.0
    percent, every = decay
    return (1 - percent / 100) ** math.floor(age / every) if every > 0 else 1.0


def _score_test(cond: dict, bit: int) -> tuple:
    """(which score 0/1/2, lo, lo strict, hi, hi strict, general predicate or None, bit) for a
    condition on a score; the general predicate when it is more than a numeric range."""
    (name, ops), = cond.items()
    which = SCORE_FIELDS.index(name)
    lo = ops.gte if ops.gte is not None else ops.gt
    hi = ops.lte if ops.lte is not None else ops.lt
    textual = ops.eq is not None or ops.ne is not None or ops.in_ is not None or bool(ops.not_in)
    if ops.exists is not None or textual or (lo is None and hi is None):
        return (which, None, False, None, False, compile_condition(cond), bit)
    return (which, lo, ops.gte is None and ops.gt is not None, hi, ops.lte is None and ops.lt is not None, None, bit)


def _remember(cache: dict, key, value):
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _cached_number(value: str):
    number = _numbers.get(value, _MISSING)
    if number is _MISSING:
        if len(_numbers) >= NUMBER_CACHE_LIMIT:
            _numbers.clear()
        number = _numbers[value] = _number(value)
    return number


def _condition_key(cond: dict) -> tuple:
    """Conditions with equal keys give equal results (`in` lists compare as sets, case-blind)."""
    (name, ops), = cond.items()
    return (name, ops.gte, ops.gt, ops.lte, ops.lt,
            ops.eq.lower() if ops.eq is not None else None, ops.ne.lower() if ops.ne is not None else None,
            frozenset(v.lower() for v in ops.in_) if ops.in_ is not None else None,
            frozenset(v.lower() for v in ops.not_in) if ops.not_in else None, ops.exists)


def _fast_condition(cond: dict):
    """compile_condition, with shortcuts for the common shapes when the value is a plain string
    (or a score); anything else goes to the general predicate, so the results are the same."""
    general = compile_condition(cond)
    (name, ops), = cond.items()
    lo = ops.gte if ops.gte is not None else ops.gt
    lo_strict = ops.gte is None and ops.gt is not None
    hi = ops.lte if ops.lte is not None else ops.lt
    hi_strict = ops.lte is None and ops.lt is not None
    numeric = lo is not None or hi is not None
    textual = ops.eq is not None or ops.ne is not None or ops.in_ is not None or bool(ops.not_in)
    if ops.exists is not None or (numeric and textual):
        return general

    def within(number) -> bool:
        if lo is not None and (number < lo or (lo_strict and number == lo)):
            return False
        if hi is not None and (number > hi or (hi_strict and number == hi)):
            return False
        return True

    if name in SCORE_FIELDS:
        if not numeric or textual:
            return general

        def check_score(attrs, scores):
            value = scores.get(name)
            if value.__class__ is float:
                return within(value)
            return general(attrs, scores)
        return check_score

    if numeric:
        def check_number(attrs, scores):
            value = attrs.get(name)
            if value.__class__ is str:
                if value == "":
                    return False
                number = _cached_number(value)
                return number is not None and within(number)
            return general(attrs, scores)
        return check_number

    if ops.in_ is not None and ops.eq is None and ops.ne is None and not ops.not_in:
        allowed = frozenset(v.lower() for v in ops.in_)

        def check_in(attrs, scores):
            value = attrs.get(name)
            if value.__class__ is str:
                return value != "" and value.lower() in allowed
            return general(attrs, scores)
        return check_in

    if ops.eq is not None and ops.in_ is None and ops.ne is None and not ops.not_in:
        eq = ops.eq.lower()

        def check_eq(attrs, scores):
            value = attrs.get(name)
            if value.__class__ is str:
                return value != "" and value.lower() == eq
            return general(attrs, scores)
        return check_eq

    return general


def _presence_only(cond: dict) -> bool:
    """Whether a condition asks only whether its field is there (exists)."""
    (_, ops), = cond.items()
    return ops.exists is not None and all(
        v is None for v in (ops.gte, ops.gt, ops.lte, ops.lt, ops.eq, ops.ne, ops.in_)) and not ops.not_in


def numeric_fields(pb: Playbook) -> set[str]:
    """Lead attributes some definition compares as numbers (checked for absurd values)."""
    out = set()

    def visit(cond):
        for name, ops in cond.items():
            if name not in SCORE_FIELDS and any(v is not None for v in (ops.gte, ops.gt, ops.lte, ops.lt)):
                out.add(name)

    for stage in pb.stages:
        for crit in (stage.entry, stage.exit):
            if crit:
                for c in crit.conditions():
                    visit(c)
    if pb.scoring:
        for g in pb.scoring.groups:
            for r in g.rules:
                if r.when:
                    visit(r.when)
    for p in pb.personas:
        for c in p.criteria:
            visit(c)
    return out


def _decay_days(text: str | None):
    if not text:
        return None
    match = _DECAY_TEXT.match(text)
    if not match:
        return None
    every = m.Duration.parse(match.group(2)).calendar_hours / 24
    return float(match.group(1)), every


# ---------------------------------------------------------------- the scorer


@dataclass(slots=True)
class Profile:
    """What a lead's attributes alone decide. Leads whose attributes give the same condition
    results share one profile, so this is worked out once per distinct combination."""

    contributions: tuple   # (rule id, group id, points) of the attribute rules that fire, in rule order
    sums: dict             # group id -> points from those rules
    # with one group for every event rule: (fit, engagement) of the other groups, capped, and
    # the points of that group so far; otherwise None
    others: tuple | None
    rules: tuple           # (rule id, group id, points rounded to 2 places), one per rule
    rules_text: str        # the same as the CSV `rules` cell writes them
    persona: str | None
    negative: bool
    red_flags: tuple
    red_flags_text: str    # the CSV `red_flags` cell, quoted when it holds a comma
    key: int               # the attribute conditions it was made for (those scoring rules, personas and red flags test)
    fit_text: str | None   # the fit score as the CSV output writes it, when no event changes it


class Scorer:
    """The playbook's definitions compiled for scoring leads.

    Every distinct condition (a fit rule, a stage's entry criteria, a persona's criteria and red
    flags often test the same thing) is compiled once. A condition reads one field, so per
    field the results of its conditions are cached per value; together they make a lead's
    attribute key, and everything the attributes alone decide (attribute rules, persona, red
    flags) is a :class:`Profile` cached per key. An event's points after decay depend only on
    its type and date, so they are cached per (type, date). What is left per lead is adding up
    its events and looking up the stage.

    Arithmetic, the same for every way of scoring: each event rule's points are summed in the
    order of the lead's events; a group's points are its attribute rules' points plus the sum
    of its event rules' (in the order they first contributed), capped by the group's cap; fit
    and engagement add up their groups; the total is capped by the limit.
    """

    def __init__(self, pb: Playbook, as_of: dt.date):
        self.pb, self.as_of = pb, as_of
        model = pb.scoring
        groups = list(model.groups) if model else []
        self.limit = model.limit if model else None
        self._group_cap = {g.id: g.cap for g in groups}
        self._group_is_fit = {g.id: g.kind == "fit" for g in groups}
        # every scoring rule by position: (rule id, group id); events refer to them by index
        self._rule_ids: list[tuple[str, str]] = []
        self._event_rules: dict[str, list[tuple[int, float, tuple | None]]] = {}  # type -> (index, points, decay)
        for g in groups:
            group_decay = (g.decay.percent, g.decay.every.calendar_hours / 24) if g.decay else None
            for r in g.rules:
                if r.event:
                    decay = _decay_days(r.decay) or group_decay
                    self._event_rules.setdefault(r.event.lower(), []).append((len(self._rule_ids), r.points, decay))
                self._rule_ids.append((r.id, g.id))
        event_groups = {self._rule_ids[i][1] for rules in self._event_rules.values() for i, _, _ in rules}
        # with one group for every event rule, a lead's event points are one sum
        self._event_group = next(iter(event_groups)) if len(event_groups) == 1 else None
        # A rejected lead's nurture track: from the route that rejects leads at its stage (a
        # handoff's on_reject, from the handoff's from_stage, or a recycle transition from it)
        # for its reason; else from the first route naming the reason.
        self.nurture_by_reason: dict[str, str] = {}
        self._nurture_at: dict[tuple[str, str], str] = {}  # (stage, reason) -> track
        routes = [(h.from_stage, route.reasons, route.recycle_to) for h in pb.of("handoff")
                  for _, route in h.reject_routes if route.recycle_to]
        routes += [(t.from_, t.reasons, t.nurture_track) for t in pb.transitions
                   if t.type == "recycle" and t.nurture_track]
        for stage, reasons, track in routes:
            for reason in reasons:
                self.nurture_by_reason.setdefault(reason.lower(), track)
                self._nurture_at.setdefault((stage, reason.lower()), track)
        self.known_events = set(self._event_rules)
        self._one_rule_per_event = all(len(rules) == 1 for rules in self._event_rules.values())
        self.numeric = numeric_fields(pb)
        self._event_cache: dict[tuple, tuple] = {}   # (type, date) -> ((rule index, points), ...)
        self._item_cache: dict[str, object] = {}     # "type:date" text of a CSV cell -> (type, date) or _Bad
        # "type:date" of a good event -> its _event_cache value (its one (index, points) pair when
        # every event type has one rule)
        self._good_items: dict[str, tuple] = {}
        self._profiles: dict[int, Profile] = {}
        self._stages: dict[int, str | None] = {}
        self._nurture: dict[tuple, str | None] = {}  # (raw rejection_reason cell, stage) -> nurture track
        self._dims_of: dict[str, int] = {}           # raw confirmed cell -> dimension bits
        self._good_numbers: set[str] = set()         # raw cells of numeric fields that are good numbers
        self._compile_plan(groups, pb)

    # ------------------------------------------------------------ compiling

    def _compile_plan(self, groups, pb: Playbook) -> None:
        """Index every distinct condition. Bit i of a lead's key says condition i holds: first the
        field conditions, grouped by field, then constants, then score conditions, then the
        confirmed qualification dimensions the stages ask for."""
        fields: dict[str, list] = {}   # field -> [(condition, fast predicate), ...]
        constants: list[bool] = []
        score_conds: list = []
        seen: dict = {}

        def index(cond) -> tuple:
            key = _condition_key(cond)
            where = seen.get(key)
            if where is None:
                (name, _), = cond.items()
                if name in SCORE_FIELDS:
                    where = ("s", len(score_conds))
                    score_conds.append(cond)
                else:
                    checks = fields.setdefault(name, [])
                    where = ("f", name, len(checks))
                    checks.append((cond, _fast_condition(cond)))
                seen[key] = where
            return where

        def constant(value: bool) -> tuple:
            constants.append(value)
            return ("c", len(constants) - 1)

        # attribute rules: fit groups first, then the others (the order their points are listed in)
        position = {}
        for g in groups:
            for r in g.rules:
                position[id(r)] = len(position)
        rules = [(r, g) for kind in (True, False) for g in groups if (g.kind == "fit") == kind
                 for r in g.rules if not r.event and r.when]
        # A scoring rule sees no scores (they are what it adds up to): on a score field it is constant.
        plan_rules = [(r.id, g.id, r.points,
                       constant(bool(compile_condition(r.when)({}, {}))) if next(iter(r.when)) in SCORE_FIELDS
                       else index(r.when)) for r, g in rules]
        plan_stages = []
        for s in pb.stages:
            e = s.entry
            plan_stages.append((s.id, None if e is None else (
                [index(c) for c in e.all], [index(c) for c in e.any], [d.lower() for d in e.confirmed])))
        plan_personas = [(p.id, p.kind == "negative", [index(c) for c in p.criteria],
                          len(p.criteria) + (1000 if p.kind == "negative" else 0))
                         for p in pb.personas if p.criteria]
        plan_flags = [(f.text, index(f.when)) for p in pb.personas for f in p.red_flags if f.when]

        offsets, size = {}, 0
        for name, checks in fields.items():
            offsets[name] = size
            size += len(checks)
        n_attr = size + len(constants)

        def at(where) -> int:
            if where[0] == "f":
                return offsets[where[1]] + where[2]
            if where[0] == "c":
                return size + where[1]
            return n_attr + where[1]

        def bits(wheres) -> int:
            return sum({1 << at(w) for w in wheres})

        # per field: [name, checks, their bits, cache of value -> bits (None once a field has too
        # many distinct values to be worth caching, an email address say), and for a field only
        # tested for being there (exists), the bits when it is and when it is not]
        self._fields = []
        for name, checks in fields.items():
            plan = [name, tuple(fast for _, fast in checks),
                    tuple(1 << (offsets[name] + k) for k in range(len(checks))), {}, None]
            if all(_presence_only(cond) for cond, _ in checks):
                plan[3], plan[4] = None, (self._field_bits(plan, "x"), self._field_bits(plan, None))
            self._fields.append(plan)
        self._const_key = sum(1 << (size + k) for k, value in enumerate(constants) if value)
        tests = [_score_test(cond, 1 << (n_attr + j)) for j, cond in enumerate(score_conds)]
        # the usual shape, a score of at least so much, is tested on its own
        self._score_at_least = tuple((which, lo, bit) for which, lo, lo_strict, hi, _, general, bit in tests
                                     if general is None and hi is None and not lo_strict)
        self._score_tests = tuple(t for t in tests if not (t[5] is None and t[3] is None and not t[2]))
        self._rule_plan = tuple((rule_id, group, points, 1 << at(w)) for rule_id, group, points, w in plan_rules)
        dims = sorted({d for _, c in plan_stages if c is not None for d in c[2]})
        self._dims_shift = n_attr + len(score_conds)
        self._dims = {d: 1 << (self._dims_shift + k) for k, d in enumerate(dims)}
        # latest stage first: the furthest stage whose entry criteria hold wins
        self._stage_plan = tuple(
            (sid, None if c is None else (bits(c[0]), bits(c[1]), sum(self._dims[d] for d in set(c[2]))))
            for sid, c in reversed(plan_stages))
        self._stage_mask = bits(w for _, c in plan_stages if c is not None for w in c[0] + c[1] if w[0] != "s")
        self._persona_plan = tuple((pid, neg, bits(ws), rank) for pid, neg, ws, rank in plan_personas)
        self._flag_plan = tuple((text, bits([w])) for text, w in plan_flags)
        # what a profile depends on: fewer bits, fewer distinct profiles to work out
        # OR, never sum: two rules, personas or flags may test the same condition, so share a bit
        self._profile_mask = functools.reduce(
            operator.or_, [bit for *_, bit in self._rule_plan] + [need for _, _, need, _ in self._persona_plan]
            + [bit for _, bit in self._flag_plan], 0)
        score_bits = bits(w for w in seen.values() if w[0] == "s")
        # A persona or red flag may test a score; then it is decided after the scores, per lead.
        self._late_personas = any(need & score_bits for _, _, need, _ in self._persona_plan) or \
            any(bit & score_bits for _, bit in self._flag_plan)
        names = [i for ids in self._rule_ids for i in ids] + [s.id for s in pb.stages] + \
            [p.id for p in pb.personas] + list(self.nurture_by_reason.values())
        # streamed CSV scoring writes these names into cells without quoting them
        self.streamable = not self._late_personas and not any(set(n) & set(',"\r\n') for n in names)

    # ------------------------------------------------------------ attributes

    def key(self, attrs: dict) -> int:
        """The attribute key of a lead: which attribute conditions hold."""
        key = self._const_key
        for plan in self._fields:
            key |= self._field_bits(plan, attrs.get(plan[0]))
        return key

    def _field_bits(self, plan, value) -> int:
        """The bits of one field's conditions for a value (a string, a list or None), cached per
        value. A value as read from a CSV cell (not yet stripped or split) gives the same bits as
        the value a lead's attributes hold."""
        if plan[4] is not None:
            present = value is not None and (value.strip() if value.__class__ is str else value)
            return plan[4][0] if present else plan[4][1]
        cache = plan[3]
        cacheable = cache is not None and (value is None or value.__class__ is str)
        if cacheable:
            got = cache.get(value)
            if got is not None:
                return got
        name, raw = plan[0], value
        if value.__class__ is str:
            value = value.strip()
            if name in LIST_FIELDS:
                value = [v.strip() for v in value.split(";") if v.strip()]
        attrs = {} if value is None else {name: value}
        got = 0
        for check, bit in zip(plan[1], plan[2]):
            if check(attrs, _NO_SCORES):
                got |= bit
        if cacheable:
            if len(cache) < FIELD_CACHE_LIMIT:
                cache[raw] = got
            else:  # too many distinct values to be worth caching
                plan[3] = None
        return got

    def profile(self, key: int) -> Profile:
        """The profile of an attribute key (only the bits it depends on may be set)."""
        got = self._profiles.get(key)
        if got is None:
            got = _remember(self._profiles, key, self._make_profile(key))
        return got

    def _make_profile(self, key: int) -> Profile:
        contributions = tuple((rule_id, group, points) for rule_id, group, points, bit in self._rule_plan
                              if key & bit)
        sums: dict[str, float] = {}
        per: dict[tuple[str, str], float] = {}
        for rule_id, group, points in contributions:
            sums[group] = sums.get(group, 0.0) + points
            per[(rule_id, group)] = per.get((rule_id, group), 0.0) + points
        rules = tuple((rule_id, group, round(0.0 + points, 2)) for (rule_id, group), points in per.items())
        persona, negative, flags = self._persona_flags(key)
        others = None
        if self._event_group is not None:
            others = (*self._capped({g: p for g, p in sums.items() if g != self._event_group}),
                      sums.get(self._event_group, 0.0))
        # the fit score's text, when events cannot change it
        fit_text = _number_text(others[0]) if others and not self._group_is_fit[self._event_group] else None
        return Profile(contributions, sums, others, rules, "; ".join([_rule_text(r, p) for r, _, p in rules]),
                       persona, negative, flags, _csv_cell("; ".join(flags)), key, fit_text)

    def _persona_flags(self, key: int) -> tuple:
        """(persona, negative, red flags) for a key: the persona whose criteria all hold, a
        negative one before a buyer one, then the one with the most criteria."""
        persona, negative, best = None, False, -1
        for pid, neg, need, rank in self._persona_plan:
            if rank > best and key & need == need:
                persona, negative, best = pid, neg, rank
        return persona, negative, tuple(dict.fromkeys([text for text, bit in self._flag_plan if key & bit]))

    def dims(self, confirmed) -> int:
        """The bits of the confirmed qualification dimensions the stages ask about."""
        got = 0
        for d in confirmed or ():
            got |= self._dims.get(d.lower(), 0)
        return got

    def nurture(self, reason, stage: str | None) -> str | None:
        """The nurture track a lead rejected for ``reason`` at ``stage`` returns to."""
        if not reason:
            return None
        reason = str(reason).lower()
        return self._nurture_at.get((stage, reason)) or self.nurture_by_reason.get(reason)

    # ------------------------------------------------------------ events

    def event_points(self, event: tuple) -> tuple:
        """((rule index, points after decay), ...) for an event (type, date), cached."""
        got = self._event_cache.get(event)
        if got is None:
            kind, date = event
            age = max((self.as_of - date).days, 0)
            got = tuple((i, points * _decay_factor(decay, age)) for i, points, decay in self._event_rules.get(kind, ()))
            _remember(self._event_cache, event, got)
        return got

    # ------------------------------------------------------------ results

    def score(self, lead: Lead) -> Scored:
        """Score one lead, listing every contribution (each rule and each event on its own)."""
        attrs = lead.attrs
        key = self.key(attrs)
        profile = self.profile(key & self._profile_mask)
        contributions = list(profile.contributions)
        per: dict[int, float] = {}
        ids = self._rule_ids
        for event in lead.events:
            for i, points in self.event_points(event):
                per[i] = per.get(i, 0.0) + points
                contributions.append((*ids[i], points))
        fit, engagement, total, stage, scores = self.outcome(
            profile, per, key & self._stage_mask | self.dims(attrs.get("confirmed")))
        persona, negative, flags = profile.persona, profile.negative, profile.red_flags
        if self._late_personas:
            persona, negative, flags = self._persona_flags(profile.key | scores)
        return Scored(lead, round(fit, 2), round(engagement, 2), round(total, 2), stage, persona, negative,
                      list(flags), self.nurture(attrs.get("rejection_reason"), stage),
                      profile.rules + self.event_rules(per), contributions)

    def event_rules(self, per: dict[int, float]) -> tuple:
        """(rule id, group id, rounded points) per event rule, from points summed per rule index."""
        ids = self._rule_ids
        return tuple((*ids[i], round(points, 2)) for i, points in per.items())

    def outcome(self, profile: Profile, per: dict[int, float], stage_key: int) -> tuple:
        """(fit, engagement, total, stage, the bits of the score conditions that hold) from a
        profile, the event points per rule index and the attribute conditions and confirmed
        dimensions stage entry criteria test."""
        if profile.others is not None:  # one group for every event rule: only that one changes
            fit, engagement, points = profile.others
            if per:
                points += sum(per.values())
            cap = self._group_cap[self._event_group]
            if cap is not None and points > cap:
                points = cap
            if self._group_is_fit[self._event_group]:
                fit += points
            else:
                engagement += points
        else:
            sums = profile.sums
            if per:
                sums = dict(sums)
                ids = self._rule_ids
                for i, points in per.items():
                    group = ids[i][1]
                    sums[group] = sums.get(group, 0.0) + points
            fit, engagement = self._capped(sums)
        total = fit + engagement
        if self.limit is not None and total > self.limit:
            total = self.limit
        scores = 0
        values = (fit, engagement, total)
        for which, lo, bit in self._score_at_least:
            if values[which] >= lo:
                scores |= bit
        for which, lo, lo_strict, hi, hi_strict, general, bit in self._score_tests:
            value = values[which]
            if general is not None:
                if general(_NO_SCORES, dict(zip(SCORE_FIELDS, values))):
                    scores |= bit
            elif not ((lo is not None and (value < lo or (lo_strict and value == lo)))
                      or (hi is not None and (value > hi or (hi_strict and value == hi)))):
                scores |= bit
        key = stage_key | scores
        stage = self._stages.get(key, _MISSING)
        if stage is _MISSING:
            stage = _remember(self._stages, key, self._stage_for(key))
        return fit, engagement, total, stage, scores

    def _capped(self, sums: dict[str, float]) -> tuple[float, float]:
        """(fit, engagement): the groups' points, each capped by its group's cap."""
        fit = engagement = 0.0
        caps, is_fit = self._group_cap, self._group_is_fit
        for group, points in sums.items():
            cap = caps[group]
            if cap is not None and points > cap:
                points = cap
            if is_fit[group]:
                fit += points
            else:
                engagement += points
        return fit, engagement

    def _stage_for(self, key: int) -> str | None:
        for stage_id, plan in self._stage_plan:
            if plan is None:
                return stage_id
            alls, anys, need = plan
            if key & alls == alls and (not anys or key & anys) and key & need == need:
                return stage_id
        return None


# ---------------------------------------------------------------- reading leads


def parse_mapping(pairs) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f'"{pair}" is not COLUMN=FIELD')
        column, name = pair.split("=", 1)
        if not column.strip() or not name.strip():
            raise ValueError(f'"{pair}" is not COLUMN=FIELD')
        out[column.strip().lower()] = name.strip().lower()
    return out


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise LeadError(f'"{text}" is not a date (use YYYY-MM-DD)') from None


def _normalise(row: int, raw: dict, events_raw, mapping: dict[str, str], scorer: Scorer) -> Lead:
    attrs: dict = {}
    for key, value in raw.items():
        if key is None:
            raise LeadError(TOO_MANY)
        name = mapping.get(key.strip().lower(), key.strip().lower())
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list):
            value = [str(v).strip() for v in value]
        elif not isinstance(value, str):
            raise LeadError(f'"{name}" has a value of the wrong kind')
        if name in LIST_FIELDS and isinstance(value, str):
            value = [v.strip() for v in value.split(";") if v.strip()]
        value = value.strip() if isinstance(value, str) else value
        if attrs.get(name, value) != value:  # "Industry" and "industry", say: neither silently wins
            raise LeadError(f"the field {name} is given more than once, with different values")
        attrs[name] = value
    ident = next((attrs[c] for c in ID_COLUMNS if attrs.get(c)), None)
    if not ident:
        raise LeadError(NO_ID)
    _check_numbers(attrs, scorer.numeric)
    events = [_event(kind, date_text, scorer) for kind, date_text in events_raw]
    return Lead(row, str(ident), attrs, events)


NO_ID = "no id (expected a column id, record_id, lead_id, contact_id or email)"
TOO_MANY = "the row has more values than the header has columns"


def _check_numbers(attrs: dict, names) -> None:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, str) and value != "":
            number = _cached_number(value)
            if number is None or math.isnan(number):
                raise LeadError(f'{name} "{value}" is not a number')
            if number < 0:
                raise LeadError(f"{name} {value} is negative")
            if number > MAX_NUMBER:
                raise LeadError(f"{name} {value} is not a believable value")


def _good_number(cell: str, good: set) -> bool:
    """Whether a CSV cell of a numeric field passes _check_numbers (then it is remembered in
    ``good``)."""
    value = cell.strip()
    if value:
        number = _cached_number(value)
        if number is None or math.isnan(number) or number < 0 or number > MAX_NUMBER:
            return False
    if len(good) >= NUMBER_CACHE_LIMIT:
        good.clear()
    good.add(cell)
    return True


def _event(kind: str, date_text: str, scorer: Scorer) -> tuple[str, dt.date]:
    kind = kind.strip().lower()
    known = scorer.known_events
    if kind not in known:
        raise LeadError(f'unknown event type "{kind}" (the scoring model knows: '
                        + ", ".join(sorted(known)) + ")")
    date = _date(date_text)
    if date > scorer.as_of:
        raise LeadError(f'the event "{kind}" on {date} is after the scoring date {scorer.as_of}')
    return (kind, date)


def _csv_events(text: str):
    if not text:
        return []
    out = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        sep = ":" if ":" in item else "@" if "@" in item else None
        if sep is None:
            raise LeadError(f'the event "{item}" has no date (write type:YYYY-MM-DD)')
        kind, _, date = item.partition(sep)
        out.append((kind, date))
    return out


class _Bad:
    """A bad item of an events cell: a syntax error is reported before any other problem of
    the row, any other error after the row's attributes have been checked (as _normalise does)."""

    __slots__ = ("message", "syntax")

    def __init__(self, message: str, syntax: bool):
        self.message, self.syntax = message, syntax


def _csv_item(item: str, scorer: Scorer):
    """One ``type:date`` item of an events cell: None (blank), a (type, date) event or _Bad."""
    try:
        pairs = _csv_events(item)
    except LeadError as exc:
        return _Bad(str(exc), True)
    if not pairs:
        return None
    try:
        return _event(*pairs[0], scorer)
    except LeadError as exc:
        return _Bad(str(exc), False)


_EVENTS_SLOT = "\0events"


class _Columns:
    """What a CSV header says: the normalised name of each column and where the events are."""

    def __init__(self, header: list[str], mapping: dict[str, str], scorer: Scorer):
        self.header = header
        names = [mapping.get(key, key) for key in (h.strip().lower() for h in header)]
        # the events column, found by its name after --map like any other column
        self.events_at = next((i for i, name in enumerate(names) if name == EVENTS_COLUMN), None)
        if self.events_at is not None:
            names[self.events_at] = _EVENTS_SLOT
        self.names, self.width = names, len(names)
        present = set(names)
        self.id_columns = [c for c in ID_COLUMNS if c in present]
        self.list_fields = [f for f in LIST_FIELDS if f in present]
        self.numeric = [n for n in scorer.numeric if n in present]
        self.at = {name: i for i, name in enumerate(names)}  # one column per name: _header_problem refuses more


def _read_csv(fh, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    lines = iter(fh)
    ended: list = []
    reader = csv.reader(_watched(lines, ended))  # reads just the header's lines, so the rest follow in ``lines``
    header: list[str] = []
    start = 1
    while not header:  # blank lines before the header are skipped
        start = reader.line_num + 1
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _located(start, LeadError(f"the header cannot be read ({exc})"))
            return
    problem = _UNCLOSED_HEADER if ended else _header_problem(header, mapping)
    if problem is not None:
        yield _located(start, LeadError(problem))
        return
    records = _undecodable_rows(_csv_records(lines, reader.line_num), header)
    yield from _csv_rows(records, _Columns(header, mapping, scorer), scorer)


_UNCLOSED_HEADER = "the header cannot be read (a quote opened in it is never closed: it runs to the end of the file)"


def _header_problem(header: list[str], mapping: dict[str, str]) -> str | None:
    """What makes a CSV header unusable, or None: a name holding bytes that are not UTF-8, or
    two columns read as one field (case, spaces and --map aside), where the last would win."""
    for i, name in enumerate(header, start=1):
        if _UNDECODABLE.search(name):
            return f"column {i} of the header, {_shown(name)}, holds bytes that are not UTF-8 text ({_ENCODING_HINT})"
    columns: dict[str, list[int]] = {}
    for i, name in enumerate(header, start=1):
        key = name.strip().lower()
        if mapping.get(key, key):  # columns without a name are never read
            columns.setdefault(mapping.get(key, key), []).append(i)
    twice = [(field, at) for field, at in columns.items() if len(at) > 1]
    if not twice:
        return None

    def column(i: int) -> str:
        key = header[i - 1].strip().lower()
        return f"{i} {_shown(header[i - 1])}" + (" (by --map)" if key in mapping else "")

    return ("the header has more than one column for a field, and only one value could be read: "
            + "; ".join(f"{field} in columns " + ", ".join(column(i) for i in at[:-1]) + " and " + column(at[-1])
                        for field, at in twice)
            + ". Rename or remove all but one (or change --map); nothing was scored")


_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as errors="surrogateescape" reads them
_ENCODING_HINT = "the file should be saved as UTF-8"


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted for a message: bytes that are not UTF-8 as \\xNN, line breaks as \\n, cut short."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate, from a JSON escape
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = text[:limit] + "..."
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n") + '"'


def _undecodable_rows(records, header: list[str]):
    """The records, with each one holding bytes that are not UTF-8 text turned into a problem
    naming the column: such a value is never scored as some other text."""
    for number, row, problem in records:
        if row is not None and _UNDECODABLE.search("".join(row)):
            i, cell = next((i, cell) for i, cell in enumerate(row) if _UNDECODABLE.search(cell))
            where = _UNDECODABLE.search(cell).start()
            name = f"the column {_shown(header[i])}" if i < len(header) else f"value {i + 1}"
            yield number, None, (f"{name} holds bytes that are not UTF-8 text: "
                                 f"{_shown(cell[max(0, where - 20):])} ({_ENCODING_HINT})")
        else:
            yield number, row, problem


def _watched(lines, ended: list):
    """``lines``, noting in ``ended`` when they run out. The csv module asks for a line past
    the last only to go on with a quoted value, so a record read after that ended in one."""
    yield from lines
    ended.append(True)


def _csv_records(lines, offset: int = 0) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line number, fields, None) for each CSV record in ``lines``, numbered from ``offset`` + 1
    by the record's last line; blank lines are skipped. A record that cannot be read is
    (its first line, None, message): one the csv module refuses (a value longer than its field
    limit, say), or one whose quote is never closed, which takes in every line after it (then
    the lines must be the end of the file, as they are for the last run of a file)."""
    ended: list = []
    reader = csv.reader(_watched(lines, ended))
    start = 1  # the line the next record starts on
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            problem = f"the row cannot be read ({exc})"
            if end > start:  # only a quoted value goes on past a line break
                problem = (f"lines {offset + start}-{offset + end} cannot be read as a row ({exc}): a quoted value "
                           f"opening on line {offset + start} runs on through them all, so none of them is scored; "
                           "is its closing quote missing?")
            yield offset + start, None, problem
            start = end + 1
            continue
        if ended and row:
            yield offset + start, None, _unclosed(row, offset + start, offset + reader.line_num)
            return
        if row:
            yield offset + reader.line_num, row, None
        start = reader.line_num + 1


def _unclosed(row: list[str], first: int, last: int) -> str:
    """What a record whose quote is never closed took in: the lines after ``first`` to ``last``."""
    opening = f"the quote opening value {len(row)} of this row ({_shown(row[-1])}) is never closed"
    if last == first:
        return f"{opening}: the file ends inside it; is its closing quote missing?"
    took = f"lines {first + 1}-{last}, to the end of the file, were read into that value: none of them is scored" \
        if last > first + 1 else f"line {last}, the last of the file, was read into that value and is not scored"
    return f"{opening}, so {took}; is its closing quote missing?"


def _text_records(text: str, offset: int = 0) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """_csv_records of the lines of ``text``. Without a quote, a lone \r or another character
    str.splitlines breaks at, a line is a record split on commas, so the text is simply cut at
    its line breaks."""
    if '"' in text or _OTHER_BREAKS.search(text):
        return _csv_records(_lines(text), offset)
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return _csv_records(_lines(text), offset)
        text = text.replace("\r\n", "\n")
    return _plain_records(text, offset)


def _plain_records(text: str, offset: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    limit = csv.field_size_limit()
    for number, line in enumerate(text.split("\n"), start=offset + 1):
        if line:
            if len(line) < limit:
                yield number, line.split(","), None
            else:  # as the csv module reads it (a value may be too long)
                yield from _csv_records([line + "\n"], number - 1)


def _csv_rows(records, columns: _Columns, scorer: Scorer) -> Iterator[Lead | LeadError]:
    """CSV records after the header (as _csv_records gives them) as leads (or errors), the
    same as _normalise gives."""
    for number, row, problem in records:
        if problem is not None:
            yield _located(number, LeadError(problem))
            continue
        try:
            yield _csv_lead(number, row, columns, scorer)
        except LeadError as exc:
            yield _located(number, exc)


def _csv_lead(number: int, row: list[str], columns: _Columns, scorer: Scorer) -> Lead:
    """One CSV record as a lead: values zipped with the normalised column names, events parsed
    through the scorer's per-item cache; raises LeadError with what _normalise would say."""
    n = len(row)
    events = []
    later = None
    events_at = columns.events_at
    text = row[events_at] if events_at is not None and events_at < n else ""
    if text:
        for item in text.split(";"):
            got = _cached_item(item, scorer)
            if got is None:
                continue
            if got.__class__ is tuple:
                events.append(got)
            elif got.syntax:  # reported before anything else about the row
                raise LeadError(got.message)
            elif later is None:
                later = got.message
    if n > columns.width:
        raise LeadError(TOO_MANY)
    attrs = dict(zip(columns.names, map(str.strip, row)))
    if events_at is not None:
        attrs.pop(_EVENTS_SLOT, None)
    for name in columns.list_fields:
        value = attrs.get(name)
        if value is not None:
            attrs[name] = [v.strip() for v in value.split(";") if v.strip()]
    ident = next((attrs[c] for c in columns.id_columns if attrs.get(c)), None)
    if not ident:
        raise LeadError(NO_ID)
    _check_numbers(attrs, columns.numeric)
    if later is not None:
        raise LeadError(later)
    return Lead(number, ident, attrs, events)


def _cached_item(item: str, scorer: Scorer):
    """_csv_item, remembered per text. A good event's points are remembered too (_good_items),
    for streamed scoring."""
    items = scorer._item_cache
    got = items.get(item, _MISSING)
    if got is _MISSING:
        got = _csv_item(item, scorer)
        if len(items) >= CACHE_LIMIT:
            items.clear()
            scorer._good_items.clear()
        items[item] = got
        if got.__class__ is tuple:
            points = scorer.event_points(got)
            scorer._good_items[item] = points[0] if scorer._one_rule_per_event else points
    return got


def _csv_scored_lines(records, columns: _Columns, scorer: Scorer, summary: "Summary",
                      errors: list) -> list[str]:
    """Score CSV records straight into lines of the CSV output, counting them into ``summary``
    and bad rows into ``errors``. The lines are those csv_line(as_csv_row(scorer.score(lead)))
    gives; a record that is not plainly good (a cell or event item not seen before, a missing
    id, a number to check, a short or long row) takes that general path, which also fills the
    caches this one reads. Only for a scorer that is ``streamable``."""
    base = scorer._const_key
    fields = []     # (column, field plan)
    presence = []   # (column, bits when the cell is not blank, bits when it is)
    for plan in scorer._fields:
        at = columns.at.get(plan[0])
        if at is None:
            base |= scorer._field_bits(plan, None)
        elif plan[4] is not None:
            presence.append((at, *plan[4]))
        else:
            fields.append((at, plan))
    field_bits = scorer._field_bits
    id_at = [columns.at[c] for c in columns.id_columns]
    number_at = [columns.at[c] for c in columns.numeric]
    good_numbers = scorer._good_numbers
    events_at, width = columns.events_at, columns.width
    good_event = scorer._good_items.__getitem__
    confirmed_at = columns.at.get("confirmed")
    reason_at = columns.at.get("rejection_reason")
    profiles, profile, outcome = scorer._profiles, scorer.profile, scorer.outcome
    profile_mask, stage_mask = scorer._profile_mask, scorer._stage_mask
    dims_of, nurture_of = scorer._dims_of, scorer._nurture
    rule_names = [rule for rule, _ in scorer._rule_ids]
    by_stage, by_persona = summary.by_stage, summary.by_persona
    strip = str.strip
    # (rule index, points) of each event: straight from the cache when every event type has one rule
    events_of = partial(map, good_event) if scorer._one_rule_per_event else \
        (lambda items: chain.from_iterable(map(good_event, items)))
    out = []
    for number, row, problem in records:
        if problem is not None:
            errors.append((number, problem))
            continue
        ident = ""
        per: dict[int, float] = {}
        if len(row) == width:
            for at in id_at:
                ident = strip(row[at])
                if ident:
                    break
            for at in number_at:
                if row[at] not in good_numbers and not _good_number(row[at], good_numbers):
                    ident = ""  # the general path says what is wrong
                    break
            text = row[events_at] if events_at is not None else ""
            if text and ident:
                try:
                    for i, points in events_of(text.split(";")):
                        per[i] = per.get(i, 0.0) + points
                except KeyError:  # an item not seen yet, a blank or a bad one
                    ident = ""
        if not ident:
            try:
                scored = scorer.score(_csv_lead(number, row, columns, scorer))
            except LeadError as exc:
                errors.append((number, str(exc)))
                continue
            summary.add(scored)
            out.append(csv_line(as_csv_row(scored)))
            continue
        key = base
        for at, plan in fields:
            cache = plan[3]
            value = row[at]
            bits = cache.get(value) if cache is not None else None
            key |= bits if bits is not None else field_bits(plan, value)
        for at, present, absent in presence:
            key |= present if strip(row[at]) else absent
        p = profiles.get(key & profile_mask) or profile(key & profile_mask)
        cell = row[confirmed_at] if confirmed_at is not None else ""
        dims = dims_of.get(cell)
        if dims is None:
            dims = _remember(dims_of, cell, scorer.dims(v.strip() for v in cell.split(";")))
        fit, engagement, total, stage, _ = outcome(p, per, key & stage_mask | dims)
        cell = row[reason_at] if reason_at is not None else ""
        nurture = nurture_of.get((cell, stage), _MISSING) if cell else None
        if nurture is _MISSING:
            nurture = _remember(nurture_of, (cell, stage), scorer.nurture(cell.strip(), stage))
        rules = p.rules_text
        if per:
            more = "; ".join([("%s %+.2f" % (rule_names[i], points)).rstrip("0").rstrip(".")  # _rule_text
                              for i, points in per.items()])
            rules = f"{rules}; {more}" if rules else more
        persona = p.persona or ""
        out.append(f"{_csv_cell(ident)},{p.fit_text or _number_text(fit)},{_number_text(engagement)},"
                   f"{_number_text(total)},"
                   f"{stage or ''},{persona},{'yes' if p.negative else 'no'},{p.red_flags_text},{nurture or ''},"
                   f"{rules}\n")
        summary.scored += 1
        stage = stage or "(no stage)"
        by_stage[stage] = by_stage.get(stage, 0) + 1
        persona = persona or "(no persona)"
        by_persona[persona] = by_persona.get(persona, 0) + 1
    return out


def _json_rows(numbered_lines, mapping: dict[str, str], scorer: Scorer,
               undecodable: bool = True) -> Iterator[Lead | LeadError]:
    """JSON Lines records as leads; ``numbered_lines`` gives (line number, line). With
    ``undecodable`` false the lines are known to hold no bytes that are not UTF-8."""
    for number, line in numbered_lines:
        if not line.strip():
            continue
        try:
            if undecodable and _UNDECODABLE.search(line):
                where = _UNDECODABLE.search(line).start()
                raise LeadError(f"the line holds bytes that are not UTF-8 text: {_shown(line[max(0, where - 20):])} "
                                f"({_ENCODING_HINT})")
            record = json.loads(line)
            if not isinstance(record, dict):
                raise LeadError("the line is not a JSON object")
            if "\\u" in line and _SURROGATE_ESCAPE.search(line):
                _check_characters(record)
            attributes = record.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise LeadError('"attributes" should be an object')
            raw = dict(attributes)
            for key, value in record.items():
                if key != "attributes" and key != "events":
                    if raw.get(key, value) != value:
                        raise LeadError(f'"{key}" is given both in "attributes" and at the top level, '
                                        "with different values")
                    raw[key] = value
            evs = record.get("events") or []
            if not isinstance(evs, list):
                raise LeadError('"events" should be a list')
            pairs = []
            for e in evs:
                if not isinstance(e, dict) or "type" not in e or "date" not in e:
                    raise LeadError('each event needs a "type" and a "date"')
                pairs.append((str(e["type"]), str(e["date"])))
            yield _normalise(number, raw, pairs, mapping, scorer)
        except json.JSONDecodeError as exc:
            yield _located(number, LeadError(f"the line is not valid JSON ({exc.msg})"))
        except RecursionError:
            yield _located(number, LeadError("the line nests arrays or objects too deeply to be read"))
        except ValueError as exc:  # an integer too long to convert, say
            yield _located(number, LeadError(f"the line cannot be read ({str(exc).split(';')[0]})"))
        except LeadError as exc:
            yield _located(number, exc)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_characters(record: dict) -> None:
    """Refuse a record holding a lone surrogate (from an escape such as \\ud800 without its
    pair): that is no character, and no output could write it."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(exc.object[exc.start])
        raise LeadError(f"the line holds \\u{code:04x}, half of a surrogate pair without its other half, "
                        "which is not a character") from None


def _is_json(path: Path) -> bool:
    with open(path, "rb") as fh:
        start = fh.read(4096)
    return start.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{")


def _open(path: Path):
    # bytes that are not UTF-8 are read as lone surrogates, so the rows holding them are found
    return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_leads(path: Path, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    """Yield each lead, or a LeadError carrying the row number for a bad row (or for a header
    that cannot be used, after which nothing else)."""
    is_json = _is_json(path)
    with _open(path) as fh:
        if is_json:
            yield from _json_rows(enumerate(fh, start=1), mapping, scorer)
        else:
            yield from _read_csv(fh, mapping, scorer)


def _located(row: int, exc: LeadError) -> LeadError:
    exc.row = row
    return exc


# ---------------------------------------------------------------- scoring a whole file


PARALLEL_MIN_BYTES = 2 << 20  # smaller files are scored in this process
MAX_JOBS = 8


@dataclass
class Chunk:
    """A run of records scored and formatted: the UTF-8 text to write, the counts and the bad rows."""

    data: bytes
    scored: int
    by_stage: dict[str, int]
    by_persona: dict[str, int]
    errors: list[tuple[int, str]]  # (row, message)


def score_file(path: Path, mapping: dict[str, str], scorer: Scorer, fmt: str,
               jobs: int | None = None) -> Iterator[Chunk]:
    """Score every lead of a file, formatted for ``fmt`` (csv, table or json), as chunks in file
    order. The file is cut into runs of whole records; with jobs > 1 (by default: one per CPU
    for a file of PARALLEL_MIN_BYTES or more) worker processes score the runs, and at most a
    few runs are in flight, so memory stays flat. Every run is scored by the same code
    whichever process runs it, so the output is the same."""
    is_json = _is_json(path)
    if jobs is None:
        jobs = _default_jobs(path)
    # Scoring makes no reference cycles: reference counting frees each lead as it goes, and the
    # cyclic collector, which would otherwise keep walking the caches, can rest meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield from _score_file(path, mapping, scorer, fmt, jobs, is_json)
    finally:
        if collecting:
            gc.enable()


def _score_file(path: Path, mapping: dict[str, str], scorer: Scorer, fmt: str, jobs: int,
                is_json: bool) -> Iterator[Chunk]:
    with open(path, "rb") as fh:
        if fh.read(3) != codecs.BOM_UTF8:
            fh.seek(0)
        if is_json:
            job = ("json", None, mapping, scorer, fmt, path)
            first = 1
        else:
            header = _read_header(fh)
            if header is None:
                return
            fields, line, first, problem = header
            if problem is None:
                problem = _header_problem(fields, mapping)
            if problem is not None:  # a problem with every row: nothing is scored
                yield Chunk(b"", 0, {}, {}, [(line, problem)])
                return
            job = ("csv", _Columns(fields, mapping, scorer), mapping, scorer, fmt, path)
        runs = _runs(fh, first, csv_records=not is_json)
        if jobs <= 1:
            for run in runs:
                yield _score_run(job, run)
            return
        yield from _score_in_pool(job, runs, jobs)


def _default_jobs(path: Path) -> int:
    import multiprocessing
    if path.stat().st_size < PARALLEL_MIN_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


_JOB = None  # the job of a worker process, inherited when the pool forks


def _run_in_worker(run) -> Chunk:
    return _score_run(_JOB, run)


def _score_in_pool(job, runs, jobs: int) -> Iterator[Chunk]:
    import multiprocessing
    global _JOB
    _JOB = job
    runs = iter(runs)
    run = next(runs, None)
    if run is None:
        return
    # the first run is scored here: the workers inherit the caches it fills
    yield _score_run(job, run)
    sys.stdout.flush()  # a forked worker flushes what it inherited when it ends
    sys.stderr.flush()
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pending: deque = deque()
            for run in runs:
                pending.append(pool.apply_async(_run_in_worker, (run,)))
                if len(pending) > 2 * jobs:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _JOB = None


RUN_BYTES = 1 << 20  # a file is scored in runs of about this many bytes of whole records


def _runs(fh, first: int, csv_records: bool) -> Iterator[tuple[int, int, int]]:
    """The rest of a binary file as runs of whole records: (the line number of the first, where
    the run starts, its length in bytes), read a block at a time. A run ends at a line break
    (\n, \r\n or \r, bytes that are never part of a longer UTF-8 character); for CSV, at one
    that ends a record."""
    offset = fh.tell()
    rest = b""
    while True:
        block = fh.read(RUN_BYTES)
        data = rest + block
        if not block:
            if data:
                yield first, offset, len(data)
            return
        cut = _last_line_end(data)
        if csv_records and b'"' in data[:cut]:
            cut = _last_record_end(data[:cut])
        if not cut:  # one record longer than a block: read on
            rest = data
            continue
        yield first, offset, cut
        first += data.count(b"\n", 0, cut)
        if data.find(b"\r", 0, cut) >= 0:
            first += data.count(b"\r", 0, cut) - data.count(b"\r\n", 0, cut)
        offset += cut
        rest = data[cut:]


def _last_line_end(data: bytes) -> int:
    """Where the last whole line of ``data`` ends (0: none does). A \r at the very end may be
    half of a \r\n, so it does not count."""
    return max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1


def _record_ends(data: bytes) -> tuple[list[int], list[int]]:
    """For the lines of ``data``: where each CSV record ends, as a count of lines (csv module's
    reading, as _csv_records reads them), and where each line ends, in bytes."""
    reader = csv.reader(_lines(data.decode("utf-8", "surrogateescape")))  # the same lines as the bytes'
    ends = []
    while True:
        try:
            next(reader)
        except StopIteration:
            break
        except csv.Error:
            pass
        ends.append(reader.line_num)
    return ends, list(accumulate(map(len, data.splitlines(keepends=True)), initial=0))


def _last_record_end(data: bytes) -> int:
    """Where the last CSV record of ``data`` that surely ends in it ends (0: none does). The last
    record found may go on past the data, so it is left for the next run."""
    ends, at = _record_ends(data)
    return at[ends[-2]] if len(ends) > 1 else 0


def _read_header(fh) -> tuple[list[str] | None, int, int, str | None] | None:
    """The header record of a binary CSV file, after any blank lines: (its fields, the line it
    starts on, the line number after it, None), or (None, the line it starts on, the line
    number after it, what is wrong); None for a file of nothing but blank lines. The file is
    left at the first record after the header."""
    line = 1
    while True:  # blank lines, skipped as the csv module skips them
        start = fh.tell()
        block = fh.read(RUN_BYTES)
        if block.strip(b"\r\n"):
            skipped = block[:len(block) - len(block.lstrip(b"\r\n"))]
        elif len(block) < RUN_BYTES:
            return None
        else:  # a block of blank lines; a \r at its end may be half of a \r\n
            skipped = block[:-1] if block.endswith(b"\r") else block
        line += skipped.count(b"\n") + skipped.count(b"\r") - skipped.count(b"\r\n")
        fh.seek(start + len(skipped))
        if len(skipped) < len(block):
            break
    start = fh.tell()
    data = b""
    while True:
        block = fh.read(RUN_BYTES)
        data += block
        if not data:
            return None
        ends, at = _record_ends(data)
        taken, size = ends[0], at[ends[0]]
        if size < len(data) or not block:
            break
    fh.seek(start + size)
    text = data[:size].decode("utf-8", "surrogateescape")
    ended: list = []
    try:
        fields = next(csv.reader(_watched(_lines(text), ended)), [])
    except csv.Error as exc:
        return None, line, line + taken, f"the header cannot be read ({exc})"
    if ended:
        return None, line, line + taken, _UNCLOSED_HEADER
    return fields, line, line + taken, None


def _read_run(path: Path, offset: int, length: int) -> tuple[str, bool]:
    """The text of a run, and whether it holds bytes that are not UTF-8 (read as lone
    surrogates, so the rows holding them are found and reported, never altered)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines breaks there too


def _lines(text: str) -> list[str]:
    """The lines of a text as a file opened with newline="" gives them: each ends with its
    \n, \r\n or \r, and nothing else ends a line."""
    if _OTHER_BREAKS.search(text):
        return list(io.StringIO(text, newline=""))
    return text.splitlines(keepends=True)


def _score_run(job, run) -> Chunk:
    kind, columns, mapping, scorer, fmt, path = job
    first, offset, length = run
    text, undecodable = _read_run(path, offset, length)
    summary = Summary()
    errors: list[tuple[int, str]] = []
    if kind == "csv":
        records = _text_records(text, first - 1)
        if undecodable:
            records = _undecodable_rows(records, columns.header)
        if fmt == "csv" and scorer.streamable:
            out = _csv_scored_lines(records, columns, scorer, summary, errors)
            return Chunk("".join(out).encode(), summary.scored, summary.by_stage, summary.by_persona, errors)
        items = _csv_rows(records, columns, scorer)
    else:
        items = _json_rows(enumerate(_lines(text), start=first), mapping, scorer, undecodable)
    if fmt == "csv":
        format_one, joiner = (lambda s: csv_line(as_csv_row(s))), ""
    elif fmt == "table":
        format_one, joiner = (lambda s: table_line(s) + "\n"), ""
    else:
        format_one, joiner = (lambda s: json.dumps(as_json(s), ensure_ascii=False)), ",\n"
    parts = []
    for item in items:
        if item.__class__ is Lead:
            scored = scorer.score(item)
            summary.add(scored)
            parts.append(format_one(scored))
        else:
            errors.append((item.row, str(item)))
    return Chunk(joiner.join(parts).encode(), summary.scored, summary.by_stage, summary.by_persona, errors)


# ---------------------------------------------------------------- output


CSV_COLUMNS = ("id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
               "red_flags", "nurture_track", "rules")


def as_row(s: Scored) -> dict:
    return dict(zip(CSV_COLUMNS, as_csv_row(s)))


def as_csv_row(s: Scored) -> list:
    """The values of the CSV output's columns (CSV_COLUMNS), for a csv.writer."""
    return [s.lead.id, _number_text(s.fit), _number_text(s.engagement), _number_text(s.total), s.stage or "",
            s.persona or "", "yes" if s.negative else "no", "; ".join(s.red_flags), s.nurture or "",
            "; ".join([_rule_text(rule, points) for rule, _, points in s.rules])]


def as_json(s: Scored) -> dict:
    return {"id": s.lead.id, "row": s.lead.row, "fit_score": s.fit, "engagement_score": s.engagement,
            "total_score": s.total, "stage": s.stage, "persona": s.persona, "negative": s.negative,
            "red_flags": s.red_flags, "nurture_track": s.nurture,
            "rules": [{"rule": r, "group": g, "points": p} for r, g, p in s.rules]}


@dataclass
class Summary:
    scored: int = 0
    bad: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_persona: dict[str, int] = field(default_factory=dict)

    def merge(self, chunk: "Chunk") -> None:
        """Add the counts of a chunk scored elsewhere (bad rows are counted as they are reported)."""
        self.scored += chunk.scored
        for mine, theirs in ((self.by_stage, chunk.by_stage), (self.by_persona, chunk.by_persona)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    def add(self, s: Scored) -> None:
        self.scored += 1
        stage = s.stage or "(no stage)"
        persona = s.persona or "(no persona)"
        self.by_stage[stage] = self.by_stage.get(stage, 0) + 1
        self.by_persona[persona] = self.by_persona.get(persona, 0) + 1

    def as_dict(self, stage_order: list[str]) -> dict:
        order = {s: i for i, s in enumerate(stage_order)}
        return {"scored": self.scored, "bad_rows": self.bad,
                "by_stage": dict(sorted(self.by_stage.items(), key=lambda kv: (order.get(kv[0], 999), kv[0]))),
                "by_persona": dict(sorted(self.by_persona.items()))}


def table_line(s: Scored) -> str:
    flags = f"  ⚑ {len(s.red_flags)} red flag{'s' if len(s.red_flags) != 1 else ''}" if s.red_flags else ""
    nurture = f"  → {s.nurture}" if s.nurture else ""
    persona = (s.persona or "—") + (" (negative)" if s.negative else "")
    return (f"{s.lead.id[:28]:<28} {_number_text(s.fit):>5} {_number_text(s.engagement):>6} {_number_text(s.total):>6}  {(s.stage or '—'):<12} "
            f"{persona}{flags}{nurture}")


TABLE_HEADER = f"{'lead':<28} {'fit':>5} {'engage':>6} {'total':>6}  {'stage':<12} persona"


def csv_line(fields: list[str]) -> str:
    """One CSV line, as csv.writer(lineterminator="\\n") writes it. Without a quote or a line
    break in any field, that is the fields joined by commas, the ones holding a comma in quotes;
    anything else goes through the csv module."""
    line = ",".join(fields)
    if '"' not in line and "\n" not in line and "\r" not in line and (line or len(fields) > 1):
        if line.count(",") == len(fields) - 1:
            return line + "\n"
        return ",".join([f'"{f}"' if "," in f else f for f in fields]) + "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def example_problems(expect, scored: Scored, stage: str | None = None, persona: str | None = None) -> list[str]:
    """Where a worked example's expectations and the definitions disagree (rule PB801, the site)."""
    problems = []
    want = expect.stage or stage
    if want and scored.stage != want:
        problems.append(f"expects the stage {want}, but the definitions put it in {scored.stage or 'no stage'}")
    want = expect.persona or persona
    if want and scored.persona != want:
        problems.append(f"expects the persona {want}, but it matches {scored.persona or 'no persona'}")
    for name, value in (("fit_score", scored.fit), ("engagement_score", scored.engagement),
                        ("total_score", scored.total)):
        wanted = getattr(expect, name)
        if wanted is not None and abs(wanted - value) > 0.01:
            problems.append(f"expects a {name.replace('_', ' ')} of {wanted:g}, but it scores {value:g}")
    if expect.nurture_track and scored.nurture != expect.nurture_track:
        problems.append(f"expects the nurture track {expect.nurture_track}, but it goes to {scored.nurture or 'none'}")
    if expect.red_flags is not None and len(scored.red_flags) != expect.red_flags:
        problems.append(f"expects {expect.red_flags} red flag(s), but it shows {len(scored.red_flags)}")
    return problems
