"""Recycling and rejection: every path back has a reason code and a nurture track, loops end, and
a rejected lead has one story across the lifecycle and the handoffs."""

from __future__ import annotations

from collections import defaultdict

from ...findings import Severity
from .._util import qualification_stage
from ..registry import rule

E, W = Severity.ERROR, Severity.WARNING


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
