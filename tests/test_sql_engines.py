"""``playbook sql`` run by real engines gives, lead by lead, what ``playbook score`` gives.

For each playbook (the example and the second business, ledger-saas) the lead export is turned
into the input contract's two tables with DuckDB SQL: ``leads`` (lead_id and one column per
field the definitions test, numbers as DOUBLE) and ``events`` (lead_id, event, occurred DATE),
the export's ``events`` column ("type:date;type:date") split into rows. The same rows are
loaded into DuckDB, a PostgreSQL 15 server and a local Apache Spark session, each runs the SQL
``playbook sql --dialect <engine>`` prints, and every lead's scores, stage, persona, red flags,
nurture track and explanation must equal ``playbook score --format json`` on the export.
BigQuery and Snowflake have no server here: their SQL must parse in that dialect, and read
back by sqlglot into DuckDB's dialect it must give DuckDB's rows.
"""

from __future__ import annotations

import json
import time

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from conftest import REPO, invoke_in
from engines import STARTUP, postgres, spark  # noqa: F401  (session fixtures)
from generator.check import run_check
from generator.config import Config
from generator.scoring.compile import OUTPUT_COLUMNS, lead_fields

AS_OF = "2026-11-22"
LEDGER = REPO / "tests" / "fixtures" / "ledger-saas"
CASES = {
    "example": (REPO, REPO / "leads" / "sample-export.csv"),
    "ledger-saas": (LEDGER, LEDGER / "leads" / "trial-export.csv"),
}
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report_timings(request):
    """Print how long each engine took to start and to run (for the record, not a check)."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for what, seconds in sorted({**{f"start {k}": v for k, v in STARTUP.items()}, **TIMINGS}.items()):
            reporter.write_line(f"engine timing: {what} {seconds:.2f} s")


def _q(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql("duckdb")


class Inputs:
    """The input tables of one playbook's export: their columns, types and rows."""

    def __init__(self, root, export):
        pb = run_check(root, Config()).playbook
        self.fields = lead_fields(pb)
        con = duckdb.connect()
        con.execute("CREATE TABLE export AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                    [str(export)])
        present = {row[0] for row in con.execute("DESCRIBE export").fetchall()}
        columns = ["id AS lead_id"]
        for f in self.fields:
            source = _q(f.name) if f.name in present else "NULL"
            # a number column of the export is read strictly: a cell that is not one fails the test
            typed = f"CAST({source} AS DOUBLE)" if f.kind == "number" else f"CAST({source} AS VARCHAR)"
            columns.append(f"{typed} AS {_q(f.name)}")
        con.execute(f"CREATE TABLE leads AS SELECT {', '.join(columns)} FROM export")
        con.execute("""
            CREATE TABLE events AS
            SELECT lead_id, trim(split_part(item, ':', 1)) AS event,
                   CAST(trim(split_part(item, ':', 2)) AS DATE) AS occurred
            FROM (SELECT id AS lead_id, unnest(string_split(events, ';')) AS item FROM export)
            WHERE trim(item) <> ''""")
        self.lead_columns = [("lead_id", "text")] + [(f.name, "number" if f.kind == "number" else "text")
                                                     for f in self.fields]
        self.leads = con.execute("SELECT * FROM leads ORDER BY lead_id").fetchall()
        self.events = con.execute("SELECT * FROM events ORDER BY lead_id, occurred, event").fetchall()
        con.close()


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    root, export = CASES[request.param]
    inputs = Inputs(root, export)
    scored = invoke_in(root, "score", export, "--as-of", AS_OF, "--format", "json")
    assert scored.exit_code == 0, scored.output
    expected = {lead["id"]: lead for lead in json.loads(scored.stdout)["leads"]}
    assert len(expected) == len(inputs.leads) > 5
    assert inputs.events, "the export has events"
    started = time.perf_counter()
    duckdb_rows = _run_duckdb(root, inputs)
    TIMINGS[f"duckdb/{request.param}"] = time.perf_counter() - started
    return request.param, root, inputs, expected, duckdb_rows


def _sql(root, dialect: str) -> str:
    result = invoke_in(root, "sql", "--dialect", dialect, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "SELECT" in result.stdout
    return result.stdout


def _explained(rules) -> list[str]:
    from generator.scoring.compile import rule_text
    return [rule_text(r["rule"], r["points"]) for r in rules]


def _compare(rows: list[dict], expected: dict[str, dict], engine: str, duckdb_rows: list[dict] | None = None) -> None:
    """Each lead as ``playbook score`` gives it (the explanation's items compared as a set: the
    order of two event rules first reached on the same day is the query's own), and, when
    given, exactly as DuckDB gives it (the explanation in the same order)."""
    assert [r["lead_id"] for r in rows] == sorted(expected), f"{engine}: not one row per lead"
    problems = []
    for row in rows:
        want = expected[row["lead_id"]]
        got = {
            "fit_score": float(row["fit_score"]), "engagement_score": float(row["engagement_score"]),
            "total_score": float(row["total_score"]), "stage": row["stage"], "persona": row["persona"],
            "negative": bool(row["negative"]),
            "red_flags": row["red_flags"].split("; ") if row["red_flags"] else [],
            "nurture_track": row["nurture_track"],
            "rules": sorted(row["rules"].split("; ")) if row["rules"] else [],
        }
        wanted = {key: want[key] for key in got}
        wanted["rules"] = sorted(_explained(want["rules"]))
        for key in ("fit_score", "engagement_score", "total_score"):
            wanted[key] = float(wanted[key])
        if got != wanted:
            problems.append(f"{row['lead_id']}: {engine} {got} != playbook score {wanted}")
    if duckdb_rows is not None:
        for row, same in zip(rows, duckdb_rows):
            mine = {k: (float(v) if k.endswith("_score") else bool(v) if k == "negative" else v) for k, v in row.items()}
            if mine != same:
                problems.append(f"{row['lead_id']}: {engine} {mine} != DuckDB {same}")
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems[:10])


def _ordered(sql_rows, columns) -> list[dict]:
    rows = [dict(zip(columns, r)) for r in sql_rows]
    return sorted(rows, key=lambda r: r["lead_id"])


def _duckdb_with(inputs: Inputs):
    """A DuckDB connection holding the input tables, typed as the contract says."""
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (" + ", ".join(
        f"{_q(c)} {'DOUBLE' if kind == 'number' else 'VARCHAR'}" for c, kind in inputs.lead_columns) + ")")
    con.execute("CREATE TABLE events (lead_id VARCHAR, event VARCHAR, occurred DATE)")
    con.executemany(f"INSERT INTO leads VALUES ({', '.join('?' * len(inputs.lead_columns))})", inputs.leads)
    con.executemany("INSERT INTO events VALUES (?, ?, ?)", inputs.events)
    return con


def _run_duckdb(root, inputs: Inputs) -> list[dict]:
    con = _duckdb_with(inputs)
    try:
        cursor = con.execute(_sql(root, "duckdb"))
        columns = [d[0] for d in cursor.description]
        assert columns == list(OUTPUT_COLUMNS)
        return _ordered(cursor.fetchall(), columns)
    finally:
        con.close()


def test_duckdb_runs_the_printed_sql(case):
    name, root, inputs, expected, duckdb_rows = case
    _compare(duckdb_rows, expected, "DuckDB")
    # the explanation lists the fit rules first, then engagement: not sorted by the engine
    assert any(r["rules"] and r["rules"] != "; ".join(sorted(r["rules"].split("; "))) for r in duckdb_rows)


def test_postgres_runs_the_printed_sql(case, postgres):  # noqa: F811
    name, root, inputs, expected, duckdb_rows = case
    started = time.perf_counter()
    schema = "pb_" + name.replace("-", "_")
    with postgres.connect() as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("CREATE TABLE leads (" + ", ".join(
            f"{_q(c)} {'double precision' if kind == 'number' else 'text'}" for c, kind in inputs.lead_columns) + ")")
        conn.execute("CREATE TABLE events (lead_id text, event text, occurred date)")
        with conn.cursor() as cur:
            with cur.copy("COPY leads FROM STDIN") as copy:
                for row in inputs.leads:
                    copy.write_row(row)
            with cur.copy("COPY events FROM STDIN") as copy:
                for row in inputs.events:
                    copy.write_row(row)
            cur.execute(_sql(root, "postgres"))
            columns = [d.name for d in cur.description]
            rows = cur.fetchall()
    assert columns == list(OUTPUT_COLUMNS)
    _compare(_ordered(rows, columns), expected, "PostgreSQL", duckdb_rows)
    TIMINGS[f"postgres/{name}"] = time.perf_counter() - started


def test_spark_runs_the_printed_sql(case, spark):  # noqa: F811
    from pyspark.sql.types import DateType, DoubleType, StringType, StructField, StructType
    name, root, inputs, expected, duckdb_rows = case
    started = time.perf_counter()
    leads = StructType([StructField(c, DoubleType() if kind == "number" else StringType())
                        for c, kind in inputs.lead_columns])
    events = StructType([StructField("lead_id", StringType()), StructField("event", StringType()),
                         StructField("occurred", DateType())])
    spark.createDataFrame(inputs.leads, leads).createOrReplaceTempView("leads")
    spark.createDataFrame(inputs.events, events).createOrReplaceTempView("events")
    result = spark.sql(_sql(root, "spark").rstrip().rstrip(";"))
    columns = result.columns
    assert columns == list(OUTPUT_COLUMNS)
    _compare(_ordered([tuple(r) for r in result.collect()], columns), expected, "Spark", duckdb_rows)
    TIMINGS[f"spark/{name}"] = time.perf_counter() - started


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_warehouse_sql_without_a_server_here_parses_and_means_the_same(case, dialect):
    """No BigQuery or Snowflake here: the SQL must parse in its dialect, and, read back by sqlglot
    and run by DuckDB, give DuckDB's rows (a check of the translation, not of those engines)."""
    name, root, inputs, expected, duckdb_rows = case
    text = _sql(root, dialect)
    parsed = sqlglot.parse_one(text, read=dialect)
    assert isinstance(parsed, exp.Select)
    assert parsed.named_selects == list(OUTPUT_COLUMNS)
    assert {"leads", "events"} <= {t.name for t in parsed.find_all(exp.Table)}
    con = _duckdb_with(inputs)
    try:
        cursor = con.execute(parsed.sql("duckdb"))
        rows = _ordered(cursor.fetchall(), [d[0] for d in cursor.description])
    finally:
        con.close()
    _compare(rows, expected, f"{dialect} read back into DuckDB", duckdb_rows)


def test_a_missing_engine_skips_here_but_fails_where_the_engines_are_required(monkeypatch):
    import engines
    monkeypatch.delenv(engines.REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception):
        engines.unavailable("A Java runtime")
    monkeypatch.setenv(engines.REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="must run"):
        engines.unavailable("A Java runtime")
    assert "PLAYBOOK_REQUIRE_ENGINES=1" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
