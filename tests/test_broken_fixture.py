"""The deliberately broken fixture playbook fires every rule, each exactly where it should.

``tests/fixtures/broken/`` holds one small playbook in which every rule of the catalogue (except
PB999, the internal error) fires at least once. A comment above each deliberate problem names
the rule it is for. The expected findings below are written out by hand: a finding that moves,
disappears or appears fails the test, and so does a new rule that the fixture does not exercise.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from click.testing import CliRunner

from generator.check import run_check
from generator.cli import main
from generator.config import load_config
from generator.rules import RULES

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "broken"
TODAY = datetime.date(2026, 11, 22)

# (code, path relative to the fixture, line), sorted by path and line.
EXPECTED = [
    ("PB002", "definitions/anchors.yaml", 3),
    ("PB601", "definitions/campaigns.yaml", 15),
    ("PB602", "definitions/campaigns.yaml", 23),
    ("PB603", "definitions/campaigns.yaml", 30),
    ("PB604", "definitions/campaigns.yaml", 37),
    ("PB603", "definitions/campaigns.yaml", 44),  # a deprecated proposition is not approved either
    ("PB706", "definitions/campaigns.yaml", 44),
    ("PB502", "definitions/complaint-procedures.yaml", 20),
    ("PB505", "definitions/complaint-procedures.yaml", 22),
    ("PB504", "definitions/complaint-procedures.yaml", 26),
    ("PB503", "definitions/complaint-procedures.yaml", 29),
    ("PB506", "definitions/complaint-procedures.yaml", 29),
    ("PB507", "definitions/complaint-procedures.yaml", 31),
    ("PB509", "definitions/complaint-procedures.yaml", 35),
    ("PB508", "definitions/complaint-procedures.yaml", 37),
    ("PB501", "definitions/complaint-procedures.yaml", 40),
    ("PB510", "definitions/complaint-procedures.yaml", 44),
    ("PB703", "definitions/glossary.yaml", 8),
    ("PB702", "definitions/glossary.yaml", 14),
    ("PB704", "definitions/glossary.yaml", 22),  # overdue by the configured review_every_days
    ("PB703", "definitions/glossary.yaml", 27),  # a term says another value than its commitment
    ("PB701", "definitions/goals.yaml", 15),
    ("PB012", "definitions/goals.yaml", 22),
    ("PB116", "definitions/handoffs.yaml", 13),
    ("PB116", "definitions/handoffs.yaml", 17),  # one reason, two tracks
    ("PB115", "definitions/handoffs.yaml", 18),  # and that track returns leads below MQL with their engagement
    ("PB111", "definitions/handoffs.yaml", 26),
    ("PB112", "definitions/handoffs.yaml", 34),
    ("PB110", "definitions/handoffs.yaml", 36),
    ("PB106", "definitions/handoffs.yaml", 46),
    ("PB107", "definitions/handoffs.yaml", 53),
    ("PB001", "definitions/invalid-yaml.yaml", 6),  # the unclosed quote runs to the end of the file
    ("PB003", "definitions/latin1.yaml", 4),
    ("PB209", "definitions/lifecycle.yaml", 13),
    ("PB108", "definitions/lifecycle.yaml", 21),
    ("PB117", "definitions/lifecycle.yaml", 21),
    ("PB109", "definitions/lifecycle.yaml", 27),
    ("PB303", "definitions/lifecycle.yaml", 30),
    ("PB202", "definitions/lifecycle.yaml", 36),
    ("PB105", "definitions/lifecycle.yaml", 38),
    ("PB101", "definitions/lifecycle.yaml", 49),
    ("PB103", "definitions/lifecycle.yaml", 53),
    ("PB102", "definitions/lifecycle.yaml", 58),
    ("PB104", "definitions/lifecycle.yaml", 73),
    ("PB115", "definitions/lifecycle.yaml", 75),
    ("PB113", "definitions/lifecycle.yaml", 77),
    ("PB024", "definitions/lifecycle.yaml", 83),
    ("PB023", "definitions/meetings.yaml", 9),
    ("PB704", "definitions/meetings.yaml", 11),  # overdue by its own review_every_days
    ("PB705", "definitions/meetings.yaml", 14),
    ("PB010", "definitions/meetings.yaml", 23),
    ("PB114", "definitions/nurture-tracks.yaml", 15),
    ("PB024", "definitions/nurture-tracks.yaml", 17),
    ("PB301", "definitions/qualifying-questions.yaml", 3),
    ("PB302", "definitions/qualifying-questions.yaml", 27),
    ("PB305", "definitions/qualifying-questions.yaml", 37),
    ("PB024", "definitions/qualifying-questions.yaml", 39),
    ("PB310", "definitions/qualifying-questions.yaml", 49),
    ("PB206", "definitions/scoring.yaml", 8),
    ("PB205", "definitions/scoring.yaml", 12),
    ("PB208", "definitions/scoring.yaml", 17),
    ("PB204", "definitions/scoring.yaml", 23),
    ("PB210", "definitions/scoring.yaml", 26),
    ("PB203", "definitions/scoring.yaml", 31),
    ("PB201", "definitions/scoring.yaml", 33),
    ("PB801", "definitions/scoring.yaml", 36),
    ("PB304", "definitions/service-commitments.yaml", 14),
    ("PB311", "definitions/service-commitments.yaml", 24),
    ("PB902", "definitions/teams.yaml", 9),
    ("PB901", "definitions/teams.yaml", 12),
    ("PB013", "definitions/teams.yaml", 16),
    ("PB903", "definitions/teams.yaml", 18),
    # (no PB704 on line 20: the suppression with a reason silences it)
    ("PB020", "definitions/teams.yaml", 26),
    ("PB021", "definitions/teams.yaml", 29),
    ("PB312", "definitions/value-propositions.yaml", 12),
    ("PB405", "definitions/value-propositions.yaml", 16),
    ("PB404", "definitions/value-propositions.yaml", 22),
    ("PB406", "definitions/value-propositions.yaml", 31),
    ("PB024", "definitions/value-propositions.yaml", 43),
    ("PB011", "definitions/value-propositions.yaml", 48),
    ("PB402", "personas/bargain-hunter.yaml", 8),
    ("PB207", "personas/bargain-hunter.yaml", 8),
    ("PB401", "personas/marco-marketing-manager.yaml", 2),
    ("PB306", "personas/marco-marketing-manager.yaml", 15),
    ("PB307", "personas/marco-marketing-manager.yaml", 17),
    ("PB308", "personas/marco-marketing-manager.yaml", 19),
    ("PB309", "personas/marco-marketing-manager.yaml", 21),
    ("PB022", "personas/priya.yaml", 3),
    ("PB407", "personas/priya.yaml", 3),
    ("PB408", "personas/priya.yaml", 3),  # no evidence behind the persona
    ("PB403", "personas/priya.yaml", 14),
]

LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PB\d{3}) (?P<msg>.+)$")


def _check():
    config = load_config(FIXTURE / "playbook.yaml")
    return run_check(FIXTURE, config, today=TODAY)


def _triples(findings):
    return [(f.code, f.location.path, f.location.line) for f in findings]


def test_config_keeps_default_severities():
    config = load_config(FIXTURE / "playbook.yaml")
    assert config.severities == {}
    assert config.review_every_days == 365
    for code, rule in RULES.items():
        assert config.severity(code) is rule.severity


def test_fixture_findings_are_exactly_the_expected_ones():
    found = _triples(_check().findings)
    assert len(EXPECTED) == len(set(EXPECTED)), "EXPECTED lists a finding twice"
    missing = sorted(set(EXPECTED) - set(found))
    extra = sorted(set(found) - set(EXPECTED))
    assert not missing and not extra, f"missing: {missing}\nunexpected: {extra}"
    assert set(found) == set(EXPECTED)
    assert sorted(found) == sorted(EXPECTED), "a finding is reported more than once"


def test_every_rule_but_the_internal_error_fires():
    codes = {f.code for f in _check().findings}
    assert "PB999" not in codes
    assert codes == set(RULES) - {"PB999"}
    assert {code for code, _, _ in EXPECTED} == set(RULES) - {"PB999"}


def test_findings_are_located_and_explained():
    result = _check()
    assert result.findings
    for f in result.findings:
        assert f.location.line >= 1 and f.location.col >= 1, f
        assert f.message and f.message.strip(), f
        assert f.severity is RULES[f.code].severity, f
    assert result.files_checked == 21


def test_cli_text_output():
    result = CliRunner().invoke(main, ["check", str(FIXTURE), "--today", "2026-11-22", "--no-color"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    *finding_lines, summary = lines
    matches = [LINE.match(line) for line in finding_lines]
    assert all(matches), [line for line, m in zip(finding_lines, matches) if not m]
    triples = [(m["code"], m["path"], int(m["line"])) for m in matches]
    assert sorted(triples) == sorted(EXPECTED)
    assert all(int(m["col"]) >= 1 for m in matches)
    errors = sum(1 for code, _, _ in EXPECTED if RULES[code].severity.label == "error")
    warnings = len(EXPECTED) - errors
    files = len({path for _, path, _ in EXPECTED})
    assert summary == (f"Found {errors} errors and {warnings} warnings in {files} files "
                       "(21 files checked).")


def test_cli_json_output():
    result = CliRunner().invoke(main, ["check", str(FIXTURE), "--today", "2026-11-22",
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["version"] == 1
    assert data["files_checked"] == 21
    findings = data["findings"]
    assert sorted((f["code"], f["path"], f["line"]) for f in findings) == sorted(EXPECTED)
    for f in findings:
        assert f["column"] >= 1 and f["message"]
        assert f["name"] == RULES[f["code"]].name
        assert f["severity"] == RULES[f["code"]].severity.label
    errors = sum(1 for f in findings if f["severity"] == "error")
    assert data["summary"] == {"error": errors, "warning": len(findings) - errors}
    # the JSON and the API report the same findings, messages included
    api = {(f.code, f.location.path, f.location.line, f.location.col, f.message)
           for f in _check().findings}
    assert {(f["code"], f["path"], f["line"], f["column"], f["message"]) for f in findings} == api
