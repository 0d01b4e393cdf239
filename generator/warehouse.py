"""The playbook's scoring definitions as SQL for a data warehouse (``playbook sql``).

The query is the one ``playbook score`` runs with DuckDB (``generator.scoring.compile``),
written in the warehouse's dialect by sqlglot: DuckDB, PostgreSQL, Spark SQL (Databricks),
BigQuery or Snowflake. ``--as select`` prints the query, ``--as view`` a ``CREATE OR REPLACE
VIEW`` statement, ``--as dbt`` writes a dbt model and its ``schema.yml`` (sources, column
descriptions and tests: unique and not-null lead ids, accepted stage, persona and nurture track
values) into a folder made for them; other files in that folder are never removed.

The query reads two tables, named by ``--leads`` and ``--events`` (for dbt: the sources
``crm.leads`` and ``crm.events``); the input contract is in ``generator.scoring.compile``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake")
SHAPES = ("select", "view", "dbt")
DEFAULT_NAME = "lead_scores"
DBT_SOURCE = "crm"
# The errors that leave the compiled query without a meaning: those of these rule areas found in
# a file the query is compiled from (scoring model, stages, personas, nurture tracks ...) or in a
# file that did not load at all (it may have held such definitions).
BLOCKING_AREAS = ("structure", "scoring", "lifecycle", "personas")
COMPILED_KINDS = ("scoring", "stage", "persona", "nurture", "reason", "handoff")
MODEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Placeholders the dbt model's input tables are written as, then replaced by dbt's source().
_SOURCE_MARK = "playbook_dbt_source_{}"
# How a file playbook sql wrote begins (see ``header``), and the folder it suggests for dbt.
HEADER_START = "Lead scores, stage, persona, red flags and nurture track per lead"
WRITTEN_BY = "by `playbook sql --dialect "
DBT_EXAMPLE = "models/playbook/"
_TEMP_PREFIX = ".playbook-sql-"


class SqlProblem(Exception):
    """The playbook or the options cannot give a meaningful query; the message says why."""


def blocking_errors(result) -> list:
    """The check's errors that make the compiled query meaningless."""
    from .findings import Severity
    from .rules import RULES
    pb = result.playbook
    loaded = {e._file for e in pb.all_entities}
    compiled_from = {e._file for e in pb.all_entities if e.KIND in COMPILED_KINDS}
    out = []
    for f in result.findings:
        if f.severity is not Severity.ERROR:
            continue
        rule = RULES.get(f.code)
        area = rule.area if rule is not None else "structure"
        path = f.location.path
        if area in BLOCKING_AREAS and (path in compiled_from or path not in loaded):
            out.append(f)
    return out


_NAME_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]*$")


def _table(name: str, dialect: str, what: str):
    """``[catalog.][schema.]table`` as a table; each part letters, digits, ``_``, ``$`` or ``-``
    after a first letter or ``_``. A part with ``$`` or ``-``, or that is an SQL keyword (``order``,
    ``select``), is written quoted, as the dialect quotes names."""
    from sqlglot import exp
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or not all(_NAME_PART.match(p) for p in parts):
        raise SqlProblem(f'{what} "{name}" is not a table name: write table, schema.table or '
                         "catalog.schema.table, each part a letter or underscore followed by letters, digits, "
                         "underscores, $ or - (a part with $ or -, or that is an SQL keyword, is written quoted). "
                         "Quotes, spaces and other characters are not accepted.")
    from sqlglot.dialects.dialect import Dialect
    keywords = {word for key in Dialect.get_or_raise(dialect).tokenizer_class.KEYWORDS for word in key.split()}
    parts = [exp.to_identifier(p, quoted=True if p.upper() in keywords else None) for p in parts]
    table, db, catalog = parts[-1], (parts[-2] if len(parts) > 1 else None), (parts[0] if len(parts) > 2 else None)
    return exp.Table(this=table, db=db, catalog=catalog)


def _rename_inputs(query, tables: dict[str, object]):
    """The query with its input tables ``leads`` and ``events`` replaced by ``tables``' names."""
    from sqlglot import exp

    def rename(node):
        if isinstance(node, exp.Table) and not node.db and node.name in tables:
            new = tables[node.name].copy()
            alias = node.args.get("alias")
            new.set("alias", alias.copy() if alias is not None else exp.TableAlias(this=exp.to_identifier(node.name)))
            return new
        return node
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    if ctes & set(tables):
        raise SqlProblem("the compiled query names a step like one of its input tables")
    return query.transform(rename, copy=True)


def _nulls_last_spelled_out(node):
    """An ascending sort key inside an aggregate, nulls last, as ``key IS NULL, key``: BigQuery
    sorts nulls first and cannot say NULLS LAST inside STRING_AGG."""
    from sqlglot import exp
    if not (isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order)):
        return node
    keys = []
    for key in node.this.expressions:
        if isinstance(key, exp.Ordered) and not key.args.get("desc") and not key.args.get("nulls_first"):
            keys.append(exp.Ordered(this=exp.Is(this=key.this.copy(), expression=exp.null()), nulls_first=True))
            keys.append(exp.Ordered(this=key.this.copy(), nulls_first=True))
        else:
            keys.append(key.copy())
    node = node.copy()
    node.this.set("expressions", keys)
    return node


# What a dialect cannot say as DuckDB does, rewritten so the meaning stays the same.
_DIALECT_FIXES = {"bigquery": (_nulls_last_spelled_out,)}


def for_dialect(query, dialect: str):
    """The query with each rewrite ``dialect`` needs (see ``_DIALECT_FIXES``)."""
    for fix in _DIALECT_FIXES.get(dialect, ()):
        query = query.transform(fix, copy=True)
    return query


def compiled(pb, as_of: dt.date | None, dialect: str, leads: str = "leads", events: str = "events"):
    """The scoring query for ``dialect`` reading the tables ``leads`` and ``events``."""
    from .scoring.compile import scoring_query
    query = scoring_query(pb, as_of)
    tables = {}
    if leads != "leads":
        tables["leads"] = _table(leads, dialect, "--leads")
    if events != "events":
        tables["events"] = _table(events, dialect, "--events")
    if tables:
        query = _rename_inputs(query, tables)
    return for_dialect(query, dialect)


def header(cfg, dialect: str, as_of: dt.date | None, shape: str, comment: str = "--") -> str:
    when = f"as of {as_of.isoformat()}" if as_of else "as of the warehouse's current date"
    title = " ".join((cfg.name + (f" {cfg.version}" if cfg.version else "")).split())
    lines = [f"{HEADER_START}, {when},",
             f"compiled from the definitions of {title}",
             f"{WRITTEN_BY}{dialect} --as {shape}`. Change the playbook and compile again",
             "rather than editing this file."]
    return "".join(f"{comment} {line}\n" for line in lines)


def render(query, dialect: str) -> str:
    """The query's text in ``dialect``; anything sqlglot cannot say there is an error, never dropped."""
    from sqlglot import ErrorLevel
    from sqlglot.errors import UnsupportedError
    try:
        return query.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise SqlProblem(f"The scoring query cannot be written in {dialect}: {exc}") from None


def as_view(query, name: str, dialect: str):
    from sqlglot import exp
    return exp.Create(this=_table(name, dialect, "--name"), kind="VIEW", replace=True, expression=query)


# ---------------------------------------------------------------- dbt


OUTPUT_DESCRIPTIONS = {
    "lead_id": "The lead, as in the leads source.",
    "fit_score": "Fit points (firmographic rules, capped per group), rounded to 2 places.",
    "engagement_score": "Engagement points (event rules, decayed by the event's age, capped per group), "
                        "rounded to 2 places.",
    "total_score": "Fit plus engagement, capped by the scoring model's limit, rounded to 2 places.",
    "stage": "The furthest lifecycle stage whose entry criteria the lead meets; null if none.",
    "persona": "The persona whose criteria the lead meets (a negative persona first); null if none.",
    "negative": "Whether the persona is a negative (exclusion) persona.",
    "red_flags": "The red flags the lead raises, joined by '; '; null if none.",
    "nurture_track": "For a rejected lead: the nurture track its rejection reason sends it to.",
    "rules": "The scoring rules that contributed, with their points ('rule-id +points' joined by '; ').",
}
KIND_DESCRIPTIONS = {
    "number": "A number (double, decimal or integer); null when unknown.",
    "text": "Text, compared trimmed and case-blind; null or blank when unknown.",
    "list": "Items separated by ';' (for example 'budget; authority').",
}


def _type(kind: str, dialect: str) -> str:
    from sqlglot import exp
    return exp.DataType.build({"number": "DOUBLE", "text": "TEXT", "date": "DATE"}[kind]).sql(dialect)


def input_tables(pb, dialect: str = "duckdb") -> dict[str, list[tuple[str, str, str]]]:
    """The input contract: table -> [(column, its type in ``dialect``, description)]."""
    from .scoring.compile import REASON_FIELD, lead_fields
    leads = [("lead_id", _type("text", dialect), "The lead's id, unique.")]
    for f in lead_fields(pb):
        text = KIND_DESCRIPTIONS[f.kind]
        if f.name == REASON_FIELD:
            text = "For a lead sales rejected: its reason code. " + text
        leads.append((f.name, _type("number" if f.kind == "number" else "text", dialect), text))
    events = [("lead_id", _type("text", dialect), "The lead the event belongs to."),
              ("event", _type("text", dialect), "The event type as the scoring rules name it, in lower case "
                                                "without surrounding spaces; other types add nothing."),
              ("occurred", _type("date", dialect), "The day it happened; its age on the scoring day decays its points.")]
    return {"leads": leads, "events": events}


def dbt_model_sql(pb, as_of: dt.date | None, dialect: str, head: str) -> str:
    """The model's SQL: the query reading ``{{ source('crm', 'leads') }}`` and ``... 'events') }}``."""
    from sqlglot import exp
    tables = {name: exp.to_table(_SOURCE_MARK.format(name)) for name in ("leads", "events")}
    query = _rename_inputs(compiled(pb, as_of, dialect), tables)
    text = render(query, dialect)
    for name in ("leads", "events"):
        # the placeholder as the dialect writes a table name (quoted or not)
        pattern = rf"[`\"]?\b{_SOURCE_MARK.format(name)}\b[`\"]?"
        if name == "leads" and not re.search(pattern, text):
            raise SqlProblem("The compiled query does not read the leads table.")
        text = re.sub(pattern, f"{{{{ source('{DBT_SOURCE}', '{name}') }}}}", text)
    return head + "{{ config(materialized='table') }}\n\n" + text + "\n"


def dbt_schema(pb, cfg, name: str, columns: list[str], dialect: str) -> dict:
    """The schema.yml contents: the two sources, the model, its columns and their tests."""
    from .scoring.compile import persona_ids, stage_ids
    tests: dict[str, list] = {"lead_id": ["unique", "not_null"],
                              "fit_score": ["not_null"], "engagement_score": ["not_null"], "total_score": ["not_null"]}
    accepted = {"stage": stage_ids(pb), "persona": persona_ids(pb),
                "nurture_track": sorted(t.id for t in pb.of("nurture"))}
    for column, values in accepted.items():
        if values:
            tests[column] = [{"accepted_values": {"values": values}}]
    described = []
    for column in columns:
        entry: dict = {"name": column}
        if column in OUTPUT_DESCRIPTIONS:
            entry["description"] = OUTPUT_DESCRIPTIONS[column]
        if column in tests:
            entry["data_tests"] = tests[column]
        described.append(entry)
    title = " ".join((cfg.name + (f" {cfg.version}" if cfg.version else "")).split())
    return {
        "version": 2,
        "sources": [{
            "name": DBT_SOURCE,
            "description": "Lead records and their dated activity from the CRM, in the shape the playbook's "
                           "scoring reads them.",
            "tables": [{"name": table, "columns": [{"name": c, "data_type": kind, "description": text}
                                                   for c, kind, text in cols]}
                       for table, cols in input_tables(pb, dialect).items()],
        }],
        "models": [{
            "name": name,
            "description": (f"Lead scores, stage, persona, red flags and nurture track per lead, compiled from "
                            f"the definitions of {title} by playbook sql."),
            "columns": described,
        }],
    }


@dataclass
class DbtWrite:
    """What ``write_dbt`` did: the files it wrote, and the files of the folder it left alone."""

    written: list[str]
    earlier: list[str]   # models an earlier ``playbook sql`` wrote under another name
    theirs: list[str]    # files playbook did not write


def written_by_playbook(path: Path) -> bool:
    """Whether ``path`` is a file ``playbook sql`` wrote: it opens with the header it writes."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as handle:
            head = handle.read(2048).decode("utf-8", "replace")
    except OSError:
        return False
    return head.lstrip("-# ").startswith(HEADER_START) and WRITTEN_BY in head


def write_dbt(target: Path, root: Path, files: dict[str, str]) -> DbtWrite:
    """Write ``files`` into the folder ``target`` (new, empty or made by playbook).

    Only those files are written, each replacing only a file ``playbook sql`` wrote (a file of
    the same name it did not write stops it before anything is written); every other file in
    the folder stays as it is and is named in the result.
    """
    from .outdir import MARKER, OutputRefused, check_target, is_marked, mark
    try:
        path = check_target(target, root, "dbt model folder", DBT_EXAMPLE)
        entries = sorted(os.listdir(path)) if path.is_dir() else []
    except OutputRefused as exc:
        raise SqlProblem(str(exc)) from None
    except OSError as exc:
        raise SqlProblem(f"The dbt model folder {target} cannot be read: {exc.strerror or exc}.") from None
    foreign = [rel for rel in files if os.path.lexists(path / rel) and not written_by_playbook(path / rel)]
    if foreign:
        raise SqlProblem(f"The dbt model folder {target} holds {' and '.join(foreign)}, which playbook sql did not "
                         "write; it is left alone and nothing was written. Move it, or choose another --name or "
                         "--output-dir.")
    others = [n for n in entries if n not in files and n != MARKER and not n.startswith(_TEMP_PREFIX)]
    earlier = [n for n in others if written_by_playbook(path / n)]
    theirs = [n for n in others if n not in earlier]
    umask = os.umask(0)
    os.umask(umask)
    temps: list[str] = []
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not is_marked(path):
            mark(path)
        staged = {}
        for rel, text in files.items():
            fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path)
            temps.append(temp)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temp, 0o666 & ~umask)  # files for the team's dbt project, not private ones
            staged[rel] = temp
        for rel, temp in staged.items():
            os.replace(temp, path / rel)
    except OSError as exc:
        raise SqlProblem(f"The dbt model folder {target} cannot be written: {exc.strerror or exc}.") from None
    finally:
        for temp in temps:
            if os.path.lexists(temp):
                os.unlink(temp)
    return DbtWrite(list(files), earlier, theirs)
