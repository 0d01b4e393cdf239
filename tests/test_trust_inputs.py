"""Inputs a careful user or an attacker can reach: each gives a clear message and the right exit
code, never a traceback, and nothing is written outside the playbook.

Review dates at the end of the calendar, configuration and baseline files that are devices,
pipes or too large, init and schema onto targets that cannot be written, ``new`` through
symbolic links or into files that cannot be written, and the name given to ``init``.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from generator import model as m
from generator.cli import main
from generator.config import Config, load_config
from generator import yamledit
from generator.render import Renderer

from conftest import REPO, write_playbook

TEAMS = """
    teams:
      - id: sales
        name: Sales
        last_reviewed: {reviewed}
        review_every_days: {every}
      - {{id: marketing, name: Marketing}}
    """


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def refused(result, code: int = 2) -> str:
    """The command stopped with ``code`` and a message, not with an exception."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file and link below ``folder`` with its bytes (links: their target)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
        else:
            out[rel] = None
    return out


@pytest.fixture(scope="module")
def starter(tmp_path_factory):
    target = tmp_path_factory.mktemp("init") / "acme"
    assert invoke("init", target, "--today", "2026-11-01").exit_code == 0
    return target


@pytest.fixture
def fresh(starter, tmp_path):
    target = tmp_path / "pb"
    shutil.copytree(starter, target, symlinks=True)
    return target


# ---------------------------------------------------------------- review dates (item 4a)


def test_review_within_is_bounded():
    out = refused(invoke("review", REPO, "--within", "99999999"))
    assert "--within" in out and "36500" in out


def test_review_within_up_to_the_end_of_the_calendar():
    result = invoke("review", REPO, "--today", "9999-12-30", "--within", "36500", "--format", "json")
    assert result.exit_code == 0, result.output


def test_last_reviewed_past_the_calendar_is_a_located_finding(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS.format(reviewed="9999-12-31", every=180)})
    result = invoke("check", root, "--format", "json")
    refused(result, 1)
    assert "PB999" not in result.output
    import json
    findings = json.loads(result.output)["findings"]
    located = [(f["code"], f["path"], f["line"], f["column"]) for f in findings]
    assert ("PB010", "definitions/teams.yaml", 4, 20) in located, located
    message = next(f["message"] for f in findings if f["code"] == "PB010")
    assert "last_reviewed" in message and "9999-12-31" in message
    assert invoke("review", root, "--within", "36500").exit_code == 0


def test_review_every_days_too_long_is_a_located_finding(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS.format(reviewed="2026-01-01", every=99999999)})
    result = invoke("check", root)
    out = refused(result, 1)
    assert "PB999" not in out
    assert re.search(r'definitions/teams\.yaml:5:24: PB010 .*"review_every_days" .*36500', out), out
    assert invoke("review", root, "--within", "30").exit_code == 0


def test_the_longest_interval_from_the_latest_day_is_still_a_date(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": TEAMS.format(
        reviewed=m.LATEST_REVIEWED.isoformat(), every=m.MAX_REVIEW_EVERY_DAYS)})
    result = invoke("check", root, "--today", "9999-12-31", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "PB704" in result.output and "PB999" not in result.output
    assert invoke("review", root, "--today", "9999-12-31").exit_code == 0


def test_every_review_due_date_is_safe_past_the_calendar():
    late = SimpleNamespace(last_reviewed=dt.date(9999, 12, 31), review_every_days=None)
    assert m.review_due(dt.date(9999, 12, 31), 99999999) is None
    assert m.review_due(dt.date(2026, 1, 1), 10) == dt.date(2026, 1, 11)
    assert m.review_due(None, 10) is None and m.review_due(dt.date(2026, 1, 1), None) is None
    renderer = SimpleNamespace(config=Config(review_every_days=36500))
    assert Renderer.review_due(renderer, late) is None
    # what the overdue rule and the agenda ask (the validator keeps such a day out of a real file)
    entity = m.Team.model_construct(id="t", name="T", last_reviewed=dt.date(9999, 12, 31), review_every_days=None)
    assert entity.review_due(36500) is None and entity.review_every(36500) == 36500
    from generator.review import agenda
    pb = SimpleNamespace(all_entities=[], files={})
    assert agenda(pb, dt.date(9999, 12, 31), 36500, 36500) == []


def test_configured_review_interval_is_bounded(tmp_path):
    root = write_playbook(tmp_path, {"playbook.yaml": "review_every_days: 99999999\n",
                                     "definitions/teams.yaml": TEAMS.format(reviewed="2026-01-01", every=10)})
    out = refused(invoke("review", root))
    assert "playbook.yaml:1:20" in out and "36500" in out
    (root / "playbook.yaml").write_text("max_file_bytes: " + "9" * 5000 + "\n")
    out = refused(invoke("check", root))
    assert "playbook.yaml:1:17" in out and "max_file_bytes" in out


# ---------------------------------------------------------------- config and baseline files (item 4b)


def test_config_that_is_a_device_is_refused(fresh):
    out = refused(invoke("check", fresh, "--config", "/dev/zero"))
    assert "/dev/zero is not a regular file" in out


def test_baseline_that_is_a_device_is_refused(fresh):
    out = refused(invoke("check", fresh, "--baseline", "/dev/zero"))
    assert "/dev/zero is not a regular file" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_config_and_baseline_that_are_pipes_are_refused(fresh, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert "is not a regular file" in refused(invoke("check", fresh, "--config", pipe))
    assert "is not a regular file" in refused(invoke("check", fresh, "--baseline", pipe))
    assert "is not a regular file" in refused(invoke("review", fresh, "--config", pipe))


def test_config_and_baseline_over_the_size_limit_are_refused(fresh, tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: large, but nothing to write
        handle.truncate(3 * 1024 * 1024)
    assert "over the 2,097,152-byte limit" in refused(invoke("check", fresh, "--config", big))
    from generator.baseline import BASELINE_MAX_BYTES
    with open(big, "wb") as handle:
        handle.truncate(BASELINE_MAX_BYTES + 1)
    assert "byte limit for a baseline file" in refused(invoke("check", fresh, "--baseline", big))


def test_baseline_that_cannot_be_read_is_refused(fresh, tmp_path):
    assert "is a folder" in refused(invoke("check", fresh, "--baseline", tmp_path))
    cases = {"deep.json": "[" * 100000, "long.json": '{"version": 1' + "0" * 5000 + "}",
             "latin.json": b'{"version": 1, "findings": ["\xe9"]}'}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        out = refused(invoke("check", fresh, "--baseline", path))
        assert f"{path}" in out and "not a baseline" in out, (name, out)


# ---------------------------------------------------------------- init and schema targets (item 4c)


def test_init_onto_a_dangling_symlink_is_refused(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere" / "pb")
    out = refused(invoke("init", link))
    assert "symbolic link" in out
    assert not (tmp_path / "elsewhere").exists() and link.is_symlink()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_init_under_proc_is_refused():
    out = refused(invoke("init", "/proc/playbook-test/pb"))
    assert "/proc/playbook-test/pb cannot be created" in out


def test_init_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    out = refused(invoke("init", tmp_path / "notes.txt" / "pb"))
    assert "cannot be created" in out
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_init_that_fails_half_way_leaves_nothing(tmp_path, monkeypatch):
    real = os.open

    def full(path, flags, *args, **kwargs):
        if str(path).endswith("lifecycle.yaml"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full)
    out = refused(invoke("init", tmp_path / "pb"))
    assert "No space left on device" in out and "Nothing was left behind" in out
    assert not (tmp_path / "pb").exists()
    (tmp_path / "empty").mkdir()
    refused(invoke("init", tmp_path / "empty"))
    assert list((tmp_path / "empty").iterdir()) == []


def test_schema_onto_a_device_or_under_a_file_is_refused(tmp_path):
    assert "/dev/null is not a folder" in refused(invoke("schema", "/dev/null"))
    (tmp_path / "notes.txt").write_text("mine\n")
    assert "is a file, not a folder" in refused(invoke("schema", tmp_path / "notes.txt" / "schemas"))
    if Path("/proc/self").is_dir():
        assert "cannot be created" in refused(invoke("schema", "/proc/playbook-test"))


def test_schema_never_writes_through_a_symlink(tmp_path):
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "persona.schema.json").symlink_to(tmp_path / "outside.json")
    out = refused(invoke("schema", folder))
    assert "persona.schema.json is a symbolic link" in out
    assert not (tmp_path / "outside.json").exists()
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    assert "symbolic link" in refused(invoke("schema", tmp_path / "linked"))
    assert list((tmp_path / "real").iterdir()) == []


def test_schema_rewrites_only_what_changed(tmp_path):
    folder = tmp_path / "schemas"
    assert invoke("schema", folder).exit_code == 0
    (folder / "persona.schema.json").write_text("{}\n")
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert invoke("schema", folder).exit_code == 0
    assert (folder / "persona.schema.json").read_text() != "{}\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)


# ---------------------------------------------------------------- new (item 4d)


def test_new_persona_never_writes_through_a_dangling_symlink(fresh, tmp_path):
    outside = tmp_path / "outside.yaml"
    (fresh / "personas" / "x.yaml").symlink_to(outside)
    before = tree(fresh)
    out = refused(invoke("new", "persona", "X", fresh))
    assert "personas/x.yaml is a symbolic link" in out
    assert not outside.exists() and tree(fresh) == before


def test_new_never_writes_into_a_linked_folder(tmp_path):
    root = write_playbook(tmp_path / "pb", {"definitions/teams.yaml": TEAMS.format(reviewed="2026-01-01", every=10)})
    (tmp_path / "elsewhere").mkdir()
    (root / "personas").symlink_to(tmp_path / "elsewhere")
    out = refused(invoke("new", "persona", "Priya", root))
    assert "personas is a symbolic link" in out
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_new_never_writes_through_a_linked_definitions_file(fresh, tmp_path):
    outside = tmp_path / "lifecycle.yaml"
    shutil.move(fresh / "definitions" / "lifecycle.yaml", outside)
    (fresh / "definitions" / "lifecycle.yaml").symlink_to(outside)
    kept = outside.read_bytes()
    out = refused(invoke("new", "stage", "Churned", fresh))
    assert "definitions/lifecycle.yaml is a symbolic link" in out
    assert outside.read_bytes() == kept


def _deny_writes(monkeypatch, suffix: str, error: int = errno.EACCES):
    real = os.open

    def deny(path, flags, *args, **kwargs):
        if str(path).endswith(suffix) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(error, os.strerror(error), str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)


def test_new_into_a_read_only_file_changes_nothing(fresh, monkeypatch):
    before = tree(fresh)
    _deny_writes(monkeypatch, "definitions/lifecycle.yaml")
    out = refused(invoke("new", "stage", "Churned", fresh))
    assert "definitions/lifecycle.yaml cannot be written: Permission denied" in out
    assert "Nothing was changed" in out
    assert tree(fresh) == before


def test_new_persona_into_a_read_only_folder_changes_nothing(fresh, monkeypatch):
    before = tree(fresh)
    _deny_writes(monkeypatch, "personas/priya.yaml")
    out = refused(invoke("new", "persona", "Priya", fresh))
    assert "personas/priya.yaml cannot be written" in out
    assert tree(fresh) == before


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="the superuser writes read-only files")
def test_new_into_a_file_without_write_permission(fresh):
    path = fresh / "definitions" / "lifecycle.yaml"
    path.chmod(0o444)
    before = tree(fresh)
    out = refused(invoke("new", "stage", "Churned", fresh))
    assert "definitions/lifecycle.yaml cannot be written" in out
    assert tree(fresh) == before


def test_new_that_fails_half_way_puts_everything_back(fresh, monkeypatch):
    """A stage adds itself and a transition; a write failing half-way restores the file."""
    before = tree(fresh)
    real = yamledit.write_all
    calls = []

    def fail_once(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(yamledit, "write_all", fail_once)
    out = refused(invoke("new", "stage", "Churned", fresh))
    assert "No space left on device" in out
    assert tree(fresh) == before
    calls.clear()
    shutil.rmtree(fresh / "personas")
    before = tree(fresh)
    refused(invoke("new", "persona", "Priya", fresh))
    assert tree(fresh) == before


# ---------------------------------------------------------------- the name given to init (item 2)

NAMES = ["<script>alert(1)</script>", "[click](javascript:alert(7))", "Acme {: onclick=alert(1) }",
         "<img src=x onerror=alert(1)>", 'Quotes "and" \\ back: slash # hash', "&lt;b&gt; & Co — 100%"]


@pytest.mark.parametrize("name", NAMES)
def test_init_name_is_text_in_the_home_page_and_the_config(tmp_path, name):
    target = tmp_path / "pb"
    assert invoke("init", target, "--name", name).exit_code == 0
    heading = (target / "playbook" / "index.md").read_text(encoding="utf-8").splitlines()[0]
    assert heading.startswith("# ")
    assert "<" not in heading and not re.search(r"(?<!\\)[\[\]{}()]", heading), heading
    assert load_config(target / "playbook.yaml").name == name


def test_init_name_shows_as_text_on_the_built_home_page(tmp_path):
    name = "<script>alert(1)</script> [x](javascript:alert(7)) Acme & Co"
    target = tmp_path / "pb"
    assert invoke("init", target, "--name", name).exit_code == 0
    site = tmp_path / "site"
    result = invoke("build", target, "--site-dir", site)
    assert result.exit_code == 0, result.output
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(7)) Acme &amp; Co" in html


# ---------------------------------------------------------------- build leftovers are ignored (item 1)

IGNORED = ["site/index.html", ".playbook-build-123-abc/index.html", ".playbook-build-old-123-ab12-public/index.html"]


def _git_ignores(repo: Path, names: list[str]) -> set[str]:
    proc = subprocess.run(["git", "-C", str(repo), "check-ignore", "--no-index", *names],
                          capture_output=True, text=True, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"})
    return set(proc.stdout.split())


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_init_gitignore_ignores_the_site_and_build_leftovers(starter, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(starter, repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert _git_ignores(repo, IGNORED + ["personas/x.yaml"]) == set(IGNORED)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_repository_gitignore_ignores_build_leftovers():
    assert _git_ignores(REPO, IGNORED) == set(IGNORED)


# ---------------------------------------------------------------- codeowners targets


def test_codeowners_never_writes_through_a_symlink(fresh, tmp_path):
    (fresh / ".github" / "CODEOWNERS").symlink_to(tmp_path / "outside")
    out = refused(invoke("codeowners", fresh))
    assert "CODEOWNERS is a symbolic link" in out
    assert not (tmp_path / "outside").exists()


def test_codeowners_onto_a_device_or_an_unwritable_place_is_refused(fresh):
    assert "/dev/zero is not a regular file" in refused(invoke("codeowners", fresh, "-o", "/dev/zero"))
    (fresh / "notes.txt").write_text("mine\n")
    assert "cannot be written" in refused(invoke("codeowners", fresh, "-o", fresh / "notes.txt" / "CODEOWNERS"))
    assert "was not written by playbook codeowners" in refused(invoke("codeowners", fresh, "-o", fresh / "notes.txt"))
    assert (fresh / "notes.txt").read_text() == "mine\n"


def test_init_and_new_refuse_a_day_past_the_latest_review_date(fresh, tmp_path):
    before = tree(fresh)
    for kind in ("campaign", "persona"):
        out = refused(invoke("new", kind, "Late", fresh, "--today", "9999-12-20"))
        assert "--today should be no later than 9899-12-31" in out
    assert tree(fresh) == before
    assert "--today" in refused(invoke("init", tmp_path / "late", "--today", "9999-12-20"))
    assert not (tmp_path / "late").exists()
    assert invoke("new", "campaign", "Late", fresh, "--today", "9899-12-31").exit_code in (0, 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_generate_baseline_onto_a_pipe_or_device_is_refused(fresh, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    report = tmp_path / "report.json"
    out = refused(invoke("check", fresh, "--generate-baseline", pipe, "-o", f"json={report}"))
    assert f"{pipe} is not a regular file" in out and not report.exists()
    assert "/dev/full is not a regular file" in refused(invoke("check", fresh, "--generate-baseline", "/dev/full"))


def test_a_name_that_is_not_utf8_is_refused_and_nothing_is_written(tmp_path):
    from click.testing import CliRunner
    from generator.cli import main
    name = b"x\xff".decode("utf-8", "surrogateescape")  # what a shell passes for such bytes
    target = tmp_path / "acme"
    result = CliRunner().invoke(main, ["init", str(target), "--name", name])
    assert result.exit_code == 2 and "UTF-8" in result.output, result.output
    assert not target.exists()
    CliRunner().invoke(main, ["init", str(target), "--today", "2026-11-22"])
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    for kind in ("persona", "term"):
        result = CliRunner().invoke(main, ["new", kind, name, str(target)])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before
