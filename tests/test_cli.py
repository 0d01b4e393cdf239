"""The command line through click's CliRunner: output shapes and exit codes."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from generator.cli import main
from generator.rules import RULES

from conftest import write_playbook

CLEAN = {"definitions/teams.yaml": """
    teams:
      - id: sales
        name: Sales
      - id: marketing
        name: Marketing
    """}

WITH_ERROR = {**CLEAN, "definitions/lifecycle.yaml": """
    stages:
      - id: mql
        name: MQL
        order: 1
        owner: marketing
      - id: sql
        name: SQL
        order: 1
        owner: sales
        terminal: true
    transitions:
      - {from: mql, to: sql}
    """}

WITH_WARNING = {**CLEAN, "definitions/commitments.yaml": """
    service_commitments:
      - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly, owner: sales}
    """}

LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PB\d{3}) (?P<msg>.+)$")


def invoke(*args, cwd=None):
    runner = CliRunner()
    if cwd is not None:
        import os
        old = os.getcwd()
        os.chdir(cwd)
        try:
            return runner.invoke(main, list(args))
        finally:
            os.chdir(old)
    return runner.invoke(main, list(args))


def test_clean_playbook_exits_zero(tmp_path):
    write_playbook(tmp_path, CLEAN)
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No problems found in 1 file."


def test_default_path_is_the_current_folder(tmp_path):
    write_playbook(tmp_path, WITH_ERROR)
    result = invoke("check", cwd=tmp_path)
    assert result.exit_code == 1
    assert "definitions/lifecycle.yaml:8:12: PB101" in result.output


def test_errors_exit_one_with_located_lines_and_summary(tmp_path):
    write_playbook(tmp_path, WITH_ERROR)
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 1
    lines = [l for l in result.output.splitlines() if l.strip()]
    findings = [LINE.match(l) for l in lines[:-1]]
    assert all(findings), lines
    assert {m["code"] for m in findings} == {"PB101"}
    assert lines[-1] == "Found 1 error and 0 warnings in 1 file (2 files checked)."
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_colour_can_be_forced(tmp_path):
    write_playbook(tmp_path, WITH_ERROR)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--color"], color=True)
    assert "\x1b[31m" in result.output


def test_fail_on_controls_the_exit_code(tmp_path):
    write_playbook(tmp_path, WITH_WARNING)
    assert invoke("check", str(tmp_path)).exit_code == 0
    assert invoke("check", str(tmp_path), "--fail-on", "warning").exit_code == 1
    write_playbook(tmp_path, WITH_ERROR)
    assert invoke("check", str(tmp_path), "--fail-on", "never").exit_code == 0


def test_json_output_has_a_stable_shape(tmp_path):
    write_playbook(tmp_path, {**WITH_ERROR, **WITH_WARNING})
    result = invoke("check", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"version", "root", "files_checked", "summary", "findings"}
    assert data["version"] == 1 and data["files_checked"] == 3
    assert data["summary"] == {"error": 1, "warning": 1}
    first = data["findings"][0]
    assert set(first) == {"code", "name", "severity", "message", "path", "line", "column", "entity"}
    by_code = {f["code"]: f for f in data["findings"]}
    assert by_code["PB101"]["entity"] == {"kind": "stage", "id": "sql"}
    assert by_code["PB101"]["name"] == "stage-order"
    assert by_code["PB304"]["severity"] == "warning"


def test_path_inside_a_playbook_reports_only_that_part(tmp_path):
    write_playbook(tmp_path, {**WITH_ERROR, **WITH_WARNING})
    (tmp_path / "playbook.yaml").write_text("name: Test\n")
    result = invoke("check", str(tmp_path / "definitions" / "commitments.yaml"), "--format", "json")
    data = json.loads(result.output)
    assert {f["path"] for f in data["findings"]} == {"definitions/commitments.yaml"}
    assert result.exit_code == 0  # the error is in another file


def test_config_is_found_from_a_subfolder(tmp_path):
    write_playbook(tmp_path, WITH_WARNING)
    (tmp_path / "playbook.yaml").write_text("rules:\n  PB304: error\n")
    result = invoke("check", cwd=tmp_path / "definitions")
    assert result.exit_code == 1
    assert "definitions/commitments.yaml" in result.output


def test_missing_playbook_is_a_usage_error(tmp_path):
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2
    assert "No playbook found" in result.output
    assert "Traceback" not in result.output
    result = invoke("check", str(tmp_path / "nowhere"))
    assert result.exit_code == 2


def test_config_errors_exit_two_with_location(tmp_path):
    write_playbook(tmp_path, CLEAN)
    cases = {
        "rules:\n  PB777: error\n": "PB777",
        "rules:\n  PB101: loud\n": "off, warning or error",
        "naem: x\n": 'Did you mean "name"',
        "ignore: yes\n": "ignore",
        "rules: [\n": "YAML",
        "review_every_days: soon\n": "should be a whole number of days from 1 to 36500",
    }
    for text, expected in cases.items():
        (tmp_path / "playbook.yaml").write_text(text)
        result = invoke("check", str(tmp_path))
        assert result.exit_code == 2, (text, result.output)
        assert expected in result.output, (text, result.output)
        assert "playbook.yaml:" in result.output
        assert "Traceback" not in result.output


def test_rules_lists_every_rule():
    result = invoke("rules")
    assert result.exit_code == 0
    for code in RULES:
        assert code in result.output
    data = json.loads(invoke("rules", "--format", "json").output)
    assert {r["code"] for r in data} == set(RULES)


def test_rule_explains_one_rule_with_examples():
    result = invoke("rule", "PB108")
    assert result.exit_code == 0
    assert "exit-entry-mismatch" in result.output
    assert "Fails:" in result.output and "Passes:" in result.output
    assert "fit_score: {gte: 60}" in result.output
    assert invoke("rule", "exit-entry-mismatch").output == result.output
    bad = invoke("rule", "PB000")
    assert bad.exit_code == 2 and "not a rule" in bad.output


def test_schema_writes_one_schema_per_file_kind(tmp_path):
    result = invoke("schema", str(tmp_path / "schemas"))
    assert result.exit_code == 0
    names = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert "persona.schema.json" in names and "lifecycle.schema.json" in names
    assert "playbook-config.schema.json" in names
    schema = json.loads((tmp_path / "schemas" / "persona.schema.json").read_text())
    assert "expectations" in schema["properties"]


def test_version_option():
    result = invoke("--version")
    assert result.exit_code == 0 and "playbook" in result.output
