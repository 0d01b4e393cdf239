"""Examples: lead records written into the definitions, run like doctests."""

from __future__ import annotations

from ..findings import Severity
from .registry import rule

E = Severity.ERROR

_BASE = """
      scoring:
        id: lead-score
        name: Lead score
        groups:
          - id: fit
            kind: fit
            rules:
              - {id: ecommerce, when: {industry: {eq: ecommerce}}, points: 30}
          - id: engagement
            kind: engagement
            decay: {percent: 50, every: 30d}
            rules:
              - {id: call-booked, event: call_booked, points: 20}
"""


@rule("PB801", "failing-example", E, "A worked example in the definitions no longer holds.",
      fail=_BASE + """
      stages:
        - id: lead
          name: Lead
          order: 1
        - id: mql
          name: MQL
          order: 2
          entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
          examples:
            - name: Shop owner who booked a call two months ago
              lead: {industry: ecommerce}
              events: [{type: call_booked, date: 2026-09-01}]
              as_of: 2026-11-01
      """, ok=_BASE + """
      stages:
        - id: lead
          name: Lead
          order: 1
        - id: mql
          name: MQL
          order: 2
          entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
          examples:
            - name: Shop owner who booked a call last week
              lead: {industry: ecommerce}
              events: [{type: call_booked, date: 2026-10-25}]
              as_of: 2026-11-01
      """)
def failing_example(pb, report):
    """Stages, personas and the scoring model can carry examples: a lead record and what the
    definitions should make of it (stage, persona, scores, nurture track, red flags). A stage's
    example expects that stage and a persona's example that persona unless it says otherwise.
    The check runs every example like a test, so a change that silently moves real leads shows
    up as a failing example. (The example above fails because engagement decays by half every
    30 days: a call booked two months ago is worth 5 points, not 20.)"""
    from ..scoring.outputs import example_problems
    from ..scoring.run import score_examples
    results = score_examples(pb, getattr(pb, "today", None))
    owners = [(s, "stage") for s in pb.stages] + [(p, "persona") for p in pb.personas]
    if pb.scoring:
        owners.append((pb.scoring, None))
    for entity, default in owners:
        for index, example in enumerate(entity.examples):
            where = ("examples", index)
            got = results[id(example)]
            if isinstance(got, str):
                yield report(entity, where, f'The example "{example.name}" cannot be scored: {got}.')
                continue
            problems = example_problems(example.expect, got, entity.id if default == "stage" else None,
                                        entity.id if default == "persona" else None)
            if problems:
                scores = f"fit {got.fit:g}, engagement {got.engagement:g}"
                yield report(entity, where, f'The example "{example.name}" '
                             + "; ".join(problems) + f" ({scores}).")
