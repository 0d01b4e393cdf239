"""Lifecycle stages: order, reachability, owners, and exit criteria that agree with the next entry."""

from __future__ import annotations

from collections import defaultdict

from ...criteria import lower_bound
from ...findings import Severity
from .._util import fact_condition, fmt
from ..registry import rule

E, W = Severity.ERROR, Severity.WARNING


@rule("PB101", "stage-order", E, "Stage order numbers repeat or leave a gap.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 3}
        - {id: sql, name: SQL, order: 3}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2}
        - {id: sql, name: SQL, order: 3}
      """)
def stage_order(pb, report):
    """Stages are numbered 1, 2, 3 ... in the order a lead moves through them. Two stages with
    one number, or a missing number, leave "the next stage" undefined for reports and the CRM."""
    stages = pb.stages
    for prev, stage in zip(stages, stages[1:]):
        if stage.order == prev.order:
            yield report(stage, ("order",), f'The stages "{prev.id}" and "{stage.id}" '
                         f"both have order {stage.order}; give each stage its own number.")
        elif stage.order != prev.order + 1:
            yield report(stage, ("order",), f'The stage "{stage.id}" has order '
                         f'{stage.order} but the stage before it ("{prev.id}") has {prev.order}; '
                         "number the stages without gaps.")


def _edges(pb):
    edges = defaultdict(set)
    for t in pb.transitions:
        if t.to:
            edges[t.from_].add(t.to)
        if t.nurture_track:
            track = pb.get("nurture", t.nurture_track)
            if track and track.exit_to:
                edges[t.from_].add(track.exit_to)
    for h in pb.of("handoff"):
        edges[h.from_stage].add(h.to_stage)
        for _, route in h.reject_routes:
            track = pb.get("nurture", route.recycle_to) if route.recycle_to else None
            if track and track.exit_to:
                edges[h.to_stage].add(track.exit_to)
    return edges


def _has_way_out(pb, stage_id) -> bool:
    return any(t.from_ == stage_id for t in pb.transitions) or any(
        h.from_stage == stage_id for h in pb.of("handoff"))


@rule("PB102", "unreachable-stage", E, "No transition leads to a stage.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2}
        - {id: customer, name: Customer, order: 3, terminal: true}
      transitions:
        - {from: lead, to: customer}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2}
        - {id: customer, name: Customer, order: 3, terminal: true}
      transitions:
        - {from: lead, to: mql}
        - {from: mql, to: customer}
      """)
def unreachable_stage(pb, report):
    """Every stage but the first must be reachable from the first through transitions,
    handoffs or a nurture track's exit. A stage no lead can reach is a definition nobody uses."""
    stages = pb.stages
    if len(stages) < 2:
        return
    edges = _edges(pb)
    seen, todo = {stages[0].id}, [stages[0].id]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    for stage in stages[1:]:
        if stage.id not in seen:
            yield report(stage, ("id",), f'No transition or handoff leads to the stage '
                         f'"{stage.id}" from "{stages[0].id}"; add one or remove the stage.')


@rule("PB103", "dead-end-stage", E, "A non-terminal stage has no way out.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2}
      transitions:
        - {from: lead, to: mql}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2, terminal: true}
      transitions:
        - {from: lead, to: mql}
      """)
def dead_end_stage(pb, report):
    """A lead in a stage that is not marked ``terminal`` must be able to move on: forward,
    back to nurture, or out. Otherwise leads pile up there and nobody owns them."""
    stages = pb.stages
    if len(stages) < 2:
        return
    for stage in stages:
        if not stage.terminal and not _has_way_out(pb, stage.id):
            yield report(stage, ("id",), f'The stage "{stage.id}" is not terminal but no '
                         "transition or handoff leads out of it; add one or mark it terminal: true.")


@rule("PB104", "unmarked-backward-transition", W, "A transition goes back without being a recycle.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1}
        - {id: sql, name: SQL, order: 2}
      transitions:
        - {from: mql, to: sql}
        - {from: sql, to: mql}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1}
        - {id: sql, name: SQL, order: 2}
      transitions:
        - {from: mql, to: sql}
        - {from: sql, to: mql, type: recycle, nurture_track: long-cycle}
      """)
def backward_transition(pb, report):
    """Moving a lead to an earlier stage is a recycle or a disqualification, and reports count
    it differently from progress. Mark it ``type: recycle`` or ``type: disqualify``."""
    for t in pb.transitions:
        a, b = pb.get("stage", t.from_), pb.get("stage", t.to) if t.to else None
        if a and b and b.order < a.order and t.type == "forward":
            yield report(t, ("to",), f'The transition from "{a.id}" back to "{b.id}" '
                         "goes backwards; mark it type: recycle or type: disqualify.")


@rule("PB105", "stage-without-owner", E, "A stage has no owner team.",
      fail="""
      stages:
        - {id: mql, name: Marketing Qualified Lead, order: 1}
      """, ok="""
      stages:
        - {id: mql, name: Marketing Qualified Lead, order: 1, owner: marketing}
      """)
def stage_without_owner(pb, report):
    """Someone must be accountable for the leads in every stage; without an owner team, leads
    in that stage are nobody's job."""
    for stage in pb.stages:
        if not stage.owner:
            yield report(stage, ("id",), f'The stage "{stage.id}" has no owner team; add '
                         '"owner:" with the team responsible for its leads.')


@rule("PB108", "exit-entry-mismatch", E, "A stage's exit criteria contradict the next stage's entry.",
      fail="""
      stages:
        - id: mql
          name: MQL
          order: 1
          exit: {all: [{fit_score: {gte: 60}}]}
        - id: sql
          name: SQL
          order: 2
          entry: {all: [{fit_score: {gte: 50}}]}
      """, ok="""
      stages:
        - id: mql
          name: MQL
          order: 1
          exit: {all: [{fit_score: {gte: 60}}]}
        - id: sql
          name: SQL
          order: 2
          entry: {all: [{fit_score: {gte: 60}}]}
      """)
def exit_entry_mismatch(pb, report):
    """When one stage says a lead leaves it at fit 60 and the next says a lead enters it at fit 50,
    leads between 50 and 59 belong to both or neither, and the two teams count them differently.
    The thresholds on the same field must agree."""
    stages = pb.stages
    for a, b in zip(stages, stages[1:]):
        if not a.exit or not b.entry or b.order != a.order + 1:
            continue
        fields = {f for cond in a.exit.all for f in cond} & {f for cond in b.entry.all for f in cond}
        for field in sorted(fields):
            out_, in_ = lower_bound(a.exit, field), lower_bound(b.entry, field)
            if out_ and in_ and (out_[0], out_[1]) != (in_[0], in_[1]):
                sign = lambda bound: ("≥ " if bound[1] else "> ") + fmt(bound[0])  # noqa: E731
                yield report(a, ("exit", "all", out_[2]),
                             f'"{a.id}" exits at {field} {sign(out_)} but "{b.id}" is entered at '
                             f"{field} {sign(in_)}; make the two thresholds the same.")


@rule("PB109", "duplicate-crm-mapping", W, "Two stages map to the same CRM value.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1, crm: {hubspot: marketingqualifiedlead}}
        - {id: sal, name: SAL, order: 2, crm: {hubspot: marketingqualifiedlead}}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1, crm: {hubspot: marketingqualifiedlead}}
        - {id: sal, name: SAL, order: 2, crm: {hubspot: salesqualifiedlead}}
      """)
def duplicate_crm_mapping(pb, report):
    """If two stages map to one CRM lifecycle value, the CRM cannot tell them apart and every
    report that counts stages from the CRM merges them."""
    for system in ("hubspot", "salesforce"):
        first = {}
        for stage in pb.stages:
            value = getattr(stage.crm, system, None) if stage.crm else None
            if not value:
                continue
            key = value.lower()
            if key in first:
                yield report(stage, ("crm", system), f'The stages "{first[key].id}" and '
                             f'"{stage.id}" both map to the {system} value "{value}".')
            else:
                first[key] = stage


@rule("PB117", "exit-entry-fact-mismatch", E, "A stage's exit condition on a fact contradicts the next stage's entry.",
      fail="""
      stages:
        - id: mql
          name: MQL
          order: 1
          exit: {all: [{sales_accepted: {eq: "yes"}}]}
        - id: sal
          name: SAL
          order: 2
          entry: {all: [{sales_accepted: {eq: "no"}}]}
      """, ok="""
      stages:
        - id: mql
          name: MQL
          order: 1
          exit: {all: [{sales_accepted: {eq: "yes"}}]}
        - id: sal
          name: SAL
          order: 2
          entry: {all: [{sales_accepted: {eq: "yes"}}]}
      """)
def exit_entry_fact_mismatch(pb, report):
    """Exit and entry criteria on facts (``sales_accepted: {eq: "yes"}``, ``industry: {in: [...]}``,
    ``company_website: {exists: true}``) must agree just as score thresholds must (PB108): when
    a stage lets a lead out once sales has accepted it and the next stage takes it in only when
    sales has not, the lead belongs to neither stage, and each team counts it differently. When
    both stages put a condition of this kind on the same field, the conditions must be the
    same."""
    stages = pb.stages
    for a, b in zip(stages, stages[1:]):
        if not a.exit or not b.entry or b.order != a.order + 1:
            continue
        fields = {f for cond in a.exit.all for f in cond} & {f for cond in b.entry.all for f in cond}
        for field in sorted(fields):
            out_, in_ = fact_condition(a.exit, field), fact_condition(b.entry, field)
            if out_ and in_ and out_[0] != in_[0]:
                yield report(a, ("exit", "all", out_[1]),
                             f'"{a.id}" exits when {out_[0].describe(field)} but "{b.id}" is entered '
                             f"when {in_[0].describe(field)}; make the two conditions the same.")
