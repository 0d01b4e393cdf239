"""Scoring: thresholds that can be reached and are in order, caps, decay and negative signals."""

from __future__ import annotations

from ..findings import Severity
from .registry import rule
from ..criteria import SCORE_FIELDS, conditions_by_field, intersects, lower_bound, mentions_field, to_range
from ._util import fmt, qualification_stage

E, W = Severity.ERROR, Severity.WARNING


def max_scores(model) -> dict[str, float]:
    """The highest fit, engagement and total score the model can give, after caps and limit."""
    best = {"fit": 0.0, "engagement": 0.0}
    for group in model.groups:
        total = sum(r.points for r in group.rules if r.points > 0)
        if group.cap is not None:
            total = min(total, group.cap)
        best[group.kind] += total
    out = {"fit_score": best["fit"], "engagement_score": best["engagement"],
           "total_score": best["fit"] + best["engagement"]}
    if model.limit is not None:
        out = {k: min(v, model.limit) for k, v in out.items()}
    return out


_SCORING_BASE = """
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            cap: 40
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 25}
              - {id: budget, when: {monthly_ad_budget: {gte: 2000}}, points: 25}
"""


@rule("PB201", "unreachable-threshold", E, "A score threshold is higher than the most points possible.",
      fail=_SCORING_BASE + """
      stages:
        - id: mql
          name: MQL
          order: 1
          entry: {all: [{fit_score: {gte: 45}}]}
      """, ok=_SCORING_BASE + """
      stages:
        - id: mql
          name: MQL
          order: 1
          entry: {all: [{fit_score: {gte: 30}}]}
      """)
def unreachable_threshold(pb, report):
    """Add up the positive points of every rule, apply each group's cap and the overall limit:
    that is the best score a lead can get. A stage threshold or band above it can never be met,
    so no lead will ever reach that stage."""
    model = pb.scoring
    if model is None:
        return
    best = max_scores(model)
    for stage in pb.stages:
        for field in SCORE_FIELDS:
            bound = lower_bound(stage.entry, field)
            if bound and (bound[0] > best[field] or (bound[0] == best[field] and not bound[1])):
                yield report(stage, ("entry", "all", bound[2]),
                             f'The stage "{stage.id}" needs {field} of {fmt(bound[0])}, but the most '
                             f"the scoring model can give is {fmt(best[field])} after caps.")
    for index, band in enumerate(model.bands):
        if band.min > best["total_score"]:
            yield report(model, ("bands", index, "min"),
                         f'The band "{band.id}" starts at {fmt(band.min)}, above the highest '
                         f'possible total score of {fmt(best["total_score"])}.')


@rule("PB202", "threshold-order", E, "A later stage has a lower score threshold than an earlier one.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1, entry: {all: [{fit_score: {gte: 50}}]}}
        - {id: sql, name: SQL, order: 2, entry: {all: [{fit_score: {gte: 40}}]}}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1, entry: {all: [{fit_score: {gte: 40}}]}}
        - {id: sql, name: SQL, order: 2, entry: {all: [{fit_score: {gte: 50}}]}}
      """)
def threshold_order(pb, report):
    """Stages further down the funnel must ask at least as much as earlier ones: an SQL
    threshold below the MQL threshold means sales gets leads marketing would not pass."""
    highest: dict[str, tuple] = {}
    for stage in pb.stages:
        for field in SCORE_FIELDS:
            bound = lower_bound(stage.entry, field)
            if not bound:
                continue
            prev = highest.get(field)
            if prev and bound[0] < prev[0]:
                yield report(stage, ("entry", "all", bound[2]),
                             f'The stage "{stage.id}" is entered at {field} {fmt(bound[0])}, below '
                             f'the earlier stage "{prev[1]}" at {fmt(prev[0])}; later stages need '
                             "the same or a higher threshold.")
            if not prev or bound[0] >= prev[0]:
                highest[field] = (bound[0], stage.id)


@rule("PB203", "band-overlap-or-gap", E, "Score bands overlap or leave a gap.",
      fail="""
      scoring:
        id: lead-score
        name: Lead score
        bands:
          - {id: cold, min: 0, max: 40}
          - {id: warm, min: 30, max: 69}
          - {id: hot, min: 75, max: 100}
      """, ok="""
      scoring:
        id: lead-score
        name: Lead score
        bands:
          - {id: cold, min: 0, max: 29}
          - {id: warm, min: 30, max: 69}
          - {id: hot, min: 70, max: 100}
      """)
def band_overlap_or_gap(pb, report):
    """Every score must fall in exactly one band. Overlapping bands label one lead twice; a gap
    leaves some scores with no label. Bands are whole points: 0–29 is followed by 30–69."""
    model = pb.scoring
    if model is None:
        return
    indexed = sorted(enumerate(model.bands), key=lambda ib: (ib[1].min, ib[1].max))
    for index, band in indexed:
        if band.min > band.max:
            yield report(model, ("bands", index), f'The band "{band.id}" starts at '
                         f"{fmt(band.min)} but ends at {fmt(band.max)}.")
    for (_, a), (index, b) in zip(indexed, indexed[1:]):
        if b.min <= a.max:
            yield report(model, ("bands", index, "min"), f'The bands "{a.id}" '
                         f'({fmt(a.min)}–{fmt(a.max)}) and "{b.id}" ({fmt(b.min)}–{fmt(b.max)}) overlap.')
        elif b.min > a.max + 1:
            yield report(model, ("bands", index, "min"), f'Scores from {fmt(a.max + 1)} to '
                         f'{fmt(b.min - 1)} fall between the bands "{a.id}" and "{b.id}".')


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
