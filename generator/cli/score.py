"""``playbook score``: lead records from a CRM export scored with the playbook's definitions."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..check import run_check
from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import as_of_option, config_option, format_option, map_option, playbook_path


@click.command()
@click.argument("leads", type=click.Path(path_type=Path))
@playbook_path
@as_of_option("Score (and decay engagement) as of this day (default: today).")
@format_option(["table", "csv", "json"], "table")
@map_option("Read the export's COLUMN as the playbook's FIELD (repeatable).")
@config_option
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Write the scored leads to FILE, as CSV, JSON or Parquet by its extension "
                   "(.csv, .json, .parquet); the summary goes to the terminal.")
@click.option("--crm", type=click.Choice(["hubspot", "salesforce"]), default=None,
              help="Read the column names of this CRM's report exports (Record ID, Create Date ...); --map goes over them.")
@click.option("--memory-limit", "memory_limit", default=None, metavar="SIZE",
              help="At most this much memory for the engine (for example 1GB); beyond it, it spills to --temp-dir.")
@click.option("--temp-dir", "temp_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the engine spills when a file needs more memory than --memory-limit.")
def score(leads, path, as_of, fmt, mappings, config_file, output, crm, memory_limit, temp_dir):
    """Score lead records exported from a CRM with the playbook's definitions.

    For each lead: fit and engagement scores with the rules that contributed, the lifecycle
    stage its entry criteria reach, the matching persona (negative ones included), its red flags
    and, for a rejected lead, the nurture track it returns to. Then counts per stage and persona.
    Bad rows are reported with their row numbers and skipped (exit 1); good rows are scored.

    \b
    Example:
      playbook score leads/sample-export.csv
      playbook score export.csv --map "Record ID=id" --map "Monthly ad budget=monthly_ad_budget"
    """
    import json

    import duckdb

    from ..scoring.outputs import CSV_COLUMNS, TABLE_HEADER, Summary, as_json, table_line
    from ..scoring.run import (CRM_PRESETS, LeadError, Needs, UsageError, connect, counts, csv_lines, load_file,
                              parquet_file, parse_mapping, score_all, scored_rows)
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    if not leads.is_file():
        raise UsageFailure(f"{leads}: no such file.")
    try:
        mapping = parse_mapping(mappings)
    except ValueError as exc:
        raise UsageFailure(f"--map {exc}.") from None
    crm = crm or cfg.score_crm
    mapping = {**(CRM_PRESETS[crm] if crm else {}), **cfg.score_map, **mapping}
    shown = fmt  # what the terminal gets: the leads, or with --output only the summary
    if output is not None:
        kinds = {".csv": "csv", ".json": "json", ".parquet": "parquet"}
        if output.suffix.lower() not in kinds:
            raise UsageFailure(f"--output {output}: the name should end in .csv, .json or .parquet.")
        if output.resolve() == leads.resolve():
            raise UsageFailure(f"--output {output} is the file being scored; write the results elsewhere.")
        _check_output(output)
        fmt, shown = kinds[output.suffix.lower()], "table"
    result = run_check(root, cfg, dt.date.today())
    if result.counts.get("error"):
        click.echo(f"Note: the playbook has {result.counts['error']} error(s); scores may not mean what the "
                   "team agreed. Run `playbook check`.", err=True)
    pb = result.playbook
    day = as_of or dt.date.today()
    try:
        con = connect(memory_limit, str(temp_dir) if temp_dir else None, progress=sys.stdout.isatty())
    except Exception as exc:  # a size DuckDB cannot read, say
        raise UsageFailure(f"--memory-limit {memory_limit}: {str(exc).splitlines()[0]}") from None
    try:
        try:
            loaded = load_file(con, leads, mapping, Needs.of([pb], day), crm=crm)
        except UsageError as exc:
            raise UsageFailure(f"{leads}: {exc}.") from None
        except LeadError as exc:
            click.echo(f"{leads.name}: {exc}", err=True)
            sys.exit(1)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(leads, memory_limit, exc) from None
        summary = Summary()
        errors = []
        for row, message in loaded.errors:
            summary.bad += 1
            click.echo(f"{leads.name}:row {row}: {message}", err=True)
            if len(errors) < 1000:
                errors.append({"row": row, "message": message})
        for row, note in loaded.notes:
            click.echo(f"{leads.name}:row {row}: {note}" if row else f"{leads.name}: {note}", err=True)
        out = sys.stdout
        if output is not None and fmt != "parquet":
            try:
                out = open(output, "w", encoding="utf-8", newline="")
            except OSError as exc:
                raise UsageFailure(f"--output {output}: {exc.strerror}.") from None
        try:
            score_all(loaded, pb, day)
        except duckdb.OutOfMemoryException as exc:
            raise _out_of_memory(leads, memory_limit, exc) from None
        if fmt == "parquet":
            pass
        elif fmt == "table":
            out.write(TABLE_HEADER + "\n")
        elif fmt == "csv":
            out.write(",".join(CSV_COLUMNS) + "\n")
        else:
            out.write('{"leads": [\n')
        if fmt == "parquet":
            parquet_file(loaded, output)
        elif fmt == "csv":
            for text in csv_lines(loaded):
                out.write(text)
        else:
            first = True
            parts: list[str] = []
            for scored in scored_rows(loaded, pb, day, lines=fmt == "json"):
                if fmt == "table":
                    parts.append(table_line(scored) + "\n")
                else:
                    parts.append(("" if first else ",\n") + json.dumps(as_json(scored), ensure_ascii=False))
                    first = False
                if len(parts) >= 10_000:
                    out.write("".join(parts))
                    parts.clear()
            out.write("".join(parts))
        summary.by_stage, summary.by_persona = counts(loaded)
        summary.scored = sum(summary.by_stage.values())
    finally:
        con.close()
    data = summary.as_dict([s.id for s in pb.stages])
    if fmt == "json":
        out.write('\n], "summary": ' + json.dumps(data, ensure_ascii=False) + ', "errors": '
                  + json.dumps(errors, ensure_ascii=False) + "}\n")
    if out is not sys.stdout:
        out.close()
        out = sys.stdout
    if shown != "json":
        target = sys.stdout if shown == "table" else sys.stderr
        print("", file=target)
        print(f"Scored {data['scored']} lead(s)" + (f"; {data['bad_rows']} bad row(s) skipped" if data["bad_rows"] else "")
              + f" as of {day}.", file=target)
        print("By stage:   " + ", ".join(f"{k} {v}" for k, v in data["by_stage"].items()), file=target)
        print("By persona: " + ", ".join(f"{k} {v}" for k, v in data["by_persona"].items()), file=target)
    out.flush()
    if summary.bad:
        sys.exit(1)


def _out_of_memory(leads: Path, memory_limit: str | None, exc: Exception) -> click.ClickException:
    """A file too large for the memory the engine may use: say so, and what to change."""
    click.echo(f"{leads.name}: scoring needs more memory than "
               + (f"--memory-limit {memory_limit}" if memory_limit else "this machine has")
               + f" ({str(exc).splitlines()[0]}); raise --memory-limit or give --temp-dir on a disk with room.",
               err=True)
    return click.exceptions.Exit(1)


def _check_output(output: Path) -> None:
    """Refuse an --output the results could not be written to, before any work is done."""
    import os
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise UsageFailure(f"--output {output}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageFailure(f"--output {output}: the folder {parent} cannot be written.")
    if os.path.lexists(output) and (output.is_symlink() or not output.is_file()):
        raise UsageFailure(f"--output {output} is not a regular file; name a file to write the results to.")
