"""``playbook sql``: options, refusals and the files ``--as dbt`` writes.

Running the SQL on real engines is in test_sql_engines.py.
"""

from __future__ import annotations

import re
import shutil

import pytest
import sqlglot
import yaml

from conftest import REPO, invoke_in

LEDGER = REPO / "tests" / "fixtures" / "ledger-saas"
PLAYBOOKS = {"example": REPO, "ledger-saas": LEDGER}


def _ids(pb_root, kind_file, key):
    data = yaml.safe_load((pb_root / "definitions" / kind_file).read_text(encoding="utf-8"))
    return [item["id"] for item in data[key]]


def _stage_ids(pb_root):
    data = yaml.safe_load((pb_root / "definitions" / "lifecycle.yaml").read_text(encoding="utf-8"))
    return [s["id"] for s in sorted(data["stages"], key=lambda s: s["order"])]


def test_unknown_dialect_is_a_usage_error():
    result = invoke_in(REPO, "sql", "--dialect", "oracle")
    assert result.exit_code == 2
    assert "'oracle' is not one of" in result.output


def test_dbt_needs_an_output_folder_and_select_takes_none(tmp_path):
    result = invoke_in(REPO, "sql", "--as", "dbt")
    assert result.exit_code == 2 and "--output-dir" in result.output
    result = invoke_in(REPO, "sql", "--output-dir", tmp_path / "x")
    assert result.exit_code == 2 and "only" not in result.output and "--as dbt" in result.output
    assert not (tmp_path / "x").exists()


def test_a_dbt_model_name_must_be_a_name(tmp_path):
    result = invoke_in(REPO, "sql", "--as", "dbt", "--name", "lead scores", "--output-dir", tmp_path / "m")
    assert result.exit_code == 2 and "not a dbt model name" in result.output
    assert not (tmp_path / "m").exists()


def test_errors_in_the_scoring_definitions_stop_it_with_their_locations():
    result = invoke_in(REPO / "tests" / "fixtures" / "broken", "sql")
    assert result.exit_code == 1  # errors in the playbook, as for build; 2 is for how the command was used
    assert "definitions/scoring.yaml:" in result.output
    assert "would not mean what the team agreed" in result.output
    assert "SELECT" not in result.output
    # an error in a file the query is not compiled from does not count
    assert "meetings.yaml" not in result.output


def test_an_error_outside_the_scoring_definitions_does_not_stop_it(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    meetings = root / "definitions" / "meetings.yaml"
    meetings.write_text(meetings.read_text(encoding="utf-8").replace("attendees: [", "attendees: [no-such-team, ", 1),
                        encoding="utf-8")
    check = invoke_in(root, "check")
    assert check.exit_code == 1 and "no-such-team" in check.output
    result = invoke_in(root, "sql")
    assert result.exit_code == 0, result.output
    assert sqlglot.parse_one(result.stdout, read="duckdb") is not None


def test_a_folder_of_someone_elses_files_is_left_alone(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "orders.sql").write_text("select 1", encoding="utf-8")
    result = invoke_in(REPO, "sql", "--as", "dbt", "--output-dir", folder)
    assert result.exit_code == 2 and "left alone" in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["orders.sql"]


def test_the_playbook_folder_itself_is_refused(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for target in (root, root / "definitions"):
        result = invoke_in(root, "sql", "--as", "dbt", "--output-dir", target)
        assert result.exit_code == 2, result.output
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def _render_model(text: str, source) -> str:
    """The dbt model's SQL as dbt renders it, with ``source(name, table)`` given."""
    import jinja2
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).render(
        source=source, config=lambda **kwargs: "")


@pytest.mark.parametrize("playbook,dialect", [("ledger-saas", d) for d in
                                               ("duckdb", "postgres", "spark", "bigquery", "snowflake")]
                         + [("example", "spark")])
def test_dbt_writes_a_model_and_a_schema_with_tests(tmp_path, playbook, dialect):
    from generator.scoring.compile import OUTPUT_COLUMNS
    root = PLAYBOOKS[playbook]
    out = tmp_path / "models" / "playbook"
    result = invoke_in(root, "sql", "--dialect", dialect, "--as", "dbt", "--output-dir", out, "--name", "pb_leads")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".playbook-output", "pb_leads.sql", "schema.yml"]

    schema = yaml.safe_load((out / "schema.yml").read_text(encoding="utf-8"))
    (model,) = schema["models"]
    assert model["name"] == "pb_leads"
    columns = {c["name"]: c for c in model["columns"]}
    assert list(columns) == list(OUTPUT_COLUMNS)
    assert columns["lead_id"]["data_tests"] == ["unique", "not_null"]
    (stage_test,) = columns["stage"]["data_tests"]
    assert stage_test["accepted_values"]["values"] == _stage_ids(root)
    (persona_test,) = columns["persona"]["data_tests"]
    assert set(persona_test["accepted_values"]["values"]) <= {p.stem for p in (root / "personas").glob("*.yaml")}
    (track_test,) = columns["nurture_track"]["data_tests"]
    assert track_test["accepted_values"]["values"] == sorted(_ids(root, "nurture-tracks.yaml", "nurture_tracks"))
    (source,) = schema["sources"]
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in source["tables"]}
    assert tables["events"] == ["lead_id", "event", "occurred"]
    assert tables["leads"][0] == "lead_id" and len(tables["leads"]) > 5

    text = (out / "pb_leads.sql").read_text(encoding="utf-8")
    assert "{{ source('crm', 'leads') }}" in text and "{{ source('crm', 'events') }}" in text
    rendered = _render_model(text, lambda name, table: f"{name}.{table}")
    parsed = sqlglot.parse_one(rendered, read=dialect)
    assert parsed.named_selects == list(OUTPUT_COLUMNS)
    assert {(t.db, t.name) for t in parsed.find_all(sqlglot.exp.Table)} >= {("crm", "leads"), ("crm", "events")}
    # without an --as-of, the model scores as of the day the warehouse runs it
    assert "current_date" in rendered.lower() and "2026-" not in rendered


def test_the_duckdb_dbt_model_runs_on_tables_shaped_as_its_sources_say(tmp_path):
    import duckdb
    out = tmp_path / "m"
    result = invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", out, "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    schema = yaml.safe_load((out / "schema.yml").read_text(encoding="utf-8"))
    con = duckdb.connect()
    con.execute("CREATE SCHEMA crm")
    for table in schema["sources"][0]["tables"]:
        con.execute(f"CREATE TABLE crm.{table['name']} ("
                    + ", ".join(f'"{c["name"]}" {c["data_type"]}' for c in table["columns"]) + ")")
    con.execute("INSERT INTO crm.leads (lead_id, firm_type, seats, role) VALUES "
                "('a', 'accounting-firm', 8, 'partner'), ('b', 'Accounting-Firm ', NULL, NULL), ('c', NULL, NULL, NULL)")
    con.execute("INSERT INTO crm.events VALUES ('a', 'trial_started', DATE '2026-11-20'), "
                "('a', 'fax_sent', DATE '2026-11-20')")
    model = _render_model((out / "lead_scores.sql").read_text(encoding="utf-8"), lambda s, t: f"{s}.{t}")
    cursor = con.execute(model)
    names = [d[0] for d in cursor.description]
    rows = {r[0]: dict(zip(names, r)) for r in cursor.fetchall()}
    assert sorted(rows) == ["a", "b", "c"]
    assert rows["a"]["fit_score"] > rows["b"]["fit_score"] > rows["c"]["fit_score"] == 0
    assert "trial-started +5" in rows["a"]["rules"] and rows["c"]["rules"] is None
    accepted = next(c for c in schema["models"][0]["columns"] if c["name"] == "stage")
    assert {r["stage"] for r in rows.values()} - {None} <= set(accepted["data_tests"][0]["accepted_values"]["values"])


def test_dbt_replaces_the_folder_it_made(tmp_path):
    out = tmp_path / "m"
    assert invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", out).exit_code == 0
    first = (out / "lead_scores.sql").read_text(encoding="utf-8")
    result = invoke_in(LEDGER, "sql", "--as", "dbt", "--dialect", "bigquery", "--output-dir", out)
    assert result.exit_code == 0, result.output
    second = (out / "lead_scores.sql").read_text(encoding="utf-8")
    assert "--dialect duckdb" in first and '"_pb_scores"' in first
    assert "--dialect bigquery" in second and "`_pb_scores`" in second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # nothing left beside it


def test_a_view_reads_the_named_tables_and_gives_what_the_select_gives(tmp_path):
    import duckdb
    con = duckdb.connect()
    con.execute("CREATE SCHEMA crm; CREATE SCHEMA marts")
    from generator.check import run_check
    from generator.warehouse import input_tables
    from generator.config import Config
    contract = input_tables(run_check(LEDGER, Config()).playbook)
    con.execute("CREATE TABLE crm.trial_leads (" + ", ".join(f'"{c}" {t}' for c, t, _ in contract["leads"]) + ")")
    con.execute("CREATE TABLE crm.trial_events (lead_id VARCHAR, event VARCHAR, occurred DATE)")
    con.execute("INSERT INTO crm.trial_leads (lead_id, firm_type, seats, role, current_software, client_count) VALUES "
                "('a', 'accounting-firm', 8, 'partner', 'spreadsheets', 150), "
                "('b', 'bookkeeping-practice', 1, NULL, NULL, NULL)")
    con.execute("INSERT INTO crm.trial_events VALUES ('a', 'trial_started', DATE '2026-11-01'), "
                "('b', 'bank_feed_connected', DATE '2026-10-01')")
    view = invoke_in(LEDGER, "sql", "--as", "view", "--name", "marts.lead_scores", "--leads", "crm.trial_leads",
                     "--events", "crm.trial_events", "--as-of", "2026-11-22")
    assert view.exit_code == 0, view.output
    assert re.search(r"CREATE OR REPLACE VIEW marts\.lead_scores AS", view.stdout)
    con.execute(view.stdout)
    got = con.execute("SELECT * FROM marts.lead_scores ORDER BY lead_id").fetchall()
    assert [r[0] for r in got] == ["a", "b"]
    select = invoke_in(LEDGER, "sql", "--leads", "crm.trial_leads", "--events", "crm.trial_events",
                       "--as-of", "2026-11-22")
    assert select.exit_code == 0, select.output
    assert con.execute(select.stdout).fetchall() == got
    assert got[0][1] > got[1][1]  # fit: the accounting firm fits, the one-seat bookkeeper less


def test_a_table_name_that_is_not_one_is_a_usage_error():
    result = invoke_in(LEDGER, "sql", "--leads", "crm.leads; drop table x")
    assert result.exit_code == 2
    assert "--leads" in result.output and "SELECT" not in result.output


def test_a_playbook_without_a_scoring_model_has_nothing_to_compile(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    (root / "definitions" / "scoring.yaml").unlink()
    result = invoke_in(root, "sql", "--dialect", "spark")
    assert result.exit_code == 2
    assert "no scoring model" in result.output and "SELECT" not in result.output


def test_without_as_of_the_query_scores_as_of_the_engines_current_date(tmp_path):
    import datetime as dt

    import duckdb
    from generator.check import run_check
    from generator.warehouse import input_tables
    from generator.config import Config
    contract = input_tables(run_check(LEDGER, Config()).playbook)
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (" + ", ".join(f'"{c}" {t}' for c, t, _ in contract["leads"]) + ")")
    con.execute("CREATE TABLE events (lead_id VARCHAR, event VARCHAR, occurred DATE)")
    con.execute("INSERT INTO leads (lead_id) VALUES ('a')")
    today = con.execute("SELECT CURRENT_DATE").fetchone()[0]
    con.execute("INSERT INTO events VALUES ('a', 'bank_feed_connected', ?), ('a', 'teammate_invited', ?)",
                [today - dt.timedelta(days=20), today - dt.timedelta(days=3)])

    def scores(*args):
        result = invoke_in(LEDGER, "sql", *args)
        assert result.exit_code == 0, result.output
        return con.execute(result.stdout).fetchall()

    unfixed = scores()
    assert "CURRENT_DATE" in invoke_in(LEDGER, "sql").stdout
    assert unfixed == scores("--as-of", today.isoformat())
    assert unfixed != scores("--as-of", (today + dt.timedelta(days=60)).isoformat())


def test_a_scoring_model_without_event_rules_compiles_for_dbt_too(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    scoring = root / "definitions" / "scoring.yaml"
    data = yaml.safe_load(scoring.read_text(encoding="utf-8"))
    groups = data["scoring"]["groups"]
    for group in groups:  # every event rule becomes a rule on a fact
        for rule in group["rules"]:
            if rule.pop("event", None):
                rule.pop("decay", None)
                rule["when"] = {"trial_started": {"eq": "yes"}}
    scoring.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = invoke_in(root, "sql", "--as", "dbt", "--output-dir", tmp_path / "m")
    assert result.exit_code == 0, result.output
    model = (tmp_path / "m" / "lead_scores.sql").read_text(encoding="utf-8")
    assert "source('crm', 'leads')" in model and "source('crm', 'events')" not in model


# ---------------------------------------------------------------- the dbt folder keeps what is not playbook's


def test_a_dbt_rerun_keeps_the_files_the_team_added_and_names_them(tmp_path):
    out = tmp_path / "models" / "playbook"
    assert invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", out).exit_code == 0
    (out / "README.md").write_text("Our notes on the playbook model.\n", encoding="utf-8")
    (out / "lead_scores_extra.sql").write_text("select 1 as x\n", encoding="utf-8")
    (out / "seeds").mkdir()
    (out / "seeds" / "stages.csv").write_text("id\nmql\n", encoding="utf-8")
    result = invoke_in(LEDGER, "sql", "--as", "dbt", "--dialect", "snowflake", "--output-dir", out)
    assert result.exit_code == 0, result.output
    assert "--dialect snowflake" in (out / "lead_scores.sql").read_text(encoding="utf-8")
    assert (out / "README.md").read_text(encoding="utf-8") == "Our notes on the playbook model.\n"
    assert (out / "lead_scores_extra.sql").read_text(encoding="utf-8") == "select 1 as x\n"
    assert (out / "seeds" / "stages.csv").is_file()
    assert "Kept the files playbook did not write: README.md, lead_scores_extra.sql, seeds." in result.output
    assert sorted(p.name for p in out.parent.iterdir()) == ["playbook"]  # nothing left beside it
    assert not [p for p in out.iterdir() if p.name.startswith(".playbook-sql-")]


def test_a_dbt_file_of_the_same_name_the_team_wrote_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "m"
    assert invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", out).exit_code == 0
    before = (out / "lead_scores.sql").read_text(encoding="utf-8")
    (out / "schema.yml").write_text("version: 2\nmodels: []  # ours, by hand\n", encoding="utf-8")
    result = invoke_in(LEDGER, "sql", "--as", "dbt", "--dialect", "postgres", "--output-dir", out)
    assert result.exit_code == 2
    assert "holds schema.yml, which playbook sql did not write" in result.output
    assert "nothing was written" in result.output
    assert (out / "schema.yml").read_text(encoding="utf-8") == "version: 2\nmodels: []  # ours, by hand\n"
    assert (out / "lead_scores.sql").read_text(encoding="utf-8") == before


def test_a_model_written_under_an_earlier_name_is_left_and_named(tmp_path):
    out = tmp_path / "m"
    assert invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", out).exit_code == 0
    result = invoke_in(LEDGER, "sql", "--as", "dbt", "--name", "pb_leads", "--output-dir", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [".playbook-output", "lead_scores.sql", "pb_leads.sql", "schema.yml"]
    assert "Left as they were: lead_scores.sql, written by an earlier playbook sql" in result.output
    assert "Kept the files" not in result.output


def test_dbt_folder_refusals_speak_of_the_sql_folder_not_a_site(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    messages = []
    for target in (root, root / "definitions", root / ".git" / "x"):
        result = invoke_in(root, "sql", "--as", "dbt", "--output-dir", target)
        assert result.exit_code == 2, result.output
        messages.append(result.output)
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "orders.sql").write_text("select 1", encoding="utf-8")
    messages.append(invoke_in(LEDGER, "sql", "--as", "dbt", "--output-dir", folder).output)
    for text in messages:
        assert "dbt model folder" in text, text
        assert not re.search(r"\bsite\b|\bbuild", text), text
    assert "such as models/playbook/" in messages[0]


# ---------------------------------------------------------------- table names: the message says what is accepted


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "bigquery", "spark"])
def test_table_names_with_dollar_hyphen_or_a_keyword_are_written_quoted(dialect):
    result = invoke_in(LEDGER, "sql", "--dialect", dialect, "--leads", "crm.trial-leads", "--events", "order",
                       "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    query = sqlglot.parse_one(result.stdout, read=dialect)
    tables = {(t.db, t.name) for t in query.find_all(sqlglot.exp.Table)}
    assert ("crm", "trial-leads") in tables and ("", "order") in tables


def test_the_quoted_names_accepted_run_on_duckdb():
    import duckdb
    from generator.check import run_check
    from generator.config import Config
    from generator.warehouse import input_tables
    contract = input_tables(run_check(LEDGER, Config()).playbook)
    con = duckdb.connect()
    con.execute('CREATE SCHEMA "crm$2"')
    con.execute('CREATE TABLE "crm$2"."trial-leads" (' + ", ".join(f'"{c}" {t}' for c, t, _ in contract["leads"]) + ")")
    con.execute('CREATE TABLE "select" (lead_id VARCHAR, event VARCHAR, occurred DATE)')
    con.execute("""INSERT INTO "crm$2"."trial-leads" (lead_id, firm_type) VALUES ('a', 'accounting-firm')""")
    result = invoke_in(LEDGER, "sql", "--leads", "crm$2.trial-leads", "--events", "select", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert [r[0] for r in con.execute(result.stdout).fetchall()] == ["a"]


@pytest.mark.parametrize("name", ["crm.leads; drop table x", '"crm".leads', "crm.$leads", "9leads", "a.b.c.d",
                                  "crm..leads", "crm.le ads"])
def test_a_name_outside_what_the_message_accepts_is_refused_by_that_message(name):
    result = invoke_in(LEDGER, "sql", "--leads", name)
    assert result.exit_code == 2
    assert f'--leads "{name}" is not a table name' in result.output
    assert "each part a letter or underscore followed by letters, digits, underscores, $ or -" in result.output
    assert "SELECT" not in result.output
