"""The starter playbook ``playbook init`` writes into a new repository.

The starter is shipped in ``generator/starter/`` (files whose names start with ``dot-`` become
dot files: ``dot-github/`` -> ``.github/``). ``init_playbook`` sets the playbook's name, dates
every ``last_reviewed:`` to the day it runs, writes the JSON Schemas and the editor settings,
and so the new playbook checks clean on that day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from importlib import resources
from pathlib import Path

from .model import FILE_KINDS
from .playbook import DEFINITIONS_DIR, PERSONA_DIR
from .workspace import UsageFailure
from .yamledit import reason, write_new

# the starter's review dates and the dates its personas' evidence was collected become the day
# init runs, so a new playbook checks clean
_LAST_REVIEWED = re.compile(r"^(\s*(?:last_reviewed|collected):\s*)\d{4}-\d{2}-\d{2}", re.MULTILINE)


_MD_ACTIVE = re.compile(r"([\\`*_{}\[\]()#!|])")


def md_text(text: str) -> str:
    """``text`` as Markdown that shows exactly that text: no HTML, links, attributes or emphasis."""
    text = re.sub(r"&(?=#?[A-Za-z0-9]+;)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_ACTIVE.sub(r"\\\1", text)


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


def detected_package() -> str:
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
    from .schema import write_schemas
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
        write_new(path, text.encode("utf-8"))
    written = sorted(files)
    for path in write_schemas(target / "schemas"):
        written.append(path.relative_to(target).as_posix())
    return written


def init_folder(directory: Path) -> bool:
    """Check ``directory`` is a new or empty folder and make it; True when init made it."""
    if directory.is_symlink():
        raise UsageFailure(f"{directory} is a symbolic link; give the name of a new or empty folder "
                     "(playbook does not write through links).")
    try:
        if directory.exists():
            if not directory.is_dir():
                raise UsageFailure(f"{directory} exists and is not a folder; give the name of a new or empty folder.")
            if any(directory.iterdir()):
                raise UsageFailure(f"{directory} is not empty; give the name of a new or empty folder.")
            return False
        directory.mkdir(parents=True)
    except OSError as exc:
        raise UsageFailure(f"The folder {directory} cannot be created: {reason(exc)}.") from None
    return True


def undo_init(directory: Path, made: bool) -> None:
    """Remove what a failed init wrote: the folder it made, or the files it put in an empty one."""
    if made:
        shutil.rmtree(directory, ignore_errors=True)
        return
    for child in list(directory.iterdir()) if directory.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
