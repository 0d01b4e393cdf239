"""The compiled scoring query: one sqlglot expression over `leads` and `events`, run here by DuckDB
on tables built by hand (the input contract), and written in the warehouse dialects."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
import sqlglot

from generator.check import run_check
from generator.config import Config
from generator.scoring.compile import (OUTPUT_COLUMNS, event_types, lead_fields, persona_ids, red_flag_texts,
                                       round2, scoring_query, stage_ids)

from conftest import REPO, TODAY, write_playbook
from test_score import AS_OF, SMALL


@pytest.fixture(scope="module")
def small_pb(tmp_path_factory):
    root = write_playbook(tmp_path_factory.mktemp("small"), SMALL)
    result = run_check(root, Config(), TODAY)
    assert not result.counts.get("error"), [f.message for f in result.findings]
    return result.playbook


def quoted(name: str) -> str:
    return sqlglot.exp.to_identifier(name, quoted=True).sql("duckdb")


def run(pb, leads: list[dict], events: list[tuple] = (), as_of=AS_OF) -> dict[str, dict]:
    """Score leads (dicts of field values) and events ((lead id, type, date)) by the contract."""
    con = duckdb.connect()
    fields = lead_fields(pb)
    types = {"number": "DOUBLE", "text": "VARCHAR", "list": "VARCHAR"}
    con.execute("CREATE TABLE leads (lead_id VARCHAR" + "".join(f', {quoted(f.name)} {types[f.kind]}' for f in fields) + ")")
    con.execute("CREATE TABLE events (lead_id VARCHAR, event VARCHAR, occurred DATE)")
    for lead in leads:
        con.execute("INSERT INTO leads VALUES (" + ", ".join("?" * (len(fields) + 1)) + ")",
                    [lead["id"]] + [lead.get(f.name) for f in fields])
    if events:
        con.executemany("INSERT INTO events VALUES (?, ?, ?)", list(events))
    rows = con.execute(scoring_query(pb, as_of).sql("duckdb")).fetchall()
    con.close()
    return {row[0]: dict(zip(OUTPUT_COLUMNS, row)) for row in rows}


def test_the_input_contract_lists_fields_with_their_kinds(small_pb):
    kinds = {f.name: f.kind for f in lead_fields(small_pb)}
    assert kinds["monthly_ad_budget"] == "number"
    assert kinds["industry"] == kinds["email_opt_in"] == kinds["expected_contact_cadence"] == "text"
    assert kinds["confirmed"] == "list" and kinds["rejection_reason"] == "text"
    assert "fit_score" not in kinds
    assert event_types(small_pb) == ["call_booked", "pricing_page_viewed", "unsubscribed", "webinar_attended"]
    assert stage_ids(small_pb) == ["subscriber", "lead", "mql", "sal", "sql"]
    assert set(persona_ids(small_pb)) == {"shop-owner", "needy", "small-budget"}
    assert red_flag_texts(small_pb) == ["Wants daily calls", "Ad budget under 2,000 USD a month"]


def test_scores_caps_limit_decay_stage_persona_flags_and_track(small_pb):
    got = run(small_pb, [
        {"id": "a", "industry": "Ecommerce ", "monthly_ad_budget": 8000, "job_title": "founder",
         "email_opt_in": "yes", "sales_accepted": "yes"},
        {"id": "b", "industry": "dtc", "monthly_ad_budget": 1500, "expected_contact_cadence": "daily",
         "rejection_reason": "Bad-Timing"},
        {"id": "c"},
    ], [("a", "call_booked", dt.date(2026, 11, 20)), ("a", "call_booked", dt.date(2026, 9, 1)),
        ("a", "webinar_attended", dt.date(2026, 11, 8)), ("a", "pricing_page_viewed", dt.date(2026, 11, 21)),
        ("b", "unsubscribed", dt.date(2026, 11, 1)), ("b", "no_such_event", dt.date(2026, 11, 1))])
    a, b, c = got["a"], got["b"], got["c"]
    # fit 20 + 15 + 10 = 45, capped at 40; engagement 25 + 25*0.75^2 + 8*0.5^2 + 10 = 51.06.., capped at 50;
    # the total 90 is limited to 60
    assert (a["fit_score"], a["engagement_score"], a["total_score"]) == (40, 50, 60)
    assert a["stage"] == "sal" and a["persona"] == "shop-owner" and a["negative"] is False
    assert a["rules"] == ("shop +20; big-budget +15; founder +10; call-booked +39.06; webinar +2; pricing +10")
    assert (b["fit_score"], b["engagement_score"]) == (-15, -20)
    assert b["persona"] == "needy" and b["negative"] is True  # negative personas win, then the first listed
    assert b["red_flags"] == "Wants daily calls; Ad budget under 2,000 USD a month"
    assert b["stage"] == "lead" and b["nurture_track"] == "later"
    assert c["rules"] is None and c["stage"] is None and c["persona"] is None and c["fit_score"] == 0


def test_confirmed_dimensions_gate_a_stage(small_pb):
    base = {"industry": "dtc", "monthly_ad_budget": 9000, "sales_accepted": "yes"}
    got = run(small_pb, [{"id": "both", **base, "confirmed": "Need; budget"}, {"id": "one", **base, "confirmed": "need"}])
    assert got["both"]["stage"] == "sql" and got["one"]["stage"] == "lead"


def test_as_of_none_means_the_engines_current_date(small_pb):
    sql = scoring_query(small_pb, None).sql("duckdb")
    assert "CURRENT_DATE" in sql
    today = dt.date.today()
    got = run(small_pb, [{"id": "a"}], [("a", "call_booked", today)], as_of=None)
    assert got["a"]["engagement_score"] == 25


def test_rounding_goes_to_the_even_hundredth_on_an_exact_half():
    con = duckdb.connect()
    for value, want in ((1.125, 1.12), (1.135, 1.14), (-1.125, -1.12), (5.625, 5.62), (0.001, 0.0)):
        expr = round2(sqlglot.exp.cast(sqlglot.exp.Literal.number(repr(value)), "DOUBLE"))
        assert con.execute("SELECT " + expr.sql("duckdb")).fetchone()[0] == pytest.approx(want), value
        assert round(value, 2) == pytest.approx(want)


def test_names_and_values_from_the_definitions_are_quoted_never_pasted(tmp_path):
    files = dict(SMALL)
    files["definitions/scoring.yaml"] = SMALL["definitions/scoring.yaml"].replace(
        "{id: founder, when: {job_title: {eq: founder}}", """{id: "o'brien", when: {"job title\\"; DROP TABLE leads; --": {eq: "it's"}}""")
    root = write_playbook(tmp_path, files)
    pb = run_check(root, Config(), TODAY).playbook
    names = {f.name for f in lead_fields(pb)}
    assert 'job title"; DROP TABLE leads; --' in names
    got = run(pb, [{"id": "x", 'job title"; DROP TABLE leads; --': "It's"}])
    assert got["x"]["rules"] == "o'brien +10"


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "bigquery", "snowflake"])
def test_the_query_is_written_in_each_warehouse_dialect_and_parses_back(dialect):
    pb = run_check(REPO, Config(), TODAY).playbook
    sql = scoring_query(pb, AS_OF).sql(dialect)
    assert sqlglot.parse_one(sql, read=dialect) is not None
