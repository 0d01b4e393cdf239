"""Lifecycle and handoff: stage order, reachability, owners, exit/entry agreement, handoff SLAs,
recycling, and one story for a rejected lead."""

from __future__ import annotations

from collections import defaultdict

from ..findings import Severity
from .registry import rule
from ..criteria import lower_bound
from ._util import fact_condition, fmt, qualification_stage
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


def _teams(pb, h):
    src = pb.get("stage", h.from_stage)
    dst = pb.get("stage", h.to_stage)
    return (h.from_team or (src.owner if src else None), h.to_team or (dst.owner if dst else None))


@rule("PB106", "handoff-keeps-owner", E, "A handoff does not change the owner team.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1, owner: marketing}
        - {id: sal, name: SAL, order: 2, owner: marketing}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1, owner: marketing}
        - {id: sal, name: SAL, order: 2, owner: sales}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
      """)
def handoff_keeps_owner(pb, report):
    """A handoff passes a lead from one team to another. If both sides are the same team it is
    not a handoff, and usually one stage's owner is wrong."""
    for h in pb.of("handoff"):
        giver, taker = _teams(pb, h)
        if giver and taker and giver == taker:
            yield report(h, ("to_stage",), f'The handoff "{h.id}" goes from team '
                         f'"{giver}" to the same team; check the owners of "{h.from_stage}" and '
                         f'"{h.to_stage}".')


@rule("PB107", "handoff-receiver-undefined", E, "A handoff has no receiving team.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1, owner: marketing}
        - {id: sal, name: SAL, order: 2}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1, owner: marketing}
        - {id: sal, name: SAL, order: 2}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          to_team: sales
          follow_up: {within: 4h business}
      """)
def handoff_receiver_undefined(pb, report):
    """The team receiving a handoff is its ``to_team`` or the owner of the stage it hands to.
    When neither is set, the lead is handed to nobody."""
    for h in pb.of("handoff"):
        _, taker = _teams(pb, h)
        if not taker:
            yield report(h, ("to_stage",), f'The handoff "{h.id}" has no receiving team: '
                         f'set "to_team" or an owner on the stage "{h.to_stage}".')


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


@rule("PB110", "handoff-without-sla", E, "A handoff has no follow-up time.",
      fail="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
      """, ok="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business, attempts: 3}
      """)
def handoff_without_sla(pb, report):
    """The heart of a marketing–sales SLA is how soon the receiving team follows up. Without a
    ``follow_up.within`` time, a handed-over lead can wait forever."""
    for h in pb.of("handoff"):
        if h.follow_up is None:
            yield report(h, ("id",), f'The handoff "{h.id}" says nothing about how soon the '
                         'lead is followed up; add "follow_up: {within: 4h business}".')


@rule("PB111", "early-escalation", E, "An escalation fires before the follow-up deadline.",
      fail="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 8h business}
          escalation: {after: 4h business, team: sales}
      """, ok="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
          escalation: {after: 8h business, team: sales}
      """)
def early_escalation(pb, report):
    """Escalating before the follow-up deadline has passed punishes people for keeping the
    SLA. The escalation must come after the follow-up time."""
    for h in pb.of("handoff"):
        if h.follow_up and h.escalation and \
                h.escalation.after.calendar_hours < h.follow_up.within.calendar_hours:
            yield report(h, ("escalation", "after"), f'The handoff "{h.id}" escalates after '
                         f"{h.escalation.after} but follow-up is due within {h.follow_up.within}; "
                         "escalate only after the follow-up deadline.")


@rule("PB112", "mixed-hour-kinds", W, "One SLA mixes business and calendar hours.",
      fail="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
          accept_within: 24h
      """, ok="""
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
          accept_within: 8h business
      """)
def mixed_hour_kinds(pb, report):
    """"4 business hours" and "24 hours" run on different clocks: a lead handed over on Friday
    evening is late by one and on time by the other. Use one kind of hours for one SLA chain."""
    for h in pb.of("handoff"):
        parts = [(("follow_up", "within"), h.follow_up.within if h.follow_up else None),
                 (("accept_within",), h.accept_within),
                 (("escalation", "after"), h.escalation.after if h.escalation else None)]
        parts = [(p, d) for p, d in parts if d is not None]
        kinds = {d.business for _, d in parts}
        if len(kinds) > 1:
            first = parts[0][1].business
            odd = next(p for p, d in parts if d.business != first)
            yield report(h, odd, f'The handoff "{h.id}" mixes business and calendar hours '
                         "(" + ", ".join(str(d) for _, d in parts) + "); use one kind.")


@rule("PB113", "incomplete-recycle-path", E, "A reject or recycle path lacks a reason code or nurture track.",
      fail="""
      stages:
        - {id: mql, name: MQL, order: 1}
        - {id: sal, name: SAL, order: 2}
      transitions:
        - {from: sal, to: mql, type: recycle, reasons: [bad-timing]}
      """, ok="""
      stages:
        - {id: mql, name: MQL, order: 1}
        - {id: sal, name: SAL, order: 2}
      reason_codes:
        - {id: bad-timing, name: Bad timing}
      transitions:
        - {from: sal, to: mql, type: recycle, reasons: [bad-timing], nurture_track: long-cycle}
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: mql, wait_days: 60}
      """)
def incomplete_recycle_path(pb, report):
    """When sales returns or recycles a lead, the reason must be one of the agreed reason codes
    (so marketing can learn from it) and the lead must land in a nurture track (so it is not
    lost)."""
    known = pb.known_ids["reason"]

    def bad_reasons(obj, reasons, path):
        for index, reason in enumerate(reasons):
            if reason not in known:
                yield report(obj, path + (index,), f'The reason code "{reason}" is not '
                             "defined; add it to reason_codes or use a defined one.")

    for index, t in enumerate(pb.transitions):
        if t.type == "forward":
            continue
        yield from bad_reasons(t, t.reasons, ("reasons",))
        if t.type == "recycle" and not t.nurture_track:
            yield report(t, ("type",), f'The recycle from "{t.from_}" names no nurture '
                         'track; add "nurture_track:" so the lead is looked after.')
    for h in pb.of("handoff"):
        for path, route in h.reject_routes:
            yield from bad_reasons(h, route.reasons, path + ("reasons",))
            if not route.recycle_to:
                yield report(h, path, f'The handoff "{h.id}" lets sales reject a lead '
                             + (f'for {_quoted(route.reasons)} ' if len(h.reject_routes) > 1 and route.reasons
                                else "")
                             + 'but says nowhere where it goes; add "recycle_to:" with a nurture track.')


def _recycles(pb):
    """(source object, path to the track field, track, reset flag on the path)."""
    for t in pb.transitions:
        if t.type == "recycle" and t.nurture_track:
            track = pb.get("nurture", t.nurture_track)
            if track:
                yield t, ("nurture_track",), track, t.reset_engagement
    for h in pb.of("handoff"):
        for path, route in h.reject_routes:
            track = pb.get("nurture", route.recycle_to) if route.recycle_to else None
            if track:
                yield h, path + ("recycle_to",), track, False


def _quoted(values) -> str:
    return ", ".join(f'"{v}"' for v in values)


@rule("PB114", "endless-recycle", W, "A recycle loop has neither a wait nor a cycle limit.",
      fail="""
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: mql}
      transitions:
        - {from: sal, type: recycle, nurture_track: long-cycle}
      """, ok="""
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: mql, wait_days: 60, max_cycles: 3}
      transitions:
        - {from: sal, type: recycle, nurture_track: long-cycle}
      """)
def endless_recycle(pb, report):
    """A nurture track that sends leads straight back to a stage, with no wait and no limit on
    how often, lets a lead bounce between sales and marketing forever."""
    seen = set()
    for _, _, track, _ in _recycles(pb):
        if track.id in seen or not track.exit_to:
            continue
        seen.add(track.id)
        if track.wait_days is None and track.max_cycles is None:
            yield report(track, ("exit_to",), f'Leads recycled into "{track.id}" go back to '
                         f'"{track.exit_to}" with no wait and no limit; add wait_days or max_cycles.')


@rule("PB115", "recycle-keeps-engagement", W, "Recycling below MQL without resetting engagement.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2, entry: {all: [{engagement_score: {gte: 20}}]}}
        - {id: sal, name: SAL, order: 3}
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: lead, wait_days: 60}
      transitions:
        - {from: sal, type: recycle, nurture_track: long-cycle}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1}
        - {id: mql, name: MQL, order: 2, entry: {all: [{engagement_score: {gte: 20}}]}}
        - {id: sal, name: SAL, order: 3}
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: lead, wait_days: 60, reset_engagement: true}
      transitions:
        - {from: sal, type: recycle, nurture_track: long-cycle}
      """)
def recycle_keeps_engagement(pb, report):
    """A lead recycled to a stage below MQL still carries the engagement score that made it an
    MQL, so it re-qualifies at once and comes straight back. Reset engagement on that path."""
    mql = qualification_stage(pb)
    if mql is None:
        return
    for source, path, track, reset in _recycles(pb):
        target = pb.get("stage", track.exit_to) if track.exit_to else None
        if target and target.order < mql.order and not (reset or track.reset_engagement):
            yield report(source, path, f'Recycled leads return to "{target.id}", below '
                         f'"{mql.id}", without resetting engagement, so they re-qualify at once; '
                         'set reset_engagement: true.')



def _label(pb, stage_id) -> str:
    stage = pb.get("stage", stage_id)
    return (stage.abbreviation or stage.name or stage.id) if stage else stage_id


@rule("PB116", "reject-route-mismatch", E, "A handoff's reject route disagrees with the lifecycle.",
      fail="""
      stages:
        - {id: lead, name: Lead, order: 1, owner: marketing}
        - {id: mql, name: MQL, order: 2, owner: marketing, abbreviation: MQL}
        - {id: sal, name: SAL, order: 3, owner: sales, abbreviation: SAL, terminal: true}
      reason_codes:
        - {id: bad-timing, name: Bad timing}
        - {id: poor-fit, name: Poor fit}
      transitions:
        - {from: lead, to: mql}
        - {from: mql, to: sal}
        - {from: mql, type: disqualify, reasons: [poor-fit, bad-timing]}
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: lead, wait_days: 60, reset_engagement: true}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
          on_reject: {reasons: [bad-timing], recycle_to: long-cycle}
      """, ok="""
      stages:
        - {id: lead, name: Lead, order: 1, owner: marketing}
        - {id: mql, name: MQL, order: 2, owner: marketing, abbreviation: MQL}
        - {id: sal, name: SAL, order: 3, owner: sales, abbreviation: SAL, terminal: true}
      reason_codes:
        - {id: bad-timing, name: Bad timing}
        - {id: poor-fit, name: Poor fit}
      transitions:
        - {from: lead, to: mql}
        - {from: mql, to: sal}
        - {from: mql, to: lead, type: recycle, reasons: [bad-timing], nurture_track: long-cycle}
        - {from: mql, type: disqualify, reasons: [poor-fit]}
      nurture_tracks:
        - {id: long-cycle, name: Long buying cycle, exit_to: lead, wait_days: 60, reset_engagement: true}
      handoffs:
        - id: mql-to-sal
          name: MQL to sales
          from_stage: mql
          to_stage: sal
          follow_up: {within: 4h business}
          on_reject: {reasons: [bad-timing], recycle_to: long-cycle}
      """)
def reject_route_mismatch(pb, report):
    """A handoff's ``on_reject`` and the lifecycle's recycle and disqualify transitions describe
    the same moment: the receiving team turns a lead down. The lead has not entered the receiving
    stage, so the lifecycle's word on it is the transitions out of the stage it was handed from.
    The two must tell one story: a reason the handoff recycles is one a recycle from that stage
    names (not one the lifecycle disqualifies for), it goes to the same nurture track, and every
    reason the lifecycle recycles from that stage is listed on the handoff. Otherwise the
    handoff's page and the lifecycle's page give two answers to "what happens when sales rejects
    this lead?". Reason codes that are not defined are reported by PB113 only.

    When leads rejected for different reasons go to different tracks, ``on_reject`` is a list
    of routes, each checked the same way; a reason named in two routes with two tracks is
    reported too:

        on_reject:
          - {reasons: [bad-timing], recycle_to: long-cycle}
          - {reasons: [below-price-point], recycle_to: small-budgets}"""
    known = pb.known_ids["reason"]
    for h in pb.of("handoff"):
        routes = h.reject_routes
        if not routes or pb.get("stage", h.from_stage) is None:
            continue
        stage = h.from_stage
        recycled, disqualified = {}, set()
        for t in pb.transitions:
            if t.from_ != stage:
                continue
            if t.type == "recycle":
                for reason in t.reasons:
                    recycled.setdefault(reason, t.nurture_track)
            elif t.type == "disqualify":
                disqualified.update(t.reasons)
        who = f'The handoff "{h.id}" ({_label(pb, h.from_stage)} → {_label(pb, h.to_stage)})'
        first_track: dict[str, str | None] = {}
        for base, route in routes:
            track = route.recycle_to
            mismatched = defaultdict(list)
            for index, reason in enumerate(route.reasons):
                if reason not in known:
                    continue
                path = base + ("reasons", index)
                if reason in first_track:
                    if first_track[reason] != track:
                        yield report(h, path, f'{who} sends a lead rejected for "{reason}" to the '
                                     f'"{first_track[reason]}" track and to the "{track}" track; name each '
                                     "reason once, with the track the lifecycle names.")
                    continue
                first_track[reason] = track
                if track and reason in disqualified:
                    yield report(h, path, f'{who} sends a lead rejected for "{reason}" to the '
                                 f'"{track}" track, but the lifecycle disqualifies a lead in "{stage}" for '
                                 "that reason; make them tell one story.")
                elif reason not in recycled and reason not in disqualified:
                    yield report(h, path, f'{who} lets sales reject a lead for "{reason}", but no '
                                 f'recycle or disqualify transition from "{stage}" in the lifecycle names '
                                 "that reason; add it there or remove it here, so both tell one story.")
                elif track and reason in recycled and recycled[reason] and recycled[reason] != track:
                    mismatched[recycled[reason]].append(reason)
            for other, reasons in mismatched.items():
                names = ", ".join(f'"{r}"' for r in reasons)
                yield report(h, base + ("recycle_to",), f'{who} sends rejected leads to the '
                             f'"{track}" track, but the lifecycle recycles a lead in "{stage}" rejected for '
                             f'{names} to the "{other}" track; make them tell one story.')
        listed = {reason for _, route in routes for reason in route.reasons}
        first_base, first_route = routes[0]
        for reason, other in recycled.items():
            if reason in listed or reason not in known:
                continue
            where = first_base + ("reasons",) if first_route.reasons else first_base
            yield report(h, where, f'The lifecycle recycles a lead in "{stage}" rejected for '
                         f'"{reason}"' + (f' to the "{other}" track' if other else "") +
                         f', but the handoff "{h.id}" ({_label(pb, h.from_stage)} → '
                         f"{_label(pb, h.to_stage)}) does not list that reason; add it to its "
                         "on_reject reasons so both tell one story.")


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
