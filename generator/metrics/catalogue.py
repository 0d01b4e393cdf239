"""The metric catalogue: what a promise measures, its kind and which way is more for the client;
and the playbook's own metrics added to it."""

from __future__ import annotations

from dataclasses import dataclass


KINDS = ("duration", "cadence", "count", "money", "percentage", "set", "yes/no")

# Which value is "more" for the client, by kind; the first word is the usual one.
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "duration": ("shorter", "longer"),
    "cadence": ("more-often", "less-often"),
    "count": ("higher", "lower"),
    "money": ("lower", "higher"),
    "percentage": ("higher", "lower"),
    "set": ("superset",),
    "yes/no": ("yes", "no"),
}
ALL_DIRECTIONS = tuple(dict.fromkeys(d for ds in DIRECTIONS.values() for d in ds))

# What each kind of value looks like, for messages and the schema.
EXPECTED = {
    "duration": 'a length of time like "4h business", "2 weeks", "30 days", "1 year", "same day", '
                '"next business day" or "forever"',
    "cadence": 'how often, like "daily", "weekly", "twice a month", "every 6 months" or "quarterly"',
    "count": 'a number like "5", "40 hours a week", "24/7", "Monday–Friday 9:00–17:30" or "unlimited"',
    "money": 'an amount with its currency like "$750", "750 USD", "1,200 EUR/month" or '
             '"29 USD per seat/month"',
    "percentage": 'a percentage like "99.9%"',
    "set": 'a list like [email, phone]',
    "yes/no": '"yes" or "no"',
}


KIND_WORDS = {"duration": "a length of time", "cadence": "how often", "count": "a number",
              "money": "an amount of money", "percentage": "a percentage", "set": "a list", "yes/no": "yes or no"}
BETTER_WORDS = {"shorter": "shorter", "longer": "longer", "more-often": "more often", "less-often": "less often",
                "higher": "higher", "lower": "lower", "superset": "more of them", "yes": "yes", "no": "no"}


@dataclass(frozen=True)
class Metric:
    """A measurable promise: its name, kind, which way is more, and a label for people."""

    id: str
    kind: str
    more: str
    name: str = ""
    source: str = "catalogue"  # "catalogue" or "playbook"
    keywords: tuple[str, ...] = ()  # words that name it in prose ("trial", "reply")

    @property
    def label(self) -> str:
        return self.name or self.id.replace("_", " ")

    @property
    def kind_words(self) -> str:
        """What kind of value it is, in words: "a length of time"."""
        return KIND_WORDS[self.kind]

    @property
    def better(self) -> str:
        """Which way is better for the client, in a word or two: "longer", "more often"."""
        return BETTER_WORDS[self.more]

    @property
    def larger_is_more(self) -> bool:
        """For numeric kinds: whether a larger measured number means more for the client."""
        return self.more in ("longer", "more-often", "higher", "yes")


def _m(id, kind, more, name, keywords=""):
    return Metric(id, kind, more, name, keywords=tuple(k.strip() for k in keywords.split(",") if k.strip()))


CATALOGUE: dict[str, Metric] = {m.id: m for m in (
    # how fast: shorter is more
    _m("response_time", "duration", "shorter", "Time to reply",
       "reply, replies, replied, respond, responds, response, responses, answer, answers, answered, get back"),
    _m("first_response_time", "duration", "shorter", "Time to the first reply",
       "first reply, first response"),
    _m("incident_response_time", "duration", "shorter", "Time to act on an incident",
       "incident, incidents, outage, outages"),
    _m("acknowledgement_time", "duration", "shorter", "Time to acknowledge",
       "acknowledge, acknowledged, acknowledgement, acknowledgment"),
    _m("resolution_time", "duration", "shorter", "Time to resolve",
       "resolve, resolved, resolution, fix, fixed"),
    _m("onboarding_time", "duration", "shorter", "Time to onboard",
       "onboarding, onboard, onboarded, up and running, go live, live"),
    _m("delivery_time", "duration", "shorter", "Time to deliver",
       "deliver, delivers, delivered, delivery, ship, ships, shipped, shipping, dispatch, dispatched"),
    _m("turnaround_time", "duration", "shorter", "Turnaround time",
       "turnaround, turned around"),
    _m("contract_term", "duration", "shorter", "Minimum contract term",
       "contract, contracts, minimum term, lock-in, tie-in"),
    _m("notice_period", "duration", "shorter", "Notice period to cancel",
       "notice"),
    # how long the client is covered: longer is more
    _m("trial_period", "duration", "longer", "Free trial",
       "trial, trials, try, free for"),
    _m("return_window", "duration", "longer", "Return window",
       "return, returns, send it back"),
    _m("refund_window", "duration", "longer", "Refund window",
       "refund, refunds, money back"),
    _m("warranty", "duration", "longer", "Warranty",
       "warranty, warranties"),
    _m("guarantee_period", "duration", "longer", "Guarantee period",
       "guarantee, guaranteed"),
    _m("payment_terms", "duration", "longer", "Time to pay an invoice",
       "payment terms, to pay"),
    _m("data_retention", "duration", "longer", "How long data is kept",
       "retention, retained, kept for, stored for"),
    # how often: more often is more
    _m("meeting_cadence", "cadence", "more-often", "Meetings",
       "meeting, meetings, meet, call, calls, check-in, check-ins, review, reviews"),
    _m("reporting_cadence", "cadence", "more-often", "Reports",
       "report, reports, reporting"),
    _m("contact_cadence", "cadence", "more-often", "Contact",
       "contact, touch base"),
    _m("update_cadence", "cadence", "more-often", "Updates",
       "update, updates"),
    # how much: larger is more
    _m("support_hours", "count", "higher", "Support hours a week",
       "support, helpdesk, help desk"),
    _m("revisions", "count", "higher", "Revisions included",
       "revision, revisions, rounds of changes"),
    _m("included_users", "count", "higher", "Users included",
       "user, users, seat, seats, team member, team members, login, logins"),
    # what it costs: lower is more
    _m("price", "money", "lower", "Price",
       "price, prices, priced, cost, costs, pay, for, at, only, just, from"),
    _m("fee", "money", "lower", "Fee",
       "fee, fees"),
    _m("management_fee", "money", "lower", "Management fee",
       "management fee"),
    _m("setup_fee", "money", "lower", "Set-up fee",
       "set-up fee, setup fee, set up fee"),
    _m("minimum_spend", "money", "lower", "Minimum spend",
       "minimum spend"),
    # percentages: higher is more
    _m("uptime", "percentage", "higher", "Uptime",
       "uptime, availability, available"),
    _m("discount", "percentage", "higher", "Discount",
       "discount, discounts, off"),
    _m("service_credit", "percentage", "higher", "Service credit",
       "service credit, credit"),
    # sets: a superset is more
    _m("channels", "set", "superset", "Contact channels"),
    _m("languages", "set", "superset", "Languages"),
    # yes/no: yes is more
    _m("dedicated_contact", "yes/no", "yes", "A named person to talk to"),
    _m("money_back_guarantee", "yes/no", "yes", "Money-back guarantee"),
    _m("free_shipping", "yes/no", "yes", "Free shipping"),
)}


def registry(declared=()) -> dict[str, Metric]:
    """The catalogue with the playbook's own declarations added or overriding it."""
    out = dict(CATALOGUE)
    for d in declared:
        own = tuple(k.strip() for k in (getattr(d, "keywords", None) or ()) if k and k.strip())
        inherited = CATALOGUE[d.id].keywords if d.id in CATALOGUE and CATALOGUE[d.id].kind == d.kind else ()
        out[d.id] = Metric(d.id, d.kind, d.more or DIRECTIONS[d.kind][0], d.name or "", "playbook",
                           own or inherited)
    return out


def describe_direction(metric: Metric) -> str:
    return {"shorter": "a shorter time is more", "longer": "a longer time is more",
            "more-often": "more often is more", "less-often": "less often is more",
            "higher": "a higher number is more", "lower": "a lower amount is more",
            "superset": "more items is more", "yes": '"yes" is more', "no": '"no" is more'}[metric.more]
