"""Published versions (mike on a git branch) and the changelog between them.

Each published version carries ``playbook-version.json`` with the commit it was built from, so
the semantic changes between any two published versions can be recomputed from git alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .diff import Diff, diff_playbooks
from .gitrefs import GitError, checkout_copy, git
from .playbook import Playbook, build

VERSION_FILE = "playbook-version.json"
UNRELEASED = "unreleased"  # the label of working-tree changes not yet published


@dataclass
class Published:
    version: str
    title: str
    aliases: list[str]
    commit: str | None


@dataclass
class History:
    """What changed in each version, newest first, and in which version each entity last changed."""

    entries: list[tuple[str, str, Diff]] = field(default_factory=list)  # (version, previous, diff)
    last_changed: dict[tuple[str, str], str] = field(default_factory=dict)


def branch_exists(repo: Path, branch: str) -> bool:
    return git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0


def published(repo: Path, branch: str) -> list[Published]:
    """Versions on the branch, newest first (mike's order); empty when nothing is published."""
    if not branch_exists(repo, branch):
        return []
    proc = git(repo, "show", f"{branch}:versions.json", check=False)
    if proc.returncode != 0:
        return []
    try:
        items = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise GitError(f"versions.json on the {branch} branch is not valid JSON.") from None
    if not isinstance(items, list):
        raise GitError(f"versions.json on the {branch} branch is not a list of versions.")
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        version = str(item.get("version", ""))
        meta = git(repo, "show", f"{branch}:{version}/{VERSION_FILE}", check=False)
        commit = None
        if meta.returncode == 0:
            try:
                commit = json.loads(meta.stdout).get("commit")
            except (json.JSONDecodeError, AttributeError):
                commit = None
        if not (isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit)):
            commit = None  # the branch is data: only a full commit id is ever handed to git
        aliases = item.get("aliases")
        aliases = [str(a) for a in aliases] if isinstance(aliases, list) else []
        out.append(Published(version, str(item.get("title", version)), aliases, commit))
    return out


def history(repo: Path, sub: str, versions: list[Published], head: Playbook | None, head_version: str | None,
            max_file_bytes: int, grades: dict | None = None) -> History:
    """Diff each published version against the one before it, and ``head`` against the newest."""
    loaded: dict[str, Playbook] = {}

    def load(commit: str) -> Playbook:
        if commit not in loaded:
            with checkout_copy(repo, commit, sub) as folder:
                loaded[commit] = build(folder, max_file_bytes)
        return loaded[commit]

    states: list[tuple[str, Playbook]] = []
    for v in reversed(versions):  # oldest first
        if not v.commit:
            continue
        try:
            states.append((v.version, load(v.commit)))
        except GitError:
            # a recorded commit that is gone (a shallow clone) or cannot be read safely (it holds a
            # symbolic link) is left out of the changelog rather than blocking every later version
            continue
    if head is not None and head_version and not any(v == head_version for v, _ in states):
        states.append((head_version, head))
    elif head is not None and head_version:
        states = [(v, head if v == head_version else pb) for v, pb in states]
    result = History()
    for (old_v, old), (new_v, new) in zip(states, states[1:]):
        d = diff_playbooks(old, new, old_v, new_v, grades)
        if new is head and not d.changes and new_v == UNRELEASED:
            continue
        result.entries.insert(0, (new_v, old_v, d))
        for c in d.changes:
            if c.change != "removed":
                result.last_changed[(c.kind, c.id)] = new_v
    if states:
        first_v, first = states[0]
        for kind, entities in first.entities.items():
            for ident in entities:
                result.last_changed.setdefault((kind, ident), first_v)
    return result
