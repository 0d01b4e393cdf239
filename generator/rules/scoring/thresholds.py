"""Scoring thresholds: every stage's and band's threshold can be reached, later stages need more,
bands neither overlap nor leave gaps."""

from __future__ import annotations

from ...findings import Severity
from ..registry import rule
from ...criteria import SCORE_FIELDS, lower_bound
from .._util import fmt

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
