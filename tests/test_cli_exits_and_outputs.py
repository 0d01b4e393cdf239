"""What the commands print, write and exit with: score --output checked first, check -o and standard
output, the starter's .gitignore, and the exit codes README documents."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import REPO, git, invoke_in

LEDGER = REPO / "tests" / "fixtures" / "ledger-saas"
BROKEN = REPO / "tests" / "fixtures" / "broken"
EXPORT = LEDGER / "leads" / "trial-export.csv"
SUMMARY = re.compile(r"^(Found \d+ errors? and \d+ warnings? in \d+ files? \(\d+ files? checked\)|No problems found.*)\.$")


# ---------------------------------------------------------------- score --output, refused before scoring


@pytest.mark.parametrize("name,said", [
    ("nodir/scored.csv", "the folder nodir does not exist"),
    ("nodir/deeper/scored.parquet", "the folder nodir/deeper does not exist"),
    ("scored.xlsx", "the name should end in .csv, .json or .parquet"),
])
def test_score_output_is_refused_before_anything_is_scored(tmp_path, name, said):
    # the broken playbook's errors are noted once scoring starts; a refusal comes before that note
    shutil.copy(EXPORT, tmp_path / "export.csv")
    result = invoke_in(tmp_path, "score", "export.csv", BROKEN, "--output", name, "--as-of", "2026-11-22")
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "Note: the playbook has" not in result.output
    assert "Scored" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_score_output_through_a_link_or_onto_a_device_is_refused(tmp_path):
    (tmp_path / "elsewhere.csv").write_text("keep\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    result = invoke_in(tmp_path, "score", EXPORT, LEDGER, "--output", "link.csv")
    assert result.exit_code == 2 and "is not a regular file" in result.output
    assert (tmp_path / "elsewhere.csv").read_text(encoding="utf-8") == "keep\n"
    import os
    os.mkfifo(tmp_path / "pipe.csv")
    result = invoke_in(tmp_path, "score", EXPORT, LEDGER, "--output", "pipe.csv")  # would block on open
    assert result.exit_code == 2 and "is not a regular file" in result.output


def test_score_output_in_an_existing_folder_is_written(tmp_path):
    (tmp_path / "out").mkdir()
    result = invoke_in(tmp_path, "score", EXPORT, LEDGER, "--output", "out/scored.json", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "scored.json").read_text(encoding="utf-8"))
    assert data["summary"]["scored"] == len(data["leads"]) > 0


# ---------------------------------------------------------------- check -o: a format in a file is not printed too


def _check(tmp_path, *args):
    return invoke_in(tmp_path, "check", BROKEN, "--today", "2026-11-22", *args)


@pytest.mark.parametrize("fmt", ["gitlab", "json", "sarif", "junit", "markdown"])
def test_a_format_written_to_a_file_is_not_printed_too(tmp_path, fmt):
    report = tmp_path / f"report.{fmt}"
    result = _check(tmp_path, "--format", fmt, "-o", f"{fmt}={report}")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert re.match(r"^\S+:\d+:\d+: PB\d{3} ", "\n".join(lines)) or any(re.match(r"^\s+\d+:\d+ ", l) for l in lines)
    assert report.read_text(encoding="utf-8").strip() not in result.output
    # the file holds the format asked for
    text = report.read_text(encoding="utf-8")
    if fmt in ("gitlab", "json", "sarif"):
        json.loads(text)
    elif fmt == "junit":
        assert text.startswith("<?xml")


def test_the_text_report_on_standard_output_is_what_format_text_prints(tmp_path):
    plain = _check(tmp_path, "--no-color")
    with_file = _check(tmp_path, "--no-color", "--format", "gitlab", "-o", f"gitlab={tmp_path / 'gl.json'}")
    assert with_file.output == plain.output


def test_github_annotations_and_other_formats_still_go_to_standard_output(tmp_path):
    result = _check(tmp_path, "--format", "github", "-o", f"github={tmp_path / 'a.txt'}")
    assert result.output.startswith("::error file=")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == result.output
    result = _check(tmp_path, "--format", "sarif", "-o", f"json={tmp_path / 'r.json'}")
    assert json.loads(result.output)["version"] == "2.1.0"  # sarif is not in a file: printed


def test_the_starter_gitlab_check_job_writes_the_report_and_a_readable_log(tmp_path):
    import yaml
    assert invoke_in(tmp_path, "init", "acme", "--ci", "gitlab", "--package", "x", "--today", "2026-11-22").exit_code == 0
    target = tmp_path / "acme"
    ci = yaml.safe_load((target / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    command = ci["check"]["script"][0].split()
    result = invoke_in(target, *command[1:])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("No problems found")
    assert json.loads((target / ci["check"]["artifacts"]["reports"]["codequality"]).read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------- the starter's .gitignore, asked of git


def test_the_starter_gitignore_leaves_out_what_builds_and_ci_write(tmp_path):
    assert invoke_in(tmp_path, "init", "acme", "--ci", "gitlab", "--package", "x", "--today", "2026-11-22").exit_code == 0
    root = tmp_path / "acme"
    git(root, "init", "-q")
    written = ["site/index.html", ".playbook-build-123-abc/index.html", "public/index.html", ".cache/pip/wheel",
               "gl-code-quality-report.json", "playbook.sarif", "playbook-junit.xml", "diff.md"]
    for rel in written:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n", encoding="utf-8")
    # the team's own files of the same names deeper down are not ignored
    kept = ["playbook/diff.md", "playbook/public/logo.svg"]
    for rel in kept:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n", encoding="utf-8")
    untracked = set(git(root, "status", "--porcelain", "--untracked-files=all").replace("?? ", "").split())
    for rel in written:
        assert rel not in untracked, rel
    for rel in kept:
        assert rel in untracked, rel
    # and what init wrote is all there to commit
    assert "playbook.yaml" in untracked and ".gitlab-ci.yml" in untracked


# ---------------------------------------------------------------- exit codes, as README documents them


def _exit_table() -> dict[str, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            first, meaning = line.split("|")[1:3]
            for command in re.findall(r"`([a-z]+)`", first):
                rows[command] = meaning.strip()
    return rows


def test_readme_says_what_exit_1_means_for_every_command():
    from generator.cli import main
    assert set(_exit_table()) == set(main.commands)


@pytest.fixture
def pb(tmp_path):
    root = tmp_path / "pb"
    shutil.copytree(LEDGER, root)
    return root


def test_build_exits_1_when_the_site_engine_stops(pb, tmp_path):
    (pb / "playbook" / "index.md").write_text("# Home\n\n[Nowhere](missing-page.md)\n", encoding="utf-8")
    result = invoke_in(tmp_path, "build", pb, "--strict", "--site-dir", tmp_path / "site", "--today", "2026-11-22")
    assert result.exit_code == 1, result.output
    # there was no site before: none is said to be kept
    assert "The site engine (properdocs) failed; no site was written." in result.output
    assert "previous site" not in result.output
    assert "missing-page.md" in result.output
    assert not (tmp_path / "site").exists()
    assert "engine stopped" in _exit_table()["build"]


def test_build_exits_1_on_check_errors_and_2_when_asked_wrongly(pb, tmp_path):
    result = invoke_in(tmp_path, "build", BROKEN, "--site-dir", tmp_path / "site")
    assert result.exit_code == 1
    assert "The site was not built" in result.output
    for args in (("--site-dir", pb / "definitions"), ("--engine", "hugo"), ("--today", "tomorrow")):
        result = invoke_in(tmp_path, "build", pb, *args)
        assert result.exit_code == 2, (args, result.output)
    (pb / "mkdocs.yml").write_text("nav: 3\n", encoding="utf-8")
    result = invoke_in(tmp_path, "build", pb, "--site-dir", tmp_path / "site")
    assert result.exit_code == 2 and "mkdocs.yml" in result.output
