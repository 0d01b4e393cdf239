"""What the scoring definitions use, read from a playbook: the fields the compiled query tests
(the ``leads`` table's columns), the rules that count events, the stages, personas and red flags
it can give, and the routes that send rejected leads to a nurture track."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..criteria import SCORE_FIELDS
from ..playbook import Playbook
from ..units import Duration

LIST_FIELDS = ("confirmed",)
REASON_FIELD = "rejection_reason"
DECAY_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*every\s+(.+)$", re.I)


@dataclass(frozen=True)
class LeadField:
    """A column the ``leads`` table must have: its name and kind (number, text or list)."""

    name: str
    kind: str


@dataclass(frozen=True)
class EventRule:
    """A scoring rule that counts events: which type, its points and decay (kept share, period in days)."""

    number: int      # its position among all the scoring rules
    rule_id: str
    group_id: str
    event: str       # lower case
    points: float
    keep: float      # the share of points left after each whole period (1.0: no decay)
    every_days: float


# ---------------------------------------------------------------- what the definitions use


def scoring_conditions(pb: Playbook):
    """Every one-field condition scoring looks at: stage entries, attribute rules, persona
    criteria and red flags."""
    for stage in pb.stages:
        if stage.entry:
            yield from stage.entry.conditions()
    if pb.scoring:
        for g in pb.scoring.groups:
            for r in g.rules:
                if r.when and not r.event:
                    yield r.when
    for p in pb.personas:
        yield from p.criteria
        for f in p.red_flags:
            if f.when:
                yield f.when


def tested_conditions(pb: Playbook) -> list[dict]:
    """Every one-field condition the query tests: stage entries, attribute rules, persona
    criteria and red flags."""
    return list(scoring_conditions(pb))


def nurture_routes(pb: Playbook) -> list[tuple[str, list[str], str]]:
    """(stage, reasons, nurture track) of every route that recycles rejected leads, in the order
    the query tries them: a handoff's on_reject (from its from_stage), then recycle transitions."""
    routes = [(h.from_stage, route.reasons, route.recycle_to) for h in pb.of("handoff")
              for _, route in h.reject_routes if route.recycle_to]
    routes += [(t.from_, t.reasons, t.nurture_track) for t in pb.transitions
               if t.type == "recycle" and t.nurture_track]
    return routes


def lead_fields(pb: Playbook) -> list[LeadField]:
    """The columns of ``leads`` (besides ``lead_id``) the query reads, sorted by name: each field
    a definition tests, ``confirmed`` when a stage asks for confirmed dimensions and
    ``rejection_reason`` when a route recycles rejected leads."""
    kinds: dict[str, str] = {}
    for cond in scoring_conditions(pb):
        (name, ops), = cond.items()
        if name in SCORE_FIELDS:
            continue
        numeric = any(v is not None for v in (ops.gte, ops.gt, ops.lte, ops.lt))
        if name in LIST_FIELDS:
            kinds[name] = "list"
        elif numeric or kinds.get(name) == "number":
            kinds[name] = "number"
        else:
            kinds.setdefault(name, "text")
    if any(s.entry and s.entry.confirmed for s in pb.stages):
        kinds["confirmed"] = "list"
    if nurture_routes(pb):
        kinds.setdefault(REASON_FIELD, "text")
    return [LeadField(name, kinds[name]) for name in sorted(kinds)]


def decay_days(text: str | None):
    if not text:
        return None
    match = DECAY_TEXT.match(text)
    if not match:
        return None
    return float(match.group(1)), Duration.parse(match.group(2)).calendar_hours / 24


def event_rules(pb: Playbook) -> list[EventRule]:
    """The scoring rules that count events, in the order the definitions list them."""
    out = []
    number = 0
    for g in (pb.scoring.groups if pb.scoring else []):
        group_decay = (g.decay.percent, g.decay.every.calendar_hours / 24) if g.decay else None
        for r in g.rules:
            if r.event:
                decay = decay_days(r.decay) or group_decay
                keep, every = (1.0, 1.0)
                if decay is not None and decay[1] > 0:
                    keep, every = 1 - decay[0] / 100, decay[1]
                out.append(EventRule(number, r.id, g.id, r.event.strip().lower(), float(r.points), keep, every))
            number += 1
    return out


def event_types(pb: Playbook) -> list[str]:
    """The event types the scoring rules count (lower case, sorted); any other type adds nothing."""
    return sorted({r.event for r in event_rules(pb)})


def stage_ids(pb: Playbook) -> list[str]:
    """The lifecycle stages in order: the values ``stage`` can take (besides NULL)."""
    return [s.id for s in pb.stages]


def persona_ids(pb: Playbook) -> list[str]:
    """The personas a lead can match (those with criteria): the values ``persona`` can take."""
    return [p.id for p in pb.personas if p.criteria]


def red_flag_texts(pb: Playbook) -> list[str]:
    """Every red flag with a condition, each text once, in the order ``red_flags`` lists them."""
    return list(dict.fromkeys(f.text for p in pb.personas for f in p.red_flags if f.when))


def rule_text(rule: str, points: float) -> str:
    """A rule and its points as the explanation lists them: "budget-5k-plus +20"."""
    return ("%s %+.2f" % (rule, round(points, 2))).rstrip("0").rstrip(".")
