"""``playbook new``: a skeleton entity added to the playbook without touching the rest of its file.

The skeletons are in ``generator/skeletons.py``; how they are written into a file, in
``generator/yamledit.py``.
"""

from __future__ import annotations

import os

import click

from ..model import KIND_LABELS
from ..playbook import PERSONA_DIR
from ..skeletons import MAX_ID, NEW_KINDS, SLUG, entity_named, has_control, name_of, skeleton, slugify
from ..workspace import UsageFailure, locate_playbook, read_settings
from ..yamledit import MODELINE, Edit, added_lines, apply, check_target, plan_item, restore, section_file
from .options import config_option, playbook_path, today_option, written_day

# findings that mean a file no longer reads: an edit that causes one is put back
_UNREADABLE = ("PB001", "PB002", "PB003", "PB013")


@click.command()
@click.argument("kind", type=click.Choice(sorted(NEW_KINDS)), metavar="KIND")
@click.argument("name")
@playbook_path
@click.option("--owner", default=None, metavar="TEAM", help="The owner team (default: the first team).")
@today_option("Use this day (YYYY-MM-DD) for last_reviewed and dates instead of today.")
@click.option("--negative", is_flag=True, help="With persona: a negative persona, someone we do not sell to.")
@config_option
def new(kind, name, path, owner, today, negative, config_file):
    """Add a skeleton KIND named NAME to the playbook in PATH (default: the current folder).

    KIND is one of: persona, stage, reason-code, value-proposition, question, complaint,
    campaign, goal, term, commitment, team, nurture-track, handoff, meeting. The id is NAME as
    a slug. A persona gets its own file; anything else is added after the last entry of its
    section, without touching the rest of the file. Fill in the TODOs afterwards.

    \b
    Example:
      playbook new persona "Priya, the in-house marketing manager"
      playbook new persona "The bargain hunter" --negative
      playbook new stage "Churned"
    """
    from ..check import run_check
    from ..playbook import build
    model_kind, section = NEW_KINDS[kind]
    label = KIND_LABELS[model_kind]
    if negative and model_kind != "persona":
        raise UsageFailure("--negative is for personas only: playbook new persona NAME --negative.")
    name = name.strip()
    if not name or has_control(name):
        raise UsageFailure("NAME should be one line of UTF-8 text.")
    ident = slugify(name)
    if not ident or not SLUG.match(ident):
        raise UsageFailure(f'"{name}" gives no usable id; use a name with letters or digits.')
    if len(ident) > MAX_ID:
        raise UsageFailure(f'The id "{ident}" would be longer than {MAX_ID} characters; use a shorter name.')
    root, found, _ = locate_playbook(path)
    cfg = read_settings(config_file or found)
    day = written_day(today)
    pb = build(root, cfg.max_file_bytes)
    if ident in pb.known_ids[model_kind]:
        where = pb.get(model_kind, ident)
        at = f" ({pb.loc(where, 'id')})" if where is not None else ""
        raise UsageFailure(f'A {label} with the id "{ident}" already exists{at}; choose another name.')
    same_name = entity_named(pb, model_kind, name)
    if same_name is not None:
        raise UsageFailure(f'A {label} named "{name_of(same_name)}" already exists ({pb.loc(same_name, "id")}); '
                     "two entities of one kind with one name confuse readers; choose another name.")
    teams = [t.id for t in pb.of("team")]
    if owner is not None:
        if owner not in pb.known_ids["team"]:
            raise UsageFailure(f'--owner "{owner}" is not a team of this playbook (teams: {", ".join(teams) or "none"}).')
    else:
        owner = teams[0] if teams else (ident if model_kind == "team" else None)

    lines, extras = skeleton(pb, model_kind, ident, name, owner, day, negative)
    plan: list[Edit] = []
    if model_kind == "persona":
        rel = f"{PERSONA_DIR}/{ident}.yaml"
        check_target(root, rel)
        for existing in (rel, f"{PERSONA_DIR}/{ident}.yml"):
            if os.path.lexists(root / existing):
                raise UsageFailure(f"{existing} already exists; choose another name.")
        text = MODELINE.format("../schemas/persona.schema.json") + "\n" + "".join(line + "\n" for line in lines)
        plan.append(Edit(rel, None, text))
    else:
        rel = section_file(pb, root, section)
        plan.append(plan_item(root, pb, rel, section, lines, order=0))
    for extra_section, item, _source in extras:
        extra_rel = section_file(pb, root, extra_section)
        if extra_rel != rel and not (root / extra_rel).exists():
            extra_rel = rel  # no transitions anywhere yet: start them beside the stages
        plan.append(plan_item(root, pb, extra_rel, extra_section, item, order=1))
    before = apply(root, plan)
    result = run_check(root, cfg, day)
    broken = [f for f in result.findings if f.location.path in before and f.code in _UNREADABLE]
    if broken:
        restore(root, before)
        f = broken[0]
        click.echo(f"Adding the {label} would make {f.location.path} unreadable, so nothing was changed:",
                   err=True)
        click.echo(f"  {f.location}: {f.code} {f.message}", err=True)
        raise SystemExit(1)
    added = added_lines(root, before)
    entity = result.playbook.get(model_kind, ident)
    if entity is not None:
        where = result.playbook.loc(entity, "id")
        at = f"{where.path}:{where.line}"
    else:
        at = rel
    click.echo(f'Added the {label} "{ident}" to {at}.')
    for _section, _item, source in extras:
        click.echo(f'Added a transition from "{source}" to "{ident}" so leads can reach it; '
                   "change it to where the stage belongs.")
    mine = [f for f in result.findings
            if f.entity == (model_kind, ident) or f.location.line in added.get(f.location.path, ())]
    if mine:
        click.echo("Still to do (from playbook check):")
        for f in mine:
            click.echo(f"  {f.location}: {f.code} {f.message}")
    click.echo("Fill in the TODOs, then run playbook check.")
    if any(f.severity.label == "error" for f in mine):
        raise SystemExit(1)

