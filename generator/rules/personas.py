"""Personas and value propositions: complete personas, clean exclusions, honest claims."""

from __future__ import annotations

import datetime as dt
import re

from ..findings import Severity
from ..model import review_due
from ..units import describe
from .registry import rule
from ..criteria import conditions_by_field, intersects
from ._util import exceeded_commitment
E, W = Severity.ERROR, Severity.WARNING


@rule("PB401", "incomplete-persona", W, "A buyer persona lacks goals, challenges, objections or a buying role.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      goals: [Grow online sales 30% this year]
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      buying_role: economic-buyer
      goals: [Grow online sales 30% this year]
      challenges: [Ad costs rise every month]
      objections:
        - {objection: We tried an agency before, response: You talk to the people doing the work.}
      """)
def incomplete_persona(pb, report):
    """Sales uses a persona to plan a conversation: what the buyer wants (goals), what hurts
    (challenges), what they will push back on (objections) and what part they play in the
    decision (buying role). A persona missing one of these cannot be sold to on purpose."""
    for persona in pb.personas:
        if persona.kind != "buyer":
            continue
        missing = [label for label, value in (("goals", persona.goals), ("challenges", persona.challenges),
                                              ("objections", persona.objections),
                                              ("buying role", persona.buying_role)) if not value]
        if missing:
            listed = ", ".join(missing[:-1]) + " or " + missing[-1] if len(missing) > 1 else missing[0]
            yield report(persona, ("id",), f'The persona "{persona.id}" has no {listed}; '
                         "sales needs all four to plan a conversation.")


@rule("PB402", "negative-overlaps-buyer", E, "A negative persona's criteria also match a buyer persona.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      criteria:
        - monthly_ad_budget: {gte: 2000}
      # file: personas/bargain-hunter.yaml
      id: bargain-hunter
      name: The bargain hunter
      kind: negative
      criteria:
        - monthly_ad_budget: {lt: 3000}
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      criteria:
        - monthly_ad_budget: {gte: 2000}
      # file: personas/bargain-hunter.yaml
      id: bargain-hunter
      name: The bargain hunter
      kind: negative
      criteria:
        - monthly_ad_budget: {lt: 2000}
      """)
def negative_overlaps_buyer(pb, report):
    """A lead cannot be both someone we want and someone we exclude. When every criterion a
    negative persona shares with a buyer persona can hold at once, some leads match both and
    marketing and sales will each call them differently."""
    buyers = [(p, conditions_by_field(p.criteria)) for p in pb.personas if p.kind == "buyer" and p.criteria]
    for persona in pb.personas:
        if persona.kind != "negative" or not persona.criteria:
            continue
        mine = conditions_by_field(persona.criteria)
        for buyer, theirs in buyers:
            common = sorted(set(mine) & set(theirs))
            if common and all(intersects(mine[f], theirs[f]) for f in common):
                yield report(persona, ("criteria",),
                             f'The negative persona "{persona.id}" and the buyer persona "{buyer.id}" '
                             f"can both match one lead (on {', '.join(common)}); make their criteria "
                             "exclude each other.")


@rule("PB403", "unanswered-objection", W, "An objection has no response and no value proposition.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      objections:
        - objection: Agencies never pick up the phone.
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      objections:
        - objection: Agencies never pick up the phone.
          response: You get a named account manager and a reply within one business day.
      """)
def unanswered_objection(pb, report):
    """An objection written down without an answer leaves every salesperson to improvise one,
    and each will promise something different."""
    for persona in pb.personas:
        for index, obj in enumerate(persona.objections):
            if not obj.response and not obj.value_proposition:
                yield report(persona, ("objections", index),
                             f'The objection "{obj.objection}" of "{persona.id}" has no response '
                             "and no value proposition answering it.")


@rule("PB404", "proposition-targets-negative", E, "A value proposition targets a negative persona.",
      fail="""
      # file: personas/always-on-client.yaml
      id: always-on-client
      name: The always-on client
      kind: negative
      # file: definitions/value-propositions.yaml
      value_propositions:
        - id: fast-answers
          name: Fast answers
          statement: We answer every message within a business day.
          personas: [always-on-client]
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/value-propositions.yaml
      value_propositions:
        - id: fast-answers
          name: Fast answers
          statement: We answer every message within a business day.
          personas: [erin]
      """)
def proposition_targets_negative(pb, report):
    """Negative personas describe the clients we choose not to serve. Aiming a value
    proposition at one invites exactly the deals we have agreed to avoid."""
    for vp in pb.of("proposition"):
        for index, pid in enumerate(vp.personas):
            persona = pb.get("persona", pid)
            if persona and persona.kind == "negative":
                yield report(vp, ("personas", index), f'The value proposition "{vp.id}" '
                             f'targets the negative persona "{pid}".')


@rule("PB405", "claim-exceeds-commitment", E, "A value proposition claims more than we commit to.",
      fail="""
      service_commitments:
        - {id: first-response, name: First response, metric: response_time, value: 48h}
      value_propositions:
        - id: fast-answers
          name: Fast answers
          statement: Questions answered the same day.
          claims:
            - {text: Same-day reply, metric: response_time, value: 8h}
      """, ok="""
      service_commitments:
        - {id: first-response, name: First response, metric: response_time, value: 48h}
      value_propositions:
        - id: fast-answers
          name: Fast answers
          statement: Questions answered within two days.
          claims:
            - {text: Reply within two days, metric: response_time, value: 48h}
      """)
def claim_exceeds_commitment(pb, report):
    """A claim in a value proposition is a promise marketing makes for the whole business. If
    it promises more than the service commitments (a same-day reply against a 48-hour
    commitment), sales closes deals that fulfilment then breaks."""
    for vp in pb.of("proposition"):
        for index, claim in enumerate(vp.claims):
            c = exceeded_commitment(pb, claim.metric, claim.value, claim.commitment)
            if c:
                yield report(vp, ("claims", index), f'The claim "{claim.text}" '
                             f'({describe(claim.value)}) promises more than the commitment "{c.id}" '
                             f"({describe(c.value)}).")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@rule("PB406", "diverging-wording", E, "Marketing and sales word one value proposition differently.",
      fail="""
      value_propositions:
        - id: small-team
          name: Small team
          statement: You always talk to the people running your ads.
          statements:
            marketing: You always talk to the people running your ads.
            sales: You get a dedicated account manager who answers 24/7.
      """, ok="""
      value_propositions:
        - id: small-team
          name: Small team
          statement: You always talk to the people running your ads.
          statements:
            marketing: You always talk to the people running your ads.
            sales: You always talk to the people running your ads.
      """)
def diverging_wording(pb, report):
    """A value proposition is one statement that marketing and sales both use. If the marketing
    copy and the sales pitch for one id say different things, the buyer hears two promises."""
    for vp in pb.of("proposition"):
        s = vp.statements
        if s is None:
            continue
        words = {side: text for side, text in (("marketing", s.marketing), ("sales", s.sales)) if text}
        variants = {_norm(t) for t in words.values()} | {_norm(vp.statement)}
        if len(variants) > 1:
            side = "sales" if "sales" in words and _norm(words["sales"]) != _norm(vp.statement) else "marketing"
            yield report(vp, ("statements", side), f'The value proposition "{vp.id}" has '
                         "different statements for marketing and sales; agree on one statement.")


@rule("PB407", "unserved-persona", W, "A buyer persona has no value proposition or no qualifying question.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/propositions.yaml
      value_propositions:
        - {id: small-team, name: Small team, statement: You talk to the people doing the work., personas: [erin]}
      qualifying_questions:
        - {id: budget, question: What is your monthly ad budget?, personas: [erin]}
      """)
def unserved_persona(pb, report):
    """A buyer persona needs at least one value proposition (what marketing says to them) and
    one qualifying question (what sales asks them). A question listing no personas applies to
    all of them."""
    targeted = {pid for vp in pb.of("proposition") for pid in vp.personas}
    questions = pb.of("question")
    general = any(not q.personas for q in questions)
    asked = {pid for q in questions for pid in q.personas}
    for persona in pb.personas:
        if persona.kind != "buyer":
            continue
        missing = []
        if persona.id not in targeted:
            missing.append("no value proposition targets it")
        if not general and persona.id not in asked:
            missing.append("no qualifying question is meant for it")
        if missing:
            yield report(persona, ("id",), f'The persona "{persona.id}": '
                         + " and ".join(missing) + ".")


@rule("PB408", "persona-without-evidence", W, "A persona records no evidence, or only evidence older than its review interval.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      review_every_days: 36500
      evidence:
        - {source: interviews, collected: 2026-09-30, size: 12, notes: Founders of stores selling 1-10 million a year}
      """)
def persona_without_evidence(pb, report):
    """A persona is a claim about real people: the surveys, interviews, polls, focus groups, CRM
    analysis or social listening it is built on belong with it (``evidence``: source, when it
    was collected, how many, notes). A persona with none is a guess; one whose newest evidence
    is older than its review interval (its own ``review_every_days`` or the configuration's)
    may describe last year's customers. Both are shown so the team can do the research."""
    today = getattr(pb, "today", None) or dt.date.today()
    default = getattr(pb, "review_every_days", None)
    for persona in pb.personas:
        if not persona.evidence:
            yield report(persona, ("id",), f'The persona "{persona.id}" records no evidence (a survey, '
                         'interviews, CRM analysis ...), so it may be a guess; add what it is built on under '
                         '"evidence:".')
            continue
        newest = max(e.collected for e in persona.evidence)
        days = persona.review_every_days or default
        due = review_due(newest, days)
        if due is not None and due < today:
            at = max(range(len(persona.evidence)), key=lambda i: persona.evidence[i].collected)
            yield report(persona, ("evidence", at, "collected"),
                         f'The newest evidence behind the persona "{persona.id}" was collected on {newest}, more '
                         f"than {days} days ago (its review interval); check it still describes real buyers "
                         "and add fresh evidence.")
