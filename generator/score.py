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

import csv
import datetime as dt
import io
import json
import math
import re
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
            if value is None:
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
    """The playbook's definitions compiled into fast predicates."""

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

    def _factor(self, decay, date: dt.date) -> float:
        if decay is None:
            return 1.0
        key = (decay, date)
        factor = self._factor_cache.get(key)
        if factor is None:
            percent, every = decay
            age = (self.as_of - date).days
            factor = (1 - percent / 100) ** math.floor(max(age, 0) / every) if every > 0 else 1.0
            self._factor_cache[key] = factor
        return factor

    def score(self, lead: Lead) -> Scored:
        attrs = lead.attrs
        sums: dict[str, float] = {}
        contributions = []
        for rule_id, group, points, check in self.fit_rules:
            if check(attrs, {}):
                sums[group] = sums.get(group, 0.0) + points
                contributions.append((rule_id, group, points))
        for rule_id, group, points, check in self.attr_engagement:
            if check(attrs, {}):
                sums[group] = sums.get(group, 0.0) + points
                contributions.append((rule_id, group, points))
        rules = self.event_rules
        for event, date in lead.events:
            for rule_id, group, points, decay in rules.get(event, ()):
                got = points * self._factor(decay, date)
                sums[group] = sums.get(group, 0.0) + got
                contributions.append((rule_id, group, got))
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
        scores = {"fit_score": fit, "engagement_score": engagement, "total_score": total}
        stage = None
        for stage_id, check in self.stages:
            if check is None or check(attrs, scores):
                stage = stage_id
        persona, negative, best = None, False, -1
        for pid, kind, checks in self.personas:
            if all(c(attrs, scores) for c in checks):
                rank = len(checks) + (1000 if kind == "negative" else 0)
                if rank > best:
                    persona, negative, best = pid, kind == "negative", rank
        flags = list(dict.fromkeys(text for _, text, check in self.red_flags if check(attrs, scores)))
        reason = attrs.get("rejection_reason")
        nurture = self.nurture_by_reason.get(str(reason).lower()) if reason else None
        return Scored(lead, round(fit, 2), round(engagement, 2), round(total, 2), contributions, stage,
                      persona, negative, flags, nurture)


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
            raise LeadError("the row has more values than the header has columns")
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
        raise LeadError("no id (expected a column id, record_id, lead_id, contact_id or email)")
    for name in scorer.numeric:
        value = attrs.get(name)
        if isinstance(value, str) and value != "":
            number = _number(value)
            if number is None or math.isnan(number):
                raise LeadError(f'{name} "{value}" is not a number')
            if number < 0:
                raise LeadError(f"{name} {value} is negative")
            if number > MAX_NUMBER:
                raise LeadError(f"{name} {value} is not a believable value")
    events = []
    known = scorer.known_events
    as_of = scorer.as_of
    for kind, date_text in events_raw:
        kind = kind.strip().lower()
        if kind not in known:
            raise LeadError(f'unknown event type "{kind}" (the scoring model knows: '
                            + ", ".join(sorted(known)) + ")")
        date = _date(date_text)
        if date > as_of:
            raise LeadError(f'the event "{kind}" on {date} is after the scoring date {as_of}')
        events.append((kind, date))
    return Lead(row, str(ident), attrs, events)


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


def read_leads(path: Path, mapping: dict[str, str], scorer: Scorer) -> Iterator[Lead | LeadError]:
    """Yield each lead, or a LeadError carrying the row number for a bad row."""
    events_column = next((c for c, f in mapping.items() if f == EVENTS_COLUMN), EVENTS_COLUMN)
    with open(path, "rb") as fh:
        start = fh.read(4096)
    is_json = start.lstrip().startswith(b"{")
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        if is_json:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise LeadError("the line is not a JSON object")
                    raw = dict(record.get("attributes") or {})
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
        else:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                return
            for raw in reader:
                number = reader.line_num
                try:
                    events = _csv_events(raw.pop(events_column, "") or "")
                    yield _normalise(number, raw, events, mapping, scorer)
                except LeadError as exc:
                    yield _located(number, exc)


def _located(row: int, exc: LeadError) -> LeadError:
    exc.row = row
    return exc


# ---------------------------------------------------------------- output


CSV_COLUMNS = ("id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
               "red_flags", "nurture_track", "rules")


def as_row(s: Scored) -> dict:
    return {"id": s.lead.id, "fit_score": f"{s.fit:g}", "engagement_score": f"{s.engagement:g}",
            "total_score": f"{s.total:g}", "stage": s.stage or "", "persona": s.persona or "",
            "negative": "yes" if s.negative else "no", "red_flags": "; ".join(s.red_flags),
            "nurture_track": s.nurture or "",
            "rules": "; ".join(f"{rule} {points:+g}" for rule, _, points in _merged(s.contributions))}


def as_json(s: Scored) -> dict:
    return {"id": s.lead.id, "row": s.lead.row, "fit_score": s.fit, "engagement_score": s.engagement,
            "total_score": s.total, "stage": s.stage, "persona": s.persona, "negative": s.negative,
            "red_flags": s.red_flags, "nurture_track": s.nurture,
            "rules": [{"rule": r, "group": g, "points": round(p, 2)} for r, g, p in _merged(s.contributions)]}


def _merged(contributions):
    totals: dict[tuple[str, str], float] = {}
    for rule, group, points in contributions:
        totals[(rule, group)] = totals.get((rule, group), 0.0) + points
    return [(rule, group, round(points, 2)) for (rule, group), points in totals.items()]


@dataclass
class Summary:
    scored: int = 0
    bad: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_persona: dict[str, int] = field(default_factory=dict)

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
    return (f"{s.lead.id[:28]:<28} {s.fit:>5g} {s.engagement:>6g} {s.total:>6g}  {(s.stage or '—'):<12} "
            f"{persona}{flags}{nurture}")


TABLE_HEADER = f"{'lead':<28} {'fit':>5} {'engage':>6} {'total':>6}  {'stage':<12} persona"


def csv_writer(out: io.TextIOBase):
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    return writer
