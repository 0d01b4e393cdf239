"""Lead records scored by DuckDB with the compiled query (:mod:`generator.scoring.compile`).

A CRM export (CSV, JSON Lines or Parquet) is read into DuckDB as text, checked row by row in
SQL (an id, numbers that are numbers, events written ``type:YYYY-MM-DD``), and the good rows are
turned into the ``leads`` and ``events`` tables of the query's input contract. A bad row is
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
import codecs
import csv
import datetime as dt
import gc
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb

from ..playbook import Playbook
from . import compile as c

# `playbook check` freezes what loading made (gc.freeze); DuckDB's objects frozen with it would
# outlive the interpreter's last collection, and DuckDB reports them as leaked on exit.
atexit.register(gc.unfreeze)

ID_COLUMNS = ("id", "record_id", "lead_id", "contact_id", "email")
EVENTS_COLUMN = "events"
MAX_NUMBER = 1e9
MAX_LINE_BYTES = 1 << 20  # a CSV record longer than this is a bad row
NO_ID = "no id (expected a column id, record_id, lead_id, contact_id or email)"
TOO_MANY = "the row has more values than the header has columns"
ENCODING_HINT = "the file should be saved as UTF-8"
YES, NO = c.YES_WORDS, c.NO_WORDS


class LeadError(Exception):
    """A problem with one lead record (or with the whole file, before any row)."""


class UsageError(Exception):
    """The command cannot read the file at all as asked (the header names a field twice, say)."""


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


# ---------------------------------------------------------------- SQL text helpers


def _q(name: str) -> str:
    """A name as a quoted DuckDB identifier (a quote inside doubled), as sqlglot writes it."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A text as a DuckDB string literal (a quote inside doubled; a backslash is plain text), as
    sqlglot writes it."""
    return "'" + text.replace("'", "''") + "'"


PROGRESS_AFTER = "PLAYBOOK_PROGRESS_AFTER_MS"  # how long a step runs before its progress bar shows


def connect(memory_limit: str | None = None, temp_directory: str | None = None,
            threads: int | None = None, progress: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection; with a memory limit it spills to ``temp_directory``. With a
    ``temp_directory`` the tables live in a database file made there (and removed at exit):
    DuckDB writes large tables to it compressed as they are made, so a file many times the memory
    limit is read without holding it in memory uncompressed. Otherwise everything is in memory.
    With ``progress`` (the caller's standard output is a terminal: DuckDB draws its bar there), a
    step running longer than 2 seconds, or ``PLAYBOOK_PROGRESS_AFTER_MS``, shows a progress bar."""
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = temp_directory
    if threads:
        config["threads"] = threads
    database = ":memory:"
    if temp_directory:
        import shutil
        import tempfile
        os.makedirs(temp_directory, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="playbook-score-", dir=temp_directory)
        database = os.path.join(folder, "leads.duckdb")
        try:
            con = duckdb.connect(database, config=config)
        except BaseException:
            shutil.rmtree(folder, True)
            raise
        import weakref
        weakref.finalize(con, shutil.rmtree, folder, True)  # when the connection goes, or at exit
    else:
        con = duckdb.connect(database, config=config)
    if progress:
        after = os.environ.get(PROGRESS_AFTER, "")
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
        con.execute(f"SET progress_bar_time = {int(after) if after.isdigit() else 2000}")
    return con


# ---------------------------------------------------------------- what the checks need


@dataclass
class Needs:
    """What reading leads for one or more playbooks needs: each field's kind, the known event
    types, the fields compared with yes/no, and the scoring day."""

    kinds: dict[str, str]
    known_events: list[str]
    yes_no: set[str]
    as_of: dt.date

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
        return cls(kinds, sorted(known), yes_no, as_of)


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


# ---------------------------------------------------------------- reading a file


@dataclass
class _Layout:
    kind: str                      # csv, jsonl or parquet
    names: list[str] = field(default_factory=list)   # the field each column is read as ("" unnamed)
    delimiter: str = ","
    skip: int = 0                  # physical lines before the first record
    first_line: int = 1            # the line number of the first record
    new_line: str = "\\n"          # how the header's line ends, as DuckDB's new_line option writes it
    original: list[str] = field(default_factory=list)  # the header as written


def _file_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        start = fh.read(4096)
    if start.startswith(b"PAR1"):
        return "parquet"
    if start.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        return "jsonl"
    return "csv"


# Column names of CRM report exports, read as the playbook's fields (--crm); --map goes over them.
CRM_PRESETS: dict[str, dict[str, str]] = {
    "hubspot": {"record id": "id", "email": "email", "first name": "first_name", "last name": "last_name",
                "company name": "company", "website url": "company_website", "industry": "industry",
                "job title": "job_title", "country/region": "country", "number of employees": "employee_count",
                "create date": "create_date", "lifecycle stage": "lifecycle_stage", "lead status": "lead_status",
                "original source": "lead_source", "marketing emails opted in": "email_opt_in"},
    "salesforce": {"lead id": "id", "contact id": "id", "email": "email", "first name": "first_name",
                   "last name": "last_name", "company / account": "company", "company": "company",
                   "website": "company_website", "industry": "industry", "title": "job_title", "country": "country",
                   "no. of employees": "employee_count", "create date": "create_date", "created date": "create_date",
                   "lead status": "lead_status", "lead source": "lead_source", "email opt out": "email_opt_out"},
}


def crm_hint(names: list[str], mapping: dict[str, str] | None = None) -> str | None:
    """The --crm preset whose id column the header has, if any, unless that column is already
    read as something else (the preset, or a --map, was given)."""
    present = {n.strip().lower() for n in names}
    for crm, preset in CRM_PRESETS.items():
        ids = [column for column, field_name in preset.items() if field_name == "id" and column in present]
        if ids and not any(column in (mapping or {}) for column in ids):
            return crm
    return None


def active_preset(mapping: dict[str, str]) -> str | None:
    """The --crm preset a mapping holds (nearly all of its column names, read as the preset reads
    them; --map may change a few), if any."""
    for crm, preset in CRM_PRESETS.items():
        if sum(mapping.get(column) == name for column, name in preset.items()) >= 0.8 * len(preset):
            return crm
    return None


def mapped_by(column: str, mapping: dict[str, str], crm: str | None) -> str | None:
    """What reads the export's column (lower case) as another name: "--crm NAME" (the preset) or
    "--map"; None when nothing renames it."""
    if column not in mapping:
        return None
    if crm and CRM_PRESETS.get(crm, {}).get(column) == mapping[column]:
        return f"--crm {crm}"
    return "--map"


# Names CRMs and playbooks give the same fact. A column read as one of them, when the definitions
# do not test it but test exactly one other name of its group that the file lacks, is read as that one.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("employee_count", "employees", "number_of_employees", "no_of_employees", "headcount", "company_size"),
    ("company_website", "website", "website_url", "company_url", "domain"),
    ("job_title", "title"),
    ("lead_source", "source", "original_source"),
    ("email_opt_in", "marketing_emails_opted_in", "email_opted_in", "opted_in"),
    ("annual_revenue", "revenue"),
    ("country", "country_region"),
)


def _synonyms(name: str) -> list[str]:
    return [other for group in SYNONYMS if name in group for other in group if other != name]


def parse_mapping(pairs) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f'"{pair}" is not COLUMN=FIELD')
        column, name = pair.split("=", 1)
        if not column.strip() or not name.strip():
            raise ValueError(f'"{pair}" is not COLUMN=FIELD')
        out[column.strip().lower()] = name.strip().lower()
    return out


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _shown(text: str, limit: int = 40) -> str:
    """A value quoted for a message: bytes that are not UTF-8 as \\xNN, line breaks as \\n, cut short."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = text[:limit] + "..."
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n") + '"'


def _csv_header(path: Path, mapping: dict[str, str],
                crm: str | None = None) -> tuple[_Layout | None, tuple[int, str] | None]:
    """The header of a CSV file: its layout, or (None, (line, problem)); (None, None) for a file
    of nothing but blank lines. Two columns read as the same field are a UsageError."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_LINE_BYTES)
        whole = not fh.read(1)
    data = data.removeprefix(codecs.BOM_UTF8)
    text = data.decode("utf-8", "surrogateescape")
    lines = io.StringIO(text, newline="").readlines()
    skip = 0
    while skip < len(lines) and not lines[skip].strip("\r\n"):
        skip += 1
    if skip == len(lines):
        return None, None
    first = lines[skip]
    counts = {d: _outside_quotes(first).count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    ended: list = []

    def watched():
        yield from lines[skip:]
        ended.append(True)

    reader = csv.reader(watched(), delimiter=delimiter)
    line = skip + 1
    try:
        header = next(reader)
    except csv.Error as exc:
        return None, (line, f"the header cannot be read ({exc})")
    taken = reader.line_num
    if ended and (whole or len(data) >= MAX_LINE_BYTES):
        return None, (line, "the header cannot be read (a quote opened in it is never closed: it runs to the end "
                            "of the file)")
    for i, name in enumerate(header, start=1):
        if _UNDECODABLE.search(name):
            return None, (line, f"column {i} of the header, {_shown(name)}, holds bytes that are not UTF-8 text "
                                f"({ENCODING_HINT})")
    names = [mapping.get(k, k) for k in (h.strip().lower() for h in header)]
    columns: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        if name:
            columns.setdefault(name, []).append(i)
    twice = [(name, at) for name, at in columns.items() if len(at) > 1]
    if twice:
        def column(i: int) -> str:
            by = mapped_by(header[i - 1].strip().lower(), mapping, crm)
            return f"{i} {_shown(header[i - 1])}" + (f" (by {by})" if by else "")
        raise UsageError(
            "the header has more than one column for a field, and only one value could be read: "
            + "; ".join(f"{name} in columns " + ", ".join(column(i) for i in at[:-1]) + " and " + column(at[-1])
                        for name, at in twice)
            + ". Rename or remove all but one (or change --map); nothing was scored")
    ending = lines[skip + taken - 1][-2:]
    new_line = "\\r\\n" if ending == "\r\n" else "\\r" if ending.endswith("\r") else "\\n"
    return _Layout("csv", names, delimiter, skip + taken, skip + taken + 1, new_line, header), None


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)


def _record_lines(path: Path, layout: _Layout, rejected: set[int]) -> list[int]:
    """The line each CSV record after the header starts on, leaving out the records DuckDB
    refused (by the line they start on): record i of the table starts on line [i]."""
    out = []
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        for _ in range(layout.skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=layout.delimiter)
        start = layout.skip + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                row = ["?"]
            if row and start not in rejected:
                out.append(start)
            start = layout.skip + reader.line_num + 1
    return out


@dataclass
class Loaded:
    """Lead records loaded into a DuckDB connection, checked: the bad rows, the notes (unknown
    event types skipped) and how to find a record's line."""

    con: duckdb.DuckDBPyConnection
    path: Path | None
    layout: _Layout | None
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[int] | None = None   # record index -> line, once worked out
    _rejected: list = field(default_factory=list)   # (line, kind) of each record DuckDB refused
    scored_by: object = None                         # the playbook whose results _pb_scored holds
    mapping: dict = field(default_factory=dict)      # export column (lower case) -> the name it is read as
    crm: str | None = None                           # the --crm preset the mapping holds

    def line_of(self, index: int) -> int:
        if self.lines is None:
            if self.layout is None or self.layout.kind != "csv":
                return index + 1
            rejected = {line for line, _ in self._rejected}
            self.lines = _record_lines(self.path, self.layout, rejected)
        return self.lines[index] if index < len(self.lines) else index + self.layout.first_line


def load_file(con: duckdb.DuckDBPyConnection, path: Path, mapping: dict[str, str], needs: Needs, *,
              crm: str | None = None) -> Loaded:
    """Read a CSV, JSON Lines or Parquet file into ``con`` and check it: the tables ``leads`` and
    ``events`` of the input contract then hold its good rows. Raises UsageError for a file that
    cannot be read as asked. ``crm`` names the preset ``mapping`` holds (by default: the one it
    nearly wholly holds), so messages say whether --crm or --map renamed a column."""
    crm = crm or active_preset(mapping)
    kind = _file_kind(path)
    if kind == "jsonl":
        loaded = Loaded(con, path, _Layout("jsonl"), mapping=mapping, crm=crm)
        records = _json_records(path, mapping, loaded.errors)
        _load_records(con, records)
    elif kind == "parquet":
        loaded = Loaded(con, path, _Layout("parquet"), mapping=mapping, crm=crm)
        loaded.layout.original = _load_parquet(con, path, mapping, crm)
    else:
        layout, problem = _csv_header(path, mapping, crm)
        loaded = Loaded(con, path, layout or _Layout("csv"), mapping=mapping, crm=crm)
        if problem is not None:
            loaded.errors.append(problem)
            _load_records(con, [])
        elif layout is None:
            _load_records(con, [])
        else:
            _load_csv(con, path, layout, loaded)
    _check(con, loaded, needs)
    return loaded


def load_leads(con: duckdb.DuckDBPyConnection, leads: list[Lead], needs: Needs) -> Loaded:
    """Load lead records given in memory (worked examples) the way a file's rows are loaded."""
    records = []
    for i, lead in enumerate(leads):
        cells = {"id": lead.id}
        for key, value in lead.attrs.items():
            name = key.strip().lower()
            cells[name] = ";".join(value) if isinstance(value, list) else str(value)
        cells[EVENTS_COLUMN] = ";".join(f"{t}:{d}" for t, d in lead.events)
        records.append((i + 1, cells))
    loaded = Loaded(con, None, None)
    _load_records(con, records)
    _check(con, loaded, needs)
    return loaded


def _columns_sql(names: list[str]) -> str:
    return "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"


def _load_csv(con, path: Path, layout: _Layout, loaded: Loaded) -> None:
    # Read in parallel first. A row with fewer values than the header has columns (its missing
    # cells are blank) needs null padding, which DuckDB reads in one thread: only then.
    # A lone carriage return inside a row stops DuckDB's strict reader; the lenient one reads it
    # as a line break, as the csv module does.
    attempts = [(False, True), (True, True), (False, False), (True, False)]
    rejects: list = []
    problem = None
    for attempt, (padded, strict) in enumerate(attempts):
        options = (f"auto_detect=false, header=false, new_line={_lit(layout.new_line)}, "
                   f"columns={_columns_sql(layout.names)}, "
                   f"delim={_lit(layout.delimiter)}, quote='\"', escape='\"', store_rejects=true, "
                   f"rejects_table='_pb_rejects_{attempt}', rejects_scan='_pb_scans_{attempt}', "
                   f"max_line_size={MAX_LINE_BYTES}, encoding='utf-8'"
                   + ("" if strict else ", strict_mode=false")
                   + (", null_padding=true, parallel=false" if padded else ""))
        try:
            # DuckDB skips blank lines; the header is the first record it reads
            con.execute(f"CREATE OR REPLACE TABLE _pb_raw AS SELECT * FROM read_csv($path, {options}) OFFSET 1",
                        {"path": str(path)})
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as exc:
            problem = f"the file cannot be read as CSV ({str(exc).splitlines()[0]})"
            if attempt < 2:
                continue
            if attempt == 3:
                break
            continue
        problem = None
        rejects = con.execute(f"SELECT line_byte_position, error_type, csv_line, error_message, column_idx "
                              f"FROM _pb_rejects_{attempt} ORDER BY line_byte_position").fetchall()
        if padded or not any(str(kind) == "MISSING COLUMNS" for _, kind, *_ in rejects):
            break
    if problem is not None:
        loaded.errors.append((layout.first_line, problem + "; nothing was scored"))
        _load_records(con, [])
        return
    con.execute("CREATE OR REPLACE TABLE _pb_names (i INTEGER, name VARCHAR)")
    if layout.names:
        con.executemany("INSERT INTO _pb_names VALUES (?, ?)", list(enumerate(layout.names)))
    if rejects:
        with open(path, "rb") as fh:
            data = fh.read()
        seen = set()
        for position, kind, raw, message, column in rejects:
            # the record starts on the line the position falls in
            start = data.rfind(b"\n", 0, max(0, position or 0)) + 1
            line = data.count(b"\n", 0, start) + 1
            if line in seen:  # one record can be refused for more than one reason
                continue
            seen.add(line)
            loaded._rejected.append((line, str(kind)))
            loaded.errors.append((line, _reject_message(str(kind), message or "", line, data, start, layout,
                                                        column)))


def _reject_message(kind: str, message: str, line: int, data: bytes, start: int, layout: _Layout,
                    column: int | None) -> str:
    if kind == "TOO MANY COLUMNS":
        return TOO_MANY
    if kind == "INVALID ENCODING":
        end = data.find(b"\n", start)
        record = data[start:end if end >= 0 else len(data)].decode("utf-8", "surrogateescape")
        cells = record.split(layout.delimiter)
        at = next((i for i, cell in enumerate(cells) if _UNDECODABLE.search(cell)), None)
        if at is None:
            return f"the row holds bytes that are not UTF-8 text ({ENCODING_HINT})"
        cell = cells[at]
        where = _UNDECODABLE.search(cell).start()
        name = f"the column {_shown(layout.names[at])}" if at < len(layout.names) and layout.names[at] \
            else f"value {at + 1}"
        return f"{name} holds bytes that are not UTF-8 text: {_shown(cell[max(0, where - 20):])} ({ENCODING_HINT})"
    if kind == "UNQUOTED VALUE" or "unterminated quote" in message:
        last = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if last > line:
            return (f"a quote opened on line {line} is never closed, so lines {line}-{last}, to the end of the "
                    "file, were read into it and none of them is scored; is its closing quote missing?")
        return "a quote opened in this row is never closed: the file ends inside it; is its closing quote missing?"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"the row cannot be read (it is longer than {MAX_LINE_BYTES:,} bytes)"
    return f"the row cannot be read ({message.splitlines()[0] if message else kind.lower()})"


def _load_parquet(con, path: Path, mapping: dict[str, str], crm: str | None = None) -> list[str]:
    """Read a Parquet file as the raw table; its column names as written."""
    try:
        return _read_parquet(con, path, mapping, crm)
    except duckdb.Error as exc:
        raise LeadError(f"the file cannot be read as Parquet ({str(exc).splitlines()[0]})") from None


def _read_parquet(con, path: Path, mapping: dict[str, str], crm: str | None = None) -> list[str]:
    cols = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    names = [mapping.get(k, k) for k in (str(name).strip().lower() for name, *_ in cols)]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    twice = sorted(n for n, k in seen.items() if n and k > 1)
    if twice:
        def columns(field_name):
            out = []
            for (name, *_), read_as in zip(cols, names):
                if read_as == field_name:
                    by = mapped_by(str(name).strip().lower(), mapping, crm)
                    out.append(_shown(str(name)) + (f" (by {by})" if by else ""))
            return ", ".join(out)
        raise UsageError("the file has more than one column for a field: "
                         + "; ".join(f"{n} in columns {columns(n)}" for n in twice)
                         + ". Rename or remove all but one (or change --map); nothing was scored")
    select = []
    for i, ((name, kind, *_), field_name) in enumerate(zip(cols, names)):
        if field_name == EVENTS_COLUMN and str(kind).upper().endswith("[]"):
            value = (f"array_to_string(list_transform({_q(name)}, lambda x: CAST(x.type AS VARCHAR) || ':' || "
                     f"CAST(x.date AS VARCHAR)), ';')")
        else:
            value = f"CAST({_q(name)} AS VARCHAR)"
        select.append(f"{value} AS {_q(f'c{i}')}")
    con.execute(f"CREATE OR REPLACE TABLE _pb_raw AS SELECT {', '.join(select) or 'NULL AS c0'} "
                "FROM read_parquet($path)", {"path": str(path)})
    con.execute("CREATE OR REPLACE TABLE _pb_names (i INTEGER, name VARCHAR)")
    if names:
        con.executemany("INSERT INTO _pb_names VALUES (?, ?)", list(enumerate(names)))
    return [str(name) for name, *_ in cols]


def _load_records(con, records: list[tuple[int, dict[str, str]]]) -> None:
    """Records already read (line, {field: text}) as the raw table: one text column per field.
    A few (worked examples) go in as parameters of one INSERT; many through numpy arrays."""
    names = sorted({name for _, cells in records for name in cells})
    columns = ", ".join(f"{_q(f'c{i}')} VARCHAR" for i in range(len(names)))
    con.execute("CREATE OR REPLACE TABLE _pb_raw (_line BIGINT" + (", " + columns if columns else "") + ")")
    if records and len(records) <= 200:
        row = "(" + ", ".join(["?"] * (len(names) + 1)) + ")"
        con.execute("INSERT INTO _pb_raw VALUES " + ", ".join([row] * len(records)),
                    [value for line, cells in records for value in (line, *(cells.get(n) for n in names))])
    elif records:
        import numpy as np
        data = {"_line": np.array([line for line, _ in records], dtype=np.int64)}
        for i, name in enumerate(names):
            data[f"c{i}"] = np.array([cells.get(name) for _, cells in records], dtype=object)
        con.register("_pb_records", data)
        con.execute("INSERT INTO _pb_raw SELECT _line"
                    + "".join(f", CAST({_q(f'c{i}')} AS VARCHAR)" for i in range(len(names))) + " FROM _pb_records")
        con.unregister("_pb_records")
    con.execute("CREATE OR REPLACE TABLE _pb_names (i INTEGER, name VARCHAR)")
    if names:
        con.executemany("INSERT INTO _pb_names VALUES (?, ?)", list(enumerate(names)))


# ---------------------------------------------------------------- checking rows in SQL


def _number_sql(cell: str) -> str:
    """A cell as a number: $, €, £ and a currency code around it, thousands separators and
    underscores dropped ("$1,200", "750 USD"); the patterns only for a cell that is not a plain number."""
    cleaned = (f"regexp_replace(regexp_replace(trim({cell}), '^[$€£]\\s*|^[A-Z]{{3}}\\s+|\\s*[A-Z]{{3}}$|\\s+$', '', 'g'), "
               "'[,_]', '', 'g')")
    plain = f"TRY_CAST(trim({cell}) AS DOUBLE)"
    return f"CASE WHEN {plain} IS NOT NULL THEN {plain} ELSE TRY_CAST({cleaned} AS DOUBLE) END"


def _check(con, loaded: Loaded, needs: Needs) -> None:
    """Check every raw row in SQL and define the views ``leads`` and ``events``."""
    names = dict(con.execute("SELECT name, i FROM _pb_names").fetchall())
    _fit_names(names, loaded, needs)
    cell = {name: f"r.{_q(f'c{i}')}" for name, i in names.items() if name}
    id_cells = [f"NULLIF(trim({cell[n]}), '')" for n in ID_COLUMNS if n in cell]
    ident = f"COALESCE({', '.join(id_cells)})" if id_cells else "CAST(NULL AS VARCHAR)"
    # the scoring day and the known event types are parameters, never text in the SQL
    as_of, known, given = "CAST($as_of AS DATE)", "$known::VARCHAR[]", {"as_of": needs.as_of.isoformat(),
                                                                         "known": list(needs.known_events)}
    # list_contains, not IN: DuckDB turns an IN list into a join, slow over millions of events
    has_line = "_line" in [d[0] for d in con.execute("SELECT * FROM _pb_raw LIMIT 0").description]

    if EVENTS_COLUMN in cell:
        # Spaces go and case is folded once per cell, not once per item; "type@date" reads as "type:date".
        cleaned = f"replace(replace(lower({cell[EVENTS_COLUMN]}), ' ', ''), '@', ':')"
        # One pass: split, number, and cut each item at its first ":" (the type before it; the date:
        # the first 10 characters after it, up to a second ":"), without a copy of the date's text.
        con.execute(f"""
            CREATE OR REPLACE TABLE _pb_items AS
            SELECT ord, pos, item, sep, CASE WHEN sep > 0 THEN left(item, sep - 1) END AS kind,
                   TRY_CAST(CASE WHEN strpos(after, ':') = 0 THEN after ELSE left(after, strpos(after, ':') - 1) END
                            AS DATE) AS day
            FROM (SELECT ord, pos, item, sep, CASE WHEN sep > 0 THEN substr(item, sep + 1, 10) END AS after
                  FROM (SELECT ord, pos, item, strpos(item, ':') AS sep
                        FROM (SELECT ord, unnest(items) AS item, generate_subscripts(items, 1) AS pos
                              FROM (SELECT r.rowid AS ord, string_split({cleaned}, ';') AS items
                                    FROM _pb_raw AS r WHERE {cell[EVENTS_COLUMN]} <> ''))
                        WHERE item <> ''))""")
        con.execute(f"""
            CREATE OR REPLACE TABLE _pb_item_problems AS
            SELECT ord, arg_min(msg, prio * 1000000000 + pos) AS msg, min(prio) AS prio FROM (
              SELECT ord, pos,
                CASE WHEN sep = 0 THEN 0 ELSE 1 END AS prio,
                CASE WHEN sep = 0 THEN 'the event "' || item || '" has no date (write type:YYYY-MM-DD)'
                     WHEN NOT list_contains({known}, kind) THEN NULL
                     WHEN day IS NULL THEN '"' || split_part(item, ':', 2) || '" is not a date (use YYYY-MM-DD)'
                     WHEN day > {as_of} THEN 'the event "' || kind || '" on ' || CAST(day AS VARCHAR)
                          || ' is after the scoring date ' || CAST({as_of} AS VARCHAR)
                END AS msg
              FROM _pb_items WHERE sep = 0 OR day IS NULL OR day > {as_of})
            WHERE msg IS NOT NULL GROUP BY ord""", given)
        item_join = "LEFT JOIN _pb_item_problems AS p ON p.ord = r.rowid"
    else:
        item_join = ""

    values, checks, texts = [], [], []
    for name, kind in sorted(needs.kinds.items()):
        if name not in cell:
            values.append(f"CAST(NULL AS {'DOUBLE' if kind == 'number' else 'VARCHAR'}) AS {_q(name)}")
            continue
        raw = cell[name]
        if kind == "number":
            values.append(f"{_number_sql(raw)} AS {_q(name)}")
            shown = _q("_pb_text_" + name)
            texts.append(f"NULLIF(trim({raw}), '') AS {shown}")
            number = _q(name)
            checks.append(f"WHEN {shown} IS NOT NULL AND ({number} IS NULL OR isnan({number})) "
                          f"THEN {_lit(name + ' ')} || '\"' || {shown} || '\" is not a number'")
            checks.append(f"WHEN {number} < 0 THEN {_lit(name + ' ')} || {shown} || ' is negative'")
            checks.append(f"WHEN {number} > {MAX_NUMBER} THEN {_lit(name + ' ')} || {shown} || ' is not a believable value'")
        elif name in needs.yes_no:
            yes = ", ".join(_lit(v) for v in YES)
            no = ", ".join(_lit(v) for v in NO)
            values.append(f"CASE WHEN lower(trim({raw})) IN ({yes}) THEN 'yes' WHEN lower(trim({raw})) IN ({no}) "
                          f"THEN 'no' ELSE NULLIF(trim({raw}), '') END AS {_q(name)}")
        else:
            values.append(f"NULLIF(trim({raw}), '') AS {_q(name)}")
    problems = "p.msg AS _pb_msg, p.prio AS _pb_prio" if item_join else "NULL AS _pb_msg, NULL AS _pb_prio"
    first_problem = "WHEN _pb_prio = 0 THEN _pb_msg" if item_join else ""
    later_problem = "WHEN _pb_msg IS NOT NULL THEN _pb_msg" if item_join else ""
    problem = f"CASE {first_problem} WHEN display_id IS NULL THEN {_lit(NO_ID)} {' '.join(checks)} {later_problem} END"
    line = "r._line" if has_line else "CAST(NULL AS BIGINT)"
    con.execute(f"""
        CREATE OR REPLACE TABLE _pb_leads AS
        SELECT * EXCLUDE (_pb_msg, _pb_prio{''.join(', ' + t.split(' AS ')[-1] for t in texts)}), {problem} AS problem
        FROM (SELECT r.rowid AS ord, {line} AS line, {ident} AS display_id, {problems}
                     {''.join(', ' + v for v in values)}{''.join(', ' + t for t in texts)}
              FROM _pb_raw AS r {item_join})""")
    tested = [n for n in needs.kinds if n != c.REASON_FIELD]
    found = [n for n in tested if n in cell]
    if tested and not found and loaded.layout is not None and loaded.layout.names and \
            con.execute("SELECT count(*) FROM _pb_raw").fetchone()[0]:
        hint = crm_hint(loaded.layout.original or [], loaded.mapping)
        loaded.notes.append((None, f"0 of {len(tested)} fields the definitions test were found in the header "
                             f"({', '.join(sorted(tested)[:6])}{', ...' if len(tested) > 6 else ''})"
                             + (f" — did you mean --crm {hint}?" if hint else "; name the columns with --map COLUMN=FIELD")))
    elif tested and found:
        _unread_fields(names, loaded, needs)
    _duplicate_ids(con, loaded, has_line)
    fields = "".join(", " + _q(n) for n in sorted(needs.kinds))
    con.execute(f"CREATE OR REPLACE TEMP VIEW leads AS SELECT ord AS lead_id{fields} FROM _pb_leads "
                "WHERE problem IS NULL")
    if EVENTS_COLUMN in cell:
        con.execute(f"""CREATE OR REPLACE TEMP VIEW events AS
            SELECT ord AS lead_id, kind AS event, day AS occurred, pos FROM _pb_items
            WHERE sep > 0 AND day IS NOT NULL""")
        unknown = con.execute(f"""
            SELECT i.kind, count(*), min(i.ord) FROM _pb_items AS i JOIN _pb_leads AS l ON l.ord = i.ord
            WHERE l.problem IS NULL AND i.sep > 0 AND NOT list_contains({known}, i.kind) GROUP BY i.kind ORDER BY 3""",
                             {"known": given["known"]}).fetchall()
        for kind, count, first in unknown:
            loaded.notes.append((first, f'{count} event{"s" if count != 1 else ""} of the unknown type {_shown(kind)} '
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
        options = [other for other in _synonyms(name) if other in tested and other not in names]
        if len(options) != 1:
            continue
        names[options[0]] = names.pop(name)
        column, by = written[name]
        how = f" ({by} reads it as {name})" if by else ""
        loaded.notes.append((None, f"the column {_shown(column)} is read as {options[0]}, the field the "
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
            loaded.notes.append((None, f"--map reads the column {_shown(column)} as {name}, but no definition "
                                       f"tests a field {name}; the definitions test: "
                                       + ", ".join(sorted(tested)[:12]) + (", ..." if len(tested) > 12 else "")))
        elif name not in PRESET_NAMES_ONLY:
            unused_preset.append(f"{_shown(column)} as {name}")
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
        problems.append((ord_, f"the lead id {_shown(ident)} is also on row {first_line}; only that first row "
                               "is scored (a lead is counted once)"))
    con.execute("CREATE OR REPLACE TABLE _pb_again (ord BIGINT, problem VARCHAR)")
    con.executemany("INSERT INTO _pb_again VALUES (?, ?)", problems) if len(problems) < 1000 else \
        _insert_many(con, "_pb_again", problems)
    con.execute("UPDATE _pb_leads SET problem = a.problem FROM _pb_again AS a WHERE _pb_leads.ord = a.ord")


def _insert_many(con, table: str, rows: list[tuple]) -> None:
    import numpy as np
    data = {f"c{i}": np.array([r[i] for r in rows], dtype=object) for i in range(len(rows[0]))}
    con.register("_pb_rows", data)
    con.execute(f"INSERT INTO {_q(table)} SELECT * FROM _pb_rows")
    con.unregister("_pb_rows")


# Preset names that are about the person, not facts a definition would test: never worth a warning.
PRESET_NAMES_ONLY = {"first_name", "last_name", "company", "create_date"}


# ---------------------------------------------------------------- JSON Lines


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_records(path: Path, mapping: dict[str, str], errors: list) -> list[tuple[int, dict[str, str]]]:
    """Each good JSON line as (line, {field: text}); a bad line goes to ``errors``."""
    out = []
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append((number, _json_record(line, mapping)))
            except LeadError as exc:
                errors.append((number, str(exc)))
    return out


def _json_record(line: str, mapping: dict[str, str]) -> dict[str, str]:
    try:
        if _UNDECODABLE.search(line):
            where = _UNDECODABLE.search(line).start()
            raise LeadError(f"the line holds bytes that are not UTF-8 text: {_shown(line[max(0, where - 20):])} "
                            f"({ENCODING_HINT})")
        record = json.loads(line)
        if not isinstance(record, dict):
            raise LeadError("the line is not a JSON object")
        if "\\u" in line and _SURROGATE_ESCAPE.search(line):
            try:
                json.dumps(record, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(exc.object[exc.start])
                raise LeadError(f"the line holds \\u{code:04x}, half of a surrogate pair without its other half, "
                                "which is not a character") from None
        attributes = record.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise LeadError('"attributes" should be an object')
        raw = dict(attributes)
        for key, value in record.items():
            if key != "attributes" and key != "events":
                if raw.get(key, value) != value:
                    raise LeadError(f'"{key}" is given both in "attributes" and at the top level, '
                                    "with different values")
                raw[key] = value
        evs = record.get("events") or []
        if not isinstance(evs, list):
            raise LeadError('"events" should be a list')
        items = []
        for e in evs:
            if not isinstance(e, dict) or "type" not in e or "date" not in e:
                raise LeadError('each event needs a "type" and a "date"')
            kind, date = str(e["type"]), str(e["date"])
            if ";" in kind or ";" in date or ":" in kind:
                raise LeadError(f'the event type {_shown(kind)} or its date {_shown(date)} holds ";" or ":"')
            items.append(f"{kind}:{date}")
        cells: dict[str, str] = {}
        for key, value in raw.items():
            name = mapping.get(key.strip().lower(), key.strip().lower())
            if value is None:
                continue
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, (int, float)):
                value = repr(value)
            elif isinstance(value, list):
                if not all(isinstance(v, (str, int, float)) for v in value):
                    raise LeadError(f'"{name}" has a value of the wrong kind')
                value = ";".join(str(v).strip() for v in value)
            elif not isinstance(value, str):
                raise LeadError(f'"{name}" has a value of the wrong kind')
            value = value.strip()
            if cells.get(name, value) != value:
                raise LeadError(f"the field {name} is given more than once, with different values")
            cells[name] = value
        cells[EVENTS_COLUMN] = ";".join(items)
        return cells
    except json.JSONDecodeError as exc:
        raise LeadError(f"the line is not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise LeadError("the line nests arrays or objects too deeply to be read") from None
    except ValueError as exc:
        raise LeadError(f"the line cannot be read ({str(exc).split(';')[0]})") from None


# ---------------------------------------------------------------- running the query


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


_QUERIES: dict = {}  # definitions -> the query's DuckDB text, the day a parameter: compiled once per change
CACHE_ENV = "PLAYBOOK_CACHE_DIR"  # where compiled queries are kept between runs ("off": nowhere)
KEEP_QUERIES = 64                 # at most this many kept


def _query_text(pb: Playbook) -> str:
    """The compiled query as DuckDB text, reading the scoring day from the parameter ``$as_of``.
    Kept in memory, and between runs in the user's cache folder under a digest of everything the
    text depends on (the definitions it reads, the compiler's source, sqlglot's version)."""
    key = definitions_key(pb)
    text = _QUERIES.get(key)
    if text is None:
        if len(_QUERIES) >= 16:
            _QUERIES.clear()
        stored = _cached_query(key)
        text = stored.read_text(encoding="utf-8") if stored is not None and stored.is_file() else None
        if text is None:
            text = c.scoring_query(pb, None, event_position="pos", as_of_parameter="as_of").sql("duckdb")
            _keep(stored, text)
        _QUERIES[key] = text
    return text


def _cached_query(key: str) -> Path | None:
    """The file the compiled text for these definitions is kept in, or None (no cache folder)."""
    folder = os.environ.get(CACHE_ENV)
    if folder == "off":
        return None
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "playbook", "queries")
    import hashlib
    package = Path(c.__file__).resolve().parent.parent
    sources = [Path(c.__file__), package / "rules" / "_util.py", package / "units.py",
               *sorted((package / "model").glob("*.py")), package / "model.py"]
    digest = hashlib.sha256()
    for part in ([p.read_bytes() for p in sources if p.is_file()]
                 + [_sqlglot_version(), key.encode("utf-8", "surrogatepass")]):
        digest.update(len(part).to_bytes(8, "big") + part)
    return Path(folder) / f"{digest.hexdigest()}.sql"


def _sqlglot_version() -> bytes:
    """sqlglot's version, read without importing it (its import takes longer than the lookup saves)."""
    import importlib.util
    spec = importlib.util.find_spec("sqlglot")
    if spec is None or not spec.origin:
        return b""
    folder = Path(spec.origin).parent
    version = folder / "_version.py"
    return version.read_bytes() if version.is_file() else str(folder).encode()


def _keep(path: Path | None, text: str) -> None:
    """Write the compiled text whole or not at all (another run may read it at the same time);
    a folder that cannot be written just means compiling again next time."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
        kept = sorted(path.parent.glob("*.sql"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-KEEP_QUERIES]:  # the oldest go: the folder stays small
            if re.fullmatch(r"[0-9a-f]{64}\.sql", old.name):
                old.unlink(missing_ok=True)
    except OSError:
        pass


def _scored_sql(pb: Playbook) -> str:
    return (f"SELECT l.ord, l.line, l.display_id, q.* EXCLUDE (lead_id) FROM ({_query_text(pb)}) AS q "
            "JOIN _pb_leads AS l ON l.ord = q.lead_id")


def _run(con, sql: str, as_of: dt.date):
    """Run a query holding the compiled one: the scoring day goes in as its parameter, when the
    definitions use it at all (a scoring model without events or decay never reads the day)."""
    return con.execute(sql, {"as_of": as_of.isoformat()} if "$as_of" in sql else None)


def score_all(loaded: Loaded, pb: Playbook, as_of: dt.date) -> None:
    """Run ``pb``'s compiled query once over the loaded rows into the table ``_pb_scored``, which
    :func:`csv_lines`, :func:`counts` and :func:`scored_rows` then read."""
    _run(loaded.con, f"CREATE OR REPLACE TABLE _pb_scored AS {_scored_sql(pb)}", as_of)
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
    rows = _run(loaded.con, f"SELECT stage, persona, count(*) FROM ({_query_text(pb)}) GROUP BY ALL",
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


def definitions_key(pb: Playbook) -> str:
    """What the compiled query depends on, as text: equal keys, equal queries."""
    parts = [pb.scoring.model_dump_json() if pb.scoring else ""]
    parts += [s.model_dump_json(include={"id", "order", "entry"}) for s in pb.stages]
    parts += [p.model_dump_json(include={"id", "kind", "criteria", "red_flags"}) for p in pb.personas]
    parts += [repr(c.nurture_routes(pb))]
    return "\n".join(parts)


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
            results = _EXAMPLES[key] = score_leads(pb, day, leads)
        for example, got in zip(examples, results):
            out[id(example)] = got
    return out


def event_points(pb: Playbook, as_of: dt.date, events: list[tuple[str, str]]) -> list[list[tuple[str, str, float]]]:
    """For each event on its own, the (rule, group, points) it adds, by the compiled query: a
    lead with nothing but that event is scored (a worked example's calculation lists them)."""
    got = score_leads(pb, as_of, [Lead(f"event-{i}", {}, [e]) for i, e in enumerate(events)])
    return [g.rules if isinstance(g, Scored) else [] for g in got]


def number_text(x: float) -> str:
    """A score as the outputs write it: rounded to 2 decimal places, without trailing zeros."""
    text = ("%.2f" % x).rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
