"""Build output never replaces what playbook did not make (issue: trust, data loss)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import outdir
from generator.cli import main

from conftest import REPO

TODAY = "2026-11-22"


@pytest.fixture
def playbook_repo(tmp_path):
    """A small but complete playbook (the starter) inside a git repository, with a user file."""
    root = tmp_path / "acme"
    result = CliRunner().invoke(main, ["init", str(root), "--today", TODAY])
    assert result.exit_code == 0, result.output
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "notes.txt").write_text("the user's own notes\n", encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(root: Path, *args: str, cwd: Path | None = None):
    old = Path.cwd()
    os.chdir(cwd or root)
    try:
        return CliRunner().invoke(main, ["build", "--today", TODAY, *args])
    finally:
        os.chdir(old)


@pytest.mark.parametrize("option", ["--site-dir", "--markdown-dir"])
@pytest.mark.parametrize("target", [".", "..", "personas", "definitions", "playbook", "personas/inside",
                                    ".git", "/", "~", "mine", "notes.txt"])
def test_a_folder_playbook_did_not_make_is_refused_and_left_alone(playbook_repo, option, target):
    mine = playbook_repo / "mine"
    mine.mkdir()
    (mine / "report.docx").write_bytes(b"precious")
    target = str(Path.home()) if target == "~" else target
    parent = playbook_repo.parent
    before, before_parent = snapshot(playbook_repo), sorted(os.listdir(parent))
    result = build(playbook_repo, option, target)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert snapshot(playbook_repo) == before
    assert sorted(os.listdir(parent)) == before_parent
    assert "folder" in result.output.lower() or "directory" in result.output.lower()


def test_the_git_work_tree_root_is_refused_even_above_a_playbook_in_a_subfolder(tmp_path):
    repo = tmp_path / "repo"
    CliRunner().invoke(main, ["init", str(repo / "sales"), "--today", TODAY])
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = build(repo / "sales", "--site-dir", str(repo))
    assert result.exit_code == 2
    assert (repo / "sales" / "playbook.yaml").is_file()


def test_the_site_goes_into_a_new_or_empty_folder_and_is_replaced_by_the_next_build(playbook_repo, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (tmp_path / "new" / "site", empty):
        first = build(playbook_repo, "--site-dir", str(target))
        assert first.exit_code == 0, first.output
        assert (target / "index.html").is_file() and (target / outdir.MARKER).is_file()
        (target / "stale.html").write_text("from the previous build", encoding="utf-8")
        again = build(playbook_repo, "--site-dir", str(target))
        assert again.exit_code == 0, again.output
        assert not (target / "stale.html").exists() and (target / "index.html").is_file()
    # nothing left beside the site: no work folders, no lock files
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_markdown_tree_is_marked_and_replaced_not_merged(playbook_repo, tmp_path):
    md = tmp_path / "md"
    result = build(playbook_repo, "--site-dir", str(tmp_path / "site"), "--markdown-dir", str(md))
    assert result.exit_code == 0, result.output
    assert (md / "index.md").is_file() and (md / outdir.MARKER).is_file()
    (md / "left-over.md").write_text("x", encoding="utf-8")
    result = build(playbook_repo, "--site-dir", str(tmp_path / "site"), "--markdown-dir", str(md))
    assert result.exit_code == 0
    assert not (md / "left-over.md").exists()


def test_site_and_markdown_folders_must_differ(playbook_repo, tmp_path):
    result = build(playbook_repo, "--site-dir", str(tmp_path / "out"), "--markdown-dir", str(tmp_path / "out" / "md"))
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_a_symlink_as_output_folder_is_refused(playbook_repo, tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    result = build(playbook_repo, "--site-dir", str(tmp_path / "link"))
    assert result.exit_code == 2 and "symbolic link" in result.output
    assert os.listdir(tmp_path / "real") == []


def _leftover(parent: Path, name: str, pid: int | None, namespace: str | None = None, marked=True) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "site").mkdir()
    if marked:
        text = outdir.MARKER_TEXT
        if pid is not None:
            text += f"process: {namespace or outdir._namespace()} {pid}\n"
        (folder / outdir.MARKER).write_text(text, encoding="utf-8")
    return folder


def test_leftovers_of_a_killed_build_are_cleaned_up_and_nothing_else(tmp_path):
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    killed_work = _leftover(tmp_path, f".playbook-build-{dead}-abc", dead)
    killed_old = _leftover(tmp_path, f".playbook-build-old-{dead}-1a2b-site", dead)
    keep = [
        _leftover(tmp_path, f".playbook-build-{os.getppid()}-xyz", os.getppid()),  # still running
        _leftover(tmp_path, f".playbook-build-{dead}-notes", None, marked=False),  # the user's, unmarked
        _leftover(tmp_path, f".playbook-build-{dead}-nopid", None),  # marked but owned by no process
        _leftover(tmp_path, f".playbook-build-{dead}-other", dead, namespace="4026531999"),  # another container
        _leftover(tmp_path, ".playbook-build-99999999999999999999-x", 99999999999999999999 % 10**10),
    ]
    (tmp_path / f".notes.old-{dead}").mkdir()  # not a name playbook gives
    forged = _leftover(tmp_path, f".playbook-build-{dead}-forged", None, marked=False)
    (forged / outdir.MARKER).symlink_to("/nonexistent")
    removed = outdir.clean_leftovers(tmp_path)
    assert sorted(removed) == sorted([killed_work.name, killed_old.name, keep[-1].name])
    assert all(k.is_dir() for k in keep[:-1]) and forged.is_dir() and (tmp_path / f".notes.old-{dead}").is_dir()


def test_a_leftover_name_with_a_huge_process_id_does_not_break_the_build(playbook_repo, tmp_path):
    (tmp_path / ".playbook-build-99999999999999999999-x").mkdir()
    result = build(playbook_repo, "--site-dir", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output


def test_gitignore_written_by_init_ignores_build_leftovers(playbook_repo):
    ignored = (playbook_repo / ".gitignore").read_text(encoding="utf-8")
    for pattern in (".playbook-build-*",):
        assert pattern in ignored


def test_concurrent_swaps_of_one_folder_never_fail(tmp_path):
    root = tmp_path / "pb"
    (root / "definitions").mkdir(parents=True)
    target = tmp_path / "site"
    errors = []

    def swap(n):
        try:
            for i in range(40):
                work = outdir.work_folder(tmp_path)
                (work / "site").mkdir()
                (work / "site" / "index.html").write_text(f"{n}-{i}", encoding="utf-8")
                outdir.replace(work / "site", target, root)
                shutil.rmtree(work)
        except Exception as exc:  # noqa: BLE001 - any failure is the bug under test
            errors.append(exc)

    threads = [threading.Thread(target=swap, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (target / "index.html").is_file() and (target / outdir.MARKER).is_file()
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []


def test_two_real_builds_at_once_on_one_site_folder_both_succeed(playbook_repo, tmp_path):
    site = tmp_path / "site"
    cmd = [sys.executable, "-m", "generator.cli", "build", str(playbook_repo), "--site-dir", str(site),
           "--today", TODAY]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for _ in range(2):
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(3)]
        results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
        assert [r[2] for r in results] == [0, 0, 0], results
    assert (site / "index.html").is_file()


def test_a_forged_or_linked_marker_does_not_make_a_folder_replaceable(playbook_repo, tmp_path):
    for name, make in (("linked", lambda m: m.symlink_to("/nonexistent")),
                       ("empty", lambda m: m.write_text("", encoding="utf-8")),
                       ("other", lambda m: m.write_text("anything", encoding="utf-8"))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "report.docx").write_bytes(b"precious")
        make(folder / outdir.MARKER)
        result = build(playbook_repo, "--site-dir", str(folder))
        assert result.exit_code == 2, (name, result.output)
        assert (folder / "report.docx").read_bytes() == b"precious"


def test_a_marked_folder_that_holds_a_playbook_or_a_git_folder_is_refused(playbook_repo, tmp_path):
    other = tmp_path / "other"
    CliRunner().invoke(main, ["init", str(other), "--today", TODAY])
    outdir.mark(other)
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    outdir.mark(bare)
    for folder in (other, bare):
        result = build(playbook_repo, "--site-dir", str(folder))
        assert result.exit_code == 2, result.output
    assert (other / "playbook.yaml").is_file() and (bare / "HEAD").is_file()


def test_the_enclosing_repositorys_git_folder_is_refused(tmp_path):
    mono = tmp_path / "mono"
    CliRunner().invoke(main, ["init", str(mono / "pb"), "--today", TODAY])
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    for target in ("../.git/refs/tags", "../.git/newsite"):
        result = build(mono / "pb", "--site-dir", target)
        assert result.exit_code == 2, (target, result.output)
        assert "git" in result.output
    assert not (mono / ".git" / "newsite").exists()
    assert not list((mono / ".git" / "refs" / "tags").iterdir())


@pytest.mark.parametrize("target", ["loopa/x", "a" * 300])
def test_an_unusable_output_path_is_a_usage_error(playbook_repo, target):
    (playbook_repo / "loopa").symlink_to("loopb")
    (playbook_repo / "loopb").symlink_to("loopa")
    for option in ("--site-dir", "--markdown-dir"):
        result = build(playbook_repo, option, target)
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)


def test_a_folder_that_cannot_be_renamed_is_filled_in_place(tmp_path, monkeypatch):
    root = tmp_path / "pb"
    (root / "definitions").mkdir(parents=True)
    target = tmp_path / "mount"
    target.mkdir()  # an empty mount point, as in `docker run -v $PWD/out:/out`
    real_rename = Path.rename

    def busy(self, other):
        if self == target:
            raise OSError(16, "Device or resource busy")
        return real_rename(self, other)

    monkeypatch.setattr(Path, "rename", busy)
    for round_ in range(2):
        work = outdir.work_folder(tmp_path)
        (work / "site").mkdir()
        (work / "site" / "index.html").write_text(f"round {round_}", encoding="utf-8")
        outdir.replace(work / "site", target, root)
        shutil.rmtree(work)
    assert (target / "index.html").read_text(encoding="utf-8") == "round 1"
    assert outdir.is_marked(target)
