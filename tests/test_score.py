"""`playbook score`: lead records run through the playbook's definitions.

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
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import TypeAdapter

from generator import model as m
from generator.check import run_check
from generator.cli import main
from generator.config import Config
from generator.score import (CSV_COLUMNS, Lead, LeadError, Scorer, _normalise, as_csv_row, as_json, as_row, csv_line, score_file,
                             compile_condition, read_leads)

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
def small_scorer(small) -> Scorer:
    result = run_check(small, Config(), TODAY)
    assert not result.counts.get("error"), [f.message for f in result.findings]
    return Scorer(result.playbook, AS_OF)


@pytest.fixture(scope="module")
def example_scorer() -> Scorer:
    return Scorer(run_check(REPO, Config(), TODAY).playbook, AS_OF)


def score(scorer: Scorer, events=(), **attrs):
    """Score one lead given as keyword attributes and (type, date) events."""
    lead = _normalise(1, {"id": "lead-1", **attrs}, list(events), {}, scorer)
    return scorer.score(lead)


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
    assert [(r, g, p) for r, g, p in got.contributions] == [
        ("shop", "fit", 20), ("big-budget", "fit", 15), ("founder", "fit", 10)]


def test_penalties_lower_fit_below_zero(small_scorer):
    got = score(small_scorer, industry="dental", monthly_ad_budget="500", expected_contact_cadence="daily")
    assert got.fit == -35
    assert {r for r, _, _ in got.contributions} == {"tiny-budget", "needy"}


def test_engagement_decays_by_whole_periods_as_of_the_date(small_scorer):
    # 65 days old: two whole 30-day periods, 25 x 0.75^2 = 14.0625
    got = score(small_scorer, [("call_booked", "2026-09-18")])
    assert got.engagement == 14.06
    assert got.contributions == [("call-booked", "engagement", 14.0625)]
    # 29 days old: no whole period yet; 30 days old: one period
    assert score(small_scorer, [("call_booked", "2026-10-24")]).engagement == 25
    assert score(small_scorer, [("call_booked", "2026-10-23")]).engagement == 18.75
    # an event on the scoring day itself counts in full
    assert score(small_scorer, [("pricing_page_viewed", "2026-11-22")]).engagement == 10


def test_the_same_lead_scores_less_as_of_a_later_date(small):
    pb = run_check(small, Config(), TODAY).playbook
    early, late = Scorer(pb, dt.date(2026, 10, 1)), Scorer(pb, dt.date(2027, 1, 1))
    events = [("call_booked", "2026-09-18")]
    assert score(early, events).engagement == 25  # 13 days
    assert score(late, events).engagement == 10.55  # 105 days: 25 x 0.75^3 = 10.546875


def test_a_rule_level_decay_overrides_the_group_decay(small_scorer):
    # webinar: 8 points, 50% every 7 days; 15 days old -> two periods -> 2 points
    got = score(small_scorer, [("webinar_attended", "2026-11-07")])
    assert got.contributions == [("webinar", "engagement", 2.0)]


def test_engagement_cap_and_the_overall_limit(small_scorer):
    events = [("call_booked", "2026-11-20")] * 3  # 75, capped at 50
    got = score(small_scorer, events, industry="ecommerce", monthly_ad_budget="8000", job_title="founder")
    assert got.fit == 40 and got.engagement == 50
    assert got.total == 60  # 90, limited to 60
    assert len(got.contributions) == 6  # each event listed on its own


def test_negative_event_points_decay_too(small_scorer):
    got = score(small_scorer, [("call_booked", "2026-11-20"), ("unsubscribed", "2026-10-01")])
    # -20 x 0.75 (52 days: one period) = -15
    assert got.engagement == 10
    assert got.contributions[-1] == ("unsubscribed", "engagement", -15.0)


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
    kinds = {r.event.lower() for g in example_scorer.pb.scoring.groups for r in g.rules if r.event}
    assert kinds and kinds == example_scorer.known_events
    got = score(example_scorer, [(k, "2026-11-01") for k in sorted(kinds)])
    assert len(got.contributions) == len(kinds)


def test_exists_false_treats_a_blank_cell_as_absent():
    cond = TypeAdapter(m.Condition).validate_python({"company_website": {"exists": False}})
    check = compile_condition(cond)
    assert check({}, {}) and check({"company_website": ""}, {}) and check({"confirmed": []}, {})
    assert not check({"company_website": "https://x.example"}, {})
    cond = TypeAdapter(m.Condition).validate_python({"company_website": {"exists": True}})
    check = compile_condition(cond)
    assert not check({}, {}) and not check({"company_website": ""}, {})
    assert check({"company_website": "https://x.example"}, {})


# ---------------------------------------------------------------- reading leads


def read(path: Path, scorer: Scorer, mapping=None):
    items = list(read_leads(path, mapping or {}, scorer))
    return [i for i in items if isinstance(i, Lead)], [i for i in items if isinstance(i, LeadError)]


def test_csv_rows_become_leads(tmp_path, small_scorer):
    path = write(tmp_path, "leads.csv", HEADER + "\n"
                 "L1, Ecommerce ,\"8,000\",founder,yes,weekly,call_booked:2026-11-20; pricing_page_viewed:2026-11-01T09:30:00Z;\n"
                 "L2,dental,,,,,\n")
    leads, errors = read(path, small_scorer)
    assert errors == []
    first, second = leads
    assert (first.row, first.id, second.row, second.id) == (2, "L1", 3, "L2")
    assert first.attrs["industry"] == "Ecommerce"
    assert first.events == [("call_booked", dt.date(2026, 11, 20)), ("pricing_page_viewed", dt.date(2026, 11, 1))]
    assert "events" not in first.attrs
    assert second.events == []
    assert small_scorer.score(first).fit == 40


def test_json_lines_with_nested_and_top_level_attributes(tmp_path, small_scorer):
    lines = [
        {"id": "J1", "attributes": {"industry": "ecommerce", "monthly_ad_budget": 8000, "job_title": "founder"},
         "events": [{"type": "call_booked", "date": "2026-09-18"}]},
        {"id": 2, "industry": "dtc", "monthly_ad_budget": 6000.0, "sales_accepted": True,
         "confirmed": ["need", "budget"], "events": []},
        {"record_id": "J3", "attributes": {"email_opt_in": "yes"}},
    ]
    path = write(tmp_path, "leads.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    leads, errors = read(path, small_scorer)
    assert errors == []
    assert [(lead.row, lead.id) for lead in leads] == [(1, "J1"), (2, "2"), (3, "J3")]
    j1, j2, j3 = (small_scorer.score(lead) for lead in leads)
    assert (j1.fit, j1.engagement, j1.persona) == (40, 14.06, "shop-owner")
    assert j2.fit == 35 and j2.lead.attrs["sales_accepted"] == "yes"
    assert j2.stage == "sql"  # fit 35, accepted, need and budget confirmed
    assert j3.stage == "subscriber"


def test_map_renames_export_columns(tmp_path, small_scorer):
    path = write(tmp_path, "hubspot.csv", "Record ID,Industry,Monthly Ad Budget,Activity\n"
                 "hs-1,ecommerce,9000,call_booked:2026-11-20\n")
    leads, errors = read(path, small_scorer, {"record id": "id", "monthly ad budget": "monthly_ad_budget",
                                              "activity": "events"})
    assert errors == []
    (lead,) = leads
    assert lead.id == "hs-1" and lead.attrs["monthly_ad_budget"] == "9000"
    got = small_scorer.score(lead)
    assert (got.fit, got.engagement) == (35, 25)


def test_column_names_are_case_insensitive_and_a_bom_is_ignored(tmp_path, small_scorer):
    text = "ID,Industry,Events\nC1,ecommerce,call_booked:2026-11-20\n"
    for name, data in (("plain.csv", text.encode()), ("excel.csv", b"\xef\xbb\xbf" + text.encode())):
        leads, errors = read(write(tmp_path, name, data), small_scorer)
        assert errors == [], name
        got = small_scorer.score(leads[0])
        assert (leads[0].id, got.fit, got.engagement) == ("C1", 20, 25), name
    data = b"\xef\xbb\xbf" + json.dumps({"id": "J1", "industry": "dtc"}).encode() + b"\n"
    leads, errors = read(write(tmp_path, "bom.jsonl", data), small_scorer)
    assert errors == [] and leads[0].id == "J1"


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
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["G1", "G2", "G3"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("crm.csv:row ")]
    assert [e.split(":")[1] for e in errors] == ["row 3", "row 4", "row 5", "row 6", "row 7", "row 8",
                                                 "row 12", "row 13", "row 14"]
    by_row = {int(e.split(":")[1].split()[1]): e.split(": ", 1)[1] for e in errors}
    assert by_row[3].startswith("no id")
    assert by_row[4] == '"2026-13-45" is not a date (use YYYY-MM-DD)'
    assert by_row[5].startswith('unknown event type "podcast_listened" (the scoring model knows: ')
    assert by_row[6] == "monthly_ad_budget -5 is negative"
    assert by_row[7] == "monthly_ad_budget 1e12 is not a believable value"
    assert by_row[8] == "the row has more values than the header has columns"
    assert by_row[12] == 'monthly_ad_budget "lots" is not a number'
    assert "has no date" in by_row[13]
    assert "after the scoring date" in by_row[14]
    assert "Scored 3 lead(s); 9 bad row(s) skipped as of 2026-11-22." in result.stderr


def test_table_format_reports_bad_rows_on_stderr_only(tmp_path, small):
    result = run_score(small, write(tmp_path, "crm.csv", BAD_CSV))
    assert result.exit_code == 1
    assert "crm.csv:row" not in result.stdout
    assert result.stdout.splitlines()[-3] == "Scored 3 lead(s); 9 bad row(s) skipped as of 2026-11-22."


def test_a_file_without_an_id_column(tmp_path, small):
    leads = write(tmp_path, "noid.csv", "industry,events\necommerce,\ndental,\n")
    result = run_score(small, leads)
    not_crashed(result)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "noid.csv:row 2: no id (expected a column id, record_id, lead_id, contact_id or email)",
        "noid.csv:row 3: no id (expected a column id, record_id, lead_id, contact_id or email)"]


def test_a_value_longer_than_the_csv_field_limit_is_a_bad_row(tmp_path, small):
    long = ";".join(["pricing_page_viewed:2026-11-20"] * 6000)  # 180,000 characters
    leads = write(tmp_path, "long.csv", "\n".join([HEADER, *good_rows(1), f"L1,dtc,1,x,yes,weekly,{long}",
                                                 *good_rows(2)[1:]]) + "\n")
    result = run_score(small, leads, "--format", "csv")
    not_crashed(result)
    assert result.exit_code == 1
    assert [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["G1", "G2"]
    assert result.stderr.startswith("long.csv:row 3: ")


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
    assert [(lead["id"], lead["row"]) for lead in data["leads"]] == [("G1", 1), ("G2", 14)]
    assert [e["row"] for e in data["errors"]] == [2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]
    stderr = result.stderr.splitlines()
    assert stderr[0].startswith("crm.jsonl:row 2: the line is not valid JSON")
    assert stderr[1] == "crm.jsonl:row 3: the line is not a JSON object"
    assert stderr[2] == "crm.jsonl:row 4: monthly_ad_budget -5 is negative"
    assert stderr[3] == "crm.jsonl:row 5: monthly_ad_budget 1000000000000.0 is not a believable value"
    assert stderr[4] == 'crm.jsonl:row 6: each event needs a "type" and a "date"'
    assert stderr[5] == 'crm.jsonl:row 7: "22/11/2026" is not a date (use YYYY-MM-DD)'
    assert stderr[6].startswith('crm.jsonl:row 8: unknown event type "fax_sent"')
    assert stderr[7].startswith("crm.jsonl:row 10: ")
    assert stderr[8] == 'crm.jsonl:row 11: "industry" has a value of the wrong kind'
    assert stderr[9] == 'crm.jsonl:row 12: "events" should be a list'
    assert stderr[10].startswith("crm.jsonl:row 13: no id")
    assert data["summary"]["bad_rows"] == 11 and data["summary"]["scored"] == 2


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


# ---------------------------------------------------------------- memory


def _write_generated(path: Path, n: int, kinds: list[str], seed: int) -> None:
    """n leads of the example playbook's shape; ids and websites differ per seed."""
    rng = random.Random(seed)
    days = [(AS_OF - dt.timedelta(days=d)).isoformat() for d in range(365)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "industry", "monthly_ad_budget", "job_title", "expected_contact_cadence",
                      "email_opt_in", "company_website", "confirmed", "events"])
        for i in range(n):
            out.writerow([f"lead-{seed}-{i}", rng.choice(["ecommerce", "dtc", "dental", "coaching", "saas"]),
                          rng.choice([500, 2500, 8000, 20000]), rng.choice(["founder", "owner", "assistant"]),
                          rng.choice(["weekly", "monthly", "daily"]), "yes", f"https://l{seed}-{i}.example",
                          rng.choice(["", "need;budget"]),
                          ";".join(f"{rng.choice(kinds)}:{rng.choice(days)}" for _ in range(4))])


class _Discard:
    def write(self, text: str) -> int:
        return len(text)


def _score_all(path: Path, scorer: Scorer) -> int:
    count = 0
    sink = csv.writer(_Discard())
    for item in read_leads(path, {}, scorer):
        if isinstance(item, Lead):
            sink.writerow(as_csv_row(scorer.score(item)))
            count += 1
    return count


def _peak(path: Path, scorer: Scorer) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = _score_all(path, scorer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_stays_flat_however_many_leads(tmp_path, example_scorer):
    """Leads are streamed: peak memory while scoring 10x as many leads stays about the same.
    (The scorer's caches are bounded; a warm-up on other leads fills them first, and the
    measured files have ids and websites of their own, so an unbounded cache would show.)"""
    kinds = sorted(example_scorer.known_events)
    warm, small, large = (tmp_path / f"{name}.csv" for name in ("warm", "small", "large"))
    _write_generated(warm, 1_000, kinds, seed=1)
    _write_generated(small, 1_500, kinds, seed=2)
    _write_generated(large, 15_000, kinds, seed=3)
    scorer = Scorer(example_scorer.pb, AS_OF)
    assert _score_all(warm, scorer) == 1_000
    n_small, small_peak = _peak(small, scorer)
    n_large, large_peak = _peak(large, scorer)
    assert (n_small, n_large) == (1_500, 15_000)
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


# ---------------------------------------------------------------- one answer, however it is scored


CELLS = {
    "industry": ["ecommerce", " dtc ", "DTC", "saas", "", "  "],
    "monthly_ad_budget": ["6000", "1500", "5,000", "", "0", "abc", "-5", "1e12", " 7000 "],
    "job_title": ["founder", "Founder", "intern", ""],
    "email_opt_in": ["yes", "no", ""],
    "expected_contact_cadence": ["weekly", "daily", "HOURLY", ""],
    "sales_accepted": ["yes", ""],
    "confirmed": ["need;budget", "budget", "need; budget; authority", ""],
    "rejection_reason": ["", "bad-timing", "Below-Price-Point", "unresponsive", "other"],
}
EVENT_ITEMS = ["call_booked:2026-11-01", "pricing_page_viewed:2026-10-02", "webinar_attended:2026-11-20",
               "unsubscribed:2026-06-30", "call_booked:2026-09-15", " pricing_page_viewed:2026-11-22 ",
               "", "call_booked", "teleported:2026-11-01", "call_booked:2026-13-01", "webinar_attended:2027-01-01"]


def random_export(rng: random.Random, n: int, quoted: bool) -> str:
    """A CSV export with good rows and every kind of bad one, now and then quoted cells with
    commas, quotes and line breaks, short rows and long ones."""
    columns = ["id", *CELLS, "events"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"]),
                        quoting=csv.QUOTE_ALL if quoted and rng.random() < 0.3 else csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for i in range(n):
        good = rng.random() < 0.7
        row = [f"lead-{i}" if good or rng.random() < 0.5 else rng.choice(["", " "])]
        row += [rng.choice(CELLS[c][:3] if good else CELLS[c]) for c in CELLS]
        items = [rng.choice(EVENT_ITEMS[:6] if good else EVENT_ITEMS) for _ in range(rng.randint(0, 8))]
        row.append(";".join(items))
        if quoted and rng.random() < 0.2:
            row[1] = rng.choice(['dtc, "the" shop', "line\nbreak", 'say "hi"'])
        if not good and rng.random() < 0.1:
            row = row[:rng.randint(1, len(row))] if rng.random() < 0.5 else row + ["extra"]
        writer.writerow(row)
        if rng.random() < 0.05:
            out.write("\n")  # a blank line
    return out.getvalue()


def general_output(path: Path, scorer: Scorer) -> tuple[str, list]:
    """What reading the leads one by one and scoring each gives: CSV lines and bad rows."""
    lines, errors = [], []
    for item in read_leads(path, {}, scorer):
        if isinstance(item, LeadError):
            errors.append((item.row, str(item)))
        else:
            lines.append(csv_line(as_csv_row(scorer.score(item))))
    return "".join(lines), errors


def streamed_output(path: Path, scorer: Scorer, jobs: int, fmt: str = "csv") -> tuple[str, list]:
    chunks = list(score_file(path, {}, scorer, fmt, jobs=jobs))
    joiner = b",\n" if fmt == "json" else b""  # as the command joins them
    return joiner.join(c.data for c in chunks if c.data).decode(), [e for c in chunks for e in c.errors]


@pytest.mark.parametrize("seed", range(6))
def test_streamed_csv_scoring_gives_what_scoring_each_lead_gives(tmp_path, small, seed, monkeypatch):
    rng = random.Random(seed)
    path = write(tmp_path, "leads.csv", random_export(rng, 400, quoted=seed % 2 == 1))
    result = run_check(small, Config(), TODAY)
    # runs of a few records, so records are cut into runs in every possible place
    monkeypatch.setattr("generator.score.RUN_BYTES", rng.choice([64, 200, 1000]))
    want = general_output(path, Scorer(result.playbook, AS_OF))
    assert want[0] and want[1]  # some good rows and some bad ones
    streamed = Scorer(result.playbook, AS_OF)
    assert streamed.streamable
    assert streamed_output(path, streamed, jobs=1) == want
    assert streamed_output(path, streamed, jobs=1) == want  # with every cache warm
    assert streamed_output(path, Scorer(result.playbook, AS_OF), jobs=2) == want


def test_streamed_scoring_with_events_in_two_groups(tmp_path, monkeypatch):
    # an event type with two rules, in two groups: the general shape of the arithmetic
    files = dict(SMALL)
    files["definitions/scoring.yaml"] = SMALL["definitions/scoring.yaml"] + """
            - id: intent
              name: Buying intent
              kind: engagement
              cap: 15
              rules:
                - {id: call-intent, event: call_booked, points: 10}
                - {id: pricing-intent, event: pricing_page_viewed, points: 5, decay: "10% every 30d"}
        """
    root = write_playbook(tmp_path / "pb", files)
    result = run_check(root, Config(), TODAY)
    assert not result.counts.get("error"), [f.message for f in result.findings]
    path = write(tmp_path, "leads.csv", random_export(random.Random(7), 300, quoted=True))
    monkeypatch.setattr("generator.score.RUN_BYTES", 500)
    scorer = Scorer(result.playbook, AS_OF)
    assert scorer.streamable and not scorer._one_rule_per_event and scorer._event_group is None
    want = general_output(path, Scorer(result.playbook, AS_OF))
    assert "call-intent +" in want[0]
    assert streamed_output(path, scorer, jobs=1) == want
    assert streamed_output(path, scorer, jobs=2) == want


def test_worker_processes_give_the_same_output_in_every_format(tmp_path, example_scorer, monkeypatch):
    leads = (REPO / "leads" / "sample-export.csv").read_bytes()
    path = write(tmp_path, "leads.csv", leads)
    monkeypatch.setattr("generator.score.RUN_BYTES", 4096)
    for fmt in ("csv", "table", "json"):
        assert streamed_output(path, example_scorer, jobs=2, fmt=fmt) == \
            streamed_output(path, example_scorer, jobs=1, fmt=fmt)
    assert streamed_output(path, example_scorer, jobs=1) == general_output(path, example_scorer)


def test_json_lines_in_worker_processes(tmp_path, example_scorer, monkeypatch):
    records = []
    for i, row in enumerate(csv.DictReader(io.StringIO((REPO / "leads" / "sample-export.csv").read_text()))):
        events = [dict(zip(("type", "date"), e.split(":"))) for e in row.pop("events").split(";") if e]
        records.append(json.dumps({"id": row.pop("id"), "attributes": row, "events": events})
                       + ("\r\n" if i % 3 else "\n"))
    records.insert(100, "{not json\n")
    path = write(tmp_path, "leads.jsonl", "".join(records))
    monkeypatch.setattr("generator.score.RUN_BYTES", 2048)
    one = streamed_output(path, example_scorer, jobs=1, fmt="json")
    assert one[1] == [(101, "the line is not valid JSON (Expecting property name enclosed in double quotes)")]
    assert json.loads("[" + one[0] + "]")[100]["row"] == 102  # rows are the file's lines
    assert streamed_output(path, example_scorer, jobs=2, fmt="json") == one
    assert streamed_output(path, example_scorer, jobs=2) == general_output(path, example_scorer)


def test_a_scorer_that_cannot_stream_scores_the_general_way(tmp_path, small):
    # a persona testing a score is decided after the scores: no shortcut through the profile
    files = dict(SMALL)
    files["personas/hot.yaml"] = """
        id: hot
        name: Hot shop
        kind: buyer
        owner: marketing
        goals: [Sell]
        challenges: [Time]
        objections:
          - {objection: Busy., response: We are quick.}
        criteria:
          - industry: {in: [ecommerce]}
          - engagement_score: {gte: 20}
        """
    root = write_playbook(tmp_path / "pb", files)
    scorer = Scorer(run_check(root, Config(), TODAY).playbook, AS_OF)
    assert not scorer.streamable
    path = write(tmp_path, "leads.csv", f"{HEADER}\nhot-1,ecommerce,6000,founder,yes,weekly,"
                 "call_booked:2026-11-20\ncold-1,ecommerce,6000,founder,yes,weekly,\n")
    out, errors = streamed_output(path, scorer, jobs=1)
    assert not errors
    assert [line.split(",")[5] for line in out.splitlines()] == ["hot", "shop-owner"]
    assert (out, errors) == general_output(path, scorer)


def test_numbers_are_written_to_two_places_without_trailing_zeros():
    from generator.score import _number_text, _rule_text
    assert [_number_text(x) for x in (25.0, 4.04, 1.5, 0.0, -0.001, 1234567.891, -3.456)] == \
        ["25", "4.04", "1.5", "0", "0", "1234567.89", "-3.46"]
    assert _rule_text("call-booked", 18.75) == "call-booked +18.75"
    assert _rule_text("careers-page", -20.0) == "careers-page -20"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_output_is_the_same_whatever_stdout_encodes(tmp_path, small, fmt):
    # chunks go straight to stdout's bytes when it writes UTF-8, through its text layer otherwise
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
    (error,) = data["errors"]
    assert error["row"] == 3
    assert error["message"].startswith('the quote opening value 2 of this row ("ecommerce,8000,founder,yes,weekly,\\nG2')
    assert "so lines 4-5, to the end of the file, were read into that value: none of them is scored" in error["message"]
    assert data["summary"]["bad_rows"] == 1
    assert result.stderr.splitlines()[0] == "crm.csv:row 3: " + error["message"]
    # the same in the other formats, and when the file ends inside the quote on its last line
    for fmt in ("csv", "table"):
        again = run_score(small, leads, "--format", fmt)
        assert again.exit_code == 1 and "crm.csv:row 3: the quote opening value 2" in again.stderr
    one = write(tmp_path, "one.csv", "\r\n".join([HEADER, *good_rows(1), 'B2,"dtc,9000,', *good_rows(3)[2:]]) + "\r\n")
    result = run_score(small, one, "--format", "json")
    assert result.exit_code == 1 and scored_ids(result) == [("G1", 2)]
    assert json.loads(result.stdout)["errors"] == [{"row": 3, "message": (
        'the quote opening value 2 of this row ("dtc,9000,\\r\\nG3,ecommerce,8000,founder,yes...") is never closed, '
        "so line 4, the last of the file, was read into that value and is not scored; "
        "is its closing quote missing?")}]
    last = write(tmp_path, "last.csv", "\n".join([HEADER, *good_rows(2), 'B3,dtc,9000,"founder']))
    result = run_score(small, last, "--format", "json")
    assert result.exit_code == 1 and scored_ids(result) == [("G1", 2), ("G2", 3)]
    assert json.loads(result.stdout)["errors"] == [{"row": 4, "message": (
        'the quote opening value 4 of this row ("founder") is never closed: the file ends inside it; '
        "is its closing quote missing?")}]


def test_an_unclosed_quote_longer_than_the_field_limit_is_reported_where_it_opens(tmp_path, small):
    # past the csv module's field limit the rows after the swallowed lines are read again
    rows = good_rows(3000)
    rows[1] = 'B2,"dtc,9000,founder,yes,weekly,'
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *rows]) + "\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert error["row"] == 3
    end = int(error["message"].split()[1].split("-")[1])
    assert error["message"].startswith(f"lines 3-{end} cannot be read as a row (field larger than field limit")
    assert "a quoted value opening on line 3 runs on through them all, so none of them is scored" in error["message"]
    ids = scored_ids(result)
    assert ids[0] == ("G1", 2) and ids[1] == (f"G{end}", end + 1) and ids[-1] == ("G3000", 3001)
    assert len(ids) == 3000 - (end - 2)


def test_an_unclosed_quote_is_the_same_in_runs_worker_processes_and_the_reader(tmp_path, small, monkeypatch):
    scorer = Scorer(run_check(small, Config(), TODAY).playbook, AS_OF)
    rows = good_rows(3000)
    for at, text in ((40, 'B40,"dtc,9000,founder,yes,weekly,'), (2990, 'B2990,dtc,"9000,founder,yes,weekly,')):
        rows[at] = text
    path = write(tmp_path, "crm.csv", "\n".join([HEADER, *rows]) + "\n")
    want = general_output(path, scorer)
    assert [(row, message.split(" ", 2)[:2]) for row, message in want[1]] == \
        [(42, ["lines", want[1][0][1].split()[1]]), (2992, ["the", "quote"])]
    assert "G2990," in want[0] and "G2991," not in want[0]
    for run_bytes in (300, 5000, 1 << 20):
        monkeypatch.setattr("generator.score.RUN_BYTES", run_bytes)
        for fmt in ("csv", "json"):
            assert streamed_output(path, scorer, jobs=2, fmt=fmt) == streamed_output(path, scorer, jobs=1, fmt=fmt)
        assert streamed_output(path, scorer, jobs=2) == want


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


def test_bytes_that_are_not_utf8_are_the_same_in_worker_processes_and_the_reader(tmp_path, small, monkeypatch):
    scorer = Scorer(run_check(small, Config(), TODAY).playbook, AS_OF)
    rows = [row.encode() for row in good_rows(2000)]
    for at in (5, 700, 1999):
        rows[at] = rows[at].replace(b"founder", b"fond\xe9" if at != 700 else b"f\xc3")  # \xc3: a cut character
    path = write(tmp_path, "crm.csv", b"\n".join([HEADER.encode(), *rows]) + b"\n")
    want = general_output(path, scorer)
    assert [row for row, _ in want[1]] == [7, 702, 2001]
    assert want[0].count("\n") == 1997
    monkeypatch.setattr("generator.score.RUN_BYTES", 4096)
    for fmt in ("csv", "json", "table"):
        assert streamed_output(path, scorer, jobs=2, fmt=fmt) == streamed_output(path, scorer, jobs=1, fmt=fmt)
    assert streamed_output(path, scorer, jobs=2) == want
    assert streamed_output(Path(path), Scorer(run_check(small, Config(), TODAY).playbook, AS_OF), jobs=1) == want


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
        assert result.exit_code == 1
        message = ("the header has more than one column for a field, and only one value could be read: "
                   f"{named}. Rename or remove all but one (or change --map); nothing was scored")
        assert result.stderr.splitlines()[0] == f"crm.csv:row 1: {message}"
        if fmt == "json":
            data = json.loads(result.stdout)
            assert data["leads"] == [] and data["errors"] == [{"row": 1, "message": message}]
            assert data["summary"]["scored"] == 0
    # the library reader says the same, and nothing else
    mapping = {"record id": "id"} if maps else {}
    items = list(read_leads(leads, mapping, Scorer(run_check(small, Config(), TODAY).playbook, AS_OF)))
    assert [(item.row, str(item)) for item in items] == [(1, message)]


def test_columns_without_a_name_may_repeat(tmp_path, small):
    leads = write(tmp_path, "crm.csv", HEADER + ",,\n" + good_rows(1)[0] + ",,\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 0, result.output
    assert scored_ids(result) == [("G1", 2)]


def test_blank_lines_before_the_header_are_skipped(tmp_path, small, monkeypatch):
    scorer = Scorer(run_check(small, Config(), TODAY).playbook, AS_OF)
    leads = write(tmp_path, "crm.csv", "\r\n\n" + "\n".join([HEADER, *good_rows(2)]) + "\n")
    result = run_score(small, leads, "--format", "json")
    assert result.exit_code == 0, result.output
    assert scored_ids(result) == [("G1", 4), ("G2", 5)]
    assert streamed_output(leads, scorer, jobs=1) == general_output(leads, scorer)
    monkeypatch.setattr("generator.score.RUN_BYTES", 4)  # more blank lines than one block holds
    leads = write(tmp_path, "many.csv", "\r\n" * 9 + "\n".join([HEADER, *good_rows(1)]) + "\n")
    out, errors = streamed_output(leads, scorer, jobs=1)
    assert not errors and out.startswith("G1,")
    assert [lead.row for lead in read(leads, scorer)[0]] == [11]


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


def test_hostile_json_lines_in_worker_processes(tmp_path, small, monkeypatch):
    scorer = Scorer(run_check(small, Config(), TODAY).playbook, AS_OF)
    lines = [json.dumps({"id": f"G{i}", "industry": "dtc"}) for i in range(300)]
    for at, hostile in zip((3, 150, 299), HOSTILE_JSONL[1:4]):
        lines[at] = hostile
    path = write(tmp_path, "crm.jsonl", "\n".join(lines) + "\n")
    monkeypatch.setattr("generator.score.RUN_BYTES", 2048)
    one = streamed_output(path, scorer, jobs=1, fmt="json")
    assert [row for row, _ in one[1]] == [4, 151, 300]
    assert len(json.loads("[" + one[0] + "]")) == 297
    assert streamed_output(path, scorer, jobs=2, fmt="json") == one
    assert streamed_output(path, scorer, jobs=2) == general_output(path, scorer)


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


def test_mutated_exports_score_the_same_every_way_and_never_crash(tmp_path, example_scorer, monkeypatch):
    # a seeded sweep: hostile bytes put into, and cuts made in, a CSV and a JSON Lines export
    rng = random.Random(20261122)
    sample = (REPO / "leads" / "sample-export.csv").read_bytes()[:6000]
    jsonl = b"".join(json.dumps({"id": f"j{i}", "industry": "dental", "monthly_ad_budget": 4000,
                                 "events": [{"type": "call_booked", "date": "2026-11-19"}]}).encode() + b"\n"
                     for i in range(40))
    path = tmp_path / "leads.dat"
    for attempt in range(60):
        data = bytearray(rng.choice([sample, jsonl]))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.7:
                data[at:at] = rng.choice(HOSTILE_BYTES)
            else:
                del data[at:at + rng.randint(1, 30)]
        path.write_bytes(bytes(data))
        monkeypatch.setattr("generator.score.RUN_BYTES", rng.choice([64, 500, 1 << 20]))
        want = general_output(path, example_scorer)
        assert streamed_output(path, example_scorer, jobs=1) == want, attempt
        assert streamed_output(path, example_scorer, jobs=2) == want, attempt
        json.loads("[" + streamed_output(path, example_scorer, jobs=1, fmt="json")[0] + "]")
        if attempt % 10 == 0:
            result = invoke("score", path, "--path", REPO, "--as-of", AS_OF.isoformat(), "--format", "json")
            not_crashed(result)
            assert result.exit_code in (0, 1), attempt
            assert json.loads(result.stdout)["summary"]["bad_rows"] == len(want[1]), attempt
