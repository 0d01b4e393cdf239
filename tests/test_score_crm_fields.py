"""`playbook score` on CRM exports whose column names are not the playbook's field names: a
preset's column reaches the field the definitions test under another name, what a --map or a
preset reads that no definition tests is said, a hint never suggests what was given, a lead id
given twice is scored once and the repeat reported where it is."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import write_playbook
from test_score import HEADER, SMALL, good_rows, not_crashed, run_score, write

STARTER = Path(__file__).resolve().parent.parent / "generator" / "starter"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_playbook(tmp_path_factory.mktemp("small"), SMALL)


def rows_of(result) -> list[dict]:
    not_crashed(result)
    return list(csv.DictReader(io.StringIO(result.stdout)))


def notes_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------- a preset's column, the playbook's field


HUBSPOT_TEAM = ('"Record ID","Job Title","Number of Employees","events"\n'
                '"1001","owner","12","call_booked:2026-11-20"\n'
                '"1002","owner","1",""\n')


def test_a_preset_column_reaches_the_field_the_definitions_test_under_another_name(tmp_path):
    # the starter playbook tests `employees`; the HubSpot preset reads "Number of Employees" as employee_count
    plain = write(tmp_path, "plain.csv", "id,job_title,employees,events\n"
                                         "1001,owner,12,call_booked:2026-11-20\n1002,owner,1,\n")
    want = rows_of(run_score(STARTER, plain, "--format", "csv"))
    assert [r["rules"] for r in want] == ["team-size +20; decision-maker +20; call-booked +25",
                                          "decision-maker +20; sole-trader -40"]
    result = run_score(STARTER, write(tmp_path, "hubspot.csv", HUBSPOT_TEAM), "--format", "csv", "--crm", "hubspot")
    assert result.exit_code == 0, result.output
    assert rows_of(result) == want
    assert ('hubspot.csv: the column "Number of Employees" is read as employees, the field the definitions test '
            "(--crm hubspot reads it as employee_count)") in notes_of(result)


def test_the_example_playbooks_own_name_is_kept(tmp_path):
    # the example playbook tests employee_count itself: nothing is renamed, nothing said about it
    repo = STARTER.parent.parent
    result = run_score(repo, write(tmp_path, "hubspot.csv", HUBSPOT_TEAM), "--format", "csv", "--crm", "hubspot")
    not_crashed(result)
    assert not [n for n in notes_of(result) if "Number of Employees" in n]


def test_a_preset_column_no_definition_tests_is_said_when_tested_fields_are_missing(tmp_path, small):
    # SMALL tests neither employee_count nor any other name of it; it tests monthly_ad_budget, which is missing
    result = run_score(small, write(tmp_path, "hubspot.csv", HUBSPOT_TEAM), "--format", "csv", "--crm", "hubspot")
    not_crashed(result)
    (note,) = [n for n in notes_of(result) if "no definition tests" in n]
    assert note.startswith('hubspot.csv: --crm hubspot reads "Number of Employees" as employee_count, which no '
                           "definition tests, while the definitions test ")
    assert "monthly_ad_budget" in note and "job_title" not in note.split("while")[1]  # job_title is there
    assert note.endswith('say so with --map "COLUMN=FIELD"')
    # and said with --map, it is read: nothing left to say
    fixed = run_score(small, write(tmp_path, "hubspot.csv", HUBSPOT_TEAM), "--format", "csv", "--crm", "hubspot",
                      "--map", "Number of Employees=monthly_ad_budget")
    assert not [n for n in notes_of(fixed) if "no definition tests" in n]


def test_a_map_to_a_field_no_definition_tests_is_said(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "id,Budget,industry,events\nL1,8000,dtc,\n")
    result = run_score(small, leads, "--format", "csv", "--map", "Budget=ad_budget")
    assert result.exit_code == 0, result.output
    (note,) = [n for n in notes_of(result) if "--map reads" in n]
    assert note.startswith('crm.csv: --map reads the column "Budget" as ad_budget, but no definition tests a field '
                           "ad_budget; the definitions test: ")
    assert "monthly_ad_budget" in note
    right = run_score(small, leads, "--format", "csv", "--map", "Budget=monthly_ad_budget")
    assert not [n for n in notes_of(right) if "--map reads" in n]
    assert rows_of(right)[0]["fit_score"] == "35"


# ---------------------------------------------------------------- hints and where a name came from


def test_no_hint_to_give_the_preset_that_was_given(tmp_path, small):
    leads = write(tmp_path, "hubspot.csv", '"Record ID","First Name"\n"1001","Ann"\n')
    without = run_score(small, leads, "--format", "csv")
    assert [n for n in notes_of(without) if n.endswith("did you mean --crm hubspot?")]
    given = run_score(small, leads, "--format", "csv", "--crm", "hubspot")
    not_crashed(given)
    (note,) = [n for n in notes_of(given) if "fields the definitions test" in n]
    assert note.startswith("hubspot.csv: 0 of ") and "--crm" not in note
    assert note.endswith("name the columns with --map COLUMN=FIELD")


@pytest.mark.parametrize("args, by", [(["--crm", "hubspot"], "(by --crm hubspot)"),
                                      (["--map", "Record ID=id"], "(by --map)")])
def test_a_field_named_twice_says_whether_the_preset_or_a_map_named_it(tmp_path, small, args, by):
    leads = write(tmp_path, "crm.csv", "Record ID,id,industry,events\nL1,L1,dtc,\n")
    result = run_score(small, leads, "--format", "csv", *args)
    not_crashed(result)
    assert result.exit_code == 2
    assert f'id in columns 1 "Record ID" {by} and 2 "id"' in result.output


# ---------------------------------------------------------------- a lead id given twice


def test_a_lead_id_given_twice_is_scored_once_and_the_repeat_reported_by_line(tmp_path, small):
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, *good_rows(2), good_rows(1)[0].replace("founder", "owner"),
                                                  "G3,dtc,100,owner,yes,weekly,", "G2,dtc,9000,founder,,weekly,"])
                  + "\n")
    result = run_score(small, leads, "--format", "json")
    not_crashed(result)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(lead["id"], lead["row"]) for lead in data["leads"]] == [("G1", 2), ("G2", 3), ("G3", 5)]
    assert data["leads"][0]["rules"][2]["rule"] == "founder"  # the first row's values, not the repeat's
    assert data["errors"] == [
        {"row": 4, "message": 'the lead id "G1" is also on row 2; only that first row is scored (a lead is counted once)'},
        {"row": 6, "message": 'the lead id "G2" is also on row 3; only that first row is scored (a lead is counted once)'}]
    assert data["summary"]["scored"] == 3 and data["summary"]["bad_rows"] == 2
    table = run_score(small, leads)
    assert "Scored 3 lead(s); 2 bad row(s) skipped" in table.stdout


def test_a_repeated_id_after_a_bad_first_row_is_scored(tmp_path, small):
    # the first row with the id is bad (not a number): the next good one is the lead
    leads = write(tmp_path, "crm.csv", "\n".join([HEADER, "G1,dtc,lots,founder,yes,weekly,", *good_rows(1)]) + "\n")
    result = run_score(small, leads, "--format", "json")
    data = json.loads(result.stdout)
    assert [(lead["id"], lead["row"]) for lead in data["leads"]] == [("G1", 3)]
    assert [e["row"] for e in data["errors"]] == [2]


def test_a_lead_id_given_twice_in_json_lines(tmp_path, small):
    lines = [json.dumps({"id": "J1", "industry": "dtc"}), "", json.dumps({"id": "J1", "industry": "dental"})]
    result = run_score(small, write(tmp_path, "crm.jsonl", "\n".join(lines) + "\n"), "--format", "json")
    data = json.loads(result.stdout)
    assert [(lead["id"], lead["row"]) for lead in data["leads"]] == [("J1", 1)]
    assert data["errors"] == [{"row": 3, "message": 'the lead id "J1" is also on row 1; only that first row is '
                                                    "scored (a lead is counted once)"}]
