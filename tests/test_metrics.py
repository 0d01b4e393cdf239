"""Metrics are data: each promise is compared through its metric's kind and direction.

A small online shop selling ergonomic chairs (a 30-day home trial, delivery within five business
days, email replies within a business day) is the playbook these tests seed mistakes into; it is
a business the checker's example does not know.
"""

from __future__ import annotations

import json
import math
import random

import pytest

from generator.metrics import CATALOGUE, DIRECTIONS, KINDS, Measured, Unreadable, asks_more, exceeds, read
from generator.schema import schemas

from conftest import git
from test_diff import edit, run as run_diff

COMMITMENTS = """
service_commitments:
  - id: home-trial
    name: A 30-day home trial, free returns
    metric: trial_period
    value: 30d
  - id: delivery
    name: Delivery within five business days
    metric: delivery_time
    value: 5d business
  - id: email-replies
    name: Email replies within one business day
    metric: response_time
    value: 1d business
  - id: warranty
    name: A five-year warranty on the frame
    metric: warranty
    value: 5 years
  - id: price
    name: Chairs from 750 USD
    metric: price
    value: 750 USD
  - id: advice-hours
    name: Fitting advice Monday to Friday, nine to five
    metric: support_hours
    value: Monday–Friday 9:00–17:00
"""

QUESTION = """
qualifying_questions:
  - id: trial
    question: How long would you like to try the chair at home?
    probes: [home-trial]
    acceptable:
      - {{text: An answer, metric: trial_period, value: "{value}"}}
"""


def _chair_shop(check_files, **files):
    base = {"definitions/service-commitments.yaml": COMMITMENTS}
    base.update(files)
    result = check_files(base)
    return {(f.code, f.location.path, f.location.line) for f in result.findings}, result


def _metric_codes(found):
    keep = {"PB305", "PB306", "PB307", "PB308", "PB309", "PB310", "PB311", "PB312", "PB405", "PB510", "PB604"}
    return {f for f in found if f[0] in keep}


# ---------------------------------------------------------------- values people write


@pytest.mark.parametrize("metric, text, number", [
    ("trial_period", "30d", 720), ("trial_period", "30 days", 720), ("trial_period", "2 weeks", 336),
    ("trial_period", "1 year", 8760), ("trial_period", "1y", 8760), ("trial_period", "12 months", 8760),
    ("trial_period", "365d", 8760), ("trial_period", "60-day", 1440), ("trial_period", "forever", math.inf),
    ("trial_period", "unlimited", math.inf), ("trial_period", "lifetime", math.inf),
    ("warranty", "five years", 5 * 8760),
    ("response_time", "within the hour", 1), ("response_time", "an hour", 1), ("response_time", "2h", 2),
    ("response_time", "within 24 hours", 24), ("response_time", "next day", 24),
    ("response_time", "next business day", 24 * 7 / 5), ("response_time", "1d business", 24 * 7 / 5),
    ("response_time", "same day", 4 * 24 * 7 / 5 / 8), ("response_time", "same-day", 4 * 24 * 7 / 5 / 8),
    ("response_time", "immediately", 0), ("response_time", "by tomorrow", 24),
    ("trial_period", "a fortnight", 336), ("trial_period", "90 minutes", 1.5),
    ("meeting_cadence", "weekly", 52), ("meeting_cadence", "twice a month", 24),
    ("meeting_cadence", "every 6 months", 2), ("meeting_cadence", "once a quarter", 4),
    ("meeting_cadence", "every other week", 26),
    ("support_hours", "24/7", 168), ("support_hours", "40 hours a week", 40),
    ("support_hours", "Monday–Friday 9:00–17:30 US Central, except US public holidays", 42.5),
    ("support_hours", "Mon-Fri 9am-5pm", 40), ("support_hours", "unlimited", math.inf),
    ("revisions", "3", 3), ("revisions", "three rounds", 3),
    ("uptime", "99.9%", 99.9), ("uptime", "99.95 percent", 99.95),
    ("dedicated_contact", "yes", 1), ("dedicated_contact", "no", 0),
])
def test_values_people_write_are_read(metric, text, number):
    measured = read(CATALOGUE[metric], text)
    assert isinstance(measured, Measured), measured
    assert measured.number == pytest.approx(number)


@pytest.mark.parametrize("text, amount, currency, per, unit", [
    ("$750", 750, "USD", None, None), ("750 USD", 750, "USD", None, None),
    ("1,200 EUR", 1200, "EUR", None, None), ("€1,200/month", 1200, "EUR", "month", None),
    ("from 2000 USD/month", 2000, "USD", "month", None), ("29 USD per seat/month", 29, "USD", "month", "seat"),
    ("39 USD per seat per month", 39, "USD", "month", "seat"), ("900 USD monthly", 900, "USD", "month", None),
    ("free", 0, None, None, None),
])
def test_money_is_read_with_currency_period_and_unit(text, amount, currency, per, unit):
    measured = read(CATALOGUE["price"], text)
    assert (measured.number, measured.currency, measured.per, measured.unit) == (amount, currency, per, unit)


@pytest.mark.parametrize("metric, text, expected", [
    ("trial_period", "a while", "is not a duration"),
    ("response_time", "3 months, then rolling monthly", "is not a duration"),
    ("meeting_cadence", "when needed", "is not a cadence"),
    ("uptime", "99.9", 'has no "%"'),
    ("price", "750", "is not a money"),
    ("price", "1 USD per banana", "is not a money"),
    ("dedicated_contact", "maybe", "is not a yes/no"),
    ("response_time", ["1h", "2h"], "is a list"),
])
def test_unreadable_values_say_what_is_expected(metric, text, expected):
    outcome = read(CATALOGUE[metric], text)
    assert isinstance(outcome, Unreadable)
    assert expected in outcome.reason and "write" in outcome.reason


def test_no_value_gives_a_traceback():
    rng = random.Random(10)
    pieces = ["1", "0", "99", "1,200", "$", "€", "USD", "per", "seat", "/", "month", "day", "business", "-",
              "–", "9:00", "17:30", "Mon", "Fri", "every", "twice", "a", "same", "next", "%", "forever",
              "within", "the", "hour", "", " ", "x", "24/7", "0.5", "1e309", "99999999999999999999"]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        for metric in CATALOGUE.values():
            outcome = read(metric, text)
            assert isinstance(outcome, (Measured, Unreadable))
            if isinstance(outcome, Measured) and outcome.kind != "set":
                committed = read(metric, "1")
                if isinstance(committed, Measured):
                    exceeds(metric, outcome, committed)


# ---------------------------------------------------------------- which way is more


def _more(metric, asked, committed):
    return asks_more(CATALOGUE[metric], asked, committed)


@pytest.mark.parametrize("asked", ["60d", "forever", "365d", "1y", "unlimited", "1 year", "12 months", "31 days"])
def test_a_longer_trial_asks_more(asked):
    assert _more("trial_period", asked, "30d") is True


@pytest.mark.parametrize("asked", ["14d", "2 weeks", "30 days", "1 month", "4 weeks", "7d"])
def test_a_shorter_or_equal_trial_asks_no_more(asked):
    assert _more("trial_period", asked, "30d") is False


@pytest.mark.parametrize("metric, asked, committed, more", [
    ("response_time", "same day", "1d business", True),
    ("response_time", "next business day", "1d business", False),
    ("response_time", "within the hour", "4h business", True),
    ("response_time", "forever", "1d business", False),
    ("return_window", "60 days", "30 days", True), ("return_window", "2 weeks", "30 days", False),
    ("warranty", "lifetime", "5 years", True), ("warranty", "2 years", "5 years", False),
    ("contract_term", "1 month", "3 months", True), ("contract_term", "12 months", "3 months", False),
    ("contract_term", "12 months", "1 year", False), ("contract_term", "1 year", "12 months", False),
    ("contract_term", "30 days", "1 month", False), ("trial_period", "1 month", "30 days", False),
    ("meeting_cadence", "weekly", "monthly", True), ("meeting_cadence", "quarterly", "monthly", False),
    ("price", "$500", "750 USD", True), ("price", "$900", "750 USD", False), ("price", "free", "750 USD", True),
    ("price", "80 USD/month", "1000 USD/year", True), ("price", "100 USD/month", "1000 USD/year", False),
    ("uptime", "99.99%", "99.9%", True), ("uptime", "99.5%", "99.9%", False),
    ("support_hours", "24/7", "Monday–Friday 9:00–17:30", True),
    ("support_hours", "Mon-Fri 10:00-16:00", "Monday–Friday 9:00–17:30", False),
    ("channels", ["email", "phone"], ["email", "chat"], True), ("channels", ["email"], ["email", "chat"], False),
    ("dedicated_contact", "yes", "no", True), ("dedicated_contact", "no", "yes", False),
])
def test_more_follows_the_metric_direction(metric, asked, committed, more):
    assert _more(metric, asked, committed) is more


def test_money_in_two_currencies_or_units_does_not_compare():
    price = CATALOGUE["price"]
    assert exceeds(price, read(price, "$750"), read(price, "1,200 EUR")) == "one is in USD and the other in EUR"
    assert "per seat" in exceeds(price, read(price, "29 USD per seat/month"), read(price, "750 USD/month"))
    assert "one-off" in exceeds(price, read(price, "750 USD"), read(price, "750 USD/month"))


def test_every_catalogue_metric_has_a_kind_and_a_direction_of_that_kind():
    assert set(KINDS) == {m.kind for m in CATALOGUE.values()}
    for metric in CATALOGUE.values():
        assert metric.more in DIRECTIONS[metric.kind], metric
    for name in ("response_time", "resolution_time", "acknowledgement_time", "onboarding_time", "delivery_time",
                 "trial_period", "return_window", "warranty", "meeting_cadence", "reporting_cadence",
                 "channels", "support_hours", "price", "fee", "contract_term", "uptime"):
        assert name in CATALOGUE


# ---------------------------------------------------------------- the rules on a new business


@pytest.mark.parametrize("value", ["forever", "365d", "1y", "unlimited", "60 days", "1 year", "12 months"])
def test_accepting_more_trial_than_committed_is_pb305(check_files, value):
    found, result = _chair_shop(check_files, **{"definitions/questions.yaml": QUESTION.format(value=value)})
    assert _metric_codes(found) == {("PB305", "definitions/questions.yaml", 6)}
    message = next(f.message for f in result.findings if f.code == "PB305")
    assert message == (f'The question "trial" accepts "An answer" ({value}), more than the commitment '
                       '"home-trial" (30d); move it to red_flags.')


@pytest.mark.parametrize("value", ["14d", "2 weeks", "30 days", "7 days"])
def test_accepting_a_shorter_trial_is_fine(check_files, value):
    found, _ = _chair_shop(check_files, **{"definitions/questions.yaml": QUESTION.format(value=value)})
    assert _metric_codes(found) == set()


CLAIM = """
value_propositions:
  - id: try-at-home
    name: Try it at home
    statement: Sit on it for a month before you decide.
    claims:
      - {{text: A trial at home, metric: trial_period, value: {value}}}
"""


def test_claiming_a_longer_trial_is_pb405_and_a_shorter_one_is_not(check_files):
    found, result = _chair_shop(check_files, **{"definitions/vp.yaml": CLAIM.format(value="60d")})
    assert _metric_codes(found) == {("PB405", "definitions/vp.yaml", 6)}
    assert next(f.message for f in result.findings if f.code == "PB405") == (
        'The claim "A trial at home" (60d) promises more than the commitment "home-trial" (30d).')
    found, _ = _chair_shop(check_files, **{"definitions/vp.yaml": CLAIM.format(value="14d")})
    assert _metric_codes(found) == set()


PERSONA = """
id: erin
name: Erin
expectations:
  - {{text: Expected, metric: {metric}, value: {value}}}
"""


@pytest.mark.parametrize("metric, value, code", [
    ("response_time", "same day", "PB306"), ("response_time", "same-day", "PB306"),
    ("response_time", "within the hour", "PB306"), ("response_time", "next business day", None),
    ("warranty", "lifetime", "PB306"), ("warranty", "2 years", None),
    ("price", "$500", "PB306"), ("price", "$900", None),
    ("support_hours", "24/7", "PB306"), ("support_hours", "Mon-Fri 10-16", None),
    ("delivery_time", "next day", "PB306"), ("delivery_time", "2 weeks", None),
])
def test_persona_expectations_are_compared_by_direction(check_files, metric, value, code):
    found, _ = _chair_shop(check_files, **{"personas/erin.yaml": PERSONA.format(metric=metric, value=value)})
    assert _metric_codes(found) == ({(code, "personas/erin.yaml", 4)} if code else set())


def test_a_misspelt_metric_is_pb307_with_did_you_mean(check_files):
    found, result = _chair_shop(check_files, **{"personas/erin.yaml": PERSONA.format(
        metric="respone_time", value="same day")})
    assert _metric_codes(found) == {("PB307", "personas/erin.yaml", 4)}
    finding = next(f for f in result.findings if f.code == "PB307")
    assert finding.location.col == 30
    assert finding.message == (
        'The expectation "Expected" names the metric "respone_time", which is neither in the catalogue nor '
        'declared under metrics:, so it is compared with nothing. Did you mean "response_time"? Otherwise '
        "declare it under metrics: with its kind and which value is more for the client.")


def test_a_commitment_with_an_undeclared_metric_is_pb307(check_files):
    found, result = _chair_shop(check_files, **{"definitions/more.yaml": """
        service_commitments:
          - {id: fitting-visit, name: A fitting visit, metric: fiting_visit, value: 1w}
        value_propositions:
          - id: fitted
            name: Fitted
            statement: A chair that fits.
            claims:
              - {text: A fitting visit within a day, value: 1d, commitment: fitting-visit}
        """})
    # reported once, where the metric is named, not again at the claim that only names the commitment
    assert _metric_codes(found) == {("PB307", "definitions/more.yaml", 2)}


def test_a_declared_metric_is_compared_and_a_declaration_overrides_the_catalogue(check_files):
    declared = """
        metrics:
          - {id: fitting_time, name: Time to fit a chair, kind: duration, more: shorter}
          - {id: contract_term, name: Price lock, kind: duration, more: longer}
        service_commitments:
          - {id: fitting, name: Fitted within a week, metric: fitting_time, value: 1w}
          - {id: price-lock, name: Prices locked for a year, metric: contract_term, value: 12 months}
        value_propositions:
          - id: fitted
            name: Fitted fast
            statement: A chair that fits.
            claims:
              - {text: Fitted in two days, metric: fitting_time, value: 2d}
              - {text: Prices locked for two years, metric: contract_term, value: 2 years}
              - {text: Prices locked for six months, metric: contract_term, value: 6 months}
        """
    found, _ = _chair_shop(check_files, **{"definitions/more.yaml": declared})
    assert _metric_codes(found) == {("PB405", "definitions/more.yaml", 12), ("PB405", "definitions/more.yaml", 13)}


def test_a_declaration_whose_direction_does_not_fit_its_kind_is_located(check_files):
    found, result = _chair_shop(check_files, **{"definitions/more.yaml": """
        metrics:
          - {id: fitting_time, kind: duration, more: higher}
          - {id: assembly_time, kind: duration, more: shorter}
          - {id: colours, kind: palette}
        service_commitments:
          - {id: fitting, name: Fitted within a week, metric: fitting_time, value: 1w}
          - {id: assembly, name: Assembled within a day, metric: assembly_time, value: 1d}
        value_propositions:
          - id: fitted
            name: Fitted fast
            statement: A chair that fits.
            claims:
              - {text: Fitted in two days, metric: fitting_time, value: 2d}
              - {text: Assembled in an hour, metric: assembly_time, value: 1h}
        """})
    # each declaration stands alone: the valid one is compared, the invalid ones are reported once
    assert {f for f in found if f[0] in ("PB010", "PB307", "PB405")} == {
        ("PB010", "definitions/more.yaml", 2), ("PB010", "definitions/more.yaml", 4),
        ("PB405", "definitions/more.yaml", 14)}
    messages = [f.message for f in result.findings if f.code == "PB010"]
    assert 'In the metric declaration "fitting_time", "more" is "higher", which is not a direction of a duration; ' \
        "use shorter or longer." in messages
    assert any("should be one of: duration, cadence, count, money, percentage, set or yes/no" in m for m in messages)


def test_a_promise_naming_a_commitment_of_another_metric_is_pb308(check_files):
    found, result = _chair_shop(check_files, **{"definitions/vp.yaml": """
        value_propositions:
          - id: try-at-home
            name: Try it at home
            statement: Sit on it for a month before you decide.
            claims:
              - {text: A 30-day home trial, metric: trial_period, value: 30d, commitment: delivery}
        """})
    assert _metric_codes(found) == {("PB308", "definitions/vp.yaml", 6)}
    assert next(f.message for f in result.findings if f.code == "PB308") == (
        'The claim "A 30-day home trial" measures trial_period, but the commitment "delivery" it names measures '
        'delivery_time; name a commitment of trial_period (did you mean "home-trial"?) or correct the metric.')


def test_values_that_cannot_be_compared_are_pb309_saying_why(check_files):
    files = {
        "definitions/vp.yaml": """
            value_propositions:
              - id: quick
                name: Quick
                statement: Quick answers.
                claims:
                  - {text: Quick answers, metric: response_time, value: pretty quickly}
                  - {text: Cheap, metric: price, value: 1200 EUR}
                  - {text: Loads of uptime, metric: uptime, value: 99.9%}
            """,
        "definitions/more.yaml": """
            service_commitments:
              - {id: term, name: Three months then rolling, metric: contract_term, value: "3 months, then rolling"}
            qualifying_questions:
              - id: term
                question: How long would you sign for?
                probes: [term]
                acceptable:
                  - {text: A month, metric: contract_term, value: 1 month}
                red_flags:
                  - {text: Whatever, metric: contract_term, value: whenever-ish}
                  - {text: Forever and ever, metric: trial_period, value: forever}
            """,
    }
    found, result = _chair_shop(check_files, **files)
    # the answer compared with the unreadable commitment is not reported again: PB311 says it once
    assert _metric_codes(found) == {
        ("PB309", "definitions/vp.yaml", 6), ("PB309", "definitions/vp.yaml", 7),
        ("PB309", "definitions/vp.yaml", 8), ("PB311", "definitions/more.yaml", 2),
        ("PB309", "definitions/more.yaml", 10)}
    assert [f.message for f in result.findings if f.code == "PB311"] == [
        'The commitment "term" cannot be compared with any promise: for minimum contract term (duration), '
        '"3 months, then rolling" is not a duration; write a length of time like "4h business", "2 weeks", '
        '"30 days", "1 year", "same day", "next business day" or "forever", and put the rest in its details.']
    messages = sorted(f.message for f in result.findings if f.code == "PB309")
    assert messages == sorted([
        'The claim "Quick answers" cannot be compared: for response_time, "pretty quickly" is not a duration; '
        'write a length of time like "4h business", "2 weeks", "30 days", "1 year", "same day", '
        '"next business day" or "forever".',
        'The claim "Cheap" cannot be compared with the commitment "price" (750 USD): one is in EUR and the '
        "other in USD. Write both the same way.",
        'The claim "Loads of uptime" cannot be compared: no service commitment measures uptime. Add the '
        "commitment, or remove the metric if the business promises nothing on it.",
        'The red flag "Whatever" cannot be compared: for contract_term, "whenever-ish" is not a duration; '
        'write a length of time like "4h business", "2 weeks", "30 days", "1 year", "same day", '
        '"next business day" or "forever".',
    ])


RED_FLAG = """
qualifying_questions:
  - id: trial
    question: How long would you like to try the chair at home?
    probes: [home-trial]
    red_flags:
      - {{text: A red flag, metric: trial_period, value: {value}}}
"""


@pytest.mark.parametrize("value", ["forever", "365d", "1y", "unlimited", "60 days"])
def test_a_red_flag_asking_more_is_not_reported(check_files, value):
    found, _ = _chair_shop(check_files, **{"definitions/questions.yaml": RED_FLAG.format(value=value)})
    assert _metric_codes(found) == set()


@pytest.mark.parametrize("value", ["14d", "30 days", "1 month", "2 weeks"])
def test_a_red_flag_for_a_trial_we_already_give_is_pb310(check_files, value):
    found, result = _chair_shop(check_files, **{"definitions/questions.yaml": RED_FLAG.format(value=value)})
    assert _metric_codes(found) == {("PB310", "definitions/questions.yaml", 6)}
    assert next(f.message for f in result.findings if f.code == "PB310") == (
        f'The question "trial" treats "A red flag" ({value}) as a red flag, but the commitment "home-trial" (30d) '
        "already delivers that; move it to acceptable or correct its value.")


def test_remedies_and_campaign_promises_follow_the_direction(check_files):
    found, _ = _chair_shop(check_files, **{"definitions/more.yaml": """
        complaint_procedures:
          - id: broken-chair
            name: A broken chair
            category: product
            remedies:
              - {text: A lifetime warranty on the replacement, metric: warranty, value: lifetime}
              - {text: Two more years of warranty, metric: warranty, value: 2 years}
        campaigns:
          - id: spring
            name: Spring sale
            starts: 2027-03-01
            sales_briefing: {date: 2027-02-20}
            promises:
              - {text: Try it for 60 days, metric: trial_period, value: 60 days}
              - {text: Try it for two weeks, metric: trial_period, value: 2 weeks}
        """})
    assert _metric_codes(found) == {("PB510", "definitions/more.yaml", 6), ("PB604", "definitions/more.yaml", 14)}


def test_a_per_seat_price_is_compared_only_with_a_per_seat_budget(check_files):
    found, _ = _chair_shop(check_files, **{"definitions/more.yaml": """
        qualifying_questions:
          - id: budget
            question: What do you budget per seat?
            red_flags:
              - {text: Less than 25 USD a seat, when: {budget_per_seat: {lt: 25}}}
              - {text: Budget approved months from now, when: {software_budget_months_away: {gt: 3}}}
              - {text: Less than 500 USD in all, when: {total_budget: {lt: 500}}}
        campaigns:
          - {id: a, name: A, starts: 2027-03-01, sales_briefing: {date: 2027-02-20}, price: 20 USD per seat/month}
          - {id: b, name: B, starts: 2027-03-01, sales_briefing: {date: 2027-02-20}, price: 29 USD per seat/month}
        """})
    # the chair shop's price is one chair's (750 USD): a price per seat and month does not compare with it
    assert _metric_codes(found) == {("PB604", "definitions/more.yaml", 9), ("PB309", "definitions/more.yaml", 9),
                                    ("PB309", "definitions/more.yaml", 10)}


# ---------------------------------------------------------------- schema and diff


def test_the_schema_offers_the_catalogue_and_the_metrics_section():
    schema = schemas()["service-commitments"]
    assert "metrics" in schema["properties"]
    declaration = schema["$defs"]["MetricDeclaration"]
    assert set(declaration["properties"]["kind"]["enum"]) == set(KINDS)
    assert "trial_period" in schema["$defs"]["Commitment"]["properties"]["metric"]["examples"]
    persona = schemas()["persona"]
    assert "warranty" in json.dumps(persona["$defs"]["Promise"]["properties"]["metric"])


def test_diff_grades_a_shorter_trial_as_weakened(example_repo):
    commitments = example_repo / "definitions/service-commitments.yaml"
    edit(commitments, "service_commitments:\n", "service_commitments:\n"
         "  - {id: free-trial, name: A free trial, owner: client-services, metric: trial_period, value: 30d}\n")
    git(example_repo, "commit", "-qam", "A trial")
    edit(commitments, "value: 30d}", "value: 14d}")
    data = json.loads(run_diff(example_repo, "--format", "json").output)
    assert [i["code"] for i in data["impacts"] if i["code"].startswith("commitment-")] == ["commitment-weakened"]
    edit(commitments, "value: 14d}", "value: 60d}")
    data = json.loads(run_diff(example_repo, "--format", "json").output)
    assert [i["code"] for i in data["impacts"] if i["code"].startswith("commitment-")] == ["commitment-strengthened"]


def test_the_rule_docs_list_the_catalogue(tmp_path):
    from click.testing import CliRunner
    from generator.cli import main
    out = CliRunner().invoke(main, ["rule", "PB307"]).output
    for metric in CATALOGUE.values():
        assert f"- {metric.id}: {metric.kind}," in out
    assert "- trial_period: duration, a longer time is more (Free trial)" in out
    listing = CliRunner().invoke(main, ["rules"]).output
    for code in ("PB307", "PB308", "PB309"):
        assert code in listing


def test_a_metric_declared_twice_keeps_the_first_and_reports_the_second(check_files):
    found, result = _chair_shop(check_files, **{
        "definitions/more.yaml": """
            metrics:
              - {id: fitting_time, kind: duration, more: shorter}
            service_commitments:
              - {id: fitting-visit, name: Fitted within a week, metric: fitting_time, value: 1w}
            value_propositions:
              - id: fitted
                name: Fitted fast
                statement: A chair that fits.
                claims:
                  - {text: Fitted in two days, metric: fitting_time, value: 2d}
            """,
        "definitions/other.yaml": """
            metrics:
              - {id: fitting_time, kind: duration, more: longer}
            """})
    assert {f for f in found if f[0] in ("PB020", "PB405")} == {
        ("PB020", "definitions/other.yaml", 2), ("PB405", "definitions/more.yaml", 10)}
    assert next(f.message for f in result.findings if f.code == "PB020") == (
        'The metric "fitting_time" is already declared at definitions/more.yaml:2:10; keep one declaration.')


# ---------------------------------------------------------------- promises in prose


@pytest.mark.parametrize("text, expected", [
    ("Sit on it at home: a 60-day home trial, free returns.", [("trial_period", "60 days")]),
    ("Try it for 60 days, free returns", [("trial_period", "60 days")]),
    ("A support engineer answers every email and chat within four business hours.",
     [("response_time", "four business hours")]),
    ("We reply in under an hour", [("response_time", "1 hour")]),
    ("Questions answered the same day.", [("response_time", "same day")]),
    ("25% off the first year", [("discount", "25%")]),
    ("99.9% monthly uptime", [("uptime", "99.9%")]),
    ("Plans from $29 per seat a month", [("price", "$29 per seat a month")]),
    ("A lifetime warranty on the frame", [("warranty", "lifetime")]),
    ("A quarterly 45-minute business review call", [("meeting_cadence", "quarterly")]),
    ("24/7 support and 5 revisions", [("support_hours", "24/7"), ("revisions", "5")]),
    # taken back, or too far from any keyword, or another thought after a comma
    ("No 60-day trial here.", []),
    ("Unlike competitors' 7-day trials, ours is long.", []),
    ("Save 200 USD on the first order", []),
    ("The service is up 99.9% of every month, with a service credit if it is not.", []),
    ("Bank feeds for every client: firms close month end in about half the time.", []),
])
def test_prose_is_read_for_the_promises_it_makes(text, expected):
    from generator.metrics import read_prose
    assert [(p.metric.id, p.value) for p in read_prose(text, CATALOGUE.values())] == expected


def test_a_declared_metric_names_its_own_words_or_keeps_the_catalogue_s():
    from types import SimpleNamespace
    from generator.metrics import read_prose, registry
    own = SimpleNamespace(id="onboarding_time", kind="duration", more="shorter", name="Live in Ledgerly",
                          keywords=["working in Ledgerly"])
    kept = SimpleNamespace(id="trial_period", kind="duration", more="longer", name="Trial", keywords=[])
    fitting = SimpleNamespace(id="fitting_time", kind="duration", more="shorter", name="Fitting", keywords=[])
    metrics = registry([own, kept, fitting])
    assert metrics["onboarding_time"].keywords == ("working in Ledgerly",)
    assert metrics["trial_period"].keywords == CATALOGUE["trial_period"].keywords
    assert metrics["fitting_time"].keywords == ()
    read = read_prose("You are working in Ledgerly within two business days; onboarding takes a week.",
                      [metrics["onboarding_time"]])
    assert [(p.metric.id, p.value) for p in read] == [("onboarding_time", "two business days")]


def test_a_weaker_statement_is_not_flagged_and_a_stronger_one_is(check_files):
    def statement(text):
        found, result = _chair_shop(check_files, **{"definitions/vp.yaml": f"""
            value_propositions:
              - id: try-at-home
                name: Try it at home
                statement: {text}
            """})
        return [f.message for f in result.findings if f.code == "PB312"]
    assert statement("Sit on it for 14 days at home with our home trial.") == []
    assert statement("A 14-day home trial and delivery within ten business days.") == []
    assert statement("A 60-day home trial and delivery within two business days.") == [
        'The value proposition "try-at-home" says "60-day home trial" (60 days), more than the commitment '
        '"home-trial" (30d) for free trial; make the wording agree with the commitment.',
        'The value proposition "try-at-home" says "delivery within two business days", more than the commitment '
        '"delivery" (5d business) for time to deliver; make the wording agree with the commitment.']
    assert statement("Delivered within two business days.") == [
        'The value proposition "try-at-home" says "Delivered within two business days", more than the commitment '
        '"delivery" (5d business) for time to deliver; make the wording agree with the commitment.']
