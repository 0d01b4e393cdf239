"""What a CRM export is, before any row is checked: its kind (CSV, JSON Lines, Parquet), a CSV
file's header and delimiter, the names its columns are read as (``--map``, the ``--crm`` presets,
synonyms), the problems that stop a file being read, and the lines its records start on."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ID_COLUMNS = ("id", "record_id", "lead_id", "contact_id", "email")

EVENTS_COLUMN = "events"

MAX_NUMBER = 1e9

MAX_LINE_BYTES = 1 << 20  # a CSV record longer than this is a bad row

NO_ID = "no id (expected a column id, record_id, lead_id, contact_id or email)"

TOO_MANY = "the row has more values than the header has columns"

ENCODING_HINT = "the file should be saved as UTF-8"



class LeadError(Exception):
    """A problem with one lead record (or with the whole file, before any row)."""



class UsageError(Exception):
    """The command cannot read the file at all as asked (the header names a field twice, say)."""



@dataclass
class Layout:
    kind: str                      # csv, jsonl or parquet
    names: list[str] = field(default_factory=list)   # the field each column is read as ("" unnamed)
    delimiter: str = ","
    skip: int = 0                  # physical lines before the first record
    first_line: int = 1            # the line number of the first record
    new_line: str = "\\n"          # how the header's line ends, as DuckDB's new_line option writes it
    original: list[str] = field(default_factory=list)  # the header as written
    blank_before: int = 0          # blank lines before the header



def file_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        start = fh.read(4096)
    if start.startswith(b"PAR1"):
        return "parquet"
    if start.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"{"):
        return "jsonl"
    return "csv"



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



SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("employee_count", "employees", "number_of_employees", "no_of_employees", "headcount", "company_size"),
    ("company_website", "website", "website_url", "company_url", "domain"),
    ("job_title", "title"),
    ("lead_source", "source", "original_source"),
    ("email_opt_in", "marketing_emails_opted_in", "email_opted_in", "opted_in"),
    ("annual_revenue", "revenue"),
    ("country", "country_region"),
)



def synonyms(name: str) -> list[str]:
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



UNDECODABLE = re.compile("[\udc80-\udcff]")



def shown(text: str, limit: int = 40) -> str:
    """A value quoted for a message: bytes that are not UTF-8 as \\xNN, line breaks as \\n, cut short."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = text[:limit] + "..."
    return '"' + text.replace("\r", "\\r").replace("\n", "\\n") + '"'



def csv_header(path: Path, mapping: dict[str, str],
                crm: str | None = None) -> tuple[Layout | None, tuple[int, str] | None]:
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
        if UNDECODABLE.search(name):
            return None, (line, f"column {i} of the header, {shown(name)}, holds bytes that are not UTF-8 text "
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
            return f"{i} {shown(header[i - 1])}" + (f" (by {by})" if by else "")
        raise UsageError(
            "the header has more than one column for a field, and only one value could be read: "
            + "; ".join(f"{name} in columns " + ", ".join(column(i) for i in at[:-1]) + " and " + column(at[-1])
                        for name, at in twice)
            + ". Rename or remove all but one (or change --map); nothing was scored")
    ending = lines[skip + taken - 1][-2:]
    new_line = "\\r\\n" if ending == "\r\n" else "\\r" if ending.endswith("\r") else "\\n"
    return Layout("csv", names, delimiter, skip + taken, skip + taken + 1, new_line, header, skip), None



def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', "", line)



def record_lines(path: Path, layout: Layout, rejected: set[int]) -> list[int]:
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
    layout: Layout | None
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[int] | None = None   # record index -> line, once worked out
    rejected: list = field(default_factory=list)   # (line, kind) of each record DuckDB refused
    scored_by: object = None                         # the playbook whose results _pb_scored holds
    mapping: dict = field(default_factory=dict)      # export column (lower case) -> the name it is read as
    crm: str | None = None                           # the --crm preset the mapping holds
    event_sums: tuple | None = None                  # (definitions, day) whose event points _pb_event_sums holds
    leads_view: str = ""                             # the query of the view "leads" (the good rows)

    def line_of(self, index: int) -> int:
        if self.lines is None:
            if self.layout is None or self.layout.kind != "csv":
                return index + 1
            rejected = {line for line, _ in self.rejected}
            self.lines = record_lines(self.path, self.layout, rejected)
        return self.lines[index] if index < len(self.lines) else index + self.layout.first_line
