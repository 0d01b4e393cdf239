"""The playbook's entity kinds as typed, validated models.

Field names follow the domain's words. References to other entities are plain ids annotated
with :class:`Ref`, so one generic walk finds every reference for the graph and the checker.
Criteria, expectations and commitments are structured data, not prose, so they can be compared.
"""

from __future__ import annotations

from .base import (Ref, TeamRef, RoleRef, PersonaRef, StageRef, NurtureRef, PropositionRef, CommitmentRef,
                   GoalRef, Status, Model, MAX_REVIEW_EVERY_DAYS, LATEST_REVIEWED, review_due, Entity)
from .criteria import (Ops, Condition, Criteria, Signal, METRIC_HELP, METRIC_NAME, VALUE_HELP,
                       MetricDeclaration, Promise)
from .parts import (Role, ExampleEvent, Expectation, LeadExample, Objection, EVIDENCE_SOURCES, Evidence,
                    JourneyStep, Psychographics, CrmMapping, Transition, Escalation, FollowUp, Rejection,
                    ScoringRule, Decay, ScoringGroup, Band, Canvas, Positioning, Statements, FRAMEWORKS, Answer,
                    ISO_10002_STEPS, ComplaintStep, Severity, EscalationLevel, Briefing, FaqEntry, EntityLink)
from .entities import (Team, Commitment, Persona, Stage, ReasonCode, Handoff, NurtureTrack, ScoringModel,
                       Proposition, Question, ComplaintProcedure, Campaign, Goal, Term, Meeting)
from .tables import (ENTITY_CLASSES, KIND_LABELS, Section, SECTIONS, FILE_KINDS)
from .refs import (model_ref_plan, iter_refs)

__all__ = ['Answer', 'Band', 'Briefing', 'Campaign', 'Canvas', 'Commitment', 'CommitmentRef', 'ComplaintProcedure',
           'ComplaintStep', 'Condition', 'Criteria', 'CrmMapping', 'Decay', 'ENTITY_CLASSES', 'EVIDENCE_SOURCES',
           'Entity', 'EntityLink', 'Escalation', 'EscalationLevel', 'Evidence', 'ExampleEvent', 'Expectation',
           'FILE_KINDS', 'FRAMEWORKS', 'FaqEntry', 'FollowUp', 'Goal', 'GoalRef', 'Handoff', 'ISO_10002_STEPS',
           'JourneyStep', 'KIND_LABELS', 'LATEST_REVIEWED', 'LeadExample', 'MAX_REVIEW_EVERY_DAYS', 'METRIC_HELP',
           'METRIC_NAME', 'Meeting', 'MetricDeclaration', 'Model', 'NurtureRef', 'NurtureTrack', 'Objection', 'Ops',
           'Persona', 'PersonaRef', 'Positioning', 'Promise', 'Proposition', 'PropositionRef', 'Psychographics',
           'Question', 'ReasonCode', 'Ref', 'Rejection', 'Role', 'RoleRef', 'SECTIONS', 'ScoringGroup',
           'ScoringModel', 'ScoringRule', 'Section', 'Severity', 'Signal', 'Stage', 'StageRef', 'Statements',
           'Status', 'Team', 'TeamRef', 'Term', 'Transition', 'VALUE_HELP', 'iter_refs', 'model_ref_plan',
           'review_due']
