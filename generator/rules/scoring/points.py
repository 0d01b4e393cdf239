"""Scoring points: caps, decay, negative signals and rule ids of the scoring model itself."""

from __future__ import annotations

from ...findings import Severity
from ..registry import rule
from .._util import fmt

E, W = Severity.ERROR, Severity.WARNING


@rule("PB204", "rule-exceeds-cap", W, "One rule is worth more than its group's cap.",
      fail="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: engagement
            kind: engagement
            cap: 30
            rules:
              - {id: demo-request, event: demo_requested, points: 40}
      """, ok="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: engagement
            kind: engagement
            cap: 30
            rules:
              - {id: demo-request, event: demo_requested, points: 30}
      """)
def rule_exceeds_cap(pb, report):
    """A rule worth more than its group's cap is silently cut down to the cap, so the number
    written in the playbook is not the number the lead gets."""
    model = pb.scoring
    if model is None:
        return
    for gi, group in enumerate(model.groups):
        if group.cap is None:
            continue
        for ri, r in enumerate(group.rules):
            if r.points > group.cap:
                yield report(model, ("groups", gi, "rules", ri, "points"),
                             f'The rule "{r.id}" gives {fmt(r.points)} points but its group '
                             f'"{group.id}" is capped at {fmt(group.cap)}.')


@rule("PB205", "decay-on-fit", W, "Fit points decay.",
      fail="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            decay: {percent: 25, every: 30d}
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 20}
      """, ok="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 20}
      """)
def decay_on_fit(pb, report):
    """Fit describes who the lead is (industry, size, budget); it does not fade with time.
    Only engagement (what the lead did) should decay."""
    model = pb.scoring
    if model is None:
        return
    for gi, group in enumerate(model.groups):
        if group.kind != "fit":
            continue
        if group.decay is not None:
            yield report(model, ("groups", gi, "decay"), f'The fit group "{group.id}" '
                         "decays; fit does not change with time, so remove the decay.")
        for ri, r in enumerate(group.rules):
            if r.decay:
                yield report(model, ("groups", gi, "rules", ri, "decay"),
                             f'The fit rule "{r.id}" decays; only engagement should decay.')


@rule("PB206", "no-negative-signals", W, "The scoring model has no negative points.",
      fail="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 20}
      """, ok="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 20}
              - {id: student, when: {job_title: {eq: student}}, points: -30}
      """)
def no_negative_signals(pb, report):
    """Without negative points, a bad-fit lead who clicks a lot still becomes an MQL. Students,
    competitors and below-price-point budgets should cost points."""
    model = pb.scoring
    if model is None or not model.groups:
        return
    if not any(r.points < 0 for g in model.groups for r in g.rules):
        yield report(model, ("groups",), f'The scoring model "{model.id}" has no rule with '
                     "negative points; add penalties for the signs of a bad fit.")




@rule("PB210", "duplicate-scoring-rule", E, "Two scoring rules share an id.",
      fail="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: engagement
            kind: engagement
            rules:
              - {id: webinar, event: webinar_attended, points: 10}
              - {id: webinar, event: webinar_replay_watched, points: 5}
              - {id: unsubscribed, event: unsubscribed, points: -20}
      """, ok="""
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: engagement
            kind: engagement
            rules:
              - {id: webinar, event: webinar_attended, points: 10}
              - {id: webinar-replay, event: webinar_replay_watched, points: 5}
              - {id: unsubscribed, event: unsubscribed, points: -20}
      """)
def duplicate_scoring_rule(pb, report):
    """A lead's score lists the rules that gave it points by their ids, and a change to the
    model is reviewed rule by rule. Two rules with one id read as one: nobody can tell which of
    them a lead's points came from, or which one a change touched."""
    model = pb.scoring
    if model is None:
        return
    seen: dict[str, str] = {}  # rule id -> the group it was first used in
    for gi, group in enumerate(model.groups):
        for ri, r in enumerate(group.rules):
            first = seen.get(r.id)
            if first is None:
                seen[r.id] = group.id
                continue
            where = f'twice in the group "{group.id}"' if first == group.id else \
                f'in the groups "{first}" and "{group.id}"'
            yield report(model, ("groups", gi, "rules", ri, "id"),
                         f'The scoring rule id "{r.id}" is used {where}; give each rule its own id.')
