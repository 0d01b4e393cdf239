"""The entity kinds: one model class each, with a row in ``generator/kinds.py``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from ..metrics import CATALOGUE
from ..units import Cadence, Duration, Money
from .base import (TeamRef, RoleRef, PersonaRef, StageRef, NurtureRef, PropositionRef, CommitmentRef, GoalRef,
                   Entity)
from .criteria import Condition, Criteria, Signal, VALUE_HELP, Promise
from .parts import (Role, LeadExample, Objection, Evidence, JourneyStep, Psychographics, CrmMapping, Escalation,
                    FollowUp, Rejection, ScoringGroup, Band, Canvas, Positioning, Statements, Answer,
                    ComplaintStep, Severity, EscalationLevel, Briefing, FaqEntry, EntityLink)


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
    value: str | list[str] = Field(description=VALUE_HELP)
    details: str | None = None


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


class Stage(Entity):
    KIND = "stage"
    abbreviation: str | None = None
    order: int
    entry: Criteria | None = None
    exit: Criteria | None = None
    terminal: bool = False
    crm: CrmMapping | None = None
    examples: list[LeadExample] = Field(default_factory=list)


class ReasonCode(Entity):
    KIND = "reason"


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


class ScoringModel(Entity):
    KIND = "scoring"
    limit: float | None = Field(None, gt=0, description="Overall maximum of the total score.")
    groups: list[ScoringGroup] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    examples: list[LeadExample] = Field(default_factory=list)


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
