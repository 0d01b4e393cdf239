"""The compiled query reads a yes/no fact as `playbook score` does: true/false, y/n, 1/0 and a
BOOLEAN column mean yes/no in the warehouse too (the same leads, the same stages)."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest
from sqlglot import exp

from conftest import REPO
from generator.check import run_check
from generator.config import Config
from generator.scoring.compile import lead_fields, scoring_query
from generator.scoring.run import Lead, score_leads

AS_OF = dt.date(2026, 11, 22)
YES_NO = ("sales_accepted", "discovery_call_held", "agreement_signed", "email_opt_in", "runs_meta_ads")


@pytest.fixture(scope="module")
def example():
    pb = run_check(REPO, Config(), AS_OF).playbook
    with open(REPO / "leads" / "sample-export.csv", encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if any(row[f] in ("yes", "no") for f in YES_NO)][:60]
    return pb, rows


def warehouse_stages(pb, rows, spell, boolean: bool) -> dict[str, tuple]:
    fields = lead_fields(pb)
    con = duckdb.connect()
    types = {f.name: ("DOUBLE" if f.kind == "number" else
                      "BOOLEAN" if boolean and f.name in YES_NO else "VARCHAR") for f in fields}
    con.execute("CREATE TABLE leads (lead_id VARCHAR, " + ", ".join(f'"{n}" {t}' for n, t in types.items()) + ")")
    con.execute("CREATE TABLE events (lead_id VARCHAR, event VARCHAR, occurred DATE)")
    for row in rows:
        values = [row["id"]]
        for f in fields:
            cell = row.get(f.name) or None
            if f.name in YES_NO and cell in ("yes", "no"):
                cell = (cell == "yes") if boolean else spell[cell]
            elif f.kind == "number" and cell is not None:
                cell = float(cell)
            values.append(cell)
        con.execute("INSERT INTO leads VALUES (" + ", ".join("?" * len(values)) + ")", values)
    sql = scoring_query(pb, AS_OF).sql("duckdb")
    return {r[0]: (r[4], r[5]) for r in con.execute(sql).fetchall()}


@pytest.mark.parametrize("spell, boolean", [
    ({"yes": "TRUE", "no": "false"}, False), ({"yes": "1", "no": "0"}, False), ({"yes": "Y", "no": "n"}, False),
    (None, True)], ids=["true-false", "1-0", "y-n", "boolean-column"])
def test_other_spellings_of_yes_and_no_give_the_stages_score_gives(example, spell, boolean):
    pb, rows = example
    leads = [Lead(row["id"], {f.name: row[f.name] for f in lead_fields(pb) if row.get(f.name)}) for row in rows]
    want = {s.id: (s.stage, s.persona) for s in score_leads(pb, AS_OF, leads)}
    got = warehouse_stages(pb, rows, spell, boolean)
    assert got == want
    assert any(stage not in (None, "subscriber", "lead") for stage, _ in want.values())  # yes/no facts decide
