"""Scoring and personas: the scoring model agrees with who the buyers are and who they are not."""

from __future__ import annotations

from ...findings import Severity
from ..registry import rule
from ...criteria import conditions_by_field, intersects, mentions_field, to_range
from .._util import qualification_stage

E, W = Severity.ERROR, Severity.WARNING


def _negative_traits(persona):
    for index, cond in enumerate(persona.criteria):
        yield ("criteria", index), cond
    for index, flag in enumerate(persona.red_flags):
        if flag.when:
            yield ("red_flags", index, "when"), flag.when


@rule("PB207", "unpenalised-negative-persona", W, "A negative persona's traits cost no points.",
      fail="""
      # file: personas/bargain-hunter.yaml
      id: bargain-hunter
      name: The bargain hunter
      kind: negative
      criteria:
        - monthly_ad_budget: {lt: 1000}
      # file: definitions/scoring.yaml
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: big-budget, when: {monthly_ad_budget: {gte: 5000}}, points: 20}
      """, ok="""
      # file: personas/bargain-hunter.yaml
      id: bargain-hunter
      name: The bargain hunter
      kind: negative
      criteria:
        - monthly_ad_budget: {lt: 1000}
      # file: definitions/scoring.yaml
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: big-budget, when: {monthly_ad_budget: {gte: 5000}}, points: 20}
              - {id: tiny-budget, when: {monthly_ad_budget: {lt: 800}}, points: -40}
      """)
def unpenalised_negative_persona(pb, report):
    """A negative persona describes the clients we do not want. If none of its criteria or red
    flags costs points in the scoring model, such leads score like anyone else and reach sales."""
    model = pb.scoring
    if model is None:
        return
    penalties = [r.when for g in model.groups for r in g.rules if r.points < 0 and r.when]
    for persona in pb.personas:
        if persona.kind != "negative":
            continue
        traits = list(_negative_traits(persona))
        if not traits:
            continue
        covered = any(intersects(to_range(ops), to_range(pen[field]))
                      for _, cond in traits for field, ops in cond.items()
                      for pen in penalties if field in pen)
        if not covered:
            yield report(persona, traits[0][0], f'No scoring rule takes points away for the '
                         f'traits of the negative persona "{persona.id}"; add a negative rule on '
                         + ", ".join(sorted({f for _, c in traits for f in c})) + ".")


@rule("PB208", "fit-matches-no-persona", W, "A fit rule rewards leads no buyer persona describes.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      criteria:
        - industry: {in: [ecommerce]}
      # file: definitions/scoring.yaml
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: saas, when: {industry: {eq: saas}}, points: 20}
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      criteria:
        - industry: {in: [ecommerce]}
      # file: definitions/scoring.yaml
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 20}
      """)
def fit_matches_no_persona(pb, report):
    """Fit points say "this lead looks like our ideal client". A positive fit rule whose condition
    fits none of the buyer personas rewards someone marketing never described."""
    model = pb.scoring
    buyers = [p for p in pb.personas if p.kind == "buyer"]
    if model is None or not buyers:
        return
    persona_ranges = [conditions_by_field(p.criteria) for p in buyers]
    for gi, group in enumerate(model.groups):
        if group.kind != "fit":
            continue
        for ri, r in enumerate(group.rules):
            if r.points <= 0 or not r.when:
                continue
            field, ops = next(iter(r.when.items()))
            wanted = to_range(ops)
            if not any(field not in ranges or intersects(ranges[field], wanted) for ranges in persona_ranges):
                yield report(model, ("groups", gi, "rules", ri, "when"),
                             f'The fit rule "{r.id}" rewards {field} values that no buyer persona has; '
                             "fix the rule or describe that persona.")


@rule("PB209", "mql-ignores-fit", W, "The MQL threshold looks at engagement only.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2, entry: {all: [{engagement_score: {gte: 30}}]}}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - id: mql
          name: MQL
          order: 2
          entry: {all: [{engagement_score: {gte: 30}}, {fit_score: {gte: 25}}]}
      """)
def mql_ignores_fit(pb, report):
    """An MQL defined by engagement alone passes sales anyone who downloads enough, including
    people we can never serve. The MQL entry should also require a fit score."""
    mql = qualification_stage(pb)
    if mql is None:
        return
    if not (mentions_field(mql.entry, "fit_score") or mentions_field(mql.entry, "total_score")):
        yield report(mql, ("entry",), f'The stage "{mql.id}" is entered on engagement alone; '
                     "add a fit_score condition so only leads we can serve qualify.")
