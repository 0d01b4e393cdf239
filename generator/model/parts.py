"""The values entities are made of: roles, examples, evidence, steps, bands, answers ..."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from ..units import Duration
from .base import TeamRef, RoleRef, StageRef, NurtureRef, PropositionRef, Model, LATEST_REVIEWED
from .criteria import Condition, METRIC_HELP, VALUE_HELP


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


class CrmMapping(Model):
    hubspot: str | None = None
    salesforce: str | None = None


class Transition(Model):
    from_: StageRef = Field(alias="from")
    to: StageRef | None = None
    type: Literal["forward", "recycle", "disqualify"] = "forward"
    trigger: str | None = None
    reasons: list[str] = Field(default_factory=list)
    nurture_track: NurtureRef | None = None
    reset_engagement: bool = False


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
    metric: str | None = Field(None, **METRIC_HELP)
    value: str | list[str] | None = Field(None, description=VALUE_HELP)


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


class Briefing(Model):
    date: dt.date
    owner: TeamRef | None = None
    notes: str | None = None


class FaqEntry(Model):
    question: str
    answer: str


class EntityLink(Model):
    kind: str
    id: str
