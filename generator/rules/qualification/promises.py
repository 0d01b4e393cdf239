"""What we promise versus what we ask and expect: every promise, answer, expectation, red flag and
statement is compared with the service commitment of its metric."""

from __future__ import annotations

from ...findings import Severity
from ...metrics import CATALOGUE, describe_direction
from ...units import describe
from .._util import (as_clause, campaign_price_verdict, commitment_of, exceeded_commitment, judge, metric_words,
                     promise_verdicts, prose_promises, show_value, unknown_metric_message, unreadable_commitments)
from ..registry import rule

E, W = Severity.ERROR, Severity.WARNING


@rule("PB304", "unprobed-commitment", W, "No question checks a prospect's view of a service commitment.",
      fail="""
      service_commitments:
        - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly}
      """, ok="""
      service_commitments:
        - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly}
      qualifying_questions:
        - id: relationship
          question: If we worked together, what do you think that relationship should look like?
          probes: [reporting]
      """)
def unprobed_commitment(pb, report):
    """Deal alignment means checking, before the sale, that what the prospect expects matches
    how we actually work. Each service commitment (response time, reporting, meetings) should
    be probed by at least one qualifying question."""
    probed = {c for q in pb.of("question") for c in q.probes}
    for c in pb.of("commitment"):
        if c.id not in probed:
            yield report(c, ("id",), f'No qualifying question probes the commitment '
                             f'"{c.id}" ({c.metric}: {describe(c.value)}); add it to a question\'s "probes".')


@rule("PB305", "answer-exceeds-commitment", E, "A question accepts an answer we cannot deliver.",
      fail="""
      service_commitments:
        - {id: meetings, name: Monthly strategy call, metric: meeting_cadence, value: monthly}
      qualifying_questions:
        - id: relationship
          question: How often would you like to meet?
          probes: [meetings]
          acceptable:
            - {text: Daily calls, metric: meeting_cadence, value: daily}
      """, ok="""
      service_commitments:
        - {id: meetings, name: Monthly strategy call, metric: meeting_cadence, value: monthly}
      qualifying_questions:
        - id: relationship
          question: How often would you like to meet?
          probes: [meetings]
          acceptable:
            - {text: Once a month is plenty, metric: meeting_cadence, value: monthly}
          red_flags:
            - {text: Daily calls, metric: meeting_cadence, value: daily}
      """)
def answer_exceeds_commitment(pb, report):
    """An acceptable answer must be something we can deliver. Accepting "daily calls" when we
    meet monthly signs a client whose expectations we will break."""
    for q in pb.of("question"):
        for index, answer in enumerate(q.acceptable):
            if answer.metric is None and answer.value is None:
                continue
            probed = q.probes[0] if (answer.metric is None and q.probes) else None
            c = exceeded_commitment(pb, answer.metric, answer.value, probed)
            if c:
                yield report(q, ("acceptable", index), f'The question "{q.id}" accepts '
                                 f'"{answer.text}" ({describe(answer.value)}), more than the commitment '
                                 f'"{c.id}" ({describe(c.value)}); move it to red_flags.')


@rule("PB306", "expectation-gap", W, "A buyer persona expects more than we commit to.",
      fail="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      expectations:
        - {text: Answers within two hours, metric: response_time, value: 2h}
      # file: definitions/commitments.yaml
      service_commitments:
        - {id: first-response, name: First response, metric: response_time, value: 1d business}
      """, ok="""
      # file: personas/erin.yaml
      id: erin
      name: Erin
      expectations:
        - {text: An answer within two working days, metric: response_time, value: 2d business}
      # file: definitions/commitments.yaml
      service_commitments:
        - {id: first-response, name: First response, metric: response_time, value: 1d business}
      """)
def expectation_gap(pb, report):
    """When a buyer persona (someone we want) expects more than our service commitments give,
    every deal with that persona starts misaligned. The gap is shown on the persona's page; fix
    the persona, the commitment, or what sales says about it."""
    for persona in pb.personas:
        if persona.kind != "buyer":
            continue
        for index, exp in enumerate(persona.expectations):
            c = exceeded_commitment(pb, exp.metric, exp.value, exp.commitment)
            if c:
                yield report(persona, ("expectations", index),
                                 f'The persona "{persona.id}" expects "{exp.text}" ({describe(exp.value)}) '
                                 f'but the commitment "{c.id}" is {describe(c.value)}.')


def _catalogue_text() -> str:
    rows = [f"    - {m.id}: {m.kind}, {describe_direction(m)} ({m.label})"
            + (f"; in prose: {', '.join(m.keywords)}" if m.keywords else "") for m in CATALOGUE.values()]
    return "\n".join(rows)


def unknown_metric(pb, report):
    yield from _metric_findings(pb, report)
    for c in pb.of("commitment"):
        if c.metric not in pb.metrics and c.metric not in pb.known_ids["metric"]:
            yield report(c, ("metric",), unknown_metric_message(pb, c.metric, f'the commitment "{c.id}"'))


unknown_metric.__doc__ = """Every expectation, answer, claim, remedy and campaign promise that names a metric is
    compared with the service commitment of that metric, through the metric's kind (duration,
    cadence, count, money, percentage, set, yes/no) and its direction: which value is more for
    the client. A shorter reply time is more, but a longer trial, warranty or return window is
    more. A metric that is neither in the catalogue below nor declared in the playbook's own
    ``metrics:`` section (a misspelling such as respone_time) is compared with nothing, so the
    promise would go unchecked. Declare a metric of your business once, next to its commitments;
    a declaration with a catalogue name replaces the catalogue's:

        metrics:
          - {id: fitting_time, name: Time to fit a chair, kind: duration, more: shorter}

    The catalogue:

    """ + _catalogue_text().lstrip()

rule("PB307", "unknown-metric", E, "A promise or commitment names a metric nobody declares.",
     fail="""
     # file: personas/erin.yaml
     id: erin
     name: Erin
     expectations:
       - {text: An answer within two days, metric: respone_time, value: 2d business}
     # file: definitions/commitments.yaml
     service_commitments:
       - {id: first-response, name: First response, metric: response_time, value: 1d business}
     """, ok="""
     # file: personas/erin.yaml
     id: erin
     name: Erin
     expectations:
       - {text: An answer within two days, metric: response_time, value: 2d business}
       - {text: A chair fitted within a week, metric: fitting_time, value: 1w}
     # file: definitions/commitments.yaml
     metrics:
       - {id: fitting_time, name: Time to fit a chair, kind: duration, more: shorter}
     service_commitments:
       - {id: first-response, name: First response, metric: response_time, value: 1d business}
       - {id: fitting, name: Fitting within five days, metric: fitting_time, value: 5d}
     """)(unknown_metric)


def _metric_findings(pb, report):
    """The promise verdicts whose problem is ``report``'s rule, reported under it."""
    for entity, path, item, verdict in promise_verdicts(pb):
        if verdict.problem and verdict.problem[0] == report.code:
            _, sub, message = verdict.problem
            yield report(entity, path + sub, message)


@rule("PB308", "commitment-metric-mismatch", E, "A promise names a commitment that measures something else.",
      fail="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
        - {id: delivery, name: Delivery in five business days, metric: delivery_time, value: 5d business}
      value_propositions:
        - id: try-at-home
          name: Try it at home
          statement: Sit on it for a month before you decide.
          claims:
            - {text: A 30-day home trial, metric: trial_period, value: 30d, commitment: delivery}
      """, ok="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
        - {id: delivery, name: Delivery in five business days, metric: delivery_time, value: 5d business}
      value_propositions:
        - id: try-at-home
          name: Try it at home
          statement: Sit on it for a month before you decide.
          claims:
            - {text: A 30-day home trial, metric: trial_period, value: 30d, commitment: free-trial}
      """)
def commitment_metric_mismatch(pb, report):
    """A promise that names both a metric and a commitment is compared with that commitment. If
    the commitment measures something else (a trial claim pointing at the delivery commitment),
    a trial would be compared with a delivery time and the answer would mean nothing. Name the
    commitment of the same metric."""
    yield from _metric_findings(pb, report)


@rule("PB309", "uncomparable-value", W, "A promise's value cannot be compared with its commitment.",
      fail="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
      qualifying_questions:
        - id: trial
          question: How long would you like to try the chair at home?
          probes: [free-trial]
          acceptable:
            - {text: A few weeks, metric: trial_period, value: a while}
      """, ok="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
      qualifying_questions:
        - id: trial
          question: How long would you like to try the chair at home?
          probes: [free-trial]
          acceptable:
            - {text: A few weeks, metric: trial_period, value: 3 weeks}
          red_flags:
            - {text: Free returns whenever I like, metric: trial_period, value: forever}
      """)
def uncomparable_value(pb, report):
    """Values are read as people write them: durations ("4h business", "2 weeks", "12 months",
    "1 year", "same day", "next business day", "within the hour", "forever", "unlimited",
    "lifetime"), cadences ("weekly", "twice a month", "every 6 months"), counts ("5", "24/7",
    "Monday–Friday 9:00–17:30", "unlimited"), money ("$750", "750 USD", "1,200 EUR/month", "29 USD
    per seat/month"), percentages ("99.9%"), sets ([email, phone]) and yes/no. "Same day" counts
    as half a business day: more than "next business day", less than "within the hour".

    A value that cannot be read for its metric, a commitment value that cannot be read when a
    promise is compared with it, money in two currencies or per different units, and a metric no
    commitment measures are each reported here, saying what is expected: the checker never stays
    silent about a promise it could not compare. Red flags are read too, but never reported as
    asking too much: that is what they are for (PB310 reports one that asks no more than we
    deliver). A campaign's price is compared with the price commitment in the same way."""
    yield from _metric_findings(pb, report)
    for c in pb.of("campaign"):
        verdict = campaign_price_verdict(pb, c)
        if verdict is not None and verdict.problem is not None and verdict.problem[0] == "PB309":
            yield report(c, ("price",), verdict.problem[2])


@rule("PB310", "red-flag-within-commitment", W, "A red flag asks no more than we already deliver.",
      fail="""
      service_commitments:
        - {id: first-response, name: Replies within one business day, metric: response_time, value: 1d business}
      qualifying_questions:
        - id: response
          question: How quickly do you expect a reply?
          probes: [first-response]
          red_flags:
            - {text: Replies within two days, metric: response_time, value: 2d business}
      """, ok="""
      service_commitments:
        - {id: first-response, name: Replies within one business day, metric: response_time, value: 1d business}
      qualifying_questions:
        - id: response
          question: How quickly do you expect a reply?
          probes: [first-response]
          acceptable:
            - {text: Replies within two days, metric: response_time, value: 2d business}
          red_flags:
            - {text: Replies within the hour, metric: response_time, value: within the hour}
      """)
def red_flag_within_commitment(pb, report):
    """A red flag with a metric and a value says "a prospect who wants this is one we cannot
    serve". When the commitment of that metric already delivers it (a red flag for a two-day
    reply when we reply within one business day, or for a 14-day trial when the trial is 30
    days), sales turns away clients we can serve, and the question contradicts the commitment.
    Move the answer to acceptable, or correct its value."""
    for q in pb.of("question"):
        for index, flag in enumerate(q.red_flags):
            if flag.value is None:
                continue
            verdict = judge(pb, flag.metric, flag.value, commitment_of(q, flag))
            c = verdict.within
            if c is not None and verdict.problem is None:
                yield report(q, ("red_flags", index),
                             f'The question "{q.id}" treats "{flag.text}" ({describe(flag.value)}) as a red '
                             f'flag, but the commitment "{c.id}" ({describe(c.value)}) already delivers that; '
                             "move it to acceptable or correct its value.")


@rule("PB311", "unreadable-commitment", W, "A commitment's value cannot be read as its metric.",
      fail="""
      service_commitments:
        - {id: free-trial, name: A generous home trial, metric: trial_period, value: a good while}
      """, ok="""
      service_commitments:
        - id: free-trial
          name: A generous home trial
          metric: trial_period
          value: 30 days
          details: A good while to live with the chair; we collect it for free.
      """)
def unreadable_commitment(pb, report):
    """A service commitment is what every expectation, answer, claim, remedy and campaign promise
    of its metric is compared with. When its value cannot be read as the metric's kind (a trial
    period of "a good while", a price of "39 USD a seat, or 390 a year"), nothing is compared
    with it, so every promise on that metric goes unchecked. The commitment is reported once,
    here, saying what is expected; the promises that would be compared with it are not
    reported again. Put one value the checker can read in ``value`` and the rest in
    ``details``; a business with two prices or two terms writes two commitments."""
    for c, metric, reason in unreadable_commitments(pb):
        yield report(c, ("value",), f'The commitment "{c.id}" cannot be compared with any promise: '
                     f'for {metric_words(metric)} '
                     f'({metric.kind}), "{show_value(c.value)}" {as_clause(reason)}, and put the rest in its details.')


@rule("PB312", "prose-promise-exceeds-commitment", W, "A statement, offer or remedy promises more in words than we commit to.",
      fail="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
      value_propositions:
        - id: try-at-home
          name: Try it at home
          statement: Sit on it every day with a 60-day home trial, and send it back if it is not for you.
      """, ok="""
      service_commitments:
        - {id: free-trial, name: A 30-day home trial, metric: trial_period, value: 30d}
      value_propositions:
        - id: try-at-home
          name: Try it at home
          statement: Sit on it every day with a 14-day home trial, and send it back if it is not for you.
      """)
def prose_promise_exceeds_commitment(pb, report):
    """Value-proposition statements (and their marketing and sales wording), campaign offers,
    and the text of claims, remedies and campaign promises that give no value of their own are
    prose, but prose promises too: "a 60-day home trial" against a 30-day trial commitment is
    the same broken promise as a claim of 60 days. Such prose is read as a claim and compared
    with the commitment through the metric's kind and direction, so a weaker promise (a 14-day
    trial, a reply within two days against one business day) is never reported.

    How prose is read: within one clause (sentences split at . ; ! ? and dashes), a value of a
    metric's kind (a number and a unit of time such as "60-day" or "five business days", "same
    day", "within the hour", "lifetime"; a percentage; an amount with its currency such as "29
    USD a seat a month"; a cadence such as "quarterly" or "twice a month"; a number right before
    what it counts, "5 revisions", or "24/7") stands at most four words from one of the metric's
    keywords ("trial", "reply", "uptime", "warranty", "discount", "off" ...). Small words (a,
    the, within, every ...) are not counted; a comma counts as three words. The nearest keyword
    decides the metric. ``playbook rule PB307`` lists each catalogue metric; a metric declared in
    the playbook names its own words with ``keywords:`` (a catalogue metric it overrides keeps
    the catalogue's unless it names its own).

    Limits: only metrics some commitment measures are read; sets (channels) and yes/no metrics
    are not read from prose; a value after "no", "not", "never", "without", "unlike",
    "instead of", "beyond", "than", "was", "save" or "worth" is taken as not promised; a value
    that cannot be compared with the commitment (money per seat against per month, another
    currency) is left alone, as is proof (proof points, FAQ answers) and the glossary (PB703).
    Numbers written as words are read for one to twelve, fourteen, fifteen, twenty, thirty, sixty
    and ninety; others need digits. Where the heuristic misreads a sentence,
    suppress the finding on its line with the reason, or write the promise as a structured
    claim."""
    for entity, path, who, text, promise, c in prose_promises(pb):
        shown = "" if promise.value.lower() in promise.phrase.lower() else f" ({promise.value})"
        said = f"{who}{shown} promises" if " ".join(text.split()) == promise.phrase else \
            f'{who} says "{promise.phrase}"{shown},'
        yield report(entity, path, f'{said} more than the commitment "{c.id}" ({describe(c.value)}) '
                     f"for {metric_words(promise.metric)}; make the wording agree with the commitment.")
