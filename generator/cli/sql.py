"""``playbook sql``: the playbook's scoring as SQL for a warehouse, or as a dbt model.

The SQL itself is written by ``generator/warehouse.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..warehouse import (DBT_EXAMPLE, DBT_SOURCE, DEFAULT_NAME, DIALECTS, MODEL_NAME, SHAPES, SqlProblem, as_view,
                         blocking_errors, compiled, dbt_model_sql, dbt_schema, header, render, write_dbt)
from ..workspace import UsageFailure, locate_playbook, read_settings
from .options import as_of_option, config_option, playbook_path


@click.command()
@playbook_path
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
              help="The SQL dialect of the warehouse that runs the query.")
@click.option("--as", "shape", type=click.Choice(SHAPES), default="select", show_default=True,
              help="A SELECT statement, a CREATE OR REPLACE VIEW statement, or a dbt model with its schema.yml.")
@as_of_option("Decay engagement as of this day (default: the warehouse's current date when the query runs).")
@click.option("--name", default=DEFAULT_NAME, show_default=True,
              help="The view's or the dbt model's name.")
@click.option("--leads", "leads_table", default="leads", show_default=True, metavar="TABLE",
              help="The table of lead records the query reads (select and view).")
@click.option("--events", "events_table", default="events", show_default=True, metavar="TABLE",
              help="The table of lead events the query reads (select and view).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="For --as dbt: the folder to write the model and schema.yml into (new, empty, or made by playbook); "
                   "other files in it are kept.")
@config_option
def sql(path, dialect, shape, as_of, name, leads_table, events_table, output_dir, config_file):
    """Print the playbook's scoring as SQL for a warehouse, or write it as a dbt model.

    One query computes, per lead, the fit and engagement scores with the rules that contributed,
    the stage, the persona, the red flags and the nurture track, exactly as `playbook score`
    does. It reads a table of leads (lead_id and one column per field the definitions test)
    and a table of events (lead_id, event, occurred DATE).

    \b
    Example:
      playbook sql --dialect postgres
      playbook sql --dialect snowflake --as view --name marts.lead_scores --leads crm.leads
      playbook sql --dialect spark --as dbt --output-dir models/playbook
    """
    from ..check import run_check

    if shape == "dbt" and output_dir is None:
        raise UsageFailure("--as dbt writes files: name their folder with --output-dir, for example "
                           "--output-dir models/playbook.")
    if shape != "dbt" and output_dir is not None:
        raise UsageFailure("--output-dir is for --as dbt; --as select and --as view print to standard output.")
    if shape == "dbt" and (leads_table != "leads" or events_table != "events"):
        raise UsageFailure("--leads and --events are for select and view; a dbt model reads the sources "
                           f"{DBT_SOURCE}.leads and {DBT_SOURCE}.events (point them at your tables in schema.yml).")
    if not MODEL_NAME.match(name) and shape == "dbt":
        raise UsageFailure(f'--name "{name}" is not a dbt model name: use letters, digits and underscores.')
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    if output_dir is not None:
        from ..outdir import OutputRefused, check_target
        try:  # refuse a folder playbook may not write before doing any work
            check_target(output_dir, root, "dbt model folder", DBT_EXAMPLE)
        except OutputRefused as exc:
            raise UsageFailure(str(exc)) from None
    result = run_check(root, cfg, dt.date.today())
    errors = blocking_errors(result)
    if errors:
        for f in errors[:20]:
            click.echo(f"{f.location}: {f.code} {f.message}", err=True)
        if len(errors) > 20:
            click.echo(f"... and {len(errors) - 20} more.", err=True)
        click.echo(f"The playbook has {len(errors)} error(s) in its definitions of scoring, stages, "
                   "personas or structure, so the SQL would not mean what the team agreed. "
                   "Fix them (see `playbook check`) and compile again.", err=True)
        raise SystemExit(1)  # as build stops on check errors: what the playbook holds, not how it was asked
    if result.playbook.scoring is None:
        raise UsageFailure("The playbook has no scoring model (definitions/scoring.yaml): there is nothing to "
                           "compile to SQL.")
    day = as_of
    pb = result.playbook
    try:
        if shape == "dbt":
            import yaml
            model = dbt_model_sql(pb, day, dialect, header(cfg, dialect, day, shape))
            columns = list(compiled(pb, day, dialect).named_selects)
            schema = yaml.safe_dump(dbt_schema(pb, cfg, name, columns, dialect), sort_keys=False, allow_unicode=True,
                                    width=100)
            done = write_dbt(output_dir, root, {f"{name}.sql": model,
                                                "schema.yml": header(cfg, dialect, day, shape, "#") + schema})
            click.echo(f"Wrote the dbt model {name} ({dialect}) and its schema.yml into {output_dir}.")
            if done.theirs:
                click.echo(f"Kept the files playbook did not write: {_names(done.theirs)}.")
            if done.earlier:
                click.echo(f"Left as they were: {_names(done.earlier)}, written by an earlier playbook sql under "
                           "another --name; delete them if dbt should no longer build them.")
            return
        query = compiled(pb, day, dialect, leads_table, events_table)
        if shape == "view":
            query = as_view(query, name, dialect)
        click.echo(header(cfg, dialect, day, shape) + render(query, dialect) + ";")
    except SqlProblem as exc:
        raise UsageFailure(str(exc)) from None


def _names(names: list[str], shown: int = 10) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
