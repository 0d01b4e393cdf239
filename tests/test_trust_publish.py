"""A published version is exactly a commit: attacks on `playbook publish`, `diff` and
`check --changed-since`, each refused (or made harmless) on real git repositories with real mike."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest


from conftest import git, invoke_in, repo_state

TODAY = "2026-11-22"
SECRET = "TOPSECRET-7c1e"
IDENTITY_VARS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                 "EMAIL", "GIT_DIR", "GIT_WORK_TREE")


def run(repo: Path, *args):
    return invoke_in(repo, *args)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No global or system git configuration and no identity from the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in IDENTITY_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def repo(example_repo, isolated):
    git(example_repo, "config", "user.name", "Pat Publisher")
    git(example_repo, "config", "user.email", "pat@example.com")
    return example_repo


def site_text(repo: Path, branch: str = "gh-pages") -> str:
    """Every file on the site branch, as one text."""
    import subprocess
    data = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", branch], capture_output=True,
                          check=True).stdout
    out = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                out.append(tar.extractfile(member).read().decode("utf-8", "replace"))
    return "\n".join(out)


def secret_persona(ident: str) -> str:
    """A persona that checks clean beside the example's, so only where it is read from decides."""
    text = (Path(__file__).resolve().parent.parent / "personas/ecommerce-founder.yaml").read_text()
    text = text[:text.index("\nexamples:")] + "\n"
    return ("# playbook: ignore-file[PB407] a draft no proposition targets yet\n"
            + text.replace("id: ecommerce-founder", f"id: {ident}").replace(
                "name: Erin, the growth-focused e-commerce founder", f"name: {SECRET} persona"))


def assert_refused(result, *phrases):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for phrase in phrases:
        assert phrase in result.output, (phrase, result.output)


# --- 3a: exactly a commit ---------------------------------------------------------------------

def test_untracked_and_ignored_files_never_reach_the_site(repo):
    (repo / ".gitignore").write_text("personas/ignored-*.yaml\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore drafts")
    (repo / "personas/untracked-secret.yaml").write_text(secret_persona("untracked-secret"))
    (repo / "personas/ignored-secret.yaml").write_text(secret_persona("ignored-secret"))
    (repo / "playbook/secret-page.md").write_text(f"# {SECRET}\n")
    head = git(repo, "rev-parse", "HEAD").strip()
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    site = site_text(repo)
    assert SECRET not in site and "untracked-secret" not in site and "ignored-secret" not in site
    assert "Left out 2 file(s) that are not committed: personas/untracked-secret.yaml, " \
           "playbook/secret-page.md." in result.output
    assert json.loads(git(repo, "show", "gh-pages:1.0/playbook-version.json"))["commit"] == head
    # the untracked files are still there, untouched
    assert (repo / "personas/untracked-secret.yaml").read_text() == secret_persona("untracked-secret")


def test_an_untracked_broken_file_does_not_block_the_committed_playbook(repo):
    (repo / "personas/half-written.yaml").write_text("id: half-written\nname: [unclosed\n")
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "half-written" not in site_text(repo)


def test_check_and_site_come_from_the_commit_not_a_hidden_working_tree_edit(repo):
    """skip-worktree hides an edit from `git status`; the published version is still the commit."""
    path = repo / "personas/ecommerce-founder.yaml"
    git(repo, "update-index", "--skip-worktree", "personas/ecommerce-founder.yaml")
    path.write_text(path.read_text().replace("name: Erin, the growth-focused e-commerce founder",
                                             f"name: Erin {SECRET}"))
    assert git(repo, "status", "--porcelain") == ""
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    site = site_text(repo)
    assert SECRET not in site and "Erin, the growth-focused e-commerce founder" in site


def test_a_committed_error_blocks_publishing_even_when_hidden_in_the_working_tree(repo):
    path = repo / "definitions/lifecycle.yaml"
    good = path.read_text()
    path.write_text(good.replace("fit_score: {gte: 45}", "fit_score: {gte: 40}"))
    git(repo, "commit", "-qam", "inconsistent thresholds")
    git(repo, "update-index", "--skip-worktree", "definitions/lifecycle.yaml")
    path.write_text(good)  # the working tree looks fixed, the commit is not
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 1 and "error" in result.output, result.output
    assert repo_state(repo) == before


def test_export_ignore_attributes_do_not_drop_files_from_a_version(repo):
    (repo / ".gitattributes").write_text("personas/ecommerce-founder.yaml export-ignore\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "Erin, the growth-focused e-commerce founder" in site_text(repo)
    assert "No changes in meaning." in run(repo, "diff", "HEAD").output


def test_an_uncommitted_playbook_yaml_is_refused(repo):
    git(repo, "rm", "-q", "--cached", "playbook.yaml")
    git(repo, "commit", "-qm", "untrack the settings")
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert_refused(result, "playbook.yaml is not committed")
    assert repo_state(repo) == before


# --- 3b: only a site branch -------------------------------------------------------------------

def test_the_checked_out_branch_is_refused(repo):
    before = repo_state(repo)
    result = run(repo, "publish", "2026.7", "--branch", "main", "--today", TODAY)
    assert_refused(result, '"main" is the branch you have checked out')
    assert repo_state(repo) == before
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_the_checked_out_branch_from_playbook_yaml_is_refused(repo):
    with open(repo / "playbook.yaml", "a") as fh:
        fh.write("publish:\n  branch: main\n")
    git(repo, "commit", "-qam", "publish to main")
    before = repo_state(repo)
    result = run(repo, "publish", "2026.7", "--today", TODAY)
    assert_refused(result, '"main" is the branch you have checked out')
    assert repo_state(repo) == before


def test_a_branch_checked_out_in_another_work_tree_is_refused(repo, tmp_path):
    git(repo, "worktree", "add", "-q", "-b", "review", str(tmp_path / "review"))
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", "--branch", "review", "--today", TODAY)
    assert_refused(result, '"review" is the branch you have checked out')
    assert repo_state(repo) == before
    assert git(tmp_path / "review", "status", "--porcelain") == ""


def orphan_branch(repo: Path, name: str, files: dict[str, str], parent: str | None = None) -> None:
    """Make a branch holding exactly ``files`` without touching the working tree or index."""
    import subprocess
    env = dict(os.environ, GIT_INDEX_FILE=str(repo / ".git" / f"tmp-index-{name}"))
    for rel, text in files.items():
        blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=text,
                              capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run(["git", "-C", str(repo), "update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}"],
                       env=env, check=True)
    tree = subprocess.run(["git", "-C", str(repo), "write-tree"], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    os.unlink(env["GIT_INDEX_FILE"])
    commit = git(repo, "commit-tree", tree, "-m", name, *(["-p", parent] if parent else [])).strip()
    git(repo, "update-ref", f"refs/heads/{name}", commit)


VERSIONS = json.dumps([{"version": "0.9", "title": "0.9", "aliases": []}])


@pytest.mark.parametrize("make, phrase", [
    (lambda r: git(r, "branch", "feature"), "it has no versions.json"),
    (lambda r: orphan_branch(r, "feature", {"notes.txt": "hi"}), "it has no versions.json"),
    (lambda r: orphan_branch(r, "feature", {"versions.json": "{}"}), "versions.json is not a list"),
    (lambda r: orphan_branch(r, "feature", {"versions.json": VERSIONS,
                                            "playbook.yaml": "name: x\n"}), "holds the playbook's own files"),
    (lambda r: orphan_branch(r, "feature", {"versions.json": VERSIONS},
                             parent=git(r, "rev-parse", "HEAD").strip()), "shares history"),
])
def test_an_existing_branch_that_is_not_a_site_is_refused(repo, make, phrase):
    make(repo)
    before = repo_state(repo)
    tip = git(repo, "rev-parse", "feature")
    result = run(repo, "publish", "1.0", "--branch", "feature", "--today", TODAY)
    assert_refused(result, 'The branch "feature" already exists and is not a published site', phrase)
    assert repo_state(repo) == before and git(repo, "rev-parse", "feature") == tip


@pytest.mark.parametrize("name, phrase", [
    ("v1", "already names something else"),          # a tag
    ("HEAD", "not a branch name git accepts"),
    ("@", "not a branch name git accepts"),
    ("-x", "not a branch name git accepts"),
    ("a..b", "not a branch name git accepts"),
])
def test_names_that_are_not_branches_are_refused(repo, name, phrase):
    git(repo, "tag", "v1")
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", f"--branch={name}", "--today", TODAY)
    assert_refused(result, phrase)
    assert repo_state(repo) == before
    assert git(repo, "tag") == "v1\n"


@pytest.mark.parametrize("args, phrase", [
    (["--alias", "../../escape"], '"../../escape" is not a version name'),
    (["--alias", ".."], '".." is not a version name'),
    (["--remote=-x"], '"-x" is not a git remote name'),
])
def test_bad_aliases_and_remotes_are_refused(repo, args, phrase):
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", *args, "--today", TODAY)
    assert_refused(result, phrase)
    assert repo_state(repo) == before


def test_a_remote_branch_that_is_not_a_site_is_refused(repo, tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main:docs")
    git(repo, "fetch", "-q", "origin")
    before = repo_state(repo)
    result = run(repo, "publish", "1.0", "--branch", "docs", "--today", TODAY)
    assert_refused(result, 'The branch "origin/docs" already exists and is not a published site')
    assert repo_state(repo) == before


def test_a_new_branch_and_then_the_same_site_branch_are_accepted(repo):
    assert run(repo, "publish", "1.0", "--branch", "preview", "--today", TODAY).exit_code == 0
    result = run(repo, "publish", "1.1", "--branch", "preview", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert [v["version"] for v in json.loads(git(repo, "show", "preview:versions.json"))] == ["1.1", "1.0"]
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo, "status", "--porcelain") == ""


# --- 3c: who the version is committed as ------------------------------------------------------

def test_without_a_git_identity_publishing_is_refused(example_repo, isolated):
    before = repo_state(example_repo)
    result = run(example_repo, "publish", "1.0", "--today", TODAY)
    assert_refused(result, "git does not know who you are", 'git config --global user.name "Your Name"',
                   'git config --global user.email "you@example.com"')
    assert "playbook@localhost" not in result.output
    assert repo_state(example_repo) == before
    assert "gh-pages" not in git(example_repo, "branch", "-a")


def test_the_version_is_committed_as_the_configured_user(repo):
    result = run(repo, "publish", "1.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert git(repo, "log", "-1", "--format=%cn <%ce>", "gh-pages").strip() == "Pat Publisher <pat@example.com>"
    assert "localhost" not in git(repo, "log", "--format=%an %ae %cn %ce", "gh-pages")


# --- 4: committed symbolic links --------------------------------------------------------------

@pytest.fixture
def outside(tmp_path):
    path = tmp_path / "outside-secret.yaml"
    path.write_text(f"id: outside\nname: {SECRET}\nkind: buyer\nowner: marketing\n")
    return path


@pytest.mark.parametrize("link, target", [
    ("personas/leak.yaml", "outside"),                 # a file outside the repository
    ("personas/alias.yaml", "ecommerce-founder.yaml"),  # inside the playbook: refused all the same
    ("templates", "outside-dir"),                       # a whole folder
])
def test_a_committed_symlink_is_refused_with_its_name(repo, outside, link, target):
    if target == "outside":
        target = str(outside)
    elif target == "outside-dir":
        target = str(outside.parent)
    git(repo, "tag", "before")
    os.symlink(target, repo / link)
    git(repo, "add", link)
    git(repo, "commit", "-qm", "a link")
    before = repo_state(repo)
    expected = (f"{link}: in commit ", "this is a symbolic link", "never follows symbolic links")
    for args in (["diff", "HEAD"], ["diff", "before", "HEAD"], ["check", "--changed-since", "HEAD"],
                 ["publish", "1.0", "--today", TODAY]):
        result = run(repo, *args)
        assert_refused(result, *expected)
        assert SECRET not in result.output
        assert repo_state(repo) == before, args
    assert "gh-pages" not in git(repo, "branch", "-a")


def test_a_playbook_in_a_folder_with_an_odd_name_is_read_from_git(repo):
    folder = repo / "team docs [*]"
    folder.mkdir()
    for name in ("personas", "definitions", "playbook", "playbook.yaml"):
        os.rename(repo / name, folder / name)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "move the playbook")
    result = run(folder, "diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert "No changes in meaning." in result.output


def rewrite_on_branch(repo: Path, branch: str, path: str, text: str) -> None:
    """Commit a changed file onto ``branch`` as someone with push access could, leaving the work tree alone."""
    import subprocess
    env = dict(os.environ, GIT_INDEX_FILE=str(repo / ".git" / "tmp-index-rewrite"))
    subprocess.run(["git", "-C", str(repo), "read-tree", branch], env=env, check=True)
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=text,
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "-C", str(repo), "update-index", "--cacheinfo", f"100644,{blob},{path}"],
                   env=env, check=True)
    tree = subprocess.run(["git", "-C", str(repo), "write-tree"], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    os.unlink(env["GIT_INDEX_FILE"])
    tip = git(repo, "rev-parse", branch).strip()
    git(repo, "update-ref", f"refs/heads/{branch}", git(repo, "commit-tree", tree, "-p", tip, "-m", "edit").strip())


@pytest.mark.parametrize("recorded", ["symlink", "--output=/tmp/playbook-injected", "0" * 40, "[1]"])
def test_a_recorded_commit_that_cannot_be_read_does_not_block_later_versions(repo, outside, recorded):
    assert run(repo, "publish", "1.0", "--today", TODAY).exit_code == 0
    if recorded == "symlink":
        os.symlink(str(outside), repo / "personas/leak.yaml")
        git(repo, "add", "personas/leak.yaml")
        git(repo, "commit", "-qm", "a link")
        recorded = git(repo, "rev-parse", "HEAD").strip()
        git(repo, "rm", "-q", "personas/leak.yaml")
        git(repo, "commit", "-qm", "no link")
    meta = '{"version": "1.0", "commit": %s}' % (recorded if recorded == "[1]" else json.dumps(recorded))
    rewrite_on_branch(repo, "gh-pages", "1.0/playbook-version.json", meta)
    result = run(repo, "publish", "2.0", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert SECRET not in site_text(repo)
    assert not Path("/tmp/playbook-injected").exists()
    listed = run(repo, "versions", "--format", "json")
    assert listed.exit_code == 0 and [v["version"] for v in json.loads(listed.output)] == ["2.0", "1.0"]


def test_versions_reads_a_malformed_site_branch_without_a_traceback(repo):
    orphan_branch(repo, "gh-pages", {"versions.json": "{}"})
    result = run(repo, "versions")
    assert_refused(result, "versions.json on the gh-pages branch is not a list of versions")
    orphan_branch(repo, "gh-pages", {"versions.json": '[1, "x", {"version": "1.0", "aliases": "latest"}]'})
    result = run(repo, "versions", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"version": "1.0", "title": "1.0", "aliases": [], "commit": None}]


def test_a_title_that_looks_like_an_option_is_a_title(repo):
    result = run(repo, "publish", "1.0", "--title=--push", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert json.loads(git(repo, "show", "gh-pages:versions.json"))[0]["title"] == "--push"
