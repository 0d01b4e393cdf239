"""Goals, glossary and governance: aligned goals, one meaning per word, owned and reviewed content."""

from __future__ import annotations

import datetime as dt
import re

from ..findings import Severity
from ..model import KIND_LABELS
from .registry import rule
from ..metrics import Unreadable, exceeds, read_values
from ..units import describe
from ..criteria import SCORE_FIELDS, lower_bound
from ._util import fmt, read_value
E, W = Severity.ERROR, Severity.WARNING

_GOAL_TEAMS = """
      teams:
        - {id: sales, name: Sales, side: sales}
        - {id: marketing, name: Marketing, side: marketing}
"""


@rule("PB701", "unaligned-goal", W, "A goal supports nothing on the other side and nothing supports it.",
      fail=_GOAL_TEAMS + """
      goals:
        - {id: more-deals, name: Close 10% more deals, owner: sales, metric: closed deals, target: +10%}
      """, ok=_GOAL_TEAMS + """
      goals:
        - {id: more-deals, name: Close 10% more deals, owner: sales, metric: closed deals, target: +10%}
        - id: more-posts
          name: Publish 25% more blog posts
          owner: marketing
          metric: blog posts published
          target: +25%
          supports: [more-deals]
      """)
def unaligned_goal(pb, report):
    """Sales and marketing goals come in pairs: "sales closes 10% more deals" is supported by
    "marketing publishes 25% more posts". A goal with no partner on the other team pulls in its
    own direction."""
    supported_by: dict[str, set[str]] = {}
    for goal in pb.of("goal"):
        for target in goal.supports:
            supported_by.setdefault(target, set()).add(goal.id)
    for goal in pb.of("goal"):
        partners = set(goal.supports) | supported_by.get(goal.id, set())
        other = [p for p in partners if pb.get("goal", p) and pb.get("goal", p).owner != goal.owner]
        if not other:
            yield report(goal, ("id",), f'The goal "{goal.id}" ({goal.owner or "no owner"}) '
                         "is not paired with a goal of another team; add a supporting goal or "
                         '"supports:".')


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


@rule("PB702", "conflicting-terms", E, "One term is defined twice with different definitions.",
      fail="""
      glossary:
        - {id: mql, term: Marketing Qualified Lead, abbreviation: MQL, definition: A lead that fits and engaged.}
        - {id: mql-2, term: MQL, definition: Anyone who downloaded the guide.}
      """, ok="""
      glossary:
        - {id: mql, term: Marketing Qualified Lead, abbreviation: MQL, definition: A lead that fits and engaged.}
        - {id: sql, term: Sales Qualified Lead, abbreviation: SQL, definition: A lead sales has qualified.}
      """)
def conflicting_terms(pb, report):
    """The glossary exists so a word means one thing. Two entries for one term or abbreviation
    with different definitions bring back the argument the glossary was meant to end."""
    seen: dict[str, object] = {}
    for term in pb.of("term"):
        names = {_norm(term.term)} | ({_norm(term.abbreviation)} if term.abbreviation else set())
        names |= {_norm(s) for s in term.synonyms}
        clash = None
        for n in names:
            prev = seen.get(n)
            if prev is not None and prev.id != term.id and _norm(prev.definition) != _norm(term.definition):
                clash = (n, prev)
                break
        if clash:
            yield report(term, ("definition",), f'"{term.term}" is defined here and, '
                         f'differently, in the glossary entry "{clash[1].id}"; keep one definition.')
        for n in names:
            seen.setdefault(n, term)


_POINTS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\+\s*)?(?:points?|pts)\b", re.IGNORECASE)


@rule("PB703", "glossary-contradicts-definition", E, "A glossary entry contradicts the entity that defines it.",
      fail="""
      stages:
        - {id: mql, name: Marketing Qualified Lead, abbreviation: MQL, order: 1, entry: {all: [{fit_score: {gte: 30}}]}}
      glossary:
        - id: mql
          term: Marketing Qualified Lead
          abbreviation: MQL
          definition: A lead with a fit score of 40 points or more.
          defined_by: {kind: stage, id: mql}
      """, ok="""
      stages:
        - {id: mql, name: Marketing Qualified Lead, abbreviation: MQL, order: 1, entry: {all: [{fit_score: {gte: 30}}]}}
      glossary:
        - id: mql
          term: Marketing Qualified Lead
          abbreviation: MQL
          definition: A lead with a fit score of 30 points or more.
          defined_by: {kind: stage, id: mql}
      """)
def glossary_contradicts_definition(pb, report):
    """A glossary entry that points at the entity defining it formally (``defined_by``) must
    agree with it: the same name and abbreviation, and no score in points that the stage's
    entry criteria do not use.

    A service commitment is named by its promise in full ("99.9% monthly uptime"), so a term
    it defines ("Uptime") agrees with it when the term's words stand in the commitment's name
    or name its metric (the metric's id or name). What the term's definition says of that
    metric must then be what the commitment promises: a definition of "Uptime" that says "we
    commit to 99.5%" against a 99.9% commitment is reported, as is one whose values of the
    metric's kind (a percentage for uptime, a cadence for meetings ...) all differ from the
    commitment's."""
    for term in pb.of("term"):
        link = term.defined_by
        target = pb.get(link.kind, link.id) if link else None
        if target is None:
            continue
        label = KIND_LABELS[target.KIND]
        if target.KIND == "commitment":
            yield from _term_against_commitment(pb, report, term, target)
            continue
        if _norm(term.term) != _norm(target.name) and _norm(term.term) != _norm(getattr(target, "abbreviation", None)):
            yield report(term, ("term",), f'The glossary calls it "{term.term}" but the {label} '
                         f'"{target.id}" is named "{target.name}".')
        abbr = getattr(target, "abbreviation", None)
        if term.abbreviation and abbr and _norm(term.abbreviation) != _norm(abbr):
            yield report(term, ("abbreviation",), f'The glossary abbreviates it '
                         f'"{term.abbreviation}" but the {label} "{target.id}" uses "{abbr}".')
        if target.KIND == "stage":
            thresholds = {lower_bound(target.entry, f)[0] for f in SCORE_FIELDS if lower_bound(target.entry, f)}
            for match in _POINTS.finditer(term.definition):
                value = float(match.group(1))
                if thresholds and value not in thresholds:
                    yield report(term, ("definition",), f'The glossary says {fmt(value)} points '
                                 f'but the stage "{target.id}" is entered at '
                                 + " / ".join(fmt(t) for t in sorted(thresholds)) + " points.")
                    break


def _term_against_commitment(pb, report, term, commitment):
    metric = pb.metrics.get(commitment.metric)
    names = {_norm(n) for n in (term.term, term.abbreviation, *term.synonyms) if n}
    words = f" {_norm(commitment.name)} "
    metric_names = {_norm(commitment.metric.replace("_", " "))} | ({_norm(metric.name)} if metric and metric.name else set())
    if not any(n and (f" {n} " in words or n in metric_names) for n in names):
        what = f" and measures {metric.label.lower()}" if metric else ""
        yield report(term, ("term",), f'The glossary calls it "{term.term}" but the service '
                     f'commitment "{commitment.id}" is named "{commitment.name}"{what}; link the term to the '
                     "commitment it names, or rename it.")
        return
    if metric is None or metric.kind in ("set", "yes/no"):
        return
    committed = read_value(metric, commitment.value)
    if isinstance(committed, Unreadable):
        return  # PB311
    outcomes = {}
    for value in read_values(term.definition, metric):
        measured = read_value(metric, value)
        ahead, behind = exceeds(metric, measured, committed), exceeds(metric, committed, measured)
        if isinstance(ahead, bool) and isinstance(behind, bool):
            outcomes[value] = not ahead and not behind
    stated = list(outcomes)
    if stated and not any(outcomes.values()):
        yield report(term, ("definition",), f'The glossary says "{term.term}" is '
                     + " / ".join(stated) + f', but the service commitment "{commitment.id}" promises '
                     f"{describe(commitment.value)}; say what the commitment says.")


@rule("PB704", "review-overdue", W, "An entity is past its review date.",
      fail="""
      teams:
        - {id: sales, name: Sales, last_reviewed: 2020-01-15, review_every_days: 90}
      """, ok="""
      teams:
        - {id: sales, name: Sales, last_reviewed: 2020-01-15, review_every_days: 36500}
      """)
def review_overdue(pb, report):
    """Each entity records when it was last reviewed and how often it must be (its own
    ``review_every_days``, or the configuration's default). Past that date, nobody has confirmed
    it is still true. Review it and update ``last_reviewed``."""
    today = getattr(pb, "today", None) or dt.date.today()
    default = getattr(pb, "review_every_days", None)
    for entity in pb.all_entities:
        due = entity.review_due(default)
        if due and due < today:
            yield report(entity, ("last_reviewed",),
                         f'The {KIND_LABELS[entity.KIND]} "{entity.id}" was due for review on {due} '
                         f"({(today - due).days} days ago).")


_NEEDS_OWNER = ("commitment", "persona", "handoff", "nurture", "scoring", "proposition", "question",
                "complaint", "campaign", "goal", "term", "meeting")


@rule("PB705", "no-owner", W, "An entity has no owner team.",
      fail="""
      service_commitments:
        - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly}
      """, ok="""
      service_commitments:
        - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly, owner: client-services}
      """)
def no_owner(pb, report):
    """Every definition needs a team that keeps it true and reviews it. (Stages have their own,
    stricter rule, PB105.)"""
    for entity in pb.all_entities:
        if entity.KIND in _NEEDS_OWNER and not entity.owner:
            yield report(entity, ("id",), f'The {KIND_LABELS[entity.KIND]} "{entity.id}" has '
                         'no owner; add "owner:" with the team that keeps it up to date.')


@rule("PB706", "deprecated-in-use", W, "An approved entity still refers to a deprecated one.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/propositions.yaml
      value_propositions:
        - {id: old-promise, name: Old promise, statement: Unlimited calls., status: deprecated}
        - {id: small-team, name: Small team, statement: You talk to the people doing the work., personas: [erin]}
      campaigns:
        - {id: spring, name: Spring, starts: 2027-03-01, value_propositions: [old-promise]}
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/propositions.yaml
      value_propositions:
        - {id: old-promise, name: Old promise, statement: Unlimited calls., status: deprecated}
        - {id: small-team, name: Small team, statement: You talk to the people doing the work., personas: [erin]}
      campaigns:
        - {id: spring, name: Spring, starts: 2027-03-01, value_propositions: [small-team]}
      """)
def deprecated_in_use(pb, report):
    """Deprecating an entity says "stop using this". An approved entity that still refers to it
    keeps the old definition alive on the site and in conversations."""
    for ref in pb.references:
        source = ref.source
        if getattr(source, "status", "approved") != "approved":
            continue
        target = pb.get(ref.kind, ref.target)
        if target is not None and target.status == "deprecated":
            yield report(source, ref.path, f'{_who(source)} still refers to the deprecated '
                         f'{KIND_LABELS[ref.kind]} "{ref.target}".')


def _who(source) -> str:
    if getattr(source, "KIND", ""):
        return f'The {KIND_LABELS[source.KIND]} "{source.id}"'
    return "A transition"
