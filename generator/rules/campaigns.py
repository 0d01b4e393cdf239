"""Campaigns: sales is briefed first, the right people are targeted, offers match what we do."""

from __future__ import annotations

from ..findings import Severity
from ..units import describe
from .registry import rule
from ..criteria import in_interval, to_range
from ._util import campaign_price_verdict, exceeded_commitment
E, W = Severity.ERROR, Severity.WARNING


@rule("PB601", "campaign-before-briefing", E, "A campaign starts before sales is briefed, or never is.",
      fail="""
      campaigns:
        - id: spring-audit
          name: Free ad-account audit
          starts: 2027-03-01
          sales_briefing: {date: 2027-03-05, owner: marketing}
      """, ok="""
      campaigns:
        - id: spring-audit
          name: Free ad-account audit
          starts: 2027-03-01
          sales_briefing: {date: 2027-02-22, owner: marketing}
      """)
def campaign_before_briefing(pb, report):
    """Prospects answer a campaign by calling sales. If sales has not been briefed on the offer,
    price and expected questions before the campaign starts, the first calls are improvised."""
    for c in pb.of("campaign"):
        if c.sales_briefing is None:
            yield report(c, ("id",), f'The campaign "{c.id}" has no sales briefing; add '
                         '"sales_briefing:" with a date before it starts.')
        elif c.sales_briefing.date > c.starts:
            yield report(c, ("sales_briefing", "date"), f'The campaign "{c.id}" starts on '
                         f"{c.starts} but sales is briefed only on {c.sales_briefing.date}.")


@rule("PB602", "campaign-targets-negative", E, "A campaign targets a negative persona.",
      fail="""
      # file: personas/bargain-hunter.yaml
      id: bargain-hunter
      name: The bargain hunter
      kind: negative
      # file: definitions/campaigns.yaml
      campaigns:
        - {id: spring-audit, name: Free audit, starts: 2027-03-01, personas: [bargain-hunter]}
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      # file: definitions/campaigns.yaml
      campaigns:
        - {id: spring-audit, name: Free audit, starts: 2027-03-01, personas: [erin]}
      """)
def campaign_targets_negative(pb, report):
    """Campaign money spent on a negative persona buys the leads sales has agreed to turn down."""
    for c in pb.of("campaign"):
        for index, pid in enumerate(c.personas):
            persona = pb.get("persona", pid)
            if persona and persona.kind == "negative":
                yield report(c, ("personas", index), f'The campaign "{c.id}" targets the '
                             f'negative persona "{pid}".')


@rule("PB603", "campaign-unapproved-proposition", E, "A campaign uses a value proposition that is not approved.",
      fail="""
      value_propositions:
        - {id: guaranteed-roas, name: Guaranteed ROAS, statement: Double your return or pay nothing., status: draft}
      campaigns:
        - {id: spring-audit, name: Free audit, starts: 2027-03-01, value_propositions: [guaranteed-roas]}
      """, ok="""
      value_propositions:
        - {id: small-team, name: Small team, statement: You talk to the people doing the work., status: approved}
      campaigns:
        - {id: spring-audit, name: Free audit, starts: 2027-03-01, value_propositions: [small-team]}
      """)
def campaign_unapproved_proposition(pb, report):
    """Campaigns speak for the business in public; they may only use value propositions that
    marketing and sales have both approved."""
    for c in pb.of("campaign"):
        for index, vid in enumerate(c.value_propositions):
            vp = pb.get("proposition", vid)
            if vp and vp.status != "approved":
                yield report(c, ("value_propositions", index), f'The campaign "{c.id}" uses '
                             f'the value proposition "{vid}", which is {vp.status}, not approved.')


# Fields about what the client pays us; an advertising budget (paid to the ad platform) is not,
# and neither is a field about time or a count ("software_budget_months_away").
_BUDGET_WORDS = ("budget", "price", "fee", "retainer")
_AD_SPEND_WORDS = ("ad_budget", "ad_spend", "ads_budget")
_NOT_MONEY_TOKENS = {"months", "years", "weeks", "days", "hours", "away", "count", "number"}
_PER_UNIT_TOKENS = {"seat": "seat", "seats": "seat", "user": "user", "users": "user", "licence": "licence",
                    "license": "licence", "licenses": "licence", "licences": "licence"}


def _price_fits_field(price, field: str) -> bool:
    """Whether a budget condition on ``field`` is about an amount like ``price``: not a time or a
    count, and per seat exactly when the price is per seat."""
    tokens = field.lower().replace("-", "_").split("_")
    if _NOT_MONEY_TOKENS & set(tokens):
        return False
    field_unit = next((_PER_UNIT_TOKENS[t] for t in tokens if t in _PER_UNIT_TOKENS), None)
    return getattr(price, "unit", None) == field_unit


@rule("PB604", "campaign-offer-contradicted", W, "A campaign's offer or price contradicts a question or commitment.",
      fail="""
      qualifying_questions:
        - id: budget
          question: What can you spend with us each month?
          red_flags:
            - {text: "Less than 1,500 USD a month", when: {monthly_budget: {lt: 1500}}}
      campaigns:
        - id: starter
          name: Starter package
          starts: 2027-03-01
          price: 900 USD/month
      """, ok="""
      qualifying_questions:
        - id: budget
          question: What can you spend with us each month?
          red_flags:
            - {text: "Less than 1,500 USD a month", when: {monthly_budget: {lt: 1500}}}
      campaigns:
        - id: starter
          name: Starter package
          starts: 2027-03-01
          price: 1500 USD/month
      """)
def campaign_offer_contradicted(pb, report):
    """A campaign price that a qualifying question treats as a red flag (a budget we turn down),
    a campaign price below the price the business commits to (compared as money: the same
    currency, per the same seat or user, per month against per year converted), or a campaign
    promise beyond our commitments, brings in leads sales must then disqualify or serve at a
    loss. A price that cannot be compared with the price commitment (another currency, per seat
    against a total) is PB309. The offer's own wording is read by PB312."""
    budget_flags = []
    for q in pb.of("question"):
        for flag in q.red_flags:
            if flag.when:
                field, ops = next(iter(flag.when.items()))
                if any(w in field for w in _BUDGET_WORDS) and not any(w in field for w in _AD_SPEND_WORDS):
                    budget_flags.append((q, flag, field, to_range(ops)))
    for c in pb.of("campaign"):
        if c.price is not None:
            for q, flag, field, wanted in budget_flags:
                if _price_fits_field(c.price, field) and in_interval(c.price.amount, wanted):
                    yield report(c, ("price",), f'The campaign "{c.id}" offers {c.price}, '
                                 f'which the question "{q.id}" treats as a red flag ("{flag.text}").')
        verdict = campaign_price_verdict(pb, c)
        if verdict is not None and verdict.problem is None and verdict.exceeded is not None:
            commitment = verdict.exceeded
            yield report(c, ("price",), f'The campaign "{c.id}" offers {c.price}, less than the '
                         f'commitment "{commitment.id}" ({describe(commitment.value)}) allows.')
        for index, promise in enumerate(c.promises):
            commitment = exceeded_commitment(pb, promise.metric, promise.value, promise.commitment)
            if commitment:
                yield report(c, ("promises", index), f'The campaign promise "{promise.text}" '
                             f'({describe(promise.value)}) exceeds the commitment "{commitment.id}" '
                             f"({describe(commitment.value)}).")
