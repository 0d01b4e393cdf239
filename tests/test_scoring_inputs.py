"""`playbook score` on exports as CRMs write them: money, yes/no spellings, semicolons, Parquet,
a memory limit; and properties of the compiled query that hold for any lead."""

from __future__ import annotations

import csv
import io
import json
import random

import duckdb
import pytest

from generator.check import run_check
from generator.config import Config
from generator.scoring.run import Lead, score_leads

from conftest import TODAY
from test_score import AS_OF, HEADER, SMALL, good_rows, not_crashed, run_score, write
from conftest import write_playbook


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_playbook(tmp_path_factory.mktemp("small"), SMALL)


def rows_of(result) -> list[dict]:
    not_crashed(result)
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_money_and_yes_no_as_crms_write_them(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "id,industry,monthly_ad_budget,email_opt_in,sales_accepted,events\n"
                  'M1,dtc,"$8,000",TRUE,,\n'
                  "M2,dtc,8000 USD,1,,\n"
                  'M3,dtc,"1,500",false,,\n'
                  "M4,dtc,€ 9000,yes,true,call_booked:2026-11-20\n")
    result = run_score(small, leads, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in rows_of(result)}
    assert rows["M1"]["fit_score"] == rows["M2"]["fit_score"] == "35"      # shop 20 + big budget 15
    assert rows["M3"]["fit_score"] == "-10" and rows["M3"]["persona"] == "small-budget"  # 1,500 < 2,000
    assert rows["M1"]["stage"] == "lead"  # an industry: lead (subscriber is an earlier stage)
    assert rows["M4"]["stage"] == "sal"   # "true" is yes: sales accepted


def test_a_semicolon_export_with_a_byte_order_mark(tmp_path, small):
    text = "\ufeff" + HEADER.replace(",", ";") + "\n" + "\n".join(r.replace(",", ";", 6) for r in good_rows(2)) + "\n"
    result = run_score(small, write(tmp_path, "excel.csv", text), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["total_score"], r["stage"]) for r in rows_of(result)] == [("G1", "60", "mql"), ("G2", "60", "mql")]


def test_parquet_with_events_as_text_or_as_a_list(tmp_path, small):
    con = duckdb.connect()
    plain, nested = tmp_path / "leads.parquet", tmp_path / "nested.parquet"
    con.execute(f"""COPY (SELECT * FROM (VALUES ('P1', 'ecommerce', 8000, 'founder', 'call_booked:2026-11-20'),
                                             ('P2', 'dental', 500, 'owner', ''))
                         AS t(id, industry, monthly_ad_budget, job_title, events)) TO '{plain}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'P3' AS id, 'dtc' AS industry, 6000 AS monthly_ad_budget,
                                 [{{'type': 'pricing_page_viewed', 'date': DATE '2026-11-20'}}] AS events)
                    TO '{nested}' (FORMAT parquet)""")
    con.close()
    rows = rows_of(run_score(small, plain, "--format", "csv"))
    assert [(r["id"], r["fit_score"], r["engagement_score"]) for r in rows] == [("P1", "40", "25"), ("P2", "-30", "0")]  # 45, capped at 40
    rows = rows_of(run_score(small, nested, "--format", "csv"))
    assert [(r["id"], r["fit_score"], r["engagement_score"]) for r in rows] == [("P3", "35", "10")]


def test_a_memory_limit_spills_and_gives_the_same_output(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *good_rows(50)]) + "\n")
    free = run_score(small, leads, "--format", "csv")
    limited = run_score(small, leads, "--format", "csv", "--memory-limit", "64MB", "--temp-dir", tmp_path / "spill")
    assert limited.exit_code == 0, limited.output
    assert limited.stdout == free.stdout
    starved = run_score(small, leads, "--format", "csv", "--memory-limit", "1MB")
    not_crashed(starved)
    assert starved.exit_code == 1 and "scoring needs more memory than --memory-limit 1MB" in starved.stderr
    bad = run_score(small, leads, "--memory-limit", "lots")
    not_crashed(bad)
    assert bad.exit_code == 2 and "--memory-limit lots" in bad.output


@pytest.fixture(scope="module")
def small_pb(small):
    return run_check(small, Config(), TODAY).playbook


def test_properties_of_scores_for_random_leads(small_pb):
    """For random leads: fit and engagement within their caps, the total within the limit and
    equal to fit + engagement below it, an extra event never lowers engagement when all its rule
    points are positive, and a later scoring date never raises it."""
    rng = random.Random(7)
    kinds = ["call_booked", "pricing_page_viewed", "webinar_attended"]
    leads = []
    for i in range(60):
        attrs = {"industry": rng.choice(["ecommerce", "dtc", "dental", ""]),
                 "monthly_ad_budget": str(rng.choice([0, 500, 1999, 2000, 5000, 90000])),
                 "job_title": rng.choice(["founder", "owner", ""]),
                 "expected_contact_cadence": rng.choice(["weekly", "daily", ""])}
        events = [(rng.choice(kinds), f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 20):02d}")
                  for _ in range(rng.randint(0, 6))]
        leads.append(Lead(f"r{i}", attrs, events))
    now = score_leads(small_pb, AS_OF, leads)
    more = score_leads(small_pb, AS_OF, [Lead(l.id, l.attrs, l.events + [("call_booked", "2026-11-01")]) for l in leads])
    later = score_leads(small_pb, AS_OF.replace(year=2027), leads)
    for a, b, c in zip(now, more, later):
        assert a.fit <= 40 and a.engagement <= 50 and a.total <= 60
        assert a.total == min(round(a.fit + a.engagement, 2), 60)
        assert b.engagement >= a.engagement
        assert c.engagement <= a.engagement
        assert c.fit == a.fit


HUBSPOT = ('"Record ID","First Name","Industry","Create Date","Lifecycle Stage","Marketing emails opted in","events"\n'
           '"1001","Ann","ecommerce","2026-05-02","lead","true","call_booked:2026-11-20"\n')


def test_a_hubspot_export_with_the_crm_preset_scores_as_the_plain_export(tmp_path, small):
    plain = write(tmp_path, "plain.csv", "id,industry,email_opt_in,events\n1001,ecommerce,yes,call_booked:2026-11-20\n")
    want = rows_of(run_score(small, plain, "--format", "csv"))
    hubspot = write(tmp_path, "hubspot.csv", HUBSPOT)
    got = run_score(small, hubspot, "--format", "csv", "--crm", "hubspot")
    assert got.exit_code == 0, got.output
    assert rows_of(got) == want and want[0]["total_score"] == "45"


def test_no_column_matching_a_field_is_said_with_the_crm_to_try(tmp_path, small):
    leads = write(tmp_path, "hubspot.csv", '"Record ID","First Name"\n"1001","Ann"\n')
    result = run_score(small, leads, "--format", "csv")
    not_crashed(result)
    assert result.exit_code == 1  # and the row has no id either
    (note,) = [line for line in result.stderr.splitlines() if "fields the definitions test" in line]
    assert note.startswith("hubspot.csv: 0 of ") and note.endswith("did you mean --crm hubspot?")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_output_to_a_file_by_its_extension(tmp_path, small, suffix):
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *good_rows(2), "N1,dental,900,owner,yes,daily,"]) + "\n")
    stdout = rows_of(run_score(small, leads, "--format", "csv"))
    target = tmp_path / f"scored{suffix}"
    result = run_score(small, leads, "--output", target)
    assert result.exit_code == 0, result.output
    assert "Scored 3 lead(s) as of 2026-11-22." in result.stdout and "G1" not in result.stdout
    if suffix == ".csv":
        assert list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))) == stdout
    elif suffix == ".json":
        data = json.loads(target.read_text(encoding="utf-8"))
        assert [lead["id"] for lead in data["leads"]] == ["G1", "G2", "N1"] and data["summary"]["scored"] == 3
    else:
        con = duckdb.connect()
        got = con.execute(f"SELECT id, total_score, persona, red_flags FROM read_parquet('{target}')").fetchall()
        con.close()
        assert [(i, t, p) for i, t, p, _ in got] == [(r["id"], float(r["total_score"]), r["persona"] or None)
                                                      for r in stdout]


def test_output_refuses_an_unknown_extension_and_the_input_itself(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *good_rows(1)]) + "\n")
    for target, said in ((tmp_path / "scored.xlsx", ".csv, .json or .parquet"), (leads, "is the file being scored")):
        result = run_score(small, leads, "--output", target)
        not_crashed(result)
        assert result.exit_code == 2 and said in result.output
    assert leads.read_text(encoding="utf-8").startswith(HEADER)
