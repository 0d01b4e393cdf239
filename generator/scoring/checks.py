"""The rows of a CRM export checked in SQL, and the tables the compiled query reads.

Every raw row (:mod:`.reading`) is checked: an id, numbers that are numbers, events written
``type:YYYY-MM-DD`` on or before the scoring day. A row with a problem is a bad row, said with
its line; a lead id given twice is scored once. The good rows are the view ``leads`` of the
query's input contract; their events are cut apart once, and each lead's points per event rule
(:func:`generator.scoring.compile.event_sum_columns`) are summed as they are, into
``_pb_event_sums``. The view ``events`` gives the events themselves, for the general query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..playbook import Playbook
from . import compile as c
from .inputs import (EVENTS_COLUMN, ID_COLUMNS, MAX_NUMBER, NO_ID, Layout, Loaded, active_preset, crm_hint,
                     csv_header, file_kind, mapped_by, shown, synonyms)
from .queries import definitions_key, query_text
from .reading import json_records, load_csv, load_parquet, load_records
from .slices import run_sliced, slices
from .sqltext import literal, quote_name

YES, NO = c.YES_WORDS, c.NO_WORDS


@dataclass
class Needs:
    """What reading leads for one or more playbooks needs: each field's kind, the known event
    types, the fields compared with yes/no, and the scoring day."""

    kinds: dict[str, str]
    known_events: list[str]
    yes_no: set[str]
    as_of: dt.date
    scoring: Playbook | None = None   # with one playbook: its event points are summed as the events are read

    @classmethod
    def of(cls, playbooks: list[Playbook], as_of: dt.date) -> "Needs":
        kinds: dict[str, str] = {}
        known: set[str] = set()
        yes_no: set[str] = set()
        for pb in playbooks:
            for f in c.lead_fields(pb):
                if kinds.get(f.name) != "number":
                    kinds[f.name] = f.kind
            known |= set(c.event_types(pb))
            yes_no |= _yes_no_fields(pb)
        return cls(kinds, sorted(known), yes_no, as_of, playbooks[0] if len(playbooks) == 1 else None)


def _yes_no_fields(pb: Playbook) -> set[str]:
    """Fields the definitions compare with yes or no: there true/false/1/0 mean yes/no."""
    out = set()
    conds = c.tested_conditions(pb)
    for cond in conds:
        (name, ops), = cond.items()
        values = [ops.eq, ops.ne, *(ops.in_ or []), *(ops.not_in or [])]
        if any(v is not None and v.lower() in ("yes", "no") for v in values):
            out.add(name)
    return out


PRESET_NAMES_ONLY = {"first_name", "last_name", "company", "create_date"}


def load_file(con: duckdb.DuckDBPyConnection, path: Path, mapping: dict[str, str], needs: Needs, *,
              crm: str | None = None) -> Loaded:
    """Read a CSV, JSON Lines or Parquet file into ``con`` and check it: the tables ``leads`` and
    ``events`` of the input contract then hold its good rows. Raises UsageError for a file that
    cannot be read as asked. ``crm`` names the preset ``mapping`` holds (by default: the one it
    nearly wholly holds), so messages say whether --crm or --map renamed a column."""
    crm = crm or active_preset(mapping)
    kind = file_kind(path)
    if kind == "jsonl":
        loaded = Loaded(con, path, Layout("jsonl"), mapping=mapping, crm=crm)
        records = json_records(path, mapping, loaded.errors)
        load_records(con, records)
    elif kind == "parquet":
        loaded = Loaded(con, path, Layout("parquet"), mapping=mapping, crm=crm)
        loaded.layout.original = load_parquet(con, path, mapping, crm)
    else:
        layout, problem = csv_header(path, mapping, crm)
        loaded = Loaded(con, path, layout or Layout("csv"), mapping=mapping, crm=crm)
        if problem is not None:
            loaded.errors.append(problem)
            load_records(con, [])
        elif layout is None:
            load_records(con, [])
        else:
            load_csv(con, path, layout, loaded)
    check_rows(con, loaded, needs)
    return loaded


def load_leads(con: duckdb.DuckDBPyConnection, leads: list, needs: Needs) -> Loaded:
    """Load lead records given in memory (worked examples: :class:`~generator.scoring.run.Lead`)
    the way a file's rows are loaded."""
    records = []
    for i, lead in enumerate(leads):
        cells = {"id": lead.id}
        for key, value in lead.attrs.items():
            name = key.strip().lower()
            cells[name] = ";".join(value) if isinstance(value, list) else str(value)
        cells[EVENTS_COLUMN] = ";".join(f"{t}:{d}" for t, d in lead.events)
        records.append((i + 1, cells))
    loaded = Loaded(con, None, None)
    load_records(con, records)
    check_rows(con, loaded, needs)
    return loaded


def _number_sql(cell: str) -> str:
    """A cell as a number: $, €, £ and a currency code around it, thousands separators and
    underscores dropped ("$1,200", "750 USD"); the patterns only for a cell that is not a plain number."""
    cleaned = (f"regexp_replace(regexp_replace(trim({cell}), '^[$€£]\\s*|^[A-Z]{{3}}\\s+|\\s*[A-Z]{{3}}$|\\s+$', '', 'g'), "
               "'[,_]', '', 'g')")
    plain = f"TRY_CAST(trim({cell}) AS DOUBLE)"
    return f"CASE WHEN {plain} IS NOT NULL THEN {plain} ELSE TRY_CAST({cleaned} AS DOUBLE) END"


LATER = 1_000_000_000  # an item's problem ranks after every "has no date" of its row (positions are smaller)


def _items_sql(cell: str, where: str = "") -> str:
    """Every item of the events cells (``type:YYYY-MM-DD``, split at ";"), one pass: the row
    (``ord``), its place in the cell, where its first ":" is (``sep``, 0: none), the type before
    it (``event``) and the day in the 10 characters after it, up to a second ":" (``occurred``).
    Spaces go and case is folded once per cell, not once per item; "type@date" reads as "type:date"."""
    cleaned = f"replace(replace(lower({cell}), ' ', ''), '@', ':')"
    return f"""
        SELECT ord, pos, sep, CASE WHEN sep > 0 THEN left(item, sep - 1) END AS event,
               TRY_CAST(CASE WHEN strpos(after, ':') = 0 THEN after ELSE left(after, strpos(after, ':') - 1) END
                        AS DATE) AS occurred
        FROM (SELECT ord, pos, item, sep, CASE WHEN sep > 0 THEN substr(item, sep + 1, 10) END AS after
              FROM (SELECT ord, pos, item, strpos(item, ':') AS sep
                    FROM (SELECT ord, unnest(items) AS item, generate_subscripts(items, 1) AS pos
                          FROM (SELECT r.rowid AS ord, string_split({cleaned}, ';') AS items
                                FROM _pb_raw AS r WHERE {cell} <> '' {where}))
                    WHERE item <> ''))"""


def _sliced_table(con, table: str, select, given: dict, parts=None) -> None:
    """The table made by ``select(where)`` (``where``: more of the WHERE clause on the raw rows
    ``r``), slice by slice at once when ``parts`` has more than one (:mod:`.slices`)."""
    if parts is None or len(parts) == 1:
        sql = f"CREATE OR REPLACE TABLE {table} AS {select('')}"
        con.execute(sql, _params(sql, given))
        return
    sql = f"CREATE OR REPLACE TABLE {table} AS {select('AND r.rowid < 0')}"
    con.execute(sql, _params(sql, given))

    def insert(cursor, index, first, last):
        sql = f"INSERT INTO {table} {select(f'AND r.rowid BETWEEN {first} AND {last}')}"
        cursor.execute(sql, _params(sql, given))
    run_sliced(con, parts, insert)


def _params(sql: str, given: dict) -> dict | None:
    """The parameters a statement reads (DuckDB refuses one it does not)."""
    return {k: v for k, v in given.items() if f"${k}" in sql} or None


def check_rows(con, loaded: Loaded, needs: Needs) -> None:
    """Check every raw row in SQL and define the views ``leads`` and ``events``. The events are
    cut apart once: each row's first item with a problem and, for ``needs.scoring``, its event
    points per rule (``_pb_event_sums``) come from that one pass."""
    names = dict(con.execute("SELECT name, i FROM _pb_names").fetchall())
    _fit_names(names, loaded, needs)
    cell = {name: f"r.{quote_name(f'c{i}')}" for name, i in names.items() if name}
    id_cells = [f"NULLIF(trim({cell[n]}), '')" for n in ID_COLUMNS if n in cell]
    ident = f"COALESCE({', '.join(id_cells)})" if id_cells else "CAST(NULL AS VARCHAR)"
    # the scoring day and the known event types are parameters, never text in the SQL
    as_of, known, given = "CAST($as_of AS DATE)", "$known::VARCHAR[]", {"as_of": needs.as_of.isoformat(),
                                                                         "known": list(needs.known_events)}
    # list_contains, not IN: DuckDB turns an IN list into a join, slow over millions of events
    has_line = "_line" in [d[0] for d in con.execute("SELECT * FROM _pb_raw LIMIT 0").description]
    rows = con.execute("SELECT count(*) FROM _pb_raw").fetchone()[0]
    parts = slices(con, rows)

    loaded.event_sums = None
    if EVENTS_COLUMN in cell:
        events = cell[EVENTS_COLUMN]
        sums = query_text(needs.scoring, "event_sums") if needs.scoring is not None else ""
        # a row's problem: its first item without a date, else its first of a known type whose date is
        # not one or is after the scoring day (an item of an unknown type is skipped, not a problem)
        _sliced_table(con, "_pb_event_sums", lambda where: f"""
            SELECT ord AS lead_id{', ' + sums if sums else ''},
                   min(CASE WHEN sep = 0 THEN pos WHEN list_contains({known}, event)
                                 AND (occurred IS NULL OR occurred > {as_of}) THEN {LATER} + pos END) AS _pb_problem_at,
                   bool_or(sep > 0 AND NOT list_contains({known}, event)) AS _pb_unknown
            FROM ({_items_sql(events, where)}) GROUP BY ord""", given, parts)
        if needs.scoring is not None:
            loaded.event_sums = (definitions_key(needs.scoring), needs.as_of)
        # the message, for the few rows with a problem
        item = f"string_split(replace(replace(lower({events}), ' ', ''), '@', ':'), ';')[s._pb_problem_at % {LATER}]"
        sql = f"""
            CREATE OR REPLACE TABLE _pb_item_problems AS
            SELECT ord, prio, CASE
                WHEN prio = 0 THEN 'the event "' || item || '" has no date (write type:YYYY-MM-DD)'
                WHEN day IS NULL THEN '"' || split_part(item, ':', 2) || '" is not a date (use YYYY-MM-DD)'
                ELSE 'the event "' || kind || '" on ' || CAST(day AS VARCHAR) || ' is after the scoring date '
                     || CAST({as_of} AS VARCHAR) END AS msg
            FROM (SELECT ord, prio, item, left(item, sep - 1) AS kind,
                         TRY_CAST(CASE WHEN strpos(after, ':') = 0 THEN after ELSE left(after, strpos(after, ':') - 1) END
                                  AS DATE) AS day
                  FROM (SELECT ord, prio, item, sep, substr(item, sep + 1, 10) AS after
                        FROM (SELECT ord, prio, item, strpos(item, ':') AS sep
                              FROM (SELECT r.rowid AS ord, s._pb_problem_at // {LATER} AS prio, {item} AS item
                                    FROM _pb_event_sums AS s JOIN _pb_raw AS r ON r.rowid = s.lead_id
                                    WHERE s._pb_problem_at IS NOT NULL))))"""
        con.execute(sql, _params(sql, given))
        item_join = "LEFT JOIN _pb_item_problems AS p ON p.ord = r.rowid"
    else:
        item_join = ""

    values, checks, texts = [], [], []
    for name, kind in sorted(needs.kinds.items()):
        if name not in cell:
            values.append(f"CAST(NULL AS {'DOUBLE' if kind == 'number' else 'VARCHAR'}) AS {quote_name(name)}")
            continue
        raw = cell[name]
        if kind == "number":
            values.append(f"{_number_sql(raw)} AS {quote_name(name)}")
            written = quote_name("_pb_text_" + name)
            texts.append(f"NULLIF(trim({raw}), '') AS {written}")
            number = quote_name(name)
            checks.append(f"WHEN {written} IS NOT NULL AND ({number} IS NULL OR isnan({number})) "
                          f"THEN {literal(name + ' ')} || '\"' || {written} || '\" is not a number'")
            checks.append(f"WHEN {number} < 0 THEN {literal(name + ' ')} || {written} || ' is negative'")
            checks.append(f"WHEN {number} > {MAX_NUMBER} THEN {literal(name + ' ')} || {written} || ' is not a believable value'")
        elif name in needs.yes_no:
            yes = ", ".join(literal(v) for v in YES)
            no = ", ".join(literal(v) for v in NO)
            values.append(f"CASE WHEN lower(trim({raw})) IN ({yes}) THEN 'yes' WHEN lower(trim({raw})) IN ({no}) "
                          f"THEN 'no' ELSE NULLIF(trim({raw}), '') END AS {quote_name(name)}")
        else:
            values.append(f"NULLIF(trim({raw}), '') AS {quote_name(name)}")
    problems = "p.msg AS _pb_msg, p.prio AS _pb_prio" if item_join else "NULL AS _pb_msg, NULL AS _pb_prio"
    first_problem = "WHEN _pb_prio = 0 THEN _pb_msg" if item_join else ""
    later_problem = "WHEN _pb_msg IS NOT NULL THEN _pb_msg" if item_join else ""
    problem = f"CASE {first_problem} WHEN display_id IS NULL THEN {literal(NO_ID)} {' '.join(checks)} {later_problem} END"
    line = "r._line" if has_line else "CAST(NULL AS BIGINT)"
    _sliced_table(con, "_pb_leads", lambda where: f"""
        SELECT * EXCLUDE (_pb_msg, _pb_prio{''.join(', ' + t.split(' AS ')[-1] for t in texts)}), {problem} AS problem
        FROM (SELECT r.rowid AS ord, {line} AS line, {ident} AS display_id, {problems}
                     {''.join(', ' + v for v in values)}{''.join(', ' + t for t in texts)}
              FROM _pb_raw AS r {item_join} WHERE true {where})""", given, parts)
    tested = [n for n in needs.kinds if n != c.REASON_FIELD]
    found = [n for n in tested if n in cell]
    if tested and not found and loaded.layout is not None and loaded.layout.names and rows:
        hint = crm_hint(loaded.layout.original or [], loaded.mapping)
        loaded.notes.append((None, f"0 of {len(tested)} fields the definitions test were found in the header "
                             f"({', '.join(sorted(tested)[:6])}{', ...' if len(tested) > 6 else ''})"
                             + (f" — did you mean --crm {hint}?" if hint else "; name the columns with --map COLUMN=FIELD")))
    elif tested and found:
        _unread_fields(names, loaded, needs)
    _duplicate_ids(con, loaded, has_line)
    fields = "".join(", " + quote_name(n) for n in sorted(needs.kinds))
    loaded.leads_view = f"SELECT ord AS lead_id{fields} FROM _pb_leads WHERE problem IS NULL"
    con.execute(f"CREATE OR REPLACE TEMP VIEW leads AS {loaded.leads_view}")
    if EVENTS_COLUMN in cell:
        events = cell[EVENTS_COLUMN]
        con.execute(f"""CREATE OR REPLACE TEMP VIEW events AS
            SELECT ord AS lead_id, event, occurred, pos FROM ({_items_sql(events)})
            WHERE sep > 0 AND occurred IS NOT NULL""")
        unknown = con.execute(f"""
            SELECT i.event, count(*), min(i.ord)
            FROM ({_items_sql(events, "AND r.rowid IN (SELECT lead_id FROM _pb_event_sums WHERE _pb_unknown)")}) AS i
            JOIN _pb_leads AS l ON l.ord = i.ord
            WHERE l.problem IS NULL AND i.sep > 0 AND NOT list_contains({known}, i.event) GROUP BY i.event ORDER BY 3""",
                             {"known": given["known"]}).fetchall()
        for kind, count, first in unknown:
            loaded.notes.append((first, f'{count} event{"s" if count != 1 else ""} of the unknown type {shown(kind)} '
                                 "skipped (the scoring model knows: " + ", ".join(needs.known_events) + ")"))
        located = [o for o, _ in loaded.notes if o is not None]
        if located:
            lines = dict(con.execute("SELECT ord, line FROM _pb_leads WHERE ord IN ("
                                     + ", ".join(str(int(o)) for o in located) + ")").fetchall())
            loaded.notes = [(None if o is None else lines.get(o) if has_line else loaded.line_of(o), text)
                            for o, text in loaded.notes]
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW events AS SELECT CAST(NULL AS BIGINT) AS lead_id, "
                    "CAST(NULL AS VARCHAR) AS event, CAST(NULL AS DATE) AS occurred, CAST(NULL AS BIGINT) AS pos "
                    "WHERE false")
    bad = con.execute("SELECT ord, line, problem FROM _pb_leads WHERE problem IS NOT NULL ORDER BY ord").fetchall()
    for ord_, line, problem in bad:
        loaded.errors.append((line if line is not None else loaded.line_of(ord_), problem))
    loaded.errors.sort(key=lambda e: e[0])


def _columns_read_as(loaded: Loaded, names: dict[str, int]) -> dict[str, tuple[str, str | None]]:
    """For each name a column is read as: (the column as the file writes it, what renamed it)."""
    original = loaded.layout.original if loaded.layout is not None else []
    out = {}
    for name, i in names.items():
        written = original[i] if i is not None and i < len(original) else name
        out[name] = (written, mapped_by(str(written).strip().lower(), loaded.mapping, loaded.crm))
    return out


def _fit_names(names: dict[str, int], loaded: Loaded, needs: Needs) -> None:
    """A column read as a name the definitions do not test, when they test exactly one other
    name of the same fact (SYNONYMS) that no column gives, is read as that one, and said."""
    tested = set(needs.kinds)
    written = _columns_read_as(loaded, names)
    for name in sorted(names, key=lambda n: names[n]):
        if not name or name in tested or name in ID_COLUMNS or name == EVENTS_COLUMN:
            continue
        options = [other for other in synonyms(name) if other in tested and other not in names]
        if len(options) != 1:
            continue
        names[options[0]] = names.pop(name)
        column, by = written[name]
        how = f" ({by} reads it as {name})" if by else ""
        loaded.notes.append((None, f"the column {shown(column)} is read as {options[0]}, the field the "
                                   f"definitions test{how}"))


def _unread_fields(names: dict[str, int], loaded: Loaded, needs: Needs) -> None:
    """Say which renamed columns feed no definition: a --map to a field nothing tests, and a
    preset's columns read as names the definitions do not test while fields they test are missing."""
    tested = set(needs.kinds)
    missing = sorted(tested - set(names) - {c.REASON_FIELD})
    unused_preset = []
    for name, (column, by) in _columns_read_as(loaded, names).items():
        if not by or not name or name in tested or name in ID_COLUMNS or name == EVENTS_COLUMN:
            continue
        if by == "--map":
            loaded.notes.append((None, f"--map reads the column {shown(column)} as {name}, but no definition "
                                       f"tests a field {name}; the definitions test: "
                                       + ", ".join(sorted(tested)[:12]) + (", ..." if len(tested) > 12 else "")))
        elif name not in PRESET_NAMES_ONLY:
            unused_preset.append(f"{shown(column)} as {name}")
    if unused_preset and missing:
        loaded.notes.append((None, f"{loaded.crm and '--crm ' + loaded.crm or 'the preset'} reads "
                             + ", ".join(unused_preset) + ", which no definition tests, while the definitions test "
                             + ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else "")
                             + ", which the file does not have; if a column holds one of them, say so with "
                               "--map \"COLUMN=FIELD\""))


def _duplicate_ids(con, loaded: Loaded, has_line: bool) -> None:
    """A lead id given by more than one good row: the first row is scored, each later one is a
    bad row saying where the first is (a lead is never counted twice)."""
    again = con.execute("""
        WITH firsts AS (SELECT display_id, min(ord) AS first_ord FROM _pb_leads WHERE problem IS NULL
                        GROUP BY display_id HAVING count(*) > 1)
        SELECT l.ord, l.display_id, f.first_ord, fl.line FROM _pb_leads AS l JOIN firsts AS f USING (display_id)
        JOIN _pb_leads AS fl ON fl.ord = f.first_ord
        WHERE l.problem IS NULL AND l.ord <> f.first_ord ORDER BY l.ord""").fetchall()
    if not again:
        return
    problems = []
    for ord_, ident, first_ord, first_line in again:
        if not has_line:
            first_line = loaded.line_of(first_ord)
        problems.append((ord_, f"the lead id {shown(ident)} is also on row {first_line}; only that first row "
                               "is scored (a lead is counted once)"))
    con.execute("CREATE OR REPLACE TABLE _pb_again (ord BIGINT, problem VARCHAR)")
    con.executemany("INSERT INTO _pb_again VALUES (?, ?)", problems) if len(problems) < 1000 else \
        _insert_many(con, "_pb_again", problems)
    con.execute("UPDATE _pb_leads SET problem = a.problem FROM _pb_again AS a WHERE _pb_leads.ord = a.ord")


def _insert_many(con, table: str, rows: list[tuple]) -> None:
    import numpy as np
    data = {f"c{i}": np.array([r[i] for r in rows], dtype=object) for i in range(len(rows[0]))}
    con.register("_pb_rows", data)
    con.execute(f"INSERT INTO {quote_name(table)} SELECT * FROM _pb_rows")
    con.unregister("_pb_rows")
