"""The delivery kit: the repository's workflow and the starter's pass zizmor's audit, and
`playbook init --ci gitlab` writes a GitLab pipeline with a Code Quality report and GitLab Pages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import invoke_in

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = [REPO / ".github" / "workflows" / "playbook.yml",
             REPO / "generator" / "starter" / "dot-github" / "workflows" / "playbook.yml"]
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*\s*$")


def zizmor(*paths: Path) -> list[dict]:
    exe = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
    if not Path(exe).exists():
        pytest.fail("zizmor is not installed; pip install -c constraints.txt -e '.[test]'")
    proc = subprocess.run([exe, "--offline", "--format", "json", "--persona", "regular", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def serious(findings: list[dict]) -> list[str]:
    return [f"{f['ident']} ({f['determinations']['severity']})" for f in findings
            if f["determinations"]["severity"] in ("Medium", "High")]


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "starter"])
def test_workflow_has_no_medium_or_high_zizmor_finding(path):
    assert serious(zizmor(path)) == []


def test_zizmor_finds_what_the_workflow_avoids(tmp_path):
    """The audit really runs: an unpinned action and persisted credentials are found."""
    text = WORKFLOWS[0].read_text(encoding="utf-8")
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v4", text)
    text = text.replace("          persist-credentials: false\n", "")
    bad = tmp_path / ".github" / "workflows" / "playbook.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(text, encoding="utf-8")
    found = serious(zizmor(bad))
    assert any(f.startswith("unpinned-uses") for f in found) and any(f.startswith("artipacked") for f in found)


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "starter"])
def test_actions_are_pinned_with_their_release_and_keep_no_credentials(path):
    text = path.read_text(encoding="utf-8")
    uses = [line for line in text.splitlines() if re.match(r"^\s*(?:-\s+)?uses:", line)]
    assert uses and all(PINNED.match(line) for line in uses), uses
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"], "each job names the permissions it needs"
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip"


def test_init_writes_the_github_workflow_by_default_and_gitlab_on_request(tmp_path):
    result = invoke_in(tmp_path, "init", "gh", "--package", "git+https://example.com/acme/playbook@v1",
                       "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gh/.github/workflows/playbook.yml").is_file() and not (tmp_path / "gh/.gitlab-ci.yml").exists()
    result = invoke_in(tmp_path, "init", "none", "--ci", "none", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "none/.github").exists() and not (tmp_path / "none/.gitlab-ci.yml").exists()
    assert "PLAYBOOK_PACKAGE" not in result.output


def test_init_ci_gitlab_writes_a_pipeline_with_code_quality_and_pages(tmp_path):
    spec = "git+https://gitlab.example.com/acme/playbook@v1.2.0"
    result = invoke_in(tmp_path, "init", "acme", "--ci", "gitlab", "--package", spec, "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    target = tmp_path / "acme"
    path = target / ".gitlab-ci.yml"
    assert not (target / ".github").exists()
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ci = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert ci["variables"]["PLAYBOOK_PACKAGE"] == spec
    check = ci["check"]
    assert ci["check"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert ci["pages"]["artifacts"]["paths"] == ["public"]
    pages = "\n".join(ci["pages"]["script"])
    assert "playbook publish --push" in pages and "tar -x -C public" in pages
    assert ci["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert "PIP_CACHE_DIR" in ci["variables"] and ci["default"]["cache"]["paths"] == [".cache/pip"]
    # the check command the pipeline runs writes the report GitLab reads
    command = check["script"][0].split()
    assert command[0] == "playbook"
    result = invoke_in(target, *command[1:])
    assert result.exit_code == 0, result.output
    report = json.loads((target / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert isinstance(report, list)


def test_init_ci_gitlab_without_a_package_says_where_to_set_it(tmp_path):
    result = invoke_in(tmp_path, "init", "acme", "--ci", "gitlab", "--package", "", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "Set PLAYBOOK_PACKAGE in .gitlab-ci.yml" in result.output
