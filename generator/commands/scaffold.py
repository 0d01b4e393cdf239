"""``playbook init`` (a new playbook repository) and ``playbook new`` (a new entity skeleton).

``init`` copies the starter playbook shipped in ``generator/starter/`` (files whose names start
with ``dot-`` become dot files: ``dot-github/`` -> ``.github/``), sets the playbook's name,
dates every ``last_reviewed:`` to the day it runs, writes the JSON Schemas and the editor
settings, and so checks clean on that day.

``new`` never re-serialises a YAML file: a persona gets a new file; any other entity is written
as a new list item after the last item of its section (at the end of the file when the section
is the file's last), so every byte already in the file stays as it was.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import click
import yaml

from ..load import LocDict, LocList, load_bytes
from ..model import FILE_KINDS, ISO_10002_STEPS, KIND_LABELS, LATEST_REVIEWED
from ..playbook import DEFINITIONS_DIR, PERSONA_DIR

MODELINE = "# yaml-language-server: $schema={}"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_ID = 64
# the starter's review dates and the dates its personas' evidence was collected become the day
# init runs, so a new playbook checks clean
_LAST_REVIEWED = re.compile(r"^(\s*(?:last_reviewed|collected):\s*)\d{4}-\d{2}-\d{2}", re.MULTILINE)
_BREAKS = re.compile(r"[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029])|[^\r\n\x85\u2028\u2029]+$")


def _usage(message: str):
    from ..cli import UsageFailure
    return UsageFailure(message)


# ---------------------------------------------------------------- small helpers


def slugify(name: str) -> str:
    """Lowercase letters, digits and single hyphens: "Dr. Sam's clinic" -> "dr-sam-s-clinic"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def scalar(value) -> str:
    """``value`` as a YAML scalar: plain when that reads back as the same text, else quoted."""
    text = str(value)
    if text.lower() in ("y", "n"):  # booleans to YAML 1.1 readers
        return json.dumps(text)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()/&+-]*", text) and not text.endswith((" ", ":")):
        try:
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their line breaks, split where the YAML parser counts lines."""
    return _BREAKS.findall(text)


def _has_control(text: str) -> bool:
    """Control characters, line breaks, or bytes that are not text (the shell passes bytes that
    are not UTF-8 as lone surrogates, which no file can hold)."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text)


_MD_ACTIVE = re.compile(r"([\\`*_{}\[\]()#!|])")


def md_text(text: str) -> str:
    """``text`` as Markdown that shows exactly that text: no HTML, links, attributes or emphasis."""
    text = re.sub(r"&(?=#?[A-Za-z0-9]+;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_ACTIVE.sub(r"\\\1", text)


def _day(today) -> dt.date:
    """The day from --today (default: today); it becomes last_reviewed, so it must be one."""
    day = today.date() if today else dt.date.today()
    if day > LATEST_REVIEWED:
        raise _usage(f"--today should be no later than {LATEST_REVIEWED.isoformat()}: it is written as "
                     "last_reviewed, and the next review must still fall on the calendar.")
    return day


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; never replaces a file and never follows a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ---------------------------------------------------------------- init


def _starter():
    return resources.files("generator") / "starter"


def _walk(node, rel: str = ""):
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = child.name
        if name in ("__pycache__",) or name.endswith((".pyc", "~")):
            continue
        out_name = "." + name[4:] if name.startswith("dot-") else name
        path = f"{rel}/{out_name}" if rel else out_name
        if child.is_dir():
            yield from _walk(child, path)
        else:
            yield path, child.read_text(encoding="utf-8")


def _detected_package() -> str:
    """Where this playbook tool was installed from, when CI can install it from there too."""
    try:
        from importlib.metadata import distribution
        raw = distribution("playbook").read_text("direct_url.json")
        info = json.loads(raw) if raw else {}
    except Exception:  # noqa: BLE001 - any failure means "unknown"
        return ""
    url, vcs = info.get("url", ""), info.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and url and not url.startswith("file:"):
        ref = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"git+{url}" + (f"@{ref}" if ref else "")
    return ""


def vscode_settings() -> str:
    schemas = {"./schemas/playbook-config.schema.json": ["playbook.yaml"],
               "./schemas/persona.schema.json": [f"{PERSONA_DIR}/**/*.yaml", f"{PERSONA_DIR}/**/*.yml"]}
    for kind in FILE_KINDS:
        schemas[f"./schemas/{kind}.schema.json"] = [f"{DEFINITIONS_DIR}/{kind}.yaml"]
    settings = {"yaml.schemas": schemas, "yaml.validate": True, "yaml.completion": True,
                "[yaml]": {"editor.tabSize": 2, "editor.insertSpaces": True}}
    return json.dumps(settings, indent=2) + "\n"


# The CI files each --ci choice writes (the starter holds both).
CI_FILES = {"github": ".github/workflows/playbook.yml", "gitlab": ".gitlab-ci.yml"}


def init_playbook(target: Path, name: str, today: dt.date, package: str, ci: str = "github") -> list[str]:
    """Write a new playbook repository into ``target``; returns the files written."""
    from ..schema import write_schemas
    files: dict[str, str] = {}
    left_out = {path for choice, path in CI_FILES.items() if choice != ci}
    for rel, text in _walk(_starter()):
        if rel in left_out:
            continue
        if rel.endswith((".yaml", ".yml")):
            text = _LAST_REVIEWED.sub(lambda m: m.group(1) + today.isoformat(), text)
        if rel == "playbook.yaml":
            text = re.sub(r"^name: .*$", lambda m: "name: " + json.dumps(name, ensure_ascii=False), text,
                          count=1, flags=re.MULTILINE)
        if rel == "playbook/index.md":
            text = re.sub(r"^# .*$", lambda m: "# " + md_text(name), text, count=1, flags=re.MULTILINE)
        if rel in CI_FILES.values():
            text = re.sub(r'^(  PLAYBOOK_PACKAGE: ).*$', lambda m: m.group(1) + json.dumps(package), text,
                          count=1, flags=re.MULTILINE)
        files[rel] = text
    files[".vscode/settings.json"] = vscode_settings()
    files[".vscode/extensions.json"] = json.dumps({"recommendations": ["redhat.vscode-yaml"]}, indent=2) + "\n"
    for rel, text in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new(path, text.encode("utf-8"))
    written = sorted(files)
    for path in write_schemas(target / "schemas"):
        written.append(path.relative_to(target).as_posix())
    return written


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", default="Sales & Marketing Playbook", show_default=True,
              help="The playbook's name, shown on every page of its site.")
@click.option("--package", default=None, metavar="SPEC",
              help="Where CI installs the playbook tool from (a git URL with a tag, or a wheel); "
                   "written into the CI file.")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="github", show_default=True,
              help="The CI pipeline to write: a GitHub Actions workflow, or a GitLab pipeline with a Code "
                   "Quality report and GitLab Pages.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the starter content as reviewed on this day (default: today).")
def init(directory, name, package, ci, today):
    """Create a new playbook repository in DIRECTORY, ready to check, build and publish.

    It holds a small but complete starter playbook (teams, lifecycle, scoring, personas,
    questions, complaints, campaigns, goals, glossary ...) to adapt, the JSON Schemas, editor
    settings, a pre-commit hook and a CI workflow. DIRECTORY must not exist or be empty.

    \b
    Example:
      playbook init acme-playbook --name "Acme — Sales & Marketing Playbook"
      playbook init acme-playbook --ci gitlab --package "git+https://gitlab.com/acme/playbook@v0.1.0"
    """
    name = name.strip()
    if not name or _has_control(name):
        raise _usage("--name should be one line of UTF-8 text.")
    package = _detected_package() if package is None else package.strip()
    if _has_control(package):
        raise _usage("--package should be one line of UTF-8 text.")
    day = _day(today)
    made = _init_folder(directory)
    from ..schema import SchemaWriteError
    try:
        written = init_playbook(directory, name, day, package, ci)
    except (OSError, SchemaWriteError) as exc:
        _undo_init(directory, made)
        why = _reason(exc) if isinstance(exc, OSError) else str(exc)
        raise _usage(f"The new playbook cannot be written into {directory}: {why} Nothing was left "
                     "behind.") from None
    click.echo(f"Created a new playbook in {directory} ({len(written)} files).")
    click.echo("")
    click.echo("Next:")
    click.echo(f"  cd {directory}")
    click.echo("  playbook check                 # it checks clean; now make it yours")
    click.echo("  playbook new persona \"Name\"    # add personas, stages, questions ...")
    click.echo("  playbook serve                 # preview the site while you edit")
    click.echo("  pre-commit install             # check before every commit")
    if not package and ci in CI_FILES:
        click.echo("")
        click.echo(f"Set PLAYBOOK_PACKAGE in {CI_FILES[ci]} to where CI installs the "
                   "playbook tool from (or run init with --package).")


def _init_folder(directory: Path) -> bool:
    """Check ``directory`` is a new or empty folder and make it; True when init made it."""
    if directory.is_symlink():
        raise _usage(f"{directory} is a symbolic link; give the name of a new or empty folder "
                     "(playbook does not write through links).")
    try:
        if directory.exists():
            if not directory.is_dir():
                raise _usage(f"{directory} exists and is not a folder; give the name of a new or empty folder.")
            if any(directory.iterdir()):
                raise _usage(f"{directory} is not empty; give the name of a new or empty folder.")
            return False
        directory.mkdir(parents=True)
    except OSError as exc:
        raise _usage(f"The folder {directory} cannot be created: {_reason(exc)}.") from None
    return True


def _undo_init(directory: Path, made: bool) -> None:
    """Remove what a failed init wrote: the folder it made, or the files it put in an empty one."""
    import shutil
    if made:
        shutil.rmtree(directory, ignore_errors=True)
        return
    for child in list(directory.iterdir()) if directory.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# ---------------------------------------------------------------- new

# command word -> (model kind, section key; None for a persona file)
NEW_KINDS: dict[str, tuple[str, str | None]] = {
    "persona": ("persona", None),
    "stage": ("stage", "stages"),
    "reason-code": ("reason", "reason_codes"),
    "value-proposition": ("proposition", "value_propositions"),
    "question": ("question", "qualifying_questions"),
    "complaint": ("complaint", "complaint_procedures"),
    "campaign": ("campaign", "campaigns"),
    "goal": ("goal", "goals"),
    "term": ("term", "glossary"),
    "commitment": ("commitment", "service_commitments"),
    "team": ("team", "teams"),
    "nurture-track": ("nurture", "nurture_tracks"),
    "handoff": ("handoff", "handoffs"),
    "meeting": ("meeting", "meetings"),
}


def file_kind_of(section: str) -> str:
    for kind, sections in FILE_KINDS.items():
        if section in sections:
            return kind
    raise KeyError(section)  # pragma: no cover - every entity section has a file kind


@dataclass
class Edit:
    """Text to insert into one file at one offset (``offset`` None: a new file)."""

    rel: str
    offset: int | None
    text: str
    order: int = 0


@dataclass
class Plan:
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _file_text(root: Path, rel: str) -> tuple[bytes, str]:
    raw = (root / rel).read_bytes()
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    return bom, raw[len(bom):].decode("utf-8")


def section_file(pb, root: Path, section: str) -> str:
    """The definitions file a new item of ``section`` goes into."""
    kind = file_kind_of(section)
    canonical = [f"{DEFINITIONS_DIR}/{kind}.yaml", f"{DEFINITIONS_DIR}/{kind}.yml"]

    def holds(rel):
        data = pb.files[rel].data if rel in pb.files else None
        return isinstance(data, LocDict) and section in data

    for rel in canonical:
        if holds(rel):
            return rel
    for rel in sorted(pb.files):
        if rel.startswith(DEFINITIONS_DIR + "/") and holds(rel):
            return rel
    for rel in canonical:
        if rel in pb.files:
            return rel
    return canonical[0]


def _item_text(item: list[str], indent: str, newline: str) -> str:
    return "".join(f"{indent}{'- ' if i == 0 else '  '}{line}{newline}" for i, line in enumerate(item))


def check_target(root: Path, rel: str) -> None:
    """Refuse to write ``rel`` when it, or a folder on the way to it, is a symbolic link, or when
    it is there but is not a regular file: ``new`` writes only files inside the playbook."""
    parts = Path(rel).parts
    path = root
    for index, part in enumerate(parts):
        path = path / part
        shown = "/".join(parts[:index + 1])
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _usage(f"{shown} cannot be read: {_reason(exc)}; nothing was changed.") from None
        if stat.S_ISLNK(mode):
            raise _usage(f"{shown} is a symbolic link, and playbook does not write through links; replace "
                         "it with the file itself or add the entry by hand. Nothing was changed.")
        last = index == len(parts) - 1
        if last and not stat.S_ISREG(mode):
            raise _usage(f"{shown} is not a regular file; nothing was changed.")
        if not last and not stat.S_ISDIR(mode):
            raise _usage(f"{shown} is not a folder; nothing was changed.")


def plan_item(root: Path, pb, rel: str, section: str, item: list[str], order: int = 0) -> Edit:
    """Where and how to add ``item`` (lines of one list item, without indentation) to ``section``."""
    path = root / rel
    check_target(root, rel)
    if not os.path.lexists(path):
        kind = file_kind_of(section)
        body = _item_text(item, "  ", "\n")
        text = f"{MODELINE.format(f'../schemas/{kind}.schema.json')}\n\n{section}:\n{body}"
        return Edit(rel, None, text, order)
    loaded = pb.files.get(rel)
    bom, text = _file_text(root, rel)
    if loaded is None:
        loaded = load_bytes(bom + text.encode("utf-8"), rel)
    if loaded.findings or not (loaded.data is None or isinstance(loaded.data, LocDict)):
        raise _usage(f"{rel} cannot be read as a playbook file; fix it first (playbook check {rel}).")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = _lines(text)
    data = loaded.data if isinstance(loaded.data, LocDict) else LocDict()
    if section not in data:
        body = _item_text(item, "  ", newline)
        prefix = "" if not text or text.endswith(("\n", "\r")) else newline
        blank = newline if text.strip() else ""
        return Edit(rel, len(text), f"{prefix}{blank}{section}:{newline}{body}", order)

    keys = list(data)
    key_line = data.key_locs[section][0]
    value = data[section]
    if value is None:
        rest = lines[key_line - 1].split(":", 1)[1] if ":" in lines[key_line - 1] else ""
        if rest.split("#", 1)[0].strip():
            raise _usage(f'{rel}:{key_line}: "{section}:" is written as an empty value; '
                         "make it an empty line and run the command again.")
        offset = sum(len(line) for line in lines[:key_line])
        prefix = "" if lines[key_line - 1].endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else newline
        body = _item_text(item, "  ", newline)
        return Edit(rel, offset, prefix + body, order)
    vline, vcol = data.value_locs[section]
    at = lines[vline - 1][vcol - 1:vcol] if vline - 1 < len(lines) else ""
    if not isinstance(value, LocList) or at != "-":
        raise _usage(f'{rel}:{vline}: "{section}" is not written as a list of "- " items '
                     "(for example [a, b] on one line); add the new entry by hand.")
    indent = " " * (vcol - 1)
    # the section ends where the next top-level key starts; trailing blank lines and top-level
    # comments before that key belong to what follows
    index = keys.index(section)
    end = data.key_locs[keys[index + 1]][0] - 1 if index + 1 < len(keys) else len(lines)
    last = end
    while last > key_line:
        stripped = lines[last - 1].strip()
        if stripped and not lines[last - 1].startswith("#"):
            break
        last -= 1
    offset = sum(len(line) for line in lines[:last])
    prefix = "" if last == 0 or lines[last - 1].endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else newline
    item_line = value.item_locs[-1][0] if value.item_locs else vline
    spaced = item_line >= 2 and not lines[item_line - 2].strip() and item_line - 1 > key_line
    body = _item_text(item, indent, newline)
    return Edit(rel, offset, prefix + (newline if spaced else "") + body, order)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _overwrite(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    _write_all(fd, data)
    os.ftruncate(fd, len(data))


def apply(root: Path, edits: list[Edit]) -> dict[str, bytes | None]:
    """Write the edits; returns each touched file's previous bytes (None: it did not exist).

    Every file is opened for writing before any is changed, never through a symbolic link, so
    a file that cannot be written stops the command with nothing changed; a write that fails
    half-way puts back what was there.
    """
    before: dict[str, bytes | None] = {}
    after: dict[str, bytes] = {}
    by_file: dict[str, list[Edit]] = {}
    for e in edits:
        by_file.setdefault(e.rel, []).append(e)
    for rel, group in by_file.items():
        check_target(root, rel)
        path = root / rel
        if os.path.lexists(path):
            before[rel] = path.read_bytes()
            bom, text = _file_text(root, rel)
        else:
            before[rel] = None
            bom, text = b"", ""
        new_files = [e for e in group if e.offset is None]
        inserts = sorted((e for e in group if e.offset is not None), key=lambda e: (e.offset, e.order),
                         reverse=True)
        for e in inserts:
            text = text[:e.offset] + e.text + text[e.offset:]
        for e in new_files:
            text = e.text + text
        after[rel] = bom + text.encode("utf-8")
    fds: dict[str, int] = {}
    made: list[Path] = []
    rel = ""
    try:
        for rel in after:
            path = root / rel
            if before[rel] is None:
                missing = [p for p in (path.parent, *path.parent.parents) if not os.path.lexists(p)]
                path.parent.mkdir(parents=True, exist_ok=True)
                made += missing
                fds[rel] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
                made.insert(0, path)
            else:
                fds[rel] = os.open(path, os.O_WRONLY | _NOFOLLOW)
        for rel, data in after.items():
            _overwrite(fds[rel], data)
    except OSError as exc:
        for old_rel, fd in fds.items():
            if before[old_rel] is not None:
                try:
                    _overwrite(fd, before[old_rel])
                except OSError:
                    pass
        _close(fds)
        _remove(made)
        raise _usage(f"{rel} cannot be written: {_reason(exc)}. Nothing was changed.") from None
    _close(fds)
    return before


def _close(fds: dict[str, int]) -> None:
    for fd in fds.values():
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()


def _remove(paths: list[Path]) -> None:
    """Remove the files and (empty) folders a failed command made, newest first."""
    for path in paths:
        try:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            pass


def restore(root: Path, before: dict[str, bytes | None]) -> None:
    for rel, raw in before.items():
        path = root / rel
        if raw is None:
            path.unlink(missing_ok=True)
            continue
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW)
        try:
            _overwrite(fd, raw)
        finally:
            os.close(fd)


def _role_of(pb, team_id: str | None) -> str | None:
    team = pb.get("team", team_id) if team_id else None
    if team is not None and team.roles:
        return team.roles[0].id
    return team_id


def _handoff_stages(pb):
    stages = pb.stages
    existing = {(h.from_stage, h.to_stage) for h in pb.of("handoff")}
    pairs = list(zip(stages, stages[1:]))
    for a, b in pairs:
        if a.owner and b.owner and a.owner != b.owner and (a.id, b.id) not in existing:
            return a, b
    for a, b in pairs:
        if a.owner and b.owner and a.owner != b.owner:
            return a, b
    return pairs[0] if pairs else (None, None)


def skeleton(pb, kind: str, ident: str, name: str, owner: str | None, today: dt.date,
             negative: bool = False) -> tuple[list[str], list]:
    """The lines of a new entity (first line ``id: ...``) and any extra edits it needs;
    ``negative`` makes a persona a negative (exclusion) persona."""
    todo = "TODO"
    common = [f"id: {scalar(ident)}"]
    if kind == "term":
        common.append(f"term: {scalar(name)}")
    else:
        common.append(f"name: {scalar(name)}")
    if owner:
        common.append(f"owner: {scalar(owner)}")
    common += ["status: draft", f"last_reviewed: {today.isoformat()}"]
    extra: list = []
    if kind == "persona" and negative:
        common.insert(2, "kind: negative")
        body = [f"summary: {scalar(todo + ': who we do not sell to, and why: in two or three sentences.')}",
                "red_flags:",
                f"  - text: {scalar(todo + ': what tells sales a lead is one of them')}"]
    elif kind == "persona":
        common.insert(2, "kind: buyer")
        body = [f"summary: {scalar(todo + ': who they are, in two or three sentences.')}"]
    elif kind == "stage":
        stages = pb.stages
        order = (stages[-1].order + 1) if stages else 1
        body = [f"order: {order}", "terminal: true",
                f"description: {scalar(todo + ': what a lead in this stage is, and who works it.')}"]
        if stages:
            extra.append(("transitions", [f"from: {scalar(stages[-1].id)}", f"to: {scalar(ident)}",
                                          f"trigger: {scalar(todo + ': what moves a lead on to this stage.')}"],
                          stages[-1].id))
    elif kind == "reason":
        body = [f"description: {scalar(todo + ': when sales uses this reason code.')}"]
    elif kind == "proposition":
        body = [f"statement: {scalar(todo + ': the promise, in the words marketing and sales both use.')}"]
    elif kind == "question":
        body = [f"question: {scalar(todo + ': the question, as sales asks it?')}",
                f"purpose: {scalar(todo + ': what the answer tells us.')}"]
    elif kind == "complaint":
        role = _role_of(pb, owner)
        body = [f"category: {scalar(ident)}"]
        if role:
            body += [f"case_owner: {scalar(role)}", f"spokesperson: {scalar(role)}"]
        body.append("steps:")
        body += [f"  - {{step: {step}, description: {scalar(todo)}}}" for step in ISO_10002_STEPS]
    elif kind == "campaign":
        starts = today + dt.timedelta(days=28)
        body = [f"starts: {starts.isoformat()}",
                f"offer: {scalar(todo + ': what prospects get.')}",
                "sales_briefing:",
                f"  date: {(starts - dt.timedelta(days=7)).isoformat()}"]
        if owner:
            body.append(f"  owner: {scalar(owner)}")
    elif kind == "goal":
        body = [f"metric: {scalar(todo + ': what is counted')}", f"target: {scalar(todo)}"]
    elif kind == "term":
        body = [f"definition: {scalar(todo + ': one sentence everyone agrees on.')}"]
    elif kind == "commitment":
        # a metric the checker knows keeps the new commitment valid; the TODO says to choose the right one
        body = ["metric: response_time  # TODO: the metric promised (playbook rule PB307 lists them)",
                f"value: {scalar(todo)}",
                f"details: {scalar(todo + ': what exactly we deliver, and when.')}"]
    elif kind == "team":
        body = [f"description: {scalar(todo + ': what this team does for the playbook.')}"]
    elif kind == "nurture":
        body = [f"description: {scalar(todo + ': who is nurtured here, and until when.')}"]
    elif kind == "handoff":
        a, b = _handoff_stages(pb)
        body = [f"from_stage: {scalar(a.id if a else todo)}", f"to_stage: {scalar(b.id if b else todo)}"]
        if a is not None and a.owner:
            body.append(f"from_team: {scalar(a.owner)}")
        if b is not None and b.owner:
            body.append(f"to_team: {scalar(b.owner)}")
        body += ["follow_up:", "  within: 1d business"]
    elif kind == "meeting":
        body = ["cadence: monthly", f"description: {scalar(todo + ': what this meeting decides.')}"]
    else:  # pragma: no cover - NEW_KINDS lists every kind handled above
        raise KeyError(kind)
    return common + body, extra


def _name_of(entity) -> str:
    return getattr(entity, "term", None) or getattr(entity, "name", None) or getattr(entity, "question", "") or ""


def _entity_named(pb, kind: str, name: str):
    """An entity of ``kind`` whose name is ``name`` (case and spaces aside), or None."""
    wanted = " ".join(name.split()).casefold()
    for entity in pb.of(kind):
        if " ".join(_name_of(entity).split()).casefold() == wanted:
            return entity
    return None


@click.command()
@click.argument("kind", type=click.Choice(sorted(NEW_KINDS)), metavar="KIND")
@click.argument("name")
@click.argument("path", required=False, type=click.Path())
@click.option("--owner", default=None, metavar="TEAM", help="The owner team (default: the first team).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Use this day (YYYY-MM-DD) for last_reviewed and dates instead of today.")
@click.option("--negative", is_flag=True, help="With persona: a negative persona, someone we do not sell to.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False))
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
    from ..cli import _config, locate_playbook
    from ..playbook import build
    model_kind, section = NEW_KINDS[kind]
    label = KIND_LABELS[model_kind]
    if negative and model_kind != "persona":
        raise _usage("--negative is for personas only: playbook new persona NAME --negative.")
    name = name.strip()
    if not name or _has_control(name):
        raise _usage("NAME should be one line of UTF-8 text.")
    ident = slugify(name)
    if not ident or not _SLUG.match(ident):
        raise _usage(f'"{name}" gives no usable id; use a name with letters or digits.')
    if len(ident) > _MAX_ID:
        raise _usage(f'The id "{ident}" would be longer than {_MAX_ID} characters; use a shorter name.')
    root, found, _ = locate_playbook(path)
    cfg = _config(Path(config_file) if config_file else found)
    day = _day(today)
    pb = build(root, cfg.max_file_bytes)
    if ident in pb.known_ids[model_kind]:
        where = pb.get(model_kind, ident)
        at = f" ({pb.loc(where, 'id')})" if where is not None else ""
        raise _usage(f'A {label} with the id "{ident}" already exists{at}; choose another name.')
    same_name = _entity_named(pb, model_kind, name)
    if same_name is not None:
        raise _usage(f'A {label} named "{_name_of(same_name)}" already exists ({pb.loc(same_name, "id")}); '
                     "two entities of one kind with one name confuse readers; choose another name.")
    teams = [t.id for t in pb.of("team")]
    if owner is not None:
        if owner not in pb.known_ids["team"]:
            raise _usage(f'--owner "{owner}" is not a team of this playbook (teams: {", ".join(teams) or "none"}).')
    else:
        owner = teams[0] if teams else (ident if model_kind == "team" else None)

    lines, extras = skeleton(pb, model_kind, ident, name, owner, day, negative)
    plan: list[Edit] = []
    if model_kind == "persona":
        rel = f"{PERSONA_DIR}/{ident}.yaml"
        check_target(root, rel)
        for existing in (rel, f"{PERSONA_DIR}/{ident}.yml"):
            if os.path.lexists(root / existing):
                raise _usage(f"{existing} already exists; choose another name.")
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
    added = _added_lines(root, before)
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


_UNREADABLE = ("PB001", "PB002", "PB003", "PB013")


def _added_lines(root: Path, before: dict[str, bytes | None]) -> dict[str, set[int]]:
    """Line numbers (1-based) of the lines the edits added, per file."""
    import difflib
    out: dict[str, set[int]] = {}
    for rel, raw in before.items():
        new = _lines(_file_text(root, rel)[1])
        old = _lines(raw.decode("utf-8-sig")) if raw is not None else []
        lines: set[int] = set()
        for op, _a1, _a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if op in ("insert", "replace"):
                lines.update(range(b1 + 1, b2 + 1))
        out[rel] = lines
    return out
