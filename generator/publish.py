"""Publish the built site as a version on a git branch with mike, and list what is published.

The working tree must be clean (the published version is a commit); an existing version is
only replaced with ``force``. Everything is checked before mike runs, so a refusal leaves the
repository exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from .check import run_check
from .config import Config
from .gitrefs import GitError, git, is_dirty, repo_root, resolve, short
from .site import SiteError, engine_config, engine_env, generate, write_tree
from .versions import VERSION_FILE, Published, history, published

DEFAULT_BRANCH = "gh-pages"
DEFAULT_REMOTE = "origin"


def settings(cfg: Config, branch: str | None, remote: str | None) -> tuple[str, str]:
    return (branch or cfg.publish.get("branch") or DEFAULT_BRANCH,
            remote or cfg.publish.get("remote") or DEFAULT_REMOTE)


def _mike(args: list[str], repo: Path) -> subprocess.CompletedProcess:
    env = engine_env()
    # mike commits to the branch; give it an identity when git has none configured
    for var, key in (("GIT_AUTHOR_NAME", "user.name"), ("GIT_AUTHOR_EMAIL", "user.email")):
        if not git(repo, "config", key, check=False).stdout.strip():
            env.setdefault(var, "playbook" if var.endswith("NAME") else "playbook@localhost")
            env.setdefault(var.replace("AUTHOR", "COMMITTER"), env[var])
    return subprocess.run([sys.executable, "-c", "from mike.driver import main; main()", *args],
                          cwd=repo, env=env, capture_output=True, text=True)


def list_versions(root: Path, cfg: Config, branch: str | None = None) -> tuple[str, list[Published]]:
    repo = repo_root(root)
    branch, _ = settings(cfg, branch, None)
    versions = published(repo, branch)
    if not versions:
        from .versions import branch_exists
        if not branch_exists(repo, branch):
            raise GitError(f'Nothing has been published yet: there is no "{branch}" branch. '
                           "Run `playbook publish VERSION` first.")
    return branch, versions


def publish(root: Path, cfg: Config, version: str, aliases: list[str], *, set_default: bool = False,
            branch: str | None = None, remote: str | None = None, push: bool = False, force: bool = False,
            title: str | None = None, today: dt.date | None = None, allow_errors: bool = False,
            echo=print) -> int:
    repo = repo_root(root)
    sub = root.resolve().relative_to(repo.resolve()).as_posix()
    branch, remote = settings(cfg, branch, remote)
    if not version or version.startswith("-") or "/" in version or version in (".", ".."):
        raise GitError(f'"{version}" is not a version name; use something like 2026.4 or v3.')
    if is_dirty(repo):
        raise GitError("The working tree has uncommitted changes. Commit them first, so that the published "
                       "version is exactly a commit.")
    head = resolve(repo, "HEAD")
    existing = published(repo, branch)
    names = {v.version for v in existing} | {a for v in existing for a in v.aliases}
    if version in names and not force:
        raise GitError(f'Version "{version}" is already published on "{branch}"; use --force to replace it.')
    today = today or dt.date.today()
    result = run_check(root, cfg, today)
    if result.counts.get("error") and not allow_errors:
        raise SiteError(f"The playbook has {result.counts['error']} error(s); run `playbook check`, fix them, "
                        "and publish again (or pass --allow-errors).")
    earlier = [v for v in existing if v.version != version]
    hist = history(repo, sub, earlier, result.playbook, version, cfg.max_file_bytes, cfg.diff_grades)
    tree = generate(result.playbook, cfg, today, hist)
    tree.files[VERSION_FILE] = json.dumps({"version": version, "commit": head, "playbook": cfg.name},
                                          indent=2) + "\n"
    work = Path(tempfile.mkdtemp(prefix="playbook-publish-"))
    try:
        docs = work / "docs"
        write_tree(tree, docs)
        config = engine_config(result.playbook, cfg, tree, docs, work / "site")
        config["extra"]["version"] = {"provider": "mike"}
        config_file = work / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
        args = ["deploy", "--config-file", str(config_file), "--branch", branch, "--remote", remote,
                "--update-aliases", "--message", f"Publish playbook {version} from {short(repo, head)}"]
        if push:
            args.append("--push")
        if title:
            args += ["--title", title]
        proc = _mike(args + [version, *aliases], repo)
        if proc.returncode != 0:
            raise SiteError("Publishing failed:\n" + (proc.stderr or proc.stdout).strip()[-2000:])
        if set_default:
            args = ["set-default", "--config-file", str(config_file), "--branch", branch, "--remote", remote]
            if push:
                args.append("--push")
            proc = _mike(args + [version], repo)
            if proc.returncode != 0:
                raise SiteError("Setting the default version failed:\n" + (proc.stderr or proc.stdout).strip()[-2000:])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    echo(f'Published version {version}{" (" + ", ".join(aliases) + ")" if aliases else ""} of '
         f'{cfg.name} to the "{branch}" branch{" and pushed it" if push else ""}.')
    return 0

