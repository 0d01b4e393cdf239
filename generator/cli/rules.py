"""``playbook rules``, ``playbook rule`` and ``playbook schema``: what the checker knows."""

from __future__ import annotations

from pathlib import Path

import click

from ..rules import AREA_TITLES, AREAS, RULES, by_name_or_code
from ..workspace import UsageFailure
from .options import format_option


@click.command()
@format_option(["text", "json"], "text")
def rules(fmt):
    """List every rule: code, name, default severity and what it flags."""
    if fmt == "json":
        import json
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.label,
                                "area": r.area, "summary": r.summary} for r in RULES.values()], indent=2))
        return
    for area in AREAS:
        members = [r for r in RULES.values() if r.area == area]
        if not members:
            continue
        click.echo(AREA_TITLES[area])
        for r in members:
            click.echo(f"  {r.code}  {r.name:<32} {r.severity.label:<8} {r.summary}")
        click.echo("")


@click.command()
@click.argument("code")
def rule(code):
    """Explain one rule (by code or name) with its failing and passing example."""
    r = by_name_or_code(code)
    if r is None:
        raise UsageFailure(f'"{code}" is not a rule; "playbook rules" lists them all.')
    click.echo(f"{r.code} {r.name} ({r.severity.label} by default)")
    click.echo("")
    click.echo(r.summary)
    click.echo("")
    click.echo(r.explanation)
    for title, example in (("Fails:", r.fail), ("Passes:", r.ok)):
        if example:
            click.echo("")
            click.echo(title)
            for line in example.splitlines():
                click.echo("    " + line)


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def schema(folder):
    """Write a JSON Schema per playbook file kind into FOLDER (default: ./schemas).

    Editors that speak the YAML language server validate and autocomplete a file whose first
    line is "# yaml-language-server: $schema=../schemas/<kind>.schema.json".
    """
    from ..schema import SchemaWriteError, write_schemas
    folder = folder or Path("schemas")
    try:
        paths = write_schemas(folder)
    except SchemaWriteError as exc:
        raise UsageFailure(str(exc)) from None
    for path in paths:
        click.echo(str(path))
