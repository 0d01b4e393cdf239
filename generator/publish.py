"""Publish the built site as a version on a git branch with mike, and list what is published.

A published version is exactly a commit: the playbook's files are read from HEAD into a
temporary folder, checked and rendered there, so nothing untracked or ignored in the working
tree reaches the site. The working tree must also be clean, an existing version is only
replaced with ``force``, the target branch must be a site branch (or new), and git must know
who is committing. Everything is checked before mike runs, so a refusal leaves the repository
exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


from .check import run_check
from .config import CONFIG_NAME, Config, ConfigError, load_config
from .gitrefs import PLAYBOOK_PATHS, GitError, checkout_copy, git, is_dirty, repo_root, resolve, short
from .site import SiteError, dump_config, engine_config, engine_env, generate, write_tree
from .versions import VERSION_FILE, Published, history, published

DEFAULT_BRANCH = "gh-pages"
DEFAULT_REMOTE = "origin"
# The alias the default version always carries: an older version's "old version" banner links to
# the same page under it, and Material hides the banner on the version that carries it.
LATEST = "latest"
# Without the site's address the sitemap would be empty and the version selector would open the
# chosen version's home page. Material compares sitemap paths only, so a placeholder on a domain
# that can never resolve (RFC 2606) keeps the reader's page; site.url gives the real address.
PLACEHOLDER_SITE_URL = "https://site-url-not-set.invalid/"
_OVERRIDES = "overrides"
_OUTDATED_BLOCK = """{%- extends "base.html" %}
{#- Written by playbook publish: the banner Material shows on every version but the latest. #}
{%- block outdated %}
  You are reading an old version of this playbook.
  <a href="{{ base_url }}/../LATEST/{{ page.url if page and page.url else '' }}"><strong>Read this page in the latest version.</strong></a>
{%- endblock %}
"""


def settings(cfg: Config, branch: str | None, remote: str | None) -> tuple[str, str]:
    return (branch or cfg.publish.get("branch") or DEFAULT_BRANCH,
            remote or cfg.publish.get("remote") or DEFAULT_REMOTE)


def _mike(args: list[str], repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from mike.driver import main; main()", *args],
                          cwd=repo, env=engine_env(), capture_output=True, text=True)


def committer(repo: Path) -> tuple[str, str]:
    """The name and email the site's commit is recorded under, as mike reads them.

    There is no made-up fallback: without an identity, publishing is refused and the message
    says how to set one.
    """
    found = []
    for var, key in (("GIT_COMMITTER_NAME", "user.name"), ("GIT_COMMITTER_EMAIL", "user.email")):
        value = os.environ.get(var) or git(repo, "config", "--", key, check=False).stdout.strip()
        found.append(value)
    name, email = found
    if not name or not email:
        missing = [k for k, v in (("user.name", name), ("user.email", email)) if not v]
        raise GitError(
            "Publishing records the site as a git commit, but git does not know who you are "
            f"({' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set). Set your name and "
            "email once, then publish again:\n"
            '  git config --global user.name "Your Name"\n'
            '  git config --global user.email "you@example.com"\n'
            "In CI, set them in the job before `playbook publish`, as the workflow `playbook init` writes "
            "does.")
    return name, email


def _checked_out(repo: Path) -> set[str]:
    """Branches checked out in this repository's work trees (refs/heads/...)."""
    out = git(repo, "worktree", "list", "--porcelain", check=False).stdout
    refs = {line[len("branch "):] for line in out.splitlines() if line.startswith("branch ")}
    head = git(repo, "symbolic-ref", "--quiet", "HEAD", check=False).stdout.strip()
    return refs | ({head} if head else set())


def check_branch(repo: Path, branch: str, remote: str, source: str) -> None:
    """Refuse a branch mike must not commit to: the checked-out branch, a tag or other ref, or
    an existing branch that is not a published site. A branch that does not exist yet is fine."""
    advice = f'Publish to a branch of its own, such as "{DEFAULT_BRANCH}" (the default) or a new name.'
    ok = git(repo, "check-ref-format", "--branch", branch, check=False).returncode == 0
    if not ok or branch.startswith("-") or branch == "@":
        raise GitError(f'"{branch}" is not a branch name git accepts. {advice}')
    if not remote or remote.startswith("-") or any(c.isspace() for c in remote):
        raise GitError(f'"{remote}" is not a git remote name; use the name of one, such as "{DEFAULT_REMOTE}".')
    ref = f"refs/heads/{branch}"
    if ref in _checked_out(repo):
        raise GitError(f'"{branch}" is the branch you have checked out; publishing there would commit the '
                       f"built site on top of your playbook. {advice}")
    named = git(repo, "rev-parse", "--symbolic-full-name", branch, check=False)
    if named.returncode == 0 and named.stdout.strip() != ref:
        raise GitError(f'"{branch}" already names something else in this repository (a tag, a remote '
                       f"branch or a commit), so publishing there could write over it. {advice}")
    tips = []
    if git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode == 0:
        tips.append((branch, ref))
    # mike starts from REMOTE/BRANCH when it exists, so that must be a site branch too
    upstream = f"{remote}/{branch}"
    if git(repo, "rev-parse", "--verify", "--quiet", f"{upstream}^{{commit}}", check=False).returncode == 0:
        tips.append((upstream, upstream))
    for label, rev in tips:
        problem = _not_a_site(repo, rev, source)
        if problem:
            raise GitError(f'The branch "{label}" already exists and is not a published site: {problem}. '
                           f"Publishing there would mix the site into it. {advice}")


def _not_a_site(repo: Path, rev: str, source: str) -> str | None:
    """Why the branch tip ``rev`` is not one mike made for this playbook, or None."""
    raw = git(repo, "show", f"{rev}:versions.json", check=False)
    if raw.returncode != 0:
        return "it has no versions.json, the list of versions every published site keeps"
    try:
        items = json.loads(raw.stdout)
    except json.JSONDecodeError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return "its versions.json is not a list of published versions"
    if git(repo, "merge-base", rev, source, check=False).returncode == 0:
        return "it shares history with the playbook's own commits"
    names = {str(i.get("version", "")) for i in items}
    names |= {str(a) for i in items for a in (i.get("aliases") or []) if isinstance(a, str)}
    top = git(repo, "ls-tree", "-z", "--name-only", rev, check=False).stdout.split("\0")
    own = [n for n in top if n in (CONFIG_NAME, "personas", "definitions") and n not in names]
    if own:
        return f"it holds the playbook's own files ({', '.join(sorted(own))})"
    return None


def _committed_config(cfg: Config, root: Path, copy: Path) -> Config:
    """The settings as committed, when they were read from the playbook's own playbook.yaml."""
    if cfg.path is None or cfg.path.resolve() != (root / CONFIG_NAME).resolve():
        return cfg
    committed = copy / CONFIG_NAME
    if not committed.is_file():
        raise GitError(f"{CONFIG_NAME} is not committed, so the published version would not have its "
                       "settings. Commit it first.")
    try:
        return load_config(committed)
    except ConfigError as exc:
        raise GitError(f"{CONFIG_NAME} as committed: {exc}") from None


def _left_out(repo: Path, sub: str) -> list[str]:
    """Files in the playbook's folders that git does not track (and does not ignore)."""
    prefix = "" if sub in ("", ".") else sub.rstrip("/") + "/"
    out = git(repo, "--literal-pathspecs", "ls-files", "-z", "--others", "--exclude-standard", "--",
              *(prefix + p for p in PLAYBOOK_PATHS), check=False).stdout
    return sorted(n[len(prefix):] for n in out.split("\0") if n)


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
            site_url: str | None = None, echo=print) -> int:
    repo = repo_root(root)
    sub = root.resolve().relative_to(repo.resolve()).as_posix()
    branch, remote = settings(cfg, branch, remote)
    for name in (version, *aliases):
        if not name or name.startswith("-") or "/" in name or "\\" in name or name in (".", ".."):
            raise GitError(f'"{name}" is not a version name; use something like 2026.4 or v3.')
    if site_url is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", site_url, re.IGNORECASE):
        raise GitError(f'"{site_url}" is not an http(s) address; give the address the site is published at, '
                       "for example https://acme.github.io/playbook/.")
    if set_default and LATEST not in aliases:
        aliases = [*aliases, LATEST]  # the default version is also "latest", where old versions' banners lead
    head = resolve(repo, "HEAD")
    check_branch(repo, branch, remote, head)
    committer(repo)
    if is_dirty(repo):
        raise GitError("The working tree has uncommitted changes. Commit them first, so that the published "
                       "version is exactly a commit.")
    existing = published(repo, branch)
    names = {v.version for v in existing} | {a for v in existing for a in v.aliases}
    if version in names and not force:
        raise GitError(f'Version "{version}" is already published on "{branch}"; use --force to replace it.')
    today = today or dt.date.today()
    left_out = _left_out(repo, sub)
    # build from the commit itself: nothing untracked or ignored in the working tree is read
    with checkout_copy(repo, head, sub) as copy:
        cfg = _committed_config(cfg, root, copy)
        result = run_check(copy, cfg, today)
        if result.counts.get("error") and not allow_errors:
            raise SiteError(f"The playbook has {result.counts['error']} error(s); run `playbook check`, fix "
                            "them, and publish again (or pass --allow-errors).")
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
            config["extra"]["version"] = {"provider": "mike", "default": LATEST, "alias": True}
            if site_url:
                config["site_url"] = site_url
            config.setdefault("site_url", PLACEHOLDER_SITE_URL)
            _add_outdated_banner(config, work / _OVERRIDES)
            config_file = work / "mkdocs.yml"
            config_file.write_text(dump_config(config), encoding="utf-8")
            _deploy(repo, config_file, version, aliases, branch=branch, remote=remote, push=push, title=title,
                    set_default=set_default, message=f"Publish playbook {version} from {short(repo, head)}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if left_out:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
        echo(f"Left out {len(left_out)} file(s) that are not committed: {shown}.")
    echo(f'Published version {version}{" (" + ", ".join(aliases) + ")" if aliases else ""} of '
         f'{cfg.name} from commit {short(repo, head)} to the "{branch}" branch{" and pushed it" if push else ""}.')
    return 0


def _add_outdated_banner(config: dict, overrides: Path) -> None:
    """Material's "old version" banner, linking to the same page of the latest version.

    It goes into a theme override folder; the team's own ``custom_dir`` is copied in first, and
    a ``main.html`` of theirs is kept as it is (it may fill the banner itself).
    """
    theme = config["theme"]
    team_dir = theme.get("custom_dir")
    if isinstance(team_dir, str) and Path(team_dir).is_dir():
        shutil.copytree(team_dir, overrides, symlinks=True)
    overrides.mkdir(parents=True, exist_ok=True)
    main = overrides / "main.html"
    if not main.exists():
        main.write_text(_OUTDATED_BLOCK.replace("LATEST", LATEST), encoding="utf-8")
    theme["custom_dir"] = str(overrides)


def _deploy(repo: Path, config_file: Path, version: str, aliases: list[str], *, branch: str, remote: str,
            push: bool, title: str | None, set_default: bool, message: str) -> None:
    common = ["--config-file", str(config_file), "--branch", branch, "--remote", remote]
    if push:
        common.append("--push")
    args = ["deploy", *common, "--update-aliases", "--message", message]
    if title:
        args.append(f"--title={title}")
    proc = _mike([*args, "--", version, *aliases], repo)
    if proc.returncode != 0:
        raise SiteError("Publishing failed:\n" + (proc.stderr or proc.stdout).strip()[-2000:])
    if set_default:
        proc = _mike(["set-default", *common, "--", version], repo)
        if proc.returncode != 0:
            raise SiteError("Setting the default version failed:\n" + (proc.stderr or proc.stdout).strip()[-2000:])
