"""How `playbook score` runs the compiled query: one compiled text for every scoring day, kept
between runs, and the CSV output DuckDB writes quoted as csv.writer quotes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from generator.check import run_check
from generator.config import Config
from generator.scoring import compile as c
from generator.scoring import queries, run
from generator.scoring.outputs import as_csv_row
from generator.scoring.run import Lead, Needs, connect, csv_lines, load_leads, score_all, score_leads, scored_rows

from conftest import TODAY, write_playbook
from test_score import AS_OF, SMALL


@pytest.fixture(scope="module")
def small_pb(tmp_path_factory):
    return run_check(write_playbook(tmp_path_factory.mktemp("small"), SMALL), Config(), TODAY).playbook


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(queries.CACHE_ENV, str(folder))
    monkeypatch.setattr(queries, "_QUERIES", {})
    return folder


LEAD = Lead("L1", {"industry": "dtc", "monthly_ad_budget": "8000"}, [("call_booked", "2026-11-20")])


def test_one_compiled_text_serves_every_scoring_day(small_pb, cache, monkeypatch):
    compiled = []
    real = c.scoring_query
    monkeypatch.setattr(c, "scoring_query", lambda *a, **k: compiled.append(a[1]) or real(*a, **k))
    early, late = score_leads(small_pb, AS_OF, [LEAD]), score_leads(small_pb, AS_OF + dt.timedelta(days=60), [LEAD])
    assert len(compiled) == 1
    assert early[0].engagement == 25 and late[0].engagement == 14.06  # two whole 30-day periods: 25 x 0.75^2
    assert "$as_of" in queries.query_text(small_pb, "event_sums")


def test_the_compiled_text_is_kept_between_runs(small_pb, cache, monkeypatch):
    want = score_leads(small_pb, AS_OF, [LEAD])
    kept = {p.read_text(encoding="utf-8") for p in cache.glob("*.sql")}
    monkeypatch.setattr(queries, "_QUERIES", {})  # as a new process starts

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again")
    monkeypatch.setattr(c, "scoring_query", no_compiling)
    monkeypatch.setattr(c, "event_sum_columns", no_compiling)
    assert score_leads(small_pb, AS_OF, [LEAD]) == want
    assert kept == {queries.query_text(small_pb), queries.query_text(small_pb, "event_sums")}


def test_changed_definitions_are_compiled_again(small_pb, cache, tmp_path):
    score_leads(small_pb, AS_OF, [LEAD])
    changed = dict(SMALL)
    changed["definitions/scoring.yaml"] = SMALL["definitions/scoring.yaml"].replace("points: 20}", "points: 21}")
    other = run_check(write_playbook(tmp_path / "other", changed), Config(), TODAY).playbook
    assert score_leads(other, AS_OF, [LEAD])[0].fit == 36
    assert len(list(cache.glob("*.sql"))) == 4  # the query and the event sums, of each


def test_no_cache_when_turned_off_or_not_writable(small_pb, tmp_path, monkeypatch):
    monkeypatch.setattr(queries, "_QUERIES", {})
    monkeypatch.setenv(queries.CACHE_ENV, "off")
    assert score_leads(small_pb, AS_OF, [LEAD])[0].total == 60
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(queries, "_QUERIES", {})
    monkeypatch.setenv(queries.CACHE_ENV, str(blocked / "cache"))
    assert score_leads(small_pb, AS_OF, [LEAD])[0].total == 60
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_the_cache_keeps_only_the_newest(small_pb, cache, monkeypatch):
    monkeypatch.setattr(queries, "KEEP_QUERIES", 2)
    cache.mkdir()
    mine = cache / "notes.txt"
    mine.write_text("kept", encoding="utf-8")
    for n in range(3):
        (cache / f"{n:064x}.sql").write_text("old", encoding="utf-8")
    score_leads(small_pb, AS_OF, [LEAD])
    assert len(list(cache.glob("*.sql"))) == 2 and mine.read_text(encoding="utf-8") == "kept"


def test_csv_output_is_quoted_as_csv_writer_quotes(small_pb):
    ids = ['a,b', 'say "hi"', "two\nlines", "#first", "semi;colon", "tab\tin", "café", "plain", "'single'", "=1+1"]
    leads = [Lead(i, {"industry": "dtc", "expected_contact_cadence": "daily", "monthly_ad_budget": "900"},
                  [("call_booked", "2026-11-20")]) for i in ids]
    con = connect()
    try:
        loaded = load_leads(con, leads, Needs.of([small_pb], AS_OF))
        score_all(loaded, small_pb, AS_OF)
        got = "".join(csv_lines(loaded, batch=7))  # in small pieces, the text is the same
        want = io.StringIO()
        writer = csv.writer(want, lineterminator="\n")
        for s in scored_rows(loaded, small_pb, AS_OF):
            writer.writerow(as_csv_row(s))
    finally:
        con.close()
    assert got == want.getvalue()
    assert [row[0] for row in csv.reader(io.StringIO(got))] == ids
    assert '"Wants daily calls; Ad budget under 2,000 USD a month"' in got  # red flags hold a comma


def test_a_kept_query_scores_without_loading_sqlglot_or_numpy(tmp_path):
    import subprocess
    import sys
    folder = write_playbook(tmp_path / "pb", SMALL)
    program = f"""
import datetime as dt, sys
from pathlib import Path
from generator.check import run_check
from generator.config import Config
from generator.scoring.run import Lead, score_leads
pb = run_check(Path({str(folder)!r}), Config(), dt.date(2026, 11, 22)).playbook
got = score_leads(pb, dt.date(2026, 11, 22), [Lead("L1", {{"industry": "dtc"}}, [("call_booked", "2026-11-20")])])
print(got[0].total, "sqlglot" in sys.modules, "numpy" in sys.modules)
"""
    env = {**__import__("os").environ, run.CACHE_ENV: str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True)
    again = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.split() == ["45.0", "True", "False"]  # compiled once: sqlglot needed
    assert again.stdout.split() == ["45.0", "False", "False"]


def test_a_temp_dir_holds_the_database_while_scoring_and_nothing_after(tmp_path):
    import subprocess
    import sys
    folder = write_playbook(tmp_path / "pb", SMALL)
    leads = tmp_path / "leads.csv"
    leads.write_text("id,industry,events\nL1,dtc,call_booked:2026-11-20\nL2,dental,\n", encoding="utf-8")
    spill = tmp_path / "spill"
    spill.mkdir()
    (spill / "mine.txt").write_text("kept", encoding="utf-8")
    seen = tmp_path / "seen.txt"
    program = f"""
import datetime as dt, os, sys
from pathlib import Path
from generator.check import run_check
from generator.config import Config
from generator.scoring.run import Needs, connect, load_file, score_all, counts
pb = run_check(Path({str(folder)!r}), Config(), dt.date(2026, 11, 22)).playbook
con = connect("64MB", {str(spill)!r})
loaded = load_file(con, Path({str(leads)!r}), {{}}, Needs.of([pb], dt.date(2026, 11, 22)))
score_all(loaded, pb, dt.date(2026, 11, 22))
Path({str(seen)!r}).write_text(" ".join(sorted(str(p.relative_to({str(spill)!r})).split(os.sep)[-1]
                                               for p in Path({str(spill)!r}).rglob("*"))))
print(sorted(counts(loaded)[0].items()))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[('lead', 2)]"
    assert "leads.duckdb" in seen.read_text(encoding="utf-8").split()   # the tables were in a file there
    assert sorted(p.name for p in spill.iterdir()) == ["mine.txt"]       # and it is gone, the rest kept


def test_definitions_without_events_never_read_the_scoring_day(tmp_path, cache):
    """No rule on events: the compiled query has no day to read, and is run without one (DuckDB
    refuses a parameter the query does not use)."""
    files = dict(SMALL)
    scoring = SMALL["definitions/scoring.yaml"]
    files["definitions/scoring.yaml"] = scoring[:scoring.index("- id: engagement")].rstrip() + "\n"
    pb = run_check(write_playbook(tmp_path, files), Config(), TODAY).playbook
    assert pb.scoring is not None
    assert "$as_of" not in queries.query_text(pb) + queries.query_text(pb, "event_sums")
    lead = Lead("L1", LEAD.attrs, [])
    early, late = score_leads(pb, AS_OF, [lead]), score_leads(pb, AS_OF + dt.timedelta(days=60), [lead])
    assert early == late and early[0].fit == 35 and early[0].engagement == 0
    con = connect()
    try:
        loaded = load_leads(con, [lead], Needs.of([pb], AS_OF))
        assert [s.fit for s in scored_rows(loaded, pb, AS_OF)] == [35]
        assert sum(run.summary_counts(loaded, pb, AS_OF)[0].values()) == 1
        score_all(loaded, pb, AS_OF)
        assert [s.fit for s in scored_rows(loaded, pb, AS_OF)] == [35]
    finally:
        con.close()


# ---------------------------------------------------------------- what the kept texts and results are kept under


def _generator_imports(path, package_dir):
    """The modules of the package a module imports (by file), and the scoring modules among them."""
    import ast
    here = path.relative_to(package_dir).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here)[: len(here) - (node.level - 1)]
            for alias in node.names:
                parts = base + (node.module.split(".") if node.module else []) + [alias.name]
                for n in (len(parts), len(parts) - 1):
                    target = package_dir.joinpath(*parts[:n])
                    if target.with_suffix(".py").is_file():
                        found.add(target.with_suffix(".py"))
                        break
                    if (target / "__init__.py").is_file():
                        found.update(target.glob("*.py"))
                        break
    return found


def test_the_kept_text_is_under_a_digest_of_every_module_the_compiler_reads():
    from pathlib import Path
    package_dir = Path(c.__file__).resolve().parent.parent
    digested = set(queries.compiler_sources())
    compiler, todo = set(), [Path(c.__file__).resolve()]
    while todo:  # the compiler: compile.py and the scoring modules it reads, and theirs
        module = todo.pop()
        compiler.add(module)
        for target in _generator_imports(module, package_dir):
            if target.parent == module.parent and target not in compiler and target.name != "__init__.py":
                todo.append(target)
    read = set().union(*(_generator_imports(m, package_dir) for m in compiler)) | compiler
    missing = sorted(str(p.relative_to(package_dir)) for p in read if p.name != "__init__.py" and p not in digested)
    assert not missing, f"the compiled text depends on modules the cache key does not digest: {missing}"
    assert {"compile.py", "definitions.py", "expressions.py"} <= {p.name for p in compiler}


def test_a_change_to_a_digested_module_is_a_new_key(tmp_path, monkeypatch, cache):
    source = tmp_path / "module.py"
    source.write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(queries, "compiler_sources", lambda: [source])
    before = queries.cached_query("definitions")
    source.write_text("x = 2\n", encoding="utf-8")
    assert queries.cached_query("definitions") != before
    assert queries.cached_query("definitions", ".json", engine=True) != queries.cached_query("definitions", ".json")


def test_worked_examples_results_are_kept_and_made_again_when_the_examples_change(small_pb, cache, monkeypatch, tmp_path):
    files = dict(SMALL)
    files["definitions/lifecycle.yaml"] = SMALL["definitions/lifecycle.yaml"].replace(
        "            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}\n",
        """            entry: {all: [{fit_score: {gte: 30}}, {engagement_score: {gte: 20}}]}
            examples:
              - name: Shop founder who booked a call two months ago
                lead: {industry: ecommerce, monthly_ad_budget: "8000", job_title: founder}
                events: [{type: call_booked, date: 2026-09-18}]
                as_of: 2026-11-22
""", 1)
    pb = run_check(write_playbook(tmp_path / "pb", files), Config(), TODAY).playbook
    want = list(run.score_examples(pb, TODAY).values())
    assert [s.engagement for s in want] == [14.06] and len(list(cache.glob("*.json"))) == 1
    monkeypatch.setattr(run, "_EXAMPLES", {})  # as a new process starts

    def no_scoring(*args, **kwargs):
        raise AssertionError("scored again")
    monkeypatch.setattr(run, "score_leads", no_scoring)
    assert list(run.score_examples(pb, TODAY).values()) == want
    monkeypatch.undo()
    monkeypatch.setenv(queries.CACHE_ENV, str(cache))
    monkeypatch.setattr(run, "_EXAMPLES", {})
    moved = files["definitions/lifecycle.yaml"].replace("2026-09-18", "2026-11-18")
    other = run_check(write_playbook(tmp_path / "other", {**files, "definitions/lifecycle.yaml": moved}),
                      Config(), TODAY).playbook
    assert [s.engagement for s in run.score_examples(other, TODAY).values()] == [25]
