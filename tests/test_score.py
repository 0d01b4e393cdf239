"""`playbook score`: lead records run through the playbook's definitions (the compiled query, by DuckDB).

Exact numbers come from a small playbook written into a temporary folder (SMALL below); the
example playbook at the repository root is used for realism. Dates are fixed: every lead is
scored as of AS_OF.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.check import run_check
from generator.cli import main
from generator.config import Config
from generator.scoring.compile import event_types
from generator.scoring.outputs import CSV_COLUMNS, as_json, as_row, rule_text
from generator.scoring.run import Lead, Scored, number_text, score_leads

from conftest import REPO, TODAY, write_playbook

AS_OF = dt.date(2026, 11, 22)

SMALL = {
    "definitions/teams.yaml": """
        teams:
          - {id: marketing, name: Marketing}
          - {id: sales, name: Sales}
        """,
    "definitions/scoring.yaml": """
        scoring:
          id: lead-score
          name: Lead score
          owner: marketing
          limit: 60
          groups:
            - id: fit
              name: Fit
              kind: fit
              cap: 40
              rules:
                - {id: shop, when: {industry: {in: [ecommerce, dtc]}}, points: 20}
                - {id: big-budget, when: {monthly_ad_budget: {gte: 5000}}, points: 15}
                - {id: founder, when: {job_title: {eq: founder}}, points: 10}
                - {id: tiny-budget, when: {monthly_ad_budget: {lt: 2000}}, points: -30}
                - {id: needy, when: {expected_contact_cadence: {in: [daily, hourly]}}, points: -5}
            - id: engagement
              name: Engagement
              kind: engagement
              cap: 50
              decay: {percent: 25, every: 30d}
              rules:
                - {id: call-booked, event: call_booked, points: 25}
                - {id: pricing, event: pricing_page_viewed, points: 10}
                - {id: webinar, event: webinar_attended, points: 8, decay: "50% every 7d"}
                - {id: unsubscribed, event: unsubscribed, points: -20}
        """,
    "definitions/lifecycle.yaml": """
        stages:
          - id: subscriber
            name: Subscriber
            order: 1
            owner: marketing
            entry: {all: [{email_opt_in: {eq: "yes"}}]}
          - id: lead
            name: Lead
            order: 2
            owner: marketing
            entry: {all: [{industry: {exists: true}}]}
          - id: mql
            name: MQL
            order: 3
            owner: marketing
            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
          - id: sal
            name: SAL
            order: 4
            owner: sales
            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}, {sales_accepted: {eq: "yes"}}]}
          - id: sql
            name: SQL
            order: 5
            owner: sales
            terminal: true
            entry: {all: [{fit_score: {gte: 30}}, {sales_accepted: {eq: "yes"}}], confirmed: [need, budget]}
        transitions:
          - {from: subscriber, to: lead}
          - {from: lead, to: mql}
          - {from: mql, to: sal}
          - {from: sal, to: sql}
          - {from: mql, to: lead, type: recycle, reasons: [unresponsive, bad-timing], nurture_track: later}
          - {from: sal, to: lead, type: recycle, reasons: [below-price-point, bad-timing], nurture_track: small-budget}
        reason_codes:
          - {id: below-price-point, name: Below our price point, owner: sales}
          - {id: bad-timing, name: Bad timing, owner: sales}
          - {id: unresponsive, name: Unresponsive, owner: sales}
        handoffs:
          - id: mql-to-sal
            name: MQL to SAL
            owner: sales
            from_stage: mql
            to_stage: sal
            from_team: marketing
            to_team: sales
            follow_up: {within: 4h business}
            on_reject:
              reasons: [unresponsive, bad-timing]
              recycle_to: later
        nurture_tracks:
          - {id: later, name: Later, owner: marketing}
          - {id: small-budget, name: Small budget, owner: marketing}
        """,
    "definitions/qualifying-questions.yaml": """
        qualifying_questions:
          - {id: need, name: Need, owner: sales, question: What is not working?, covers: {bant: [need]}, asked_at: sal}
          - {id: budget, name: Budget, owner: sales, question: What do you spend?, covers: {bant: [budget]}, asked_at: sal}
        """,
    "personas/shop-owner.yaml": """
        id: shop-owner
        name: Shop owner
        kind: buyer
        owner: marketing
        buying_role: economic-buyer
        goals: [Grow online sales]
        challenges: [No time for ads]
        objections:
          - objection: Too expensive.
            response: We pay for ourselves.
        criteria:
          - industry: {in: [ecommerce, dtc]}
          - monthly_ad_budget: {gte: 5000}
        red_flags:
          - text: Wants daily calls
            when: {expected_contact_cadence: {in: [daily, hourly]}}
          - text: Wants a guarantee in writing
        """,
    "personas/needy.yaml": """
        id: needy
        name: Needs us every day
        kind: negative
        owner: sales
        criteria:
          - expected_contact_cadence: {in: [daily, hourly]}
        red_flags:
          - text: Wants daily calls
            when: {expected_contact_cadence: {in: [daily, hourly]}}
        """,
    "personas/small-budget.yaml": """
        id: small-budget
        name: Small budget
        kind: negative
        owner: sales
        criteria:
          - monthly_ad_budget: {lt: 2000}
        red_flags:
          - text: Ad budget under 2,000 USD a month
            when: {monthly_ad_budget: {lt: 2000}}
        """,
}

HEADER = "id,industry,monthly_ad_budget,job_title,email_opt_in,expected_contact_cadence,events"


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_playbook(tmp_path_factory.mktemp("small"), SMALL)


@pytest.fixture(scope="module")
def small_scorer(small):
    """The small playbook, checked (its scoring is what the tests below run)."""
    result = run_check(small, Config(), TODAY)
    assert not result.counts.get("error"), [f.message for f in result.findings]
    return result.playbook


@pytest.fixture(scope="module")
def example_scorer():
    return run_check(REPO, Config(), TODAY).playbook


def score(pb, events=(), as_of=AS_OF, **attrs) -> Scored:
    """Score one lead given as keyword attributes and (type, date) events with the compiled query."""
    (got,) = score_leads(pb, as_of, [Lead("lead-1", attrs, list(events))])
    assert not isinstance(got, str), got
    return got


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_score(small: Path, leads: Path, *args):
    return invoke("score", leads, "--path", small, "--as-of", AS_OF.isoformat(), *args)


def not_crashed(result) -> None:
    """The command ended through its own exit code, never an unhandled exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- scores


def test_fit_rules_add_up_and_the_group_cap_applies(small_scorer):
    got = score(small_scorer, industry="ecommerce", monthly_ad_budget="8000", job_title="founder")
    # 20 + 15 + 10 = 45, capped at 40
    assert got.fit == 40
    assert got.engagement == 0 and got.total == 40
    assert got.rules == [("shop", "fit", 20), ("big-budget", "fit", 15), ("founder", "fit", 10)]


def test_penalties_lower_fit_below_zero(small_scorer):
    got = score(small_scorer, industry="dental", monthly_ad_budget="500", expected_contact_cadence="daily")
    assert got.fit == -35
    assert {r for r, _, _ in got.rules} == {"tiny-budget", "needy"}


def test_engagement_decays_by_whole_periods_as_of_the_date(small_scorer):
    # 65 days old: two whole 30-day periods, 25 x 0.75^2 = 14.0625
    got = score(small_scorer, [("call_booked", "2026-09-18")])
    assert got.engagement == 14.06
    assert got.rules == [("call-booked", "engagement", 14.06)]
    # 29 days old: no whole period yet; 30 days old: one period
    assert score(small_scorer, [("call_booked", "2026-10-24")]).engagement == 25
    assert score(small_scorer, [("call_booked", "2026-10-23")]).engagement == 18.75
    # an event on the scoring day itself counts in full
    assert score(small_scorer, [("pricing_page_viewed", "2026-11-22")]).engagement == 10


def test_the_same_lead_scores_less_as_of_a_later_date(small):
    pb = run_check(small, Config(), TODAY).playbook
    events = [("call_booked", "2026-09-18")]
    assert score(pb, events, as_of=dt.date(2026, 10, 1)).engagement == 25  # 13 days
    assert score(pb, events, as_of=dt.date(2027, 1, 1)).engagement == 10.55  # 105 days: 25 x 0.75^3 = 10.546875


def test_a_rule_level_decay_overrides_the_group_decay(small_scorer):
    # webinar: 8 points, 50% every 7 days; 15 days old -> two periods -> 2 points
    got = score(small_scorer, [("webinar_attended", "2026-11-07")])
    assert got.rules == [("webinar", "engagement", 2.0)]


def test_engagement_cap_and_the_overall_limit(small_scorer):
    events = [("call_booked", "2026-11-20")] * 3  # 75, capped at 50
    got = score(small_scorer, events, industry="ecommerce", monthly_ad_budget="8000", job_title="founder")
    assert got.fit == 40 and got.engagement == 50
    assert got.total == 60  # 90, limited to 60
    assert got.rules[-1] == ("call-booked", "engagement", 75)  # a rule's points before its group's cap


def test_negative_event_points_decay_too(small_scorer):
    got = score(small_scorer, [("call_booked", "2026-11-20"), ("unsubscribed", "2026-10-01")])
    # -20 x 0.75 (52 days: one period) = -15
    assert got.engagement == 10
    assert got.rules[-1] == ("unsubscribed", "engagement", -15.0)


def test_contributions_are_listed_per_rule_in_the_outputs(small_scorer):
    events = [("call_booked", "2026-09-18"), ("call_booked", "2026-11-20"), ("pricing_page_viewed", "2026-11-20")]
    got = score(small_scorer, events, industry="dtc", monthly_ad_budget="2500")
    row = as_row(got)
    assert row["rules"] == "shop +20; call-booked +39.06; pricing +10"
    assert row["fit_score"] == "20" and row["engagement_score"] == "49.06" and row["total_score"] == "60"
    data = as_json(got)
    assert data["rules"] == [{"rule": "shop", "group": "fit", "points": 20.0},
                             {"rule": "call-booked", "group": "engagement", "points": 39.06},
                             {"rule": "pricing", "group": "engagement", "points": 10.0}]
    assert (data["fit_score"], data["engagement_score"], data["total_score"]) == (20, 49.06, 60)


# ---------------------------------------------------------------- stage, persona, red flags, nurture


def test_stage_is_the_furthest_whose_entry_criteria_hold(small_scorer):
    assert score(small_scorer, email_opt_in="yes").stage == "subscriber"
    assert score(small_scorer).stage is None
    assert score(small_scorer, industry="dental").stage == "lead"
    hot = dict(industry="ecommerce", monthly_ad_budget="8000", job_title="founder")
    recent = [("call_booked", "2026-11-20")]
    assert score(small_scorer, recent, **hot).stage == "mql"
    # a non-score attribute condition: sales accepted
    assert score(small_scorer, recent, **hot, sales_accepted="yes").stage == "sal"
    assert score(small_scorer, recent, **hot, sales_accepted="no").stage == "mql"
    # thresholds: engagement 14.06 is short of 20
    assert score(small_scorer, [("call_booked", "2026-09-18")], **hot).stage == "lead"


def test_confirmed_dimensions_gate_a_stage(small_scorer):
    hot = dict(industry="ecommerce", monthly_ad_budget="8000", job_title="founder", sales_accepted="yes")
    recent = [("call_booked", "2026-11-20")]
    assert score(small_scorer, recent, **hot, confirmed="need").stage == "sal"
    assert score(small_scorer, recent, **hot, confirmed="Need; budget").stage == "sql"
    assert score(small_scorer, recent, **hot, confirmed=["budget", "need", "timeline"]).stage == "sql"
    # sql's entry does not test engagement: a lead whose engagement faded is still an SQL
    assert score(small_scorer, [], **hot, confirmed="need;budget").stage == "sql"


def test_persona_matching_and_a_negative_persona_wins(small_scorer):
    buyer = score(small_scorer, industry="ecommerce", monthly_ad_budget="8000", expected_contact_cadence="weekly")
    assert (buyer.persona, buyer.negative) == ("shop-owner", False)
    assert buyer.red_flags == []
    # matches the buyer (two criteria) and the negative persona (one): the negative one wins
    needy = score(small_scorer, industry="ecommerce", monthly_ad_budget="8000", expected_contact_cadence="Daily")
    assert (needy.persona, needy.negative) == ("needy", True)
    assert score(small_scorer, industry="ecommerce", monthly_ad_budget="3000").persona is None
    small = score(small_scorer, industry="ecommerce", monthly_ad_budget="1,500")
    assert (small.persona, small.negative) == ("small-budget", True)


def test_red_flags_with_conditions_show_once(small_scorer):
    got = score(small_scorer, monthly_ad_budget="900", expected_contact_cadence="hourly")
    # "Wants daily calls" sits on two personas; the flag without a condition never shows
    assert got.red_flags == ["Wants daily calls", "Ad budget under 2,000 USD a month"]
    assert score(small_scorer, monthly_ad_budget="9000").red_flags == []


def test_a_rejected_lead_goes_to_its_nurture_track(small_scorer):
    # only the routes out of MQL (the handoff's on_reject and the recycle from "mql") name "unresponsive"
    assert score(small_scorer, rejection_reason="unresponsive").nurture == "later"
    # only the recycle from SAL names "below-price-point"
    assert score(small_scorer, rejection_reason="Below-Price-Point").nurture == "small-budget"
    # routes out of MQL and out of SAL name "bad-timing": the route from the lead's stage decides.
    # Rejected at the MQL to SAL handoff, the lead goes where the handoff (and the lifecycle) say;
    # recycled from SAL, where that transition says.
    mql = {"industry": "dtc", "monthly_ad_budget": "6000", "events": [("call_booked", "2026-11-20")]}
    at_mql = score(small_scorer, rejection_reason="bad-timing", **mql)
    assert (at_mql.stage, at_mql.nurture) == ("mql", "later")
    at_sal = score(small_scorer, rejection_reason="bad-timing", sales_accepted="yes", **mql)
    assert (at_sal.stage, at_sal.nurture) == ("sal", "small-budget")
    # from a stage no route leaves, the first route naming the reason (the handoff)
    assert score(small_scorer, rejection_reason="bad-timing").nurture == "later"
    assert score(small_scorer, rejection_reason="unknown-reason").nurture is None
    assert score(small_scorer).nurture is None


def test_example_playbook_realistic_leads(example_scorer):
    founder = score(example_scorer, [("audit_requested", "2026-11-10"), ("pricing_page_viewed", "2026-11-12")],
                    industry="ecommerce", monthly_ad_budget="8000", job_title="founder",
                    expected_contact_cadence="weekly", company_website="https://shop.example", email_opt_in="yes")
    assert founder.persona == "ecommerce-founder" and not founder.negative
    assert founder.stage == "mql"
    assert founder.fit >= 30 and founder.engagement >= 20
    assert founder.red_flags == [] and founder.nurture is None

    tiny = score(example_scorer, industry="dental", monthly_ad_budget="500", job_title="owner",
                 rejection_reason="below-price-point")
    assert (tiny.persona, tiny.negative) == ("below-price-point", True)
    assert tiny.nurture == "below-price-point"
    assert tiny.red_flags and tiny.fit < 0

    daily = score(example_scorer, industry="ecommerce", monthly_ad_budget="20000", expected_contact_cadence="daily")
    assert daily.negative and daily.persona == "always-on-client"

    waiting = score(example_scorer, industry="coaching", rejection_reason="unresponsive")
    assert waiting.nurture == "long-buying-cycle"


def test_every_event_type_of_the_example_scoring_model_is_known(example_scorer):
    kinds = {r.event.lower() for g in example_scorer.scoring.groups for r in g.rules if r.event}
    assert kinds and kinds == set(event_types(example_scorer))
    got = score(example_scorer, [(k, "2026-11-01") for k in sorted(kinds)])
    assert len(got.rules) == len(kinds)


def test_exists_treats_a_blank_cell_as_absent(small_scorer):
    # the lead stage asks for an industry: a blank or spaces-only cell is no industry
    assert score(small_scorer, industry="dental").stage == "lead"
    assert score(small_scorer, industry="  ").stage is None
    assert score(small_scorer, industry="").stage is None
    assert score(small_scorer).stage is None


# ---------------------------------------------------------------- reading leads


def scored(small: Path, path: Path, *args) -> tuple[list[dict], list[dict]]:
    """(leads, errors) of `playbook score --format json`."""
    result = run_score(small, path, "--format", "json", *args)
    not_crashed(result)
    data = json.loads(result.stdout)
    return data["leads"], data["errors"]


def test_csv_rows_become_leads(tmp_path, small):
    path = write(tmp_path, "leads.csv", HEADER + "\n"
                 "L1, Ecommerce ,\"8,000\",founder,yes,weekly,call_booked:2026-11-20; pricing_page_viewed:2026-11-01T09:30:00Z;\n"
                 "L2,dental,,,,,\n")
    leads, errors = scored(small, path)
    assert errors == []
    first, second = leads
    assert (first["row"], first["id"], second["row"], second["id"]) == (2, "L1", 3, "L2")
    assert first["fit_score"] == 40 and first["engagement_score"] == 35  # 21 days: no whole period yet
    assert [r["rule"] for r in first["rules"]] == ["shop", "big-budget", "founder", "call-booked", "pricing"]
    assert second["rules"] == [] and second["stage"] == "lead"


def test_json_lines_with_nested_and_top_level_attributes(tmp_path, small):
    lines = [
        {"id": "J1", "attributes": {"industry": "ecommerce", "monthly_ad_budget": 8000, "job_title": "founder"},
         "events": [{"type": "call_booked", "date": "2026-09-18"}]},
        {"id": 2, "industry": "dtc", "monthly_ad_budget": 6000.0, "sales_accepted": True,
         "confirmed": ["need", "budget"], "events": []},
        {"record_id": "J3", "attributes": {"email_opt_in": "yes"}},
    ]
    path = write(tmp_path, "leads.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    leads, errors = scored(small, path)
    assert errors == []
    assert [(lead["row"], lead["id"]) for lead in leads] == [(1, "J1"), (2, "2"), (3, "J3")]
    j1, j2, j3 = leads
    assert (j1["fit_score"], j1["engagement_score"], j1["persona"]) == (40, 14.06, "shop-owner")
    assert j2["fit_score"] == 35
    assert j2["stage"] == "sql"  # fit 35, accepted (true means yes), need and budget confirmed
    assert j3["stage"] == "subscriber"


def test_map_renames_export_columns(tmp_path, small):
    path = write(tmp_path, "hubspot.csv", "Record ID,Industry,Monthly Ad Budget,Activity\n"
                 "hs-1,ecommerce,9000,call_booked:2026-11-20\n")
    leads, errors = scored(small, path, "--map", "record id=id", "--map", "monthly ad budget=monthly_ad_budget",
                           "--map", "activity=events")
    assert errors == []
    (lead,) = leads
    assert lead["id"] == "hs-1"
    assert (lead["fit_score"], lead["engagement_score"]) == (35, 25)


def test_column_names_are_case_insensitive_and_a_bom_is_ignored(tmp_path, small):
    text = "ID,Industry,Events\nC1,ecommerce,call_booked:2026-11-20\n"
    for name, data in (("plain.csv", text.encode()), ("excel.csv", b"\xef\xbb\xbf" + text.encode())):
        leads, errors = scored(small, write(tmp_path, name, data))
        assert errors == [], name
        assert (leads[0]["id"], leads[0]["fit_score"], leads[0]["engagement_score"]) == ("C1", 20, 25), name
    data = b"\xef\xbb\xbf" + json.dumps({"id": "J1", "industry": "dtc"}).encode() + b"\n"
    leads, errors = scored(small, write(tmp_path, "bom.jsonl", data))
    assert errors == [] and leads[0]["id"] == "J1"


# ---------------------------------------------------------------- the command


def good_rows(n: int) -> list[str]:
    return [f"G{i},ecommerce,8000,founder,yes,weekly,call_booked:2026-11-20" for i in range(1, n + 1)]


def test_table_output(tmp_path, small):
    leads = write(tmp_path, "leads.csv", "\n".join([HEADER, *good_rows(2),
                                                  "N1,dental,900,owner,yes,daily,",
                                                  "R1,dental,9000,owner,,weekly,"]) + "\n")
    result = run_score(small, leads)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["lead", "fit", "engage", "total", "stage", "persona"]
    assert lines[1].split() == ["G1", "40", "25", "60", "mql", "shop-owner"]
    assert lines[2].split()[0] == "G2"
    # N1 matches two negative personas with one criterion each: the first (by id) wins
    assert lines[3].split() == ["N1", "-35", "0", "-35", "lead", "needy", "(negative)", "⚑", "2", "red", "flags"]
    assert lines[4].split() == ["R1", "15", "0", "15", "lead", "—"]
    assert lines[5] == ""
    assert lines[6] == "Scored 4 lead(s) as of 2026-11-22."
    assert lines[7] == "By stage:   lead 2, mql 2"
    assert lines[8] == "By persona: (no persona) 1, needy 1, shop-owner 2"
    assert result.stderr == ""


def test_csv_output_parses_with_the_documented_columns(tmp_path, small):
    leads = write(tmp_path, "leads.csv", "\n".join([HEADER, *good_rows(3),
                                                  "N1,dental,900,owner,yes,daily,"]) + "\n")
    result = run_score(small, leads, "--format", "csv")
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    rows = list(reader)
    assert tuple(reader.fieldnames) == CSV_COLUMNS == (
        "id", "fit_score", "engagement_score", "total_score", "stage", "persona", "negative",
        "red_flags", "nurture_track", "rules")
    assert [r["id"] for r in rows] == ["G1", "G2", "G3", "N1"]
    assert rows[0] == {"id": "G1", "fit_score": "40", "engagement_score": "25", "total_score": "60",
                       "stage": "mql", "persona": "shop-owner", "negative": "no", "red_flags": "",
                       "nurture_track": "",
                       "rules": "shop +20; big-budget +15; founder +10; call-booked +25"}
    assert rows[3]["negative"] == "yes" and rows[3]["persona"] == "needy"
    assert rows[3]["red_flags"] == "Wants daily calls; Ad budget under 2,000 USD a month"
    assert rows[3]["rules"] == "tiny-budget -30; needy -5"
    # the summary goes to stderr, so stdout stays a clean CSV
    assert "Scored 4 lead(s)" in result.stderr


def test_json_output_is_one_document(tmp_path, small):
    leads = write(tmp_path, "leads.csv", "\n".join([HEADER, *good_rows(2), "B1,dental,-5,,,,"]) + "\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"leads", "summary", "errors"}
    assert [lead["id"] for lead in data["leads"]] == ["G1", "G2"]
    first = data["leads"][0]
    assert set(first) == {"id", "row", "fit_score", "engagement_score", "total_score", "stage", "persona",
                          "negative", "red_flags", "nurture_track", "rules"}
    assert (first["row"], first["total_score"], first["stage"], first["negative"]) == (2, 60, "mql", False)
    assert data["summary"] == {"scored": 2, "bad_rows": 1, "by_stage": {"mql": 2},
                               "by_persona": {"shop-owner": 2}}
    assert data["errors"] == [{"row": 4, "message": "monthly_ad_budget -5 is negative"}]


def test_json_output_for_an_empty_file_is_valid(tmp_path, small):
    result = run_score(small, write(tmp_path, "empty.csv", ""), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"leads": [], "errors": [], "summary": {
        "scored": 0, "bad_rows": 0, "by_stage": {}, "by_persona": {}}}


def test_map_option_on_the_command_line(tmp_path, small):
    leads = write(tmp_path, "export.csv", "Record ID,Industry,Monthly ad budget,events\n"
                  "hs-1,dtc,7000,pricing_page_viewed:2026-11-20\n")
    result = run_score(small, leads, "--format", "csv", "--map", "Record ID=id", "--map", "Industry=industry",
                       "--map", "Monthly ad budget=monthly_ad_budget")
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert (row["id"], row["fit_score"], row["engagement_score"]) == ("hs-1", "35", "10")
    # without the map there is no id column
    result = run_score(small, leads, "--format", "csv")
    assert result.exit_code == 1
    assert "export.csv:row 2: no id" in result.stderr


def test_json_lines_on_the_command_line(tmp_path, small):
    lines = [{"id": "J1", "attributes": {"industry": "ecommerce"}, "events": [{"type": "call_booked",
                                                                              "date": "2026-11-20"}]},
             {"id": "J2", "industry": "dtc", "monthly_ad_budget": 9000}]
    leads = write(tmp_path, "leads.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    result = run_score(small, leads, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["fit_score"], r["engagement_score"]) for r in rows] == [("J1", "20", "25"), ("J2", "35", "0")]


BAD_CSV = "\n".join([
    HEADER,                                                            # 1
    "G1,ecommerce,8000,founder,yes,weekly,call_booked:2026-11-20",    # 2
    ",ecommerce,8000,founder,yes,weekly,",                            # 3 no id
    "B2,ecommerce,8000,founder,yes,weekly,call_booked:2026-13-45",    # 4 bad date
    "B3,ecommerce,8000,founder,yes,weekly,podcast_listened:2026-11-01",  # 5 unknown event
    "B4,ecommerce,-5,founder,yes,weekly,",                            # 6 negative
    "B5,ecommerce,1e12,founder,yes,weekly,",                          # 7 absurd
    "B6,ecommerce,8000,founder,yes,weekly,,surplus",                  # 8 too many values
    'G2,dtc,9000,"founder',                                           # 9 a quoted value over
    'and owner",yes,weekly,pricing_page_viewed:2026-11-20',           # 10 two lines
    "",                                                               # 11 blank line
    "B7,ecommerce,lots,founder,yes,weekly,",                          # 12 not a number
    "B8,ecommerce,8000,founder,yes,weekly,call_booked",               # 13 event without a date
    "B9,ecommerce,8000,founder,yes,weekly,call_booked:2026-12-01",    # 14 after the scoring date
    "G3,ecommerce,8000,founder,yes,weekly,",                          # 15
]) + "\n"


def test_bad_rows_are_reported_with_their_line_and_good_rows_still_scored(tmp_path, small):
    leads = write(tmp_path, "crm.csv", BAD_CSV)
    result = run_score(small, leads, "--format", "csv")
    not_crashed(result)
    assert result.exit_code == 1
    # B3's event of an unknown type is reported and skipped; the lead itself is scored
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["G1", "B3", "G2", "G3"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("crm.csv:row ")]
    assert [e.split(":")[1] for e in errors] == ["row 3", "row 4", "row 6", "row 7", "row 8",
                                                 "row 12", "row 13", "row 14", "row 5"]
    by_row = {int(e.split(":")[1].split()[1]): e.split(": ", 1)[1] for e in errors}
    assert by_row[3].startswith("no id")
    assert by_row[4] == '"2026-13-45" is not a date (use YYYY-MM-DD)'
    assert by_row[5].startswith('1 event of the unknown type "podcast_listened" skipped (the scoring model knows: ')
    assert by_row[6] == "monthly_ad_budget -5 is negative"
    assert by_row[7] == "monthly_ad_budget 1e12 is not a believable value"
    assert by_row[8] == "the row has more values than the header has columns"
    assert by_row[12] == 'monthly_ad_budget "lots" is not a number'
    assert "has no date" in by_row[13]
    assert "after the scoring date" in by_row[14]
    assert "Scored 4 lead(s); 8 bad row(s) skipped as of 2026-11-22." in result.stderr


def test_table_format_reports_bad_rows_on_stderr_only(tmp_path, small):
    result = run_score(small, write(tmp_path, "crm.csv", BAD_CSV))
    assert result.exit_code == 1
    assert "crm.csv:row" not in result.stdout
    assert result.stdout.splitlines()[-3] == "Scored 4 lead(s); 8 bad row(s) skipped as of 2026-11-22."


def test_a_file_without_an_id_column(tmp_path, small):
    leads = write(tmp_path, "noid.csv", "industry,events\necommerce,\ndental,\n")
    result = run_score(small, leads)
    not_crashed(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "noid.csv:row 2: no id (expected a column id, record_id, lead_id, contact_id or email)",
        "noid.csv:row 3: no id (expected a column id, record_id, lead_id, contact_id or email)"]


def test_a_value_longer_than_the_csv_field_limit_is_a_bad_row(tmp_path, small):
    long = ";".join(["pricing_page_viewed:2026-11-20"] * 40000)  # 1,200,000 characters
    leads = write(tmp_path, "long.csv", "\n".join([HEADER, *good_rows(1), f"L1,dtc,1,x,yes,weekly,{long}",
                                                 *good_rows(2)[1:]]) + "\n")
    result = run_score(small, leads, "--format", "csv")
    not_crashed(result)
    assert result.exit_code == 1
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["G1", "G2"]
    assert result.stderr.startswith("long.csv:row 3: the row cannot be read (it is longer than 1,048,576 bytes)")


BAD_JSONL = [
    json.dumps({"id": "G1", "industry": "ecommerce", "events": [{"type": "call_booked", "date": "2026-11-20"}]}),
    "{not json",                                                            # 2
    "[1, 2]",                                                               # 3
    json.dumps({"id": "B3", "monthly_ad_budget": -5}),                      # 4
    json.dumps({"id": "B4", "attributes": {"monthly_ad_budget": 1e12}}),    # 5
    json.dumps({"id": "B5", "events": [{"type": "call_booked"}]}),          # 6
    json.dumps({"id": "B6", "events": [{"type": "call_booked", "date": "22/11/2026"}]}),  # 7
    json.dumps({"id": "B7", "events": [{"type": "fax_sent", "date": "2026-11-01"}]}),    # 8
    "",                                                                     # 9 blank: skipped
    json.dumps({"id": "B8", "attributes": "industry=dental"}),              # 10
    json.dumps({"id": "B9", "industry": {"name": "dental"}}),               # 11
    json.dumps({"id": "B10", "events": "call_booked:2026-11-01"}),          # 12
    json.dumps({"industry": "dental"}),                                     # 13
    json.dumps({"id": "G2", "attributes": {"industry": "dtc"}}),            # 14
]


def test_bad_json_lines_are_reported_with_their_line(tmp_path, small):
    leads = write(tmp_path, "crm.jsonl", "\n".join(BAD_JSONL) + "\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    # B7's event of an unknown type is reported and skipped; the lead itself is scored
    assert [(lead["id"], lead["row"]) for lead in data["leads"]] == [("G1", 1), ("B7", 8), ("G2", 14)]
    assert [e["row"] for e in data["errors"]] == [2, 3, 4, 5, 6, 7, 10, 11, 12, 13]
    stderr = result.stderr.splitlines()
    assert stderr[0].startswith("crm.jsonl:row 2: the line is not valid JSON")
    assert stderr[1] == "crm.jsonl:row 3: the line is not a JSON object"
    assert stderr[2] == "crm.jsonl:row 4: monthly_ad_budget -5 is negative"
    assert stderr[3] == "crm.jsonl:row 5: monthly_ad_budget 1000000000000.0 is not a believable value"
    assert stderr[4] == 'crm.jsonl:row 6: each event needs a "type" and a "date"'
    assert stderr[5] == 'crm.jsonl:row 7: "22/11/2026" is not a date (use YYYY-MM-DD)'
    assert stderr[6].startswith("crm.jsonl:row 10: ")
    assert stderr[7] == 'crm.jsonl:row 11: "industry" has a value of the wrong kind'
    assert stderr[8] == 'crm.jsonl:row 12: "events" should be a list'
    assert stderr[9].startswith("crm.jsonl:row 13: no id")
    assert stderr[10].startswith('crm.jsonl:row 8: 1 event of the unknown type "fax_sent" skipped')
    assert data["summary"]["bad_rows"] == 10 and data["summary"]["scored"] == 3


def test_a_missing_file_is_a_usage_error(tmp_path, small):
    result = run_score(small, tmp_path / "nowhere.csv")
    not_crashed(result)
    assert result.exit_code == 2
    assert "nowhere.csv: no such file." in result.output
    result = run_score(small, tmp_path)  # a folder is not a file
    assert result.exit_code == 2


@pytest.mark.parametrize("bad", ["Record ID", "=id", "Record ID=", " = "])
def test_a_bad_map_is_a_usage_error(tmp_path, small, bad):
    leads = write(tmp_path, "leads.csv", HEADER + "\n" + good_rows(1)[0] + "\n")
    result = run_score(small, leads, "--map", bad)
    not_crashed(result)
    assert result.exit_code == 2
    assert "--map" in result.output and "is not COLUMN=FIELD" in result.output


def test_a_bad_as_of_date_is_a_usage_error(tmp_path, small):
    leads = write(tmp_path, "leads.csv", HEADER + "\n")
    result = invoke("score", leads, "--path", small, "--as-of", "22/11/2026")
    not_crashed(result)
    assert result.exit_code == 2


@pytest.mark.parametrize("content", ["", HEADER + "\n", "\n\n"])
def test_an_empty_file_scores_nothing_and_exits_zero(tmp_path, small, content):
    result = run_score(small, write(tmp_path, "empty.csv", content))
    not_crashed(result)
    assert result.exit_code == 0, result.output
    assert "Scored 0 lead(s) as of 2026-11-22." in result.stdout


def test_example_playbook_scores_its_sample_export(tmp_path):
    sample = REPO / "leads" / "sample-export.csv"
    if not sample.is_file():
        pytest.skip("no leads/sample-export.csv")
    leads = tmp_path / "sample.csv"
    shutil.copy(sample, leads)
    result = invoke("score", leads, "--path", REPO, "--as-of", "2026-11-22", "--format", "json")
    not_crashed(result)
    data = json.loads(result.stdout)
    assert data["summary"]["scored"] >= 1
    assert data["summary"]["scored"] + data["summary"]["bad_rows"] == len(sample.read_text().splitlines()) - 1


def test_the_sample_export_scores_as_the_engine_before_the_compiled_query_did(tmp_path):
    """leads/sample-export.scored-2026-11-22.csv was written by the Python engine that scored
    leads before the definitions were compiled to one SQL query (`playbook score
    leads/sample-export.csv --as-of 2026-11-22 --format csv` at that commit): the query gives
    the same scores, stages, personas, red flags, tracks and explanations, byte for byte."""
    result = invoke("score", REPO / "leads" / "sample-export.csv", "--path", REPO, "--as-of", "2026-11-22",
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    want = (REPO / "leads" / "sample-export.scored-2026-11-22.csv").read_text(encoding="utf-8")
    assert result.stdout == want


# ---------------------------------------------------------------- worked examples (PB801)


def test_check_runs_worked_examples_and_reports_a_failing_one_at_its_line(tmp_path):
    lifecycle = SMALL["definitions/lifecycle.yaml"].replace(
        """            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
""", """            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
            examples:
              - name: Shop founder who booked a call last week
                lead: {industry: ecommerce, monthly_ad_budget: "8000", job_title: founder}
                events: [{type: call_booked, date: 2026-11-15}]
                as_of: 2026-11-22
                expect: {fit_score: 40, engagement_score: 25}
              - name: Shop founder who booked a call two months ago
                lead: {industry: ecommerce, monthly_ad_budget: "8000", job_title: founder}
                events: [{type: call_booked, date: 2026-09-18}]
                as_of: 2026-11-22
""", 1)
    assert lifecycle != SMALL["definitions/lifecycle.yaml"]
    root = write_playbook(tmp_path, {**SMALL, "definitions/lifecycle.yaml": lifecycle})
    result = run_check(root, Config(), TODAY)
    found = [f for f in result.findings if f.code == "PB801"]
    assert len(found) == 1, [f.message for f in result.findings]
    text = (root / "definitions" / "lifecycle.yaml").read_text().splitlines()
    line = next(i for i, l in enumerate(text, 1) if "two months ago" in l)
    assert found[0].location.path == "definitions/lifecycle.yaml"
    assert found[0].location.line == line
    assert "stage mql" in found[0].message and "engagement 14.06" in found[0].message

    cli = invoke("check", root)
    assert cli.exit_code == 1
    assert f"definitions/lifecycle.yaml:{line}:" in cli.output and "PB801" in cli.output


def test_numbers_are_written_to_two_places_without_trailing_zeros():
    assert [number_text(x) for x in (25.0, 4.04, 1.5, 0.0, -0.001, 1234567.891, -3.456)] == \
        ["25", "4.04", "1.5", "0", "0", "1234567.89", "-3.46"]
    assert rule_text("call-booked", 18.75) == "call-booked +18.75"
    assert rule_text("careers-page", -20.0) == "careers-page -20"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_output_is_the_same_whatever_stdout_encodes(tmp_path, small, fmt):
    import os
    import subprocess
    import sys
    leads = write(tmp_path, "leads.csv", "\n".join([HEADER, *good_rows(3), "B1,dental,-5,,,,"]) + "\n")
    outputs = []
    for encoding in ("utf-8", "latin-1"):
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        done = subprocess.run([sys.executable, "-m", "generator.cli", "score", str(leads), "--path", str(small),
                               "--as-of", AS_OF.isoformat(), "--format", fmt],
                              capture_output=True, env=env, cwd=REPO, timeout=120)
        assert done.returncode == 1, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"G3") == 1


# ---------------------------------------------------------------- records never silently lost or altered


def scored_ids(result) -> list[tuple[str, int]]:
    return [(lead["id"], lead["row"]) for lead in json.loads(result.stdout)["leads"]]


def test_an_unclosed_quote_is_reported_where_it_opens_with_the_lines_it_took_in(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "\n".join([
        HEADER, *good_rows(1),                                       # 1, 2
        'B1,"ecommerce,8000,founder,yes,weekly,',                    # 3 the quote opens here ...
        "G2,dtc,9000,founder,yes,weekly,call_booked:2026-11-20",      # 4 ... and takes in this row
        "G3,dtc,9000,founder,yes,weekly,"]) + "\n")                  # 5 and this one
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert scored_ids(result) == [("G1", 2)]
    assert data["leads"][0]["total_score"] == 60
    assert data["errors"] == [{"row": 3, "message": (
        "a quote opened on line 3 is never closed, so lines 3-5, to the end of the file, were read into it and "
        "none of them is scored; is its closing quote missing?")}]
    assert data["summary"]["bad_rows"] == 1
    assert result.stderr.splitlines()[0] == "crm.csv:row 3: " + data["errors"][0]["message"]
    # the same in the other formats, with Windows line ends, and when the file ends inside the quote
    for fmt in ("csv", "table"):
        again = run_score(small, leads, "--format", fmt)
        assert again.exit_code == 1 and "crm.csv:row 3: a quote opened on line 3" in again.stderr
    one = write(tmp_path, "one.csv", "\r\n".join([HEADER, *good_rows(1), 'B2,"dtc,9000,', *good_rows(3)[2:]]) + "\r\n")
    result = run_score(small, one, "--format", "json")
    assert result.exit_code == 1 and scored_ids(result) == [("G1", 2)]
    assert json.loads(result.stdout)["errors"] == [{"row": 3, "message": (
        "a quote opened on line 3 is never closed, so lines 3-4, to the end of the file, were read into it and "
        "none of them is scored; is its closing quote missing?")}]
    last = write(tmp_path, "last.csv", "\n".join([HEADER, *good_rows(2), 'B3,dtc,9000,"founder']))
    result = run_score(small, last, "--format", "json")
    assert result.exit_code == 1 and scored_ids(result) == [("G1", 2), ("G2", 3)]
    assert json.loads(result.stdout)["errors"] == [{"row": 4, "message": (
        "a quote opened in this row is never closed: the file ends inside it; is its closing quote missing?")}]


def test_an_unclosed_quote_in_a_large_file_names_every_line_it_took_in(tmp_path, small):
    rows = good_rows(30000)  # about 1.8 MB after the quote: more than a record may hold
    rows[1] = 'B2,"dtc,9000,founder,yes,weekly,'
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *rows]) + "\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error["row"] == 3
    assert error["message"].startswith("a quote opened on line 3 is never closed, so lines 3-30001, to the end")
    assert scored_ids(result) == [("G1", 2)]


def test_bytes_that_are_not_utf8_are_a_bad_row_never_altered(tmp_path, small):
    data = "\n".join([HEADER, *good_rows(1), "B1,ecommerce,8000,founder,yes,weekly,", *good_rows(2)[1:],
                      "G3,\ufffd,8000,founder,yes,weekly,"]).encode()  # U+FFFD written as UTF-8 is text
    data = data.replace(b"B1,ecommerce", b"B1,\xe9commerce")  # Latin-1, say
    leads = write(tmp_path, "crm.csv", data + b"\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert scored_ids(result) == [("G1", 2), ("G2", 4), ("G3", 5)]
    assert [lead["fit_score"] for lead in data["leads"]] == [40, 40, 25]  # G3 is no shop: no industry points
    assert data["errors"] == [{"row": 3, "message": 'the column "industry" holds bytes that are not UTF-8 text: '
                                                    '"\\xe9commerce" (the file should be saved as UTF-8)'}]
    assert result.stderr.splitlines()[0] == "crm.csv:row 3: " + data["errors"][0]["message"]
    for fmt in ("csv", "table"):
        again = run_score(small, leads, "--format", fmt)
        not_crashed(again)
        assert again.exit_code == 1 and again.stderr.startswith("crm.csv:row 3: the column \"industry\" holds bytes")


def test_bytes_that_are_not_utf8_in_the_header_or_a_json_line(tmp_path, small):
    leads = write(tmp_path, "crm.csv", HEADER.replace("industry", "industr\xe9").encode("latin-1") + b"\n"
                  + good_rows(1)[0].encode() + b"\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1 and json.loads(result.stdout)["leads"] == []
    assert json.loads(result.stdout)["errors"] == [{"row": 1, "message": (
        'column 2 of the header, "industr\\xe9", holds bytes that are not UTF-8 text '
        "(the file should be saved as UTF-8)")}]
    lines = [json.dumps({"id": "G1", "industry": "ecommerce"}).encode(),
             json.dumps({"id": "B2", "industry": "XX"}).encode().replace(b"XX", b"caf\xe9"),
             json.dumps({"id": "G3", "industry": "dtc"}).encode()]
    result = run_score(small, write(tmp_path, "crm.jsonl", b"\n".join(lines) + b"\n"), "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    assert scored_ids(result) == [("G1", 1), ("G3", 3)]
    (error,) = json.loads(result.stdout)["errors"]
    assert error["row"] == 2 and error["message"].startswith("the line holds bytes that are not UTF-8 text: ")
    assert "caf\\xe9" in error["message"]


@pytest.mark.parametrize("header, maps, named", [
    ("id,industry,monthly_ad_budget,Industry ,events", [],
     'industry in columns 2 "industry" and 4 "Industry "'),
    ("Record ID,id,industry,events", ["--map", "Record ID=id"],
     'id in columns 1 "Record ID" (by --map) and 2 "id"'),
    ("id,events,industry,events,notes,notes", [],
     'events in columns 2 "events" and 4 "events"; notes in columns 5 "notes" and 6 "notes"'),
])
def test_a_header_naming_a_field_twice_is_refused_before_any_row(tmp_path, small, header, maps, named):
    leads = write(tmp_path, "crm.csv", header + "\nL1,ecommerce,dental,call_booked:2026-11-20\n")
    for fmt in ("json", "csv", "table"):
        result = run_score(small, leads, "--format", fmt, *maps)
        not_crashed(result)
        assert result.exit_code == 2  # a usage error: the command cannot read the file as asked
        message = ("the header has more than one column for a field, and only one value could be read: "
                   f"{named}. Rename or remove all but one (or change --map); nothing was scored")
        assert message in result.output
        assert result.stdout == "" or "L1" not in result.stdout


def test_columns_without_a_name_may_repeat(tmp_path, small):
    leads = write(tmp_path, "crm.csv", HEADER + ",,\n" + good_rows(1)[0] + ",,\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 0, result.output
    assert scored_ids(result) == [("G1", 2)]


def test_blank_lines_before_the_header_are_skipped(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "\r\n\n" + "\n".join([HEADER, *good_rows(2)]) + "\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 0, result.output
    assert scored_ids(result) == [("G1", 4), ("G2", 5)]
    leads = write(tmp_path, "many.csv", "\r\n" * 9 + "\r\n".join([HEADER, *good_rows(1)]) + "\r\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 0, result.output
    assert scored_ids(result) == [("G1", 11)]


def test_an_unclosed_quote_in_the_header(tmp_path, small):
    leads = write(tmp_path, "crm.csv", 'id,"industry,events\n' + "\n".join(good_rows(2)) + "\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] == [{"row": 1, "message": (
        "the header cannot be read (a quote opened in it is never closed: it runs to the end of the file)")}]


# ---------------------------------------------------------------- hostile JSON Lines


HOSTILE_JSONL = [
    json.dumps({"id": "G1", "industry": "ecommerce", "events": [{"type": "call_booked", "date": "2026-11-20"}]}),
    '{"id": "B2", "monthly_ad_budget": ' + "9" * 5000 + "}",               # 2 too many digits
    '{"id": "B3", "industry": "\\ud800"}',                                  # 3 a lone surrogate
    "[" * 100_000,                                                          # 4 nested too deeply
    '{"id": "\\udc00x", "industry": "dtc"}',                                # 5 a lone low surrogate
    '{"id": "G6", "industry": "dtc", "note": "\\ud83d\\ude00 and \\\\ud800"}',  # 6 a pair and a backslash: fine
]


def test_hostile_json_lines_are_bad_rows_never_a_traceback(tmp_path, small):
    leads = write(tmp_path, "crm.jsonl", "\n".join(HOSTILE_JSONL) + "\n")
    for fmt in ("json", "csv", "table"):
        result = run_score(small, leads, "--format", fmt)
        not_crashed(result)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("crm.jsonl:row ")]
        assert errors == [
            "crm.jsonl:row 2: the line cannot be read (Exceeds the limit (4300 digits) for integer string "
            "conversion: value has 5000 digits)",
            "crm.jsonl:row 3: the line holds \\ud800, half of a surrogate pair without its other half, "
            "which is not a character",
            "crm.jsonl:row 4: the line nests arrays or objects too deeply to be read",
            "crm.jsonl:row 5: the line holds \\udc00, half of a surrogate pair without its other half, "
            "which is not a character"]
    data = json.loads(run_score(small, leads, "--format", "json").stdout)
    assert [(lead["id"], lead["row"], lead["total_score"]) for lead in data["leads"]] == [("G1", 1, 45), ("G6", 6, 20)]
    assert data["summary"]["bad_rows"] == 4


def test_a_json_field_given_twice_with_different_values_is_a_bad_row(tmp_path, small):
    lines = [
        json.dumps({"id": "B1", "industry": "ecommerce", "attributes": {"industry": "dental"}}),  # 1
        json.dumps({"id": "B2", "attributes": {"Industry": "dental", "industry ": "dtc"}}),       # 2
        json.dumps({"id": "G3", "industry": "dtc", "attributes": {"industry": "dtc"}}),          # 3 the same: fine
        json.dumps({"id": "G4", "Industry": "ecommerce", "industry": "ecommerce "}),             # 4 the same: fine
    ]
    result = run_score(small, write(tmp_path, "crm.jsonl", "\n".join(lines) + "\n"), "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(lead["id"], lead["row"], lead["fit_score"]) for lead in data["leads"]] == [("G3", 3, 20), ("G4", 4, 20)]
    assert data["errors"] == [
        {"row": 1, "message": '"industry" is given both in "attributes" and at the top level, with different values'},
        {"row": 2, "message": "the field industry is given more than once, with different values"}]


HOSTILE_BYTES = [b'"', b'""', b"\n", b"\r", b"\r\n", b",", b"\xe9", b"\xc3", b"\xff\xfe", b"\x00", b"\\ud800",
                 b"[" * 50, b"9" * 5000, b"\xef\xbb\xbf", b"\x85", b"\xe2\x80\xa8", b"{", b"}", b":", b";"]


def test_mutated_exports_never_crash_and_account_for_every_row(tmp_path):
    # a seeded sweep: hostile bytes put into, and cuts made in, a CSV and a JSON Lines export
    rng = random.Random(20261122)
    sample = (REPO / "leads" / "sample-export.csv").read_bytes()[:6000]
    jsonl = b"".join(json.dumps({"id": f"j{i}", "industry": "dental", "monthly_ad_budget": 4000,
                                 "events": [{"type": "call_booked", "date": "2026-11-19"}]}).encode() + b"\n"
                     for i in range(40))
    path = tmp_path / "leads.dat"
    for attempt in range(24):
        original = rng.choice([sample, jsonl])
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.7:
                data[at:at] = rng.choice(HOSTILE_BYTES)
            else:
                del data[at:at + rng.randint(1, 30)]
        path.write_bytes(bytes(data))
        result = invoke("score", path, "--path", REPO, "--as-of", AS_OF.isoformat(), "--format", "json")
        not_crashed(result)
        assert result.exit_code in (0, 1, 2), attempt
        if result.exit_code == 2:  # the header became unusable (a field named twice): said so
            assert "nothing was scored" in result.output, attempt
            continue
        out = json.loads(result.stdout)
        rows = [lead["row"] for lead in out["leads"]] + [e["row"] for e in out["errors"]]
        assert len(rows) == len(set(rows)), attempt  # no row both scored and refused, or twice
        assert out["summary"]["bad_rows"] == len(out["errors"]) and out["summary"]["scored"] == len(out["leads"])
        if bytes(data) == original:
            assert not out["errors"]
