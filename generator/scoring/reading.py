"""A CRM export read into DuckDB as text, one column per field: a CSV file by DuckDB's reader (a
record it refuses is a bad row, said with its line), a Parquet file by DuckDB, JSON Lines (and
worked examples) line by line in Python. The raw table ``_pb_raw`` and the field each column is
read as (``_pb_names``) are what the row checks (:mod:`generator.scoring.checks`) then read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from .inputs import (ENCODING_HINT, EVENTS_COLUMN, MAX_LINE_BYTES, TOO_MANY, UNDECODABLE, Layout, LeadError, Loaded,
                     UsageError, mapped_by, shown)
from .sqltext import literal, quote_name


def _columns_sql(names: list[str]) -> str:
    return "{" + ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"



def load_csv(con, path: Path, layout: Layout, loaded: Loaded) -> None:
    # Read in parallel first. A row with fewer values than the header has columns (its missing
    # cells are blank) needs null padding, which DuckDB reads in one thread: only then.
    # A lone carriage return inside a row stops DuckDB's strict reader; the lenient one reads it
    # as a line break, as the csv module does.
    attempts = [(False, True), (True, True), (False, False), (True, False)]
    rejects: list = []
    problem = None
    for attempt, (padded, strict) in enumerate(attempts):
        options = (f"auto_detect=false, header=false, new_line={literal(layout.new_line)}, "
                   f"columns={_columns_sql(layout.names)}, "
                   f"delim={literal(layout.delimiter)}, quote='\"', escape='\"', store_rejects=true, "
                   f"rejects_table='_pb_rejects_{attempt}', rejects_scan='_pb_scans_{attempt}', "
                   f"max_line_size={MAX_LINE_BYTES}, encoding='utf-8'"
                   + ("" if strict else ", strict_mode=false")
                   + (", null_padding=true, parallel=false" if padded else ""))
        try:
            # DuckDB skips blank lines; the header is the first record it reads
            # (skip=1 leaves the header out as OFFSET 1 does, and lets DuckDB read the file in parallel;
            # blank lines before the header are another matter to it)
            skip = ", skip=1" if not layout.blank_before else ""
            con.execute(f"CREATE OR REPLACE TABLE _pb_raw AS SELECT * FROM read_csv($path, {options}{skip})"
                        + ("" if skip else " OFFSET 1"), {"path": str(path)})
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
        load_records(con, [])
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
            loaded.rejected.append((line, str(kind)))
            loaded.errors.append((line, _reject_message(str(kind), message or "", line, data, start, layout,
                                                        column)))



def _reject_message(kind: str, message: str, line: int, data: bytes, start: int, layout: Layout,
                    column: int | None) -> str:
    if kind == "TOO MANY COLUMNS":
        return TOO_MANY
    if kind == "INVALID ENCODING":
        end = data.find(b"\n", start)
        record = data[start:end if end >= 0 else len(data)].decode("utf-8", "surrogateescape")
        cells = record.split(layout.delimiter)
        at = next((i for i, cell in enumerate(cells) if UNDECODABLE.search(cell)), None)
        if at is None:
            return f"the row holds bytes that are not UTF-8 text ({ENCODING_HINT})"
        cell = cells[at]
        where = UNDECODABLE.search(cell).start()
        name = f"the column {shown(layout.names[at])}" if at < len(layout.names) and layout.names[at] \
            else f"value {at + 1}"
        return f"{name} holds bytes that are not UTF-8 text: {shown(cell[max(0, where - 20):])} ({ENCODING_HINT})"
    if kind == "UNQUOTED VALUE" or "unterminated quote" in message:
        last = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if last > line:
            return (f"a quote opened on line {line} is never closed, so lines {line}-{last}, to the end of the "
                    "file, were read into it and none of them is scored; is its closing quote missing?")
        return "a quote opened in this row is never closed: the file ends inside it; is its closing quote missing?"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"the row cannot be read (it is longer than {MAX_LINE_BYTES:,} bytes)"
    return f"the row cannot be read ({message.splitlines()[0] if message else kind.lower()})"



def load_parquet(con, path: Path, mapping: dict[str, str], crm: str | None = None) -> list[str]:
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
                    out.append(shown(str(name)) + (f" (by {by})" if by else ""))
            return ", ".join(out)
        raise UsageError("the file has more than one column for a field: "
                         + "; ".join(f"{n} in columns {columns(n)}" for n in twice)
                         + ". Rename or remove all but one (or change --map); nothing was scored")
    select = []
    for i, ((name, kind, *_), field_name) in enumerate(zip(cols, names)):
        if field_name == EVENTS_COLUMN and str(kind).upper().endswith("[]"):
            value = (f"array_to_string(list_transform({quote_name(name)}, lambda x: CAST(x.type AS VARCHAR) || ':' || "
                     f"CAST(x.date AS VARCHAR)), ';')")
        else:
            value = f"CAST({quote_name(name)} AS VARCHAR)"
        select.append(f"{value} AS {quote_name(f'c{i}')}")
    con.execute(f"CREATE OR REPLACE TABLE _pb_raw AS SELECT {', '.join(select) or 'NULL AS c0'} "
                "FROM read_parquet($path)", {"path": str(path)})
    con.execute("CREATE OR REPLACE TABLE _pb_names (i INTEGER, name VARCHAR)")
    if names:
        con.executemany("INSERT INTO _pb_names VALUES (?, ?)", list(enumerate(names)))
    return [str(name) for name, *_ in cols]



def load_records(con, records: list[tuple[int, dict[str, str]]]) -> None:
    """Records already read (line, {field: text}) as the raw table: one text column per field.
    A few (worked examples) go in as parameters of one INSERT; many through numpy arrays."""
    names = sorted({name for _, cells in records for name in cells})
    columns = ", ".join(f"{quote_name(f'c{i}')} VARCHAR" for i in range(len(names)))
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
                    + "".join(f", CAST({quote_name(f'c{i}')} AS VARCHAR)" for i in range(len(names))) + " FROM _pb_records")
        con.unregister("_pb_records")
    con.execute("CREATE OR REPLACE TABLE _pb_names (i INTEGER, name VARCHAR)")
    if names:
        con.executemany("INSERT INTO _pb_names VALUES (?, ?)", list(enumerate(names)))



_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")



def json_records(path: Path, mapping: dict[str, str], errors: list) -> list[tuple[int, dict[str, str]]]:
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
        if UNDECODABLE.search(line):
            where = UNDECODABLE.search(line).start()
            raise LeadError(f"the line holds bytes that are not UTF-8 text: {shown(line[max(0, where - 20):])} "
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
                raise LeadError(f'the event type {shown(kind)} or its date {shown(date)} holds ";" or ":"')
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
