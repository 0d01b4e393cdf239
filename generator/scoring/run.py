"""Lead records scored by DuckDB with the compiled query (:mod:`generator.scoring.compile`).

A CRM export (CSV, JSON Lines or Parquet) is read into DuckDB as text (:mod:`.reading`), checked
row by row in SQL (:mod:`.checks`: an id, numbers that are numbers, events written
``type:YYYY-MM-DD``), and the good rows are turned into the ``leads`` table of the query's input
contract, with each lead's event points per rule summed as the events are read. A bad row is
reported with its line number and skipped; every good row is scored. Worked examples (PB801,
the site) and ``playbook diff --leads`` go through the same tables and the same query.

CSV: one row per lead. ``id`` (or ``record_id``, ``lead_id``, ``contact_id``, ``email``) names
the lead; ``events`` holds its dated activity as ``type:YYYY-MM-DD`` items separated by ``;``;
every other column is a field the definitions can test. Lists such as ``confirmed`` use ``;``
too. The delimiter (comma, semicolon or tab) is taken from the header. JSON Lines: one object per
line, ``{"id": ..., "attributes": {...}, "events": [{"type": ..., "date": ...}]}`` (attributes
may also sit at the top level). Parquet: columns as in CSV; ``events`` as text or as a list of
``{type, date}``. ``--map COLUMN=FIELD`` renames export columns.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb

from ..playbook import Playbook
from . import compile as c
from .checks import Needs, load_file, load_leads  # noqa: F401  (imported from here)
from .inputs import CRM_PRESETS, LeadError, Loaded, UsageError, parse_mapping  # noqa: F401
from .queries import CACHE_ENV, cached_query, definitions_key, keep, query_text  # noqa: F401
from .slices import run_sliced, slices
from .sqltext import connect, quote_name  # noqa: F401

# `playbook check` freezes what loading made (gc.freeze); DuckDB's objects frozen with it would
# outlive the interpreter's last collection, and DuckDB reports them as leaked on exit.
atexit.register(gc.unfreeze)


@dataclass
class Scored:
    """One lead as the compiled query scored it."""

    id: str
    row: int
    fit: float
    engagement: float
    total: float
    stage: str | None
    persona: str | None
    negative: bool
    red_flags: list[str]
    nurture: str | None
    rules: list[tuple[str, str, float]]   # (rule id, group id, points), in the explanation's order


@dataclass
class Lead:
    """A lead record given in memory (a worked example): field values and (type, date) events."""

    id: str
    attrs: dict
    events: list[tuple[str, str]] = field(default_factory=list)


def _rules_of(pb: Playbook) -> dict[str, str]:
    return {r.id: g.id for g in (pb.scoring.groups if pb.scoring else []) for r in g.rules}


def _explained(text: str | None, groups: dict[str, str]) -> list[tuple[str, str, float]]:
    out = []
    for item in (text or "").split("; ") if text else []:
        rule, _, points = item.rpartition(" ")
        out.append((rule, groups.get(rule, ""), float(points)))
    return out


def _flags(text: str | None, known: list[str]) -> list[str]:
    """The red flags of a joined text, read against the known texts (a text may hold "; ")."""
    if not text:
        return []
    out, rest = [], text
    for flag in known:
        if rest == flag or rest.startswith(flag + "; "):
            out.append(flag)
            rest = rest[len(flag) + 2:]
    return out


def _sum_events(loaded: Loaded, pb: Playbook, as_of: dt.date) -> None:
    """``pb``'s event points per lead and rule on ``as_of`` into ``_pb_event_sums``, unless summed
    already as the events were read (the query reads them from there)."""
    key = (definitions_key(pb), as_of)
    if loaded.event_sums != key:
        _run(loaded.con, f"CREATE OR REPLACE TABLE _pb_event_sums AS {query_text(pb, 'event_sums_query')}", as_of)
        loaded.event_sums = key


def _scored_sql(pb: Playbook, where: str = "") -> str:
    return (f"SELECT l.ord, l.line, l.display_id, q.* EXCLUDE (lead_id) FROM ({query_text(pb)}) AS q "
            f"JOIN _pb_leads AS l ON l.ord = q.lead_id {where}")


def _run(con, sql: str, as_of: dt.date):
    """Run a query holding the compiled one: the scoring day goes in as its parameter, when the
    definitions use it at all (a scoring model without events or decay never reads the day)."""
    return con.execute(sql, {"as_of": as_of.isoformat()} if "$as_of" in sql else None)


def score_all(loaded: Loaded, pb: Playbook, as_of: dt.date) -> None:
    """Run ``pb``'s compiled query once over the loaded rows into the table ``_pb_scored``, which
    :func:`csv_lines`, :func:`counts` and :func:`scored_rows` then read."""
    _sum_events(loaded, pb, as_of)
    con = loaded.con
    parts = slices(con, con.execute("SELECT count(*) FROM _pb_leads").fetchone()[0])
    database = quote_name(con.execute("SELECT current_database()").fetchone()[0])

    def score(cursor, index, first, last):
        if cursor is not con:  # a cursor of its own: its own view of the good rows, those of its slice
            cursor.execute(f"CREATE OR REPLACE TEMP VIEW leads AS {loaded.leads_view} AND ord BETWEEN {first} AND {last}")
            cursor.execute(f"CREATE OR REPLACE TEMP VIEW _pb_event_sums AS SELECT * FROM {database}.main._pb_event_sums "
                           f"WHERE lead_id BETWEEN {first} AND {last}")
        where = f"AND l.ord BETWEEN {first} AND {last}" if cursor is not con else ""
        _run(cursor, f"CREATE OR REPLACE TABLE _pb_scored_{index} AS {_scored_sql(pb, where)}", as_of)
    run_sliced(con, parts, score)
    con.execute("CREATE OR REPLACE VIEW _pb_scored AS "
                + " UNION ALL ".join(f"SELECT * FROM _pb_scored_{i}" for i in range(len(parts))))
    loaded.scored_by = pb


def counts(loaded: Loaded) -> tuple[dict, dict]:
    """(leads per stage, leads per persona) of the scored rows ("(no stage)", "(no persona)" for none)."""
    by_stage = dict(loaded.con.execute("SELECT COALESCE(stage, '(no stage)'), count(*) FROM _pb_scored "
                                       "GROUP BY ALL").fetchall())
    by_persona = dict(loaded.con.execute("SELECT COALESCE(persona, '(no persona)'), count(*) FROM _pb_scored "
                                         "GROUP BY ALL").fetchall())
    return by_stage, by_persona


def _number_cell(value: str) -> str:
    """A score as the outputs write it: 2 places at most, no trailing zeros, never -0."""
    return f"rtrim(rtrim(printf('%.2f', {value} + 0.0), '0'), '.')"


def csv_lines(loaded: Loaded, batch: int = 1 << 20) -> Iterator[str]:
    """The CSV output's text (after the header) of the scored rows, in file order, in pieces of
    about ``batch`` characters: DuckDB writes it (COPY, a cell quoted when it holds a comma, a
    quote or a line break, as csv.writer quotes it) to a temporary file, read back here."""
    import shutil
    import tempfile
    cells = ["display_id", _number_cell("fit_score"), _number_cell("engagement_score"), _number_cell("total_score"),
             "NULLIF(stage, '')", "NULLIF(persona, '')", "CASE WHEN negative THEN 'yes' ELSE 'no' END",
             "NULLIF(red_flags, '')", "NULLIF(nurture_track, '')", "NULLIF(rules, '')"]
    folder = tempfile.mkdtemp(prefix="playbook-score-")
    try:
        body = os.path.join(folder, "scored.csv")
        loaded.con.execute("COPY (SELECT " + ", ".join(cells) + " FROM _pb_scored ORDER BY ord) TO $path "
                           "(FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', COMMENT '', "
                           "NEW_LINE '\n')", {"path": body})
        with open(body, encoding="utf-8", newline="") as fh:
            while True:
                text = fh.read(batch)
                if not text:
                    return
                yield text
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def parquet_file(loaded: Loaded, path: Path) -> None:
    """The scored rows written by DuckDB as a Parquet file with the CSV output's columns."""
    loaded.con.execute(
        "COPY (SELECT display_id AS id, fit_score, engagement_score, total_score, stage, persona, negative, "
        "red_flags, nurture_track, rules FROM _pb_scored ORDER BY ord) TO $path (FORMAT parquet)", {"path": str(path)})


def scored_rows(loaded: Loaded, pb: Playbook, as_of: dt.date, lines: bool = True,
                batch: int = 10_000) -> Iterator[Scored]:
    """Every good row of ``loaded`` scored with ``pb``'s compiled query, in file order. Without
    ``lines`` a CSV record's row is its number among the records, not its line (finding lines
    reads the file once more)."""
    groups, known = _rules_of(pb), c.red_flag_texts(pb)
    if getattr(loaded, "scored_by", None) is pb:
        cursor = loaded.con.execute("SELECT * FROM _pb_scored ORDER BY ord")
    else:
        _sum_events(loaded, pb, as_of)
        cursor = _run(loaded.con, f"{_scored_sql(pb)} ORDER BY l.ord", as_of)
    while True:
        rows = cursor.fetchmany(batch)
        if not rows:
            return
        for ord_, line, ident, fit, engagement, total, stage, persona, negative, flags, track, rules in rows:
            if line is None:
                line = loaded.line_of(ord_) if lines else ord_ + 1
            yield Scored(ident, line, fit, engagement, total, stage, persona,
                         bool(negative), _flags(flags, known), track, _explained(rules, groups))


def summary_counts(loaded: Loaded, pb: Playbook, as_of: dt.date) -> tuple[dict, dict]:
    """(leads per stage, leads per persona) of the good rows."""
    _sum_events(loaded, pb, as_of)
    rows = _run(loaded.con, f"SELECT stage, persona, count(*) FROM ({query_text(pb)}) GROUP BY ALL",
                as_of).fetchall()
    by_stage: dict = {}
    by_persona: dict = {}
    for stage, persona, n in rows:
        by_stage[stage or "(no stage)"] = by_stage.get(stage or "(no stage)", 0) + n
        by_persona[persona or "(no persona)"] = by_persona.get(persona or "(no persona)", 0) + n
    return by_stage, by_persona


def score_leads(pb: Playbook, as_of: dt.date, leads: list[Lead]) -> list[Scored | str]:
    """Score lead records given in memory (worked examples) with the compiled query: for each,
    the result or a sentence saying why it cannot be scored."""
    needs = Needs.of([pb], as_of)
    con = duckdb.connect(":memory:")
    try:
        loaded = load_leads(con, leads, needs)
        out: list[Scored | str] = [""] * len(leads)
        for line, message in loaded.errors:
            out[line - 1] = message
        for s in scored_rows(loaded, pb, as_of):
            if not out[s.row - 1]:
                out[s.row - 1] = s
        for i, lead in enumerate(leads):  # in a worked example an unknown event type is a mistake
            unknown = sorted({t.strip().lower() for t, _ in lead.events} - set(needs.known_events))
            if unknown and not isinstance(out[i], str):
                out[i] = (f'unknown event type "{unknown[0]}" (the scoring model knows: '
                          + ", ".join(needs.known_events) + ")")
        return out
    finally:
        con.close()


_EXAMPLES: dict = {}   # (definitions, day, examples) -> results: `playbook check` and the site ask alike


def score_examples(pb: Playbook, today: dt.date | None) -> dict[int, Scored | str]:
    """Every worked example of the playbook (stages, personas, the scoring model) scored with the
    compiled query, one run per scoring day: id(example) -> the result or why it cannot be scored.
    Results are remembered for the same definitions and examples."""
    owners = list(pb.stages) + list(pb.personas) + ([pb.scoring] if pb.scoring else [])
    by_day: dict = {}
    for entity in owners:
        for example in entity.examples:
            by_day.setdefault(example.as_of or today, []).append(example)
    out: dict[int, Scored | str] = {}
    for day, examples in by_day.items():
        if day is None:
            for example in examples:
                out[id(example)] = "there is no scoring date (give the example an as_of)"
            continue
        leads = [Lead(f"example-{i + 1}", dict(example.lead), [(e.type, e.date.isoformat()) for e in example.events])
                 for i, example in enumerate(examples)]
        key = (definitions_key(pb), day, repr([(lead.attrs, lead.events) for lead in leads]))
        results = _EXAMPLES.get(key)
        if results is None:
            if len(_EXAMPLES) >= 16:
                _EXAMPLES.clear()
            results = _EXAMPLES[key] = _kept_results(pb, day, leads, key)
        for example, got in zip(examples, results):
            out[id(example)] = got
    return out


def _kept_results(pb: Playbook, day: dt.date, leads: list[Lead], key: tuple) -> list[Scored | str]:
    """:func:`score_leads`, kept between runs like the compiled text (under a digest of the
    definitions, the examples, the day and the engine's source): a run that scores the same
    examples with the same engine reads the results it made."""
    import json
    stored = cached_query("\n".join(map(str, key)), ".json", engine=True)
    try:
        if stored is not None and stored.is_file():
            return [got if isinstance(got, str) else Scored(**{**got, "rules": [tuple(r) for r in got["rules"]]})
                    for got in json.loads(stored.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        pass
    results = score_leads(pb, day, leads)
    keep(stored, json.dumps([got if isinstance(got, str) else got.__dict__ for got in results]))
    return results


def event_points(pb: Playbook, as_of: dt.date, events: list[tuple[str, str]]) -> list[list[tuple[str, str, float]]]:
    """For each event on its own, the (rule, group, points) it adds, by the compiled query: a
    lead with nothing but that event is scored (a worked example's calculation lists them)."""
    got = score_leads(pb, as_of, [Lead(f"event-{i}", {}, [e]) for i, e in enumerate(events)])
    return [g.rules if isinstance(g, Scored) else [] for g in got]


def number_text(x: float) -> str:
    """A score as the outputs write it: rounded to 2 decimal places, without trailing zeros."""
    text = ("%.2f" % x).rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
