"""The playbook's entity kinds as typed, validated models.

Field names follow the domain's words. References to other entities are plain ids annotated
with :class:`Ref`, so one generic walk finds every reference for the graph and the checker.
Criteria, expectations and commitments are structured data, not prose, so they can be compared.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr,
                      field_validator)

from . import kinds as entity_kinds
from .metrics import ALL_DIRECTIONS, CATALOGUE, DIRECTIONS, KINDS
from .units import Cadence, Duration, Money


class Ref:
    """Marks a field as the id of another entity of ``kind``."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"Ref({self.kind!r})"


TeamRef = Annotated[str, Ref("team")]
RoleRef = Annotated[str, Ref("role")]
PersonaRef = Annotated[str, Ref("persona")]
StageRef = Annotated[str, Ref("stage")]
NurtureRef = Annotated[str, Ref("nurture")]
PropositionRef = Annotated[str, Ref("proposition")]
CommitmentRef = Annotated[str, Ref("commitment")]
GoalRef = Annotated[str, Ref("goal")]

Status = Literal["draft", "approved", "deprecated"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              populate_by_name=True, arbitrary_types_allowed=True)


# The longest review interval (100 years) and the latest last_reviewed date: whatever interval
# applies, the next review date is still a day of the calendar (which ends in 9999).
MAX_REVIEW_EVERY_DAYS = 36500
LATEST_REVIEWED = dt.date(9899, 12, 31)


def review_due(last_reviewed: dt.date | None, days: int | None) -> dt.date | None:
    """The day the next review falls due, ``days`` after ``last_reviewed``; None when either is
    missing or the day would fall beyond the end of the calendar."""
    if last_reviewed is None or not days:
        return None
    try:
        return last_reviewed + dt.timedelta(days=days)
    except (OverflowError, ValueError):
        return None


class Entity(Model):
    """What every entity carries: id, name, owner and its review state."""

    id: str = Field(description="Stable identifier: lowercase letters, digits and hyphens.")
    name: str
    owner: TeamRef | None = Field(None, description="The team that owns and reviews this.")
    status: Status = "approved"
    last_reviewed: dt.date | None = None
    review_every_days: int | None = Field(None, gt=0, le=MAX_REVIEW_EVERY_DAYS,
                                          description="Days between reviews, at most 36500 (100 years).")
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list, description="Other words people use for it (\"refund\" for a "
                               "billing procedure): shown as \"Also called\" on its page, and the site's search "
                               "finds it by them.")

    _raw: Any = PrivateAttr(None)
    _file: str = PrivateAttr("")
    _base: tuple = PrivateAttr(())

    KIND: ClassVar[str] = ""

    @field_validator("last_reviewed")
    @classmethod
    def _reviewed_in_range(cls, value):
        if value is not None and value > LATEST_REVIEWED:
            raise ValueError(f"is {value.isoformat()}, too far in the future to plan the next review; "
                             "write the day it was last reviewed")
        return value


# ---------------------------------------------------------------- criteria


class Ops(Model):
    """One comparison on a field: ``{gte: 30}``, ``{in: [ecommerce, dtc]}``."""

    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    exists: bool | None = None

    @field_validator("in_", "not_in", mode="before")
    @classmethod
    def _listify(cls, v):
        return [v] if isinstance(v, str) else v


def _one_field(cond: dict) -> dict:
    if len(cond) != 1:
        raise ValueError("a condition names exactly one field, like {fit_score: {gte: 30}}")
    return cond


Condition = Annotated[dict[str, Ops], AfterValidator(_one_field)]


class Criteria(Model):
    """Structured criteria: all of / any of the conditions, dimensions confirmed, and a sentence."""

    all: list[Condition] = Field(default_factory=list)
    any: list[Condition] = Field(default_factory=list)
    confirmed: list[str] = Field(default_factory=list, description="Qualification dimensions that must be confirmed "
                                 "(for example authority, budget).")
    description: str | None = None

    def conditions(self):
        yield from self.all
        yield from self.any


class Signal(Model):
    """A good-fit signal or red flag: a sentence, optionally as a condition on lead facts."""

    text: str
    when: Condition | None = None


# Editors offer the catalogue's metric names; a playbook's own names are allowed too.
_METRIC_HELP = dict(description="What is measured: a metric from the catalogue (`playbook rule PB307` "
                    "lists it) or one declared in the playbook's metrics: section.",
                    json_schema_extra={"examples": sorted(CATALOGUE)})


_METRIC_NAME = r"^[a-z][a-z0-9_]*$"
_VALUE_HELP = ('Written as people do, in the kind of its metric: "2d business", "same day", "30 days", '
               '"1 year", "forever"; "weekly", "twice a month"; "5", "24/7"; "$750", "29 USD per seat/month"; '
               '"99.9%"; [email, phone]; yes or no.')


class MetricDeclaration(Model):
    """A metric the playbook declares or overrides: its name, kind and which value is more."""

    KIND: ClassVar[str] = "metric"
    id: str = Field(description="The metric's name as promises write it, for example trial_period.",
                    json_schema_extra={"examples": sorted(CATALOGUE), "pattern": _METRIC_NAME})
    name: str | None = Field(None, description="How people call it, for example Free trial.")
    kind: Literal[KINDS]
    more: Literal[ALL_DIRECTIONS] | None = Field(None, description="Which value is more for the client: "
                                                 "shorter or longer (duration), more-often or less-often "
                                                 "(cadence), higher or lower (count, money, percentage), "
                                                 "superset (set), yes or no (yes/no).")
    keywords: list[str] = Field(default_factory=list, description="Words that name this metric in prose "
                                "(statements, offers, remedies), for example [trial, try]; a value next to "
                                "one is read as a promise (PB312). A catalogue metric keeps its own words "
                                "unless these are given.")
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _metric_name(cls, value):
        if not re.fullmatch(_METRIC_NAME, value):
            raise ValueError(f'is "{value}", which is not a metric name; write it in lowercase words '
                             "joined by underscores, like trial_period")
        return value

    @field_validator("more")
    @classmethod
    def _more_fits_kind(cls, value, info):
        kind = info.data.get("kind")
        if value is not None and kind in DIRECTIONS and value not in DIRECTIONS[kind]:
            raise ValueError(f'is "{value}", which is not a direction of a {kind}; use '
                             + " or ".join(DIRECTIONS[kind]))
        return value


class Promise(Model):
    """Something asked for or promised: a sentence and, to compare, a metric and a value."""

    text: str
    metric: str | None = Field(None, **_METRIC_HELP)
    value: str | list[str] | None = Field(None, description=_VALUE_HELP)
    commitment: CommitmentRef | None = None


# ---------------------------------------------------------------- kinds


class Role(Model):
    id: str
    name: str


class ExampleEvent(Model):
    type: str
    date: dt.date


class Expectation(Model):
    stage: str | None = None
    persona: str | None = None
    fit_score: float | None = None
    engagement_score: float | None = None
    total_score: float | None = None
    nurture_track: str | None = None
    red_flags: int | None = Field(None, ge=0, description="How many red flags the lead shows.")


class LeadExample(Model):
    """A lead record and what the definitions should make of it; `playbook check` runs it."""

    name: str
    lead: dict[str, str | list[str]] = Field(default_factory=dict)
    events: list[ExampleEvent] = Field(default_factory=list)
    as_of: dt.date | None = None
    expect: Expectation = Field(default_factory=Expectation)


class Team(Entity):
    KIND = "team"
    side: Literal["marketing", "sales", "service", "leadership"] | None = None
    lead: str | None = Field(None, description="The team's lead contact.")
    members: list[str] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)


class Commitment(Entity):
    """A service commitment: what the business actually delivers."""

    KIND = "commitment"
    metric: str = Field(description="What is promised: a metric from the catalogue (response_time, "
                        "trial_period, meeting_cadence, channels, price, uptime ...) or one declared in "
                        "the playbook's metrics: section.", json_schema_extra={"examples": sorted(CATALOGUE)})
    value: str | list[str] = Field(description=_VALUE_HELP)
    details: str | None = None


class Objection(Model):
    objection: str
    response: str | None = None
    value_proposition: PropositionRef | None = None


EVIDENCE_SOURCES = ("survey", "interviews", "focus-group", "poll", "crm-analysis", "sales-calls",
                    "social-listening", "customer-reviews", "web-analytics", "other")


class Evidence(Model):
    """What a persona is built on: research the team did, when, and how much of it."""

    source: Literal[EVIDENCE_SOURCES] = Field(description="How it was learned: " + ", ".join(EVIDENCE_SOURCES) + ".")
    collected: dt.date = Field(description="When it was collected (the last day, for a study over weeks).")
    size: int | None = Field(None, ge=1, le=10_000_000, description="How many people or records it covers.")
    notes: str | None = None

    @field_validator("collected")
    @classmethod
    def _collected_in_range(cls, value):
        if value > LATEST_REVIEWED:
            raise ValueError(f"is {value.isoformat()}, too far in the future; write the day it was collected")
        return value


class JourneyStep(Model):
    stage: str
    touchpoints: list[str] = Field(default_factory=list)
    owner: TeamRef | None = None
    thinking: str | None = None


class Psychographics(Model):
    values: list[str] = Field(default_factory=list)
    beliefs: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list)


class Persona(Entity):
    KIND = "persona"
    kind: Literal["buyer", "negative"] = "buyer"
    buying_role: Literal["economic-buyer", "champion", "evaluator", "user", "influencer"] | None = None
    summary: str | None = None
    quote: str | None = None
    demographics: dict[str, str] = Field(default_factory=dict)
    firmographics: dict[str, str] = Field(default_factory=dict)
    criteria: list[Condition] = Field(default_factory=list, description="Lead facts that identify this persona.")
    psychographics: Psychographics = Field(default_factory=Psychographics)
    goals: list[str] = Field(default_factory=list)
    challenges: list[str] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    watering_holes: list[str] = Field(default_factory=list)
    expectations: list[Promise] = Field(default_factory=list)
    good_fit_signals: list[Signal] = Field(default_factory=list)
    red_flags: list[Signal] = Field(default_factory=list)
    journey: list[JourneyStep] = Field(default_factory=list)
    nurture_track: NurtureRef | None = None
    examples: list[LeadExample] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list, description="The research this persona is built on: "
                                     "surveys, interviews, CRM analysis ... with when and how many.")


class CrmMapping(Model):
    hubspot: str | None = None
    salesforce: str | None = None


class Stage(Entity):
    KIND = "stage"
    abbreviation: str | None = None
    order: int
    entry: Criteria | None = None
    exit: Criteria | None = None
    terminal: bool = False
    crm: CrmMapping | None = None
    examples: list[LeadExample] = Field(default_factory=list)


class Transition(Model):
    from_: StageRef = Field(alias="from")
    to: StageRef | None = None
    type: Literal["forward", "recycle", "disqualify"] = "forward"
    trigger: str | None = None
    reasons: list[str] = Field(default_factory=list)
    nurture_track: NurtureRef | None = None
    reset_engagement: bool = False


class ReasonCode(Entity):
    KIND = "reason"


class Escalation(Model):
    after: Duration
    team: TeamRef | None = None
    role: RoleRef | None = None
    action: str | None = None


class FollowUp(Model):
    within: Duration
    attempts: int | None = Field(None, ge=1)


class Rejection(Model):
    """Where a lead the receiving team turns down goes: the reasons, and the nurture track."""

    reasons: list[str] = Field(default_factory=list)
    recycle_to: NurtureRef | None = None


class Handoff(Entity):
    KIND = "handoff"
    from_stage: StageRef
    to_stage: StageRef
    from_team: TeamRef | None = None
    to_team: TeamRef | None = None
    information: list[str] = Field(default_factory=list)
    follow_up: FollowUp | None = None
    accept_within: Duration | None = None
    on_reject: Rejection | list[Rejection] | None = Field(
        None, description="Where a rejected lead goes: {reasons, recycle_to}, or a list of them when leads "
        "rejected for different reasons go to different nurture tracks.")
    escalation: Escalation | None = None
    volume: str | None = Field(None, description="The lead volume marketing commits to.")

    @property
    def reject_routes(self) -> list[tuple[tuple, Rejection]]:
        """(path of the route inside the handoff, route) for each way a rejected lead goes."""
        if self.on_reject is None:
            return []
        if isinstance(self.on_reject, list):
            return [(("on_reject", index), route) for index, route in enumerate(self.on_reject)]
        return [(("on_reject",), self.on_reject)]


class NurtureTrack(Entity):
    KIND = "nurture"
    personas: list[PersonaRef] = Field(default_factory=list)
    cadence: Cadence | None = None
    content: list[str] = Field(default_factory=list)
    exit_to: StageRef | None = None
    exit_when: Criteria | None = None
    wait_days: int | None = Field(None, ge=0)
    max_cycles: int | None = Field(None, ge=1)
    reset_engagement: bool = False


class ScoringRule(Model):
    id: str
    name: str | None = None
    when: Condition | None = None
    event: str | None = None
    points: float
    decay: str | None = Field(None, description='Rule-level decay, e.g. "50% every 30d".')


class Decay(Model):
    percent: float = Field(gt=0, le=100)
    every: Duration


class ScoringGroup(Model):
    id: str
    name: str | None = None
    kind: Literal["fit", "engagement"]
    cap: float | None = Field(None, gt=0)
    decay: Decay | None = None
    rules: list[ScoringRule] = Field(default_factory=list)


class Band(Model):
    id: str
    name: str | None = None
    min: float
    max: float


class ScoringModel(Entity):
    KIND = "scoring"
    limit: float | None = Field(None, gt=0, description="Overall maximum of the total score.")
    groups: list[ScoringGroup] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    examples: list[LeadExample] = Field(default_factory=list)


class Canvas(Model):
    jobs: list[str] = Field(default_factory=list)
    pains: list[str] = Field(default_factory=list)
    gains: list[str] = Field(default_factory=list)
    pain_relievers: list[str] = Field(default_factory=list)
    gain_creators: list[str] = Field(default_factory=list)
    products_and_services: list[str] = Field(default_factory=list)


class Positioning(Model):
    for_: str | None = Field(None, alias="for")
    who: str | None = None
    is_a: str | None = None
    that: str | None = None
    unlike: str | None = None
    our_product: str | None = None


class Statements(Model):
    marketing: str | None = None
    sales: str | None = None


class Proposition(Entity):
    KIND = "proposition"
    statement: str
    statements: Statements | None = Field(None, description="Channel wording; must say the same "
                                          "as the statement.")
    personas: list[PersonaRef] = Field(default_factory=list)
    canvas: Canvas | None = None
    positioning: Positioning | None = None
    proof_points: list[str] = Field(default_factory=list)
    claims: list[Promise] = Field(default_factory=list)


FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "bant": ("budget", "authority", "need", "timeline"),
    "champ": ("challenges", "authority", "money", "prioritization"),
    "anum": ("authority", "need", "urgency", "money"),
    "meddic": ("metrics", "economic-buyer", "decision-criteria", "decision-process",
               "identify-pain", "champion"),
    "meddpicc": ("metrics", "economic-buyer", "decision-criteria", "decision-process",
                 "paper-process", "identify-pain", "champion", "competition"),
    "gpctba-ci": ("goals", "plans", "challenges", "timeline", "budget", "authority",
                  "negative-consequences", "positive-implications"),
    "deal-alignment": ("communication", "reporting", "response-time", "scope"),
}


class Answer(Model):
    text: str
    when: Condition | None = None
    metric: str | None = Field(None, **_METRIC_HELP)
    value: str | list[str] | None = Field(None, description=_VALUE_HELP)


class Question(Entity):
    KIND = "question"
    name: str | None = None  # the question itself is the name when no short name is given
    question: str
    purpose: str | None = None
    covers: dict[str, list[str]] = Field(default_factory=dict, description="Framework -> dimensions this question "
                                         "covers, e.g. {bant: [budget]}.")
    asked_at: StageRef | None = None
    personas: list[PersonaRef] = Field(default_factory=list)
    probes: list[CommitmentRef] = Field(default_factory=list)
    acceptable: list[Answer] = Field(default_factory=list)
    red_flags: list[Answer] = Field(default_factory=list)
    follow_up: str | None = None
    call_order: int | None = Field(None, ge=1, le=1000, description="Where the question comes in its stage's "
                                   "part of a call, 1 first. Questions without it follow, in the order written.")

    @field_validator("covers", mode="before")
    @classmethod
    def _listify_covers(cls, v):
        if isinstance(v, dict):
            return {k: ([d] if isinstance(d, str) else d) for k, d in v.items()}
        return v


ISO_10002_STEPS = ("receipt", "tracking", "acknowledgement", "assessment", "investigation",
                   "response", "communication", "closing")


class ComplaintStep(Model):
    step: str
    description: str | None = None
    who: str | None = None


class Severity(Model):
    id: str
    name: str | None = None
    description: str | None = None
    acknowledge_within: Duration | None = None
    resolve_within: Duration | None = None


class EscalationLevel(Model):
    level: int
    after: Duration
    team: TeamRef | None = None
    role: RoleRef | None = None


class ComplaintProcedure(Entity):
    KIND = "complaint"
    category: str
    channels: list[str] = Field(default_factory=list)
    case_owner: RoleRef | None = None
    spokesperson: RoleRef | list[RoleRef] | None = None
    steps: list[ComplaintStep] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    escalation: list[EscalationLevel] = Field(default_factory=list)
    remedies: list[Promise] = Field(default_factory=list)


class Briefing(Model):
    date: dt.date
    owner: TeamRef | None = None
    notes: str | None = None


class FaqEntry(Model):
    question: str
    answer: str


class Campaign(Entity):
    KIND = "campaign"
    starts: dt.date
    ends: dt.date | None = None
    channels: list[str] = Field(default_factory=list)
    offer: str | None = None
    price: Money | None = None
    promises: list[Promise] = Field(default_factory=list)
    personas: list[PersonaRef] = Field(default_factory=list)
    value_propositions: list[PropositionRef] = Field(default_factory=list)
    sales_briefing: Briefing | None = None
    sales_must_know: list[FaqEntry] = Field(default_factory=list)


class Goal(Entity):
    KIND = "goal"
    metric: str
    target: str
    period: str | None = None
    baseline: str | None = None
    supports: list[GoalRef] = Field(default_factory=list)


class EntityLink(Model):
    kind: str
    id: str


class Term(Entity):
    KIND = "term"
    name: str | None = None  # the term is the name
    term: str
    abbreviation: str | None = None
    definition: str
    synonyms: list[str] = Field(default_factory=list)
    defined_by: EntityLink | None = None


class Meeting(Entity):
    KIND = "meeting"
    cadence: Cadence
    duration: Duration | None = None
    attendees: list[TeamRef] = Field(default_factory=list)
    agenda: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- files and sections

def _classes() -> dict[str, type[Entity]]:
    found = {c.KIND: c for c in Entity.__subclasses__() if c.KIND}
    missing = [k.kind for k in entity_kinds.KINDS if k.kind not in found]
    unlisted = sorted(set(found) - set(entity_kinds.BY_KIND))
    if missing or unlisted:  # pragma: no cover - a kind is one row in kinds.py and one class here
        raise RuntimeError(f"entity kinds without a model class: {missing}; classes without a row in "
                           f"kinds.py: {unlisted}")
    return {k.kind: found[k.kind] for k in entity_kinds.KINDS}


# every entity class by its kind, in the order of kinds.KINDS
ENTITY_CLASSES: dict[str, type[Entity]] = _classes()

KIND_LABELS: dict[str, str] = {k.kind: k.label for k in entity_kinds.KINDS} | entity_kinds.OTHER_LABELS


class Section:
    """A top-level key of a definitions file and what it holds."""

    def __init__(self, key: str, kind: str | None, many: bool = True, value_type=None, file: str | None = None):
        self.key, self.kind, self.many, self.value_type, self.file = key, kind, many, value_type, file


# sections that hold values rather than entities, by key: their type (the file is their kind's)
_VALUE_SECTIONS = {
    "metrics": list[MetricDeclaration],
    "out_of_scope": list[str],
    "transitions": list[Transition],
    "frameworks": list[Literal[tuple(FRAMEWORKS)]],
}


def _sections() -> dict[str, Section]:
    out: dict[str, Section] = {}
    for k in entity_kinds.KINDS:
        if k.section is None:
            continue
        for key in k.before:
            out[key] = Section(key, None, value_type=_VALUE_SECTIONS[key], file=k.file)
        out[k.section] = Section(k.section, k.kind, many=k.many, file=k.file)
        for key in k.after:
            out[key] = Section(key, None, value_type=_VALUE_SECTIONS[key], file=k.file)
    return out


SECTIONS: dict[str, Section] = _sections()

# File kinds for JSON Schema: the sections each kind of definitions file holds, in their order.
FILE_KINDS: dict[str, tuple[str, ...]] = {
    file: tuple(s.key for s in SECTIONS.values() if s.file == file)
    for file in dict.fromkeys(s.file for s in SECTIONS.values())}


# ---------------------------------------------------------------- references


def _ref_of(annotation) -> Ref | None:
    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            if isinstance(meta, Ref):
                return meta
    return None


def _plan(annotation):
    """How to find references inside a value of this type: a small tree of instructions."""
    ref = _ref_of(annotation)
    if ref:
        return ("ref", ref.kind)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plan(get_args(annotation)[0])
    if origin in (Union,) or str(origin) == "types.UnionType" or (
            origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        plans = [p for p in (_plan(a) for a in get_args(annotation)) if p]
        return ("union", plans) if plans else None
    if origin is list:
        inner = _plan(get_args(annotation)[0])
        return ("list", inner) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, Model):
        fields = model_ref_plan(annotation)
        return ("model", fields) if fields else None
    return None


_PLANS: dict[type, tuple] = {}


def model_ref_plan(cls: type[Model]) -> tuple:
    """(field name, alias, plan) for every field of ``cls`` that holds references."""
    if cls not in _PLANS:
        _PLANS[cls] = ()
        out = []
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            if info.metadata:
                annotation = Annotated[(annotation, *info.metadata)]
            plan = _plan(annotation)
            if plan:
                out.append((name, info.alias or name, plan))
        _PLANS[cls] = tuple(out)
    return _PLANS[cls]


def iter_refs(obj: Model, base: tuple = ()):
    """Yield (path, kind, id) for every reference inside ``obj``; path uses YAML keys."""
    for name, key, plan in model_ref_plan(type(obj)):
        yield from _walk(getattr(obj, name), plan, base + (key,))


def _walk(value, plan, path):
    if value is None:
        return
    op = plan[0]
    if op == "ref":
        if isinstance(value, str):
            yield path, plan[1], value
    elif op == "list":
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, plan[1], path + (i,))
    elif op == "union":
        for sub in plan[1]:
            if sub[0] == "ref" and isinstance(value, str):
                yield from _walk(value, sub, path)
                return
            if sub[0] == "list" and isinstance(value, list):
                yield from _walk(value, sub, path)
                return
            if sub[0] == "model" and isinstance(value, Model):
                yield from _walk(value, sub, path)
                return
    elif op == "model":
        for name, key, sub in plan[1]:
            yield from _walk(getattr(value, name), sub, path + (key,))
