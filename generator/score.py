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
import gc
import io
import json
import math
import os
import re
import sys
from collections import deque
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


@dataclass
class Lead:
    row: int
    id: str
    attrs: dict[str, str]
    events: list[tuple[str, dt.date]] = field(default_factory=list)


@dataclass
class Scored:
    lead: Lead
    fit: float
    engagement: float
    total: float
    contributions: list[tuple[str, str, float]]  # (rule id, group id, points after decay)
    stage: str | None
    persona: str | None
    negative: bool
    red_flags: list[str]
    nurture: str | None
    # points per rule as _merged(contributions) gives them, when score() worked them out on the way
    merged: list[tuple[str, str, float]] | None = field(default=None, repr=False, compare=False)


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


def compile_criteria(criteria):
    if criteria is None:
        return None
    alls = [compile_condition(c) for c in criteria.all]
    anys = [compile_condition(c) for c in criteria.any]
    confirmed = [d.lower() for d in criteria.confirmed]

    def check(attrs, scores):
        if not all(c(attrs, scores) for c in alls):
            return False
        if anys and not any(c(attrs, scores) for c in anys):
            return False
        if confirmed:
            have = {d.lower() for d in attrs.get("confirmed") or []}
            if not all(d in have for d in confirmed):
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


_rounded: dict[float, float] = {}
_formatted: dict[float, str] = {}
_rule_texts: dict[tuple, str] = {}


def _round2(x: float) -> float:
    """round(x, 2), remembered per value (rounding to decimals is slow). Zeros (0.0 and -0.0
    are equal keys) and anything but a float are rounded directly."""
    got = _rounded.get(x) if x.__class__ is float and x else None
    if got is None:
        got = round(x, 2)
        if x.__class__ is float and x:
            _remember(_rounded, x, got)
    return got


def _g(x: float) -> str:
    """f"{x:g}", remembered per value like _round2."""
    got = _formatted.get(x) if x.__class__ is float and x else None
    if got is None:
        got = f"{x:g}"
        if x.__class__ is float and x:
            _remember(_formatted, x, got)
    return got


def _rule_text(rule: str, points: float) -> str:
    """f"{rule} {points:+g}", remembered."""
    if points.__class__ is not float or not points:
        return f"{rule} {points:+g}"
    key = (rule, points)
    got = _rule_texts.get(key)
    if got is None:
        got = _remember(_rule_texts, key, f"{rule} {points:+g}")
    return got


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


class Scorer:
    """The playbook's definitions compiled into fast predicates.

    Every distinct condition (a fit rule, a stage's entry criteria, a persona's criteria and red
    flags often test the same thing) is compiled once and evaluated once per lead; stages,
    personas and red flags then read the results by index. An event's points after decay depend
    only on its type and date, so they are computed once per (type, date) and reused.
    """

    def __init__(self, pb: Playbook, as_of: dt.date):
        self.pb, self.as_of = pb, as_of
        model = pb.scoring
        self.fit_rules, self.attr_engagement = [], []
        self.event_rules: dict[str, list[tuple[str, str, float, tuple | None]]] = {}
        self.caps: dict[str, float | None] = {}
        self.group_kind: dict[str, str] = {}
        self.limit = model.limit if model else None
        for g in (model.groups if model else []):
            self.caps[g.id] = g.cap
            self.group_kind[g.id] = g.kind
            group_decay = (g.decay.percent, g.decay.every.calendar_hours / 24) if g.decay else None
            for r in g.rules:
                decay = _decay_days(r.decay) or group_decay
                if r.event:
                    self.event_rules.setdefault(r.event.lower(), []).append((r.id, g.id, r.points, decay))
                elif r.when:
                    target = self.fit_rules if g.kind == "fit" else self.attr_engagement
                    target.append((r.id, g.id, r.points, compile_condition(r.when)))
        self.stages = [(s.id, compile_criteria(s.entry)) for s in pb.stages]
        self.personas = [(p.id, p.kind, [compile_condition(c) for c in p.criteria])
                         for p in pb.personas if p.criteria]
        self.red_flags = [(p.id, f.text, compile_condition(f.when))
                          for p in pb.personas for f in p.red_flags if f.when]
        self.nurture_by_reason: dict[str, str] = {}
        for h in pb.of("handoff"):
            if h.on_reject and h.on_reject.recycle_to:
                for reason in h.on_reject.reasons:
                    self.nurture_by_reason.setdefault(reason.lower(), h.on_reject.recycle_to)
        for t in pb.transitions:
            if t.type == "recycle" and t.nurture_track:
                for reason in t.reasons:
                    self.nurture_by_reason.setdefault(reason.lower(), t.nurture_track)
        self.known_events = set(self.event_rules)
        self.numeric = numeric_fields(pb)
        self._factor_cache: dict[tuple, float] = {}
        self._event_cache: dict[tuple, tuple] = {}  # (type, date) -> ((rule, group, points), ...)
        self._item_cache: dict[str, object] = {}    # "type:date" text of a CSV cell -> (type, date) or _Bad
        self._good_items: dict[str, tuple] = {}     # the same, for the items that are good events
        self._compile_plan(model, pb)

    def _compile_plan(self, model, pb: Playbook) -> None:
        """Index every distinct condition. A lead's attribute results are one tuple: per field,
        the results of the conditions on that field (cached per value, since a condition reads
        only its own field), then constants. Score conditions come after, by index."""
        fields: dict[str, list] = {}   # field -> [fast predicate, ...]
        constants: list[bool] = []
        score_checks: list = []
        seen: dict = {}

        def index(cond) -> tuple:
            key = _condition_key(cond)
            where = seen.get(key)
            if where is None:
                (name, _), = cond.items()
                if name in SCORE_FIELDS:
                    where = ("s", len(score_checks))
                    score_checks.append(_fast_condition(cond))
                else:
                    checks = fields.setdefault(name, [])
                    where = ("f", name, len(checks))
                    checks.append(_fast_condition(cond))
                seen[key] = where
            return where

        def constant(value: bool) -> tuple:
            constants.append(value)
            return ("c", len(constants) - 1)

        rules = []
        for g in (model.groups if model else []):
            if g.kind == "fit":
                rules += [(r, g) for r in g.rules if not r.event and r.when]
        for g in (model.groups if model else []):
            if g.kind != "fit":
                rules += [(r, g) for r in g.rules if not r.event and r.when]
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

        # Bit i of a lead's mask: condition i holds. Per field, the mask of its conditions is
        # cached per value (a condition reads only its own field).
        self._field_plan = [[name, tuple(checks), tuple(1 << (offsets[name] + k) for k in range(len(checks))), {}]
                            for name, checks in fields.items()]
        self._const_mask = sum(1 << (size + k) for k, value in enumerate(constants) if value)
        self._score_checks = tuple((check, 1 << (n_attr + j)) for j, check in enumerate(score_checks))

        def bits(wheres) -> int:
            return sum({1 << at(w) for w in wheres})

        self._rule_plan = tuple((rule_id, group, points, at(w)) for rule_id, group, points, w in plan_rules)
        self._rule_mask = bits(w for _, _, _, w in plan_rules)
        dims = sorted({d for _, c in plan_stages if c is not None for d in c[2]})
        self._dims = {d: 1 << k for k, d in enumerate(dims)}
        self._dims_shift = n_attr + len(score_checks)
        # latest stage first: the furthest stage whose entry criteria hold wins
        self._stage_plan = tuple(
            (sid, None if c is None else (bits(c[0]), bits(c[1]), sum(self._dims[d] for d in set(c[2]))))
            for sid, c in reversed(plan_stages))
        self._stage_mask = bits(w for _, c in plan_stages if c is not None for w in c[0] + c[1])
        self._persona_plan = tuple((pid, neg, bits(ws), rank) for pid, neg, ws, rank in plan_personas)
        self._persona_mask = bits(w for _, _, ws, _ in plan_personas for w in ws)
        self._flag_plan = tuple((text, bits([w])) for text, w in plan_flags)
        self._flag_mask = bits(w for _, w in plan_flags)
        self._rules_cache: dict[int, tuple] = {}
        self._stage_cache: dict[int, str | None] = {}
        self._persona_cache: dict[int, tuple] = {}
        self._flags_cache: dict[int, tuple] = {}
        # events: when every event rule adds to one group, one rule per event type, sum in a local
        groups = {group for rules in self.event_rules.values() for _, group, _, _ in rules}
        single = all(len(rules) == 1 for rules in self.event_rules.values())
        self._event_group = next(iter(groups)) if len(groups) == 1 and single else None
        ids = [r.id for g in (model.groups if model else []) for r in g.rules]
        # then each event adds one contribution to that group, and points per rule can be summed
        # on the way (rule ids are unique, so a rule id alone says which rule)
        self._fast_events = self._event_group is not None and len(set(ids)) == len(ids)
        self._single_cache: dict[tuple, tuple] = {}  # (type, date) -> its one contribution

    def _attr_mask(self, attrs: dict) -> int:
        mask = self._const_mask
        for plan in self._field_plan:
            value = attrs.get(plan[0])
            cache = plan[3]
            if cache is not None and (value is None or value.__class__ is str):
                got = cache.get(value)
                if got is None:
                    got = self._field_mask(plan, attrs)
                    if len(cache) < FIELD_CACHE_LIMIT:
                        cache[value] = got
                    else:  # too many distinct values to be worth caching
                        plan[3] = None
                mask |= got
            else:  # a list (confirmed), or a field not cached
                mask |= self._field_mask(plan, attrs)
        return mask

    @staticmethod
    def _field_mask(plan, attrs: dict) -> int:
        mask = 0
        for check, bit in zip(plan[1], plan[2]):
            if check(attrs, _NO_SCORES):
                mask |= bit
        return mask

    def _rules_fired(self, key: int) -> tuple:
        """(contributions, group sums, contributions as _merged gives them) of the rules that fire."""
        contributions = [(rule_id, group, points) for rule_id, group, points, i in self._rule_plan if key >> i & 1]
        sums: dict[str, float] = {}
        for _, group, points in contributions:
            sums[group] = sums.get(group, 0.0) + points
        got = (tuple(contributions), tuple(sums.items()),
               tuple((rule_id, group, _round2(0.0 + points)) for rule_id, group, points in contributions))
        return _remember(self._rules_cache, key, got)

    def _stage_for(self, key: int) -> str | None:
        mask, conf = key & ~(-1 << self._dims_shift), key >> self._dims_shift
        stage = None
        for stage_id, plan in self._stage_plan:
            if plan is None:
                stage = stage_id
                break
            alls, anys, need = plan
            if mask & alls == alls and (not anys or mask & anys) and conf & need == need:
                stage = stage_id
                break
        return _remember(self._stage_cache, key, stage)

    def _persona_for(self, key: int) -> tuple:
        persona, negative, best = None, False, -1
        for pid, neg, need, rank in self._persona_plan:
            if rank > best and key & need == need:
                persona, negative, best = pid, neg, rank
        return _remember(self._persona_cache, key, (persona, negative))

    def _flags_for(self, key: int) -> tuple:
        flags = tuple(dict.fromkeys([text for text, bit in self._flag_plan if key & bit]))
        return _remember(self._flags_cache, key, flags)

    def _factor(self, decay, date: dt.date) -> float:
        if decay is None:
            return 1.0
        key = (decay, date)
        factor = self._factor_cache.get(key)
        if factor is None:
            percent, every = decay
            age = (self.as_of - date).days
            factor = (1 - percent / 100) ** math.floor(max(age, 0) / every) if every > 0 else 1.0
            if len(self._factor_cache) >= CACHE_LIMIT:
                self._factor_cache.clear()
            self._factor_cache[key] = factor
        return factor

    def _event_points(self, event: tuple) -> tuple:
        kind, date = event
        got = tuple((rule_id, group, points * self._factor(decay, date))
                    for rule_id, group, points, decay in self.event_rules.get(kind, ()))
        cache = self._event_cache
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[event] = got
        return got

    def _single_point(self, event: tuple):
        """The one contribution of an event (fast path), or None when its type has no rule."""
        got = self._event_cache.get(event) or self._event_points(event)
        if len(got) != 1:
            return None
        cache = self._single_cache
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[event] = got[0]
        return got[0]

    def score(self, lead: Lead) -> Scored:
        attrs = lead.attrs
        mask = self._attr_mask(attrs)
        key = mask & self._rule_mask
        fired = self._rules_cache.get(key) or self._rules_fired(key)
        contributions = list(fired[0])
        sums = dict(fired[1])
        merged = None
        events = lead.events
        single = None
        if self._fast_events:
            if events:
                single = list(map(self._single_cache.get, events))
                if not all(single):
                    single = [c or self._single_point(e) for c, e in zip(single, events)]
                    if not all(single):  # an event type without a rule (another scorer read the lead)
                        single = None
            else:
                single = []
        if single is not None:
            group = self._event_group
            per_rule: dict[str, float] = {}
            if single:
                total = sums.get(group, 0.0)
                for c in single:
                    points = c[2]
                    total += points
                    rule = c[0]
                    per_rule[rule] = per_rule.get(rule, 0.0) + points
                sums[group] = total
                contributions += single
            merged = list(fired[2])
            if per_rule:
                merged += [(rule, group, _round2(points)) for rule, points in per_rule.items()]
        elif events:
            cache = self._event_cache
            for event in events:
                points = cache.get(event) or self._event_points(event)
                for c in points:
                    group = c[1]
                    sums[group] = sums.get(group, 0.0) + c[2]
                contributions += points
        fit = engagement = 0.0
        for group, total in sums.items():
            cap = self.caps.get(group)
            if cap is not None and total > cap:
                total = cap
            if self.group_kind[group] == "fit":
                fit += total
            else:
                engagement += total
        total = fit + engagement
        if self.limit is not None:
            total = min(total, self.limit)
        if self._score_checks:
            scores = {"fit_score": fit, "engagement_score": engagement, "total_score": total}
            for check, bit in self._score_checks:
                if check(attrs, scores):
                    mask |= bit
        key = mask & self._stage_mask
        if self._dims:
            dims = self._dims
            for d in attrs.get("confirmed") or []:
                key |= dims.get(d.lower(), 0) << self._dims_shift
        stage = self._stage_cache.get(key, _MISSING)
        if stage is _MISSING:
            stage = self._stage_for(key)
        key = mask & self._persona_mask
        persona, negative = self._persona_cache.get(key) or self._persona_for(key)
        key = mask & self._flag_mask
        flags = self._flags_cache.get(key)
        if flags is None:
            flags = self._flags_for(key)
        reason = attrs.get("rejection_reason")
        nurture = self.nurture_by_reason.get(str(reason).lower()) if reason else None
        return Scored(lead, _round2(fit), _round2(engagement), _round2(total), contributions, stage,
                      persona, negative, list(flags), nurture, merged)


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
        attrs[name] = value.strip() if isinstance(value, str) else value
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


def _read_csv(fh, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    lines = iter(fh)
    feed = _Feed(lines)
    reader = csv.reader(feed)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield _located(reader.line_num, LeadError(f"the header cannot be read ({exc})"))
        return
    if header:
        yield from _csv_rows(lines, _Columns(header, mapping, scorer), scorer, len(feed.taken))


def _csv_records(lines, offset: int = 0) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line number, fields, None) for each CSV record in ``lines``, or (line, None, message)
    for one the csv module cannot read, numbered from ``offset`` + 1; blank lines are skipped.
    A line without a quote is split on commas (what the csv module makes of it, only faster);
    from a line with a quote, or a very long one, the csv module reads the record."""
    feed = _Feed(lines)
    reader = csv.reader(feed)
    limit = csv.field_size_limit()
    number = offset
    for line in lines:
        if '"' not in line and len(line) < limit:
            number += 1
            line = line.rstrip("\r\n")
            if line:
                yield number, line.split(","), None
            continue
        feed.pending, feed.taken = line, []
        try:
            row = next(reader)
        except csv.Error as exc:  # e.g. a value longer than the csv module's field limit
            number += len(feed.taken)
            yield number, None, f"the row cannot be read ({exc})"
            continue
        except StopIteration:  # pragma: no cover - the pending line is always read
            return
        number += len(feed.taken)
        if row:
            yield number, row, None


def _csv_rows(lines, columns: _Columns, scorer: Scorer, offset: int = 0) -> Iterator[Lead | LeadError]:
    """CSV records after the header as leads: rows zipped with the normalised column names,
    events parsed through a per-item cache; the same leads and errors as _normalise gives.
    Row numbers count the lines of ``lines`` from ``offset`` + 1."""
    names, width, events_at = columns.names, columns.width, columns.events_at
    id_columns, list_fields, numeric = columns.id_columns, columns.list_fields, columns.numeric
    items, good = scorer._item_cache, scorer._good_items
    strip = str.strip
    for number, row, problem in _csv_records(lines, offset):
        if problem is not None:
            yield _located(number, LeadError(problem))
            continue
        try:
            n = len(row)
            events = []
            later = None
            text = row[events_at] if events_at is not None and events_at < n else ""
            if text:
                parts = text.split(";")
                try:  # every item a good event seen before: the common case
                    events = list(map(good.__getitem__, parts))
                except KeyError:
                    events = []
                    for item in parts:
                        got = items.get(item, _MISSING)
                        if got is _MISSING:
                            got = _csv_item(item, scorer)
                            if len(items) >= CACHE_LIMIT:
                                items.clear()
                                good.clear()
                            items[item] = got
                            if got.__class__ is tuple:
                                good[item] = got
                        if got is None:
                            continue
                        if got.__class__ is tuple:
                            events.append(got)
                        elif got.syntax:  # reported before anything else about the row
                            raise LeadError(got.message)
                        elif later is None:
                            later = got.message
            if n > width:
                raise LeadError(TOO_MANY)
            attrs = dict(zip(names, map(strip, row)))
            if events_at is not None:
                attrs.pop(_EVENTS_SLOT, None)
            for name in list_fields:
                value = attrs.get(name)
                if value is not None:
                    attrs[name] = [v.strip() for v in value.split(";") if v.strip()]
            ident = None
            for c in id_columns:
                ident = attrs.get(c)
                if ident:
                    break
            if not ident:
                raise LeadError(NO_ID)
            _check_numbers(attrs, numeric)
            if later is not None:
                raise LeadError(later)
            yield Lead(number, ident, attrs, events)
        except LeadError as exc:
            yield _located(number, exc)


def _json_rows(numbered_lines, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    """JSON Lines records as leads; ``numbered_lines`` gives (line number, line)."""
    for number, line in numbered_lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise LeadError("the line is not a JSON object")
            attributes = record.get("attributes") or {}
            if not isinstance(attributes, dict):
                raise LeadError('"attributes" should be an object')
            raw = dict(attributes)
            raw.update({k: v for k, v in record.items() if k not in ("attributes", "events")})
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
        except LeadError as exc:
            yield _located(number, exc)


def _is_json(path: Path) -> bool:
    with open(path, "rb") as fh:
        start = fh.read(4096)
    return start.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{")


def _open(path: Path):
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def read_leads(path: Path, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    """Yield each lead, or a LeadError carrying the row number for a bad row."""
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


CHUNK_LINES = 1_000          # records are scored in runs of about this many lines
PARALLEL_MIN_BYTES = 2 << 20  # smaller files are scored in this process
MAX_JOBS = 8


@dataclass
class Chunk:
    """A run of records scored and formatted: the text to write, the counts and the bad rows."""

    text: str
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
    with _open(path) as fh:
        lines = iter(fh)
        if is_json:
            job = ("json", None, mapping, scorer, fmt)
            runs = _line_runs(lines, 1)
        else:
            feed = _Feed(lines)
            reader = csv.reader(feed)
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Chunk("", 0, {}, {}, [(reader.line_num, f"the header cannot be read ({exc})")])
                return
            if not header:
                return
            job = ("csv", _Columns(header, mapping, scorer), mapping, scorer, fmt)
            runs = _csv_runs(lines, feed, reader, len(feed.taken) + 1)
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


class _Feed:
    """Lines for a csv.reader that finds where a quoted record ends; remembers what it took."""

    def __init__(self, lines):
        self.lines, self.pending, self.taken = lines, None, []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pending is not None:
            line, self.pending = self.pending, None
        else:
            line = next(self.lines)
        self.taken.append(line)
        return line


def _csv_runs(lines, feed: _Feed, reader, first: int) -> Iterator[tuple[int, str]]:
    """Runs of whole CSV records as (first line number, their text). A line without a quote is
    a record of its own; from a line with one, the csv module reads on to the record's end."""
    run: list[str] = []
    for line in lines:
        if '"' in line:
            feed.pending, feed.taken = line, []
            try:
                next(reader)
            except (StopIteration, csv.Error):
                pass
            run += feed.taken
        else:
            run.append(line)
        if len(run) >= CHUNK_LINES:
            yield first, "".join(run)
            first += len(run)
            run = []
    if run:
        yield first, "".join(run)


def _line_runs(lines, first: int) -> Iterator[tuple[int, str]]:
    run: list[str] = []
    for line in lines:
        run.append(line)
        if len(run) >= CHUNK_LINES:
            yield first, "".join(run)
            first += len(run)
            run = []
    if run:
        yield first, "".join(run)


def _score_run(job, run) -> Chunk:
    kind, columns, mapping, scorer, fmt = job
    first, text = run
    lines = io.StringIO(text, newline="")  # lines as the file gave them (\n, \r\n or \r)
    if kind == "csv":
        items = _csv_rows(lines, columns, scorer, first - 1)
    else:
        items = _json_rows(enumerate(lines, start=first), mapping, scorer)
    summary = Summary()
    errors = []
    score, add = scorer.score, summary.add
    if fmt == "csv":
        out = []
        for item in items:
            if item.__class__ is Lead:
                scored = score(item)
                add(scored)
                out.append(csv_line(as_csv_row(scored)))
            else:
                errors.append((item.row, str(item)))
        text = "".join(out)
    else:
        parts = []
        for item in items:
            if item.__class__ is Lead:
                scored = score(item)
                add(scored)
                if fmt == "table":
                    parts.append(table_line(scored) + "\n")
                else:
                    parts.append(json.dumps(as_json(scored), ensure_ascii=False))
            else:
                errors.append((item.row, str(item)))
        text = ("" if fmt == "table" else ",\n").join(parts)
    return Chunk(text, summary.scored, summary.by_stage, summary.by_persona, errors)


# ---------------------------------------------------------------- output


CSV_COLUMNS = ("id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
               "red_flags", "nurture_track", "rules")


def as_row(s: Scored) -> dict:
    return {"id": s.lead.id, "fit_score": f"{s.fit:g}", "engagement_score": f"{s.engagement:g}",
            "total_score": f"{s.total:g}", "stage": s.stage or "", "persona": s.persona or "",
            "negative": "yes" if s.negative else "no", "red_flags": "; ".join(s.red_flags),
            "nurture_track": s.nurture or "",
            "rules": "; ".join(f"{rule} {points:+g}" for rule, _, points in _rules(s))}


def as_csv_row(s: Scored) -> list:
    """as_row's values in CSV_COLUMNS order, for a plain csv.writer."""
    return [s.lead.id, _g(s.fit), _g(s.engagement), _g(s.total), s.stage or "", s.persona or "",
            "yes" if s.negative else "no", "; ".join(s.red_flags), s.nurture or "",
            "; ".join([_rule_text(rule, points) for rule, _, points in _rules(s)])]


def as_json(s: Scored) -> dict:
    return {"id": s.lead.id, "row": s.lead.row, "fit_score": s.fit, "engagement_score": s.engagement,
            "total_score": s.total, "stage": s.stage, "persona": s.persona, "negative": s.negative,
            "red_flags": s.red_flags, "nurture_track": s.nurture,
            "rules": [{"rule": r, "group": g, "points": _round2(p)} for r, g, p in _rules(s)]}


def _rules(s: Scored):
    return s.merged if s.merged is not None else _merged(s.contributions)


def _merged(contributions):
    """Points per rule, in the order rules first contributed (summed in contribution order)."""
    totals: dict[str, float] = {}
    groups: dict[str, str] = {}
    for rule, group, points in contributions:
        total = totals.get(rule)
        if total is None:
            totals[rule] = 0.0 + points
            groups[rule] = group
        elif groups[rule] == group:
            totals[rule] = total + points
        else:  # the same rule id in two groups
            return _merged_by_group(contributions)
    return [(rule, groups[rule], _round2(points)) for rule, points in totals.items()]


def _merged_by_group(contributions):
    totals: dict[tuple[str, str], float] = {}
    for rule, group, points in contributions:
        totals[(rule, group)] = totals.get((rule, group), 0.0) + points
    return [(rule, group, _round2(points)) for (rule, group), points in totals.items()]


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
    return (f"{s.lead.id[:28]:<28} {_g(s.fit):>5} {_g(s.engagement):>6} {_g(s.total):>6}  {(s.stage or '—'):<12} "
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


def csv_writer(out: io.TextIOBase):
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    return writer


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
