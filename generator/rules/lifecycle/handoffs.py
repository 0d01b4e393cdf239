"""Handoffs between teams: a receiver, a change of owner, a follow-up time (SLA) and escalations."""

from __future__ import annotations

from ...findings import Severity
from ..registry import rule

E, W = Severity.ERROR, Severity.WARNING


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
