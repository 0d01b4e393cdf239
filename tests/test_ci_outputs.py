"""CI output formats of ``playbook check`` (github, sarif, junit, gitlab, markdown), ``-o``
outputs, and baselines, through click's CliRunner."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from types import SimpleNamespace

import jsonschema
import pytest
from click.testing import CliRunner

from generator import __version__
from generator.check import CheckResult
from generator.cli import main
from generator.findings import Finding, Location, Severity
from generator.output import fingerprint, to_github, to_gitlab, to_junit, to_markdown, to_sarif
from generator.rules import RULES

from conftest import REPO, write_playbook

BROKEN = REPO / "tests" / "fixtures" / "broken"
SARIF_SCHEMA = REPO / "tests" / "fixtures" / "schemas" / "sarif-schema-2.1.0.json"
TODAY = ("--today", "2026-11-22")

CLEAN = {"definitions/teams.yaml": """
    teams:
      - id: sales
        name: Sales
      - id: marketing
        name: Marketing
    """}

GITHUB = re.compile(r"^::(?P<level>error|warning) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
                    r"title=(?P<code>PB\d{3}) (?P<name>[a-z0-9-]+)::(?P<msg>.*)$")
MD_ROW = re.compile(r"^\| (?P<line>\d+) \| (?P<code>PB\d{3}) (?P<name>[a-z0-9-]+) \((?P<sev>error|warning)\) "
                    r"\| (?P<msg>.*) \|$")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def in_broken(monkeypatch):
    """Run from the broken fixture's folder, so reported paths are relative to it."""
    monkeypatch.chdir(BROKEN)
    return BROKEN


@pytest.fixture(scope="module")
def broken_findings():
    result = CliRunner().invoke(main, ["check", str(BROKEN), *TODAY, "--format", "json"])
    data = json.loads(result.output)
    assert data["summary"]["error"] and data["summary"]["warning"]
    return data


def located(findings):
    return [(f["path"], f["line"], f["column"], f["code"]) for f in findings]


def synthetic(tmp_path, *findings, files=("a.yaml",)):
    """A CheckResult built by hand, for escaping tests."""
    counts = Counter(f.severity.label for f in findings)
    pb = SimpleNamespace(root=tmp_path, files={p: None for p in files})
    return CheckResult(pb, list(findings), len(files), {"error": counts["error"], "warning": counts["warning"]})


# ---------------------------------------------------------------------------- github

def test_github_annotations_carry_file_line_col_and_code(in_broken, broken_findings):
    result = invoke("check", ".", *TODAY, "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    matches = [GITHUB.match(line) for line in lines[:-1]]
    assert all(matches), [l for l, m in zip(lines, matches) if not m]
    got = [(m["file"], int(m["line"]), int(m["col"]), m["code"]) for m in matches]
    assert got == located(broken_findings["findings"])
    for m, f in zip(matches, broken_findings["findings"]):
        assert m["level"] == f["severity"]
        assert m["name"] == RULES[f["code"]].name
        assert m["msg"] == f["message"].replace("%", "%25")
    assert lines[-1] == "Found 56 errors and 35 warnings in 19 files (21 files checked)."


def test_github_paths_are_relative_to_the_current_folder(monkeypatch, tmp_path):
    write_playbook(tmp_path / "sub", {**CLEAN, "definitions/commitments.yaml": """
        service_commitments:
          - {id: reporting, name: Weekly report, metric: reporting_cadence, value: weekly, owner: sales}
        """})
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "sub", "--format", "github")
    m = GITHUB.match(result.output.splitlines()[0])
    assert m and m["file"] == "sub/definitions/commitments.yaml" and m["level"] == "warning"
    sarif = json.loads(invoke("check", "sub", "--format", "sarif").output)
    run = sarif["runs"][0]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "sub/definitions/commitments.yaml"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_github_escapes_data_and_properties(tmp_path):
    f = Finding("PB101", Location("odd,name:x.yaml", 3, 4), "100% sure\r\nnext line", Severity.ERROR)
    w = Finding("PB304", Location("b.yaml", 1, 1), "plain", Severity.WARNING)
    lines = to_github(synthetic(tmp_path, f, w, files=("odd,name:x.yaml", "b.yaml"))).splitlines()
    assert lines[0] == "::warning file=b.yaml,line=1,col=1,title=PB304 " + RULES["PB304"].name + "::plain"
    assert lines[1] == ("::error file=odd%2Cname%3Ax.yaml,line=3,col=4,title=PB101 stage-order"
                        "::100%25 sure%0D%0Anext line")
    assert len(lines) == 3


# ----------------------------------------------------------------------------- sarif

def validate_sarif(data):
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the schema declares its own draft
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_validates_and_has_a_result_per_finding(in_broken, broken_findings):
    result = invoke("check", ".", *TODAY, "--format", "sarif")
    assert result.exit_code == 1
    data = json.loads(result.output)
    validate_sarif(data)
    assert data["version"] == "2.1.0" and len(data["runs"]) == 1
    run = data["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "playbook" and driver["version"] == __version__
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for r in driver["rules"]:
        rule = RULES[r["id"]]
        assert r["name"] == rule.name and r["shortDescription"]["text"] == rule.summary
        assert r["fullDescription"]["text"] == rule.explanation
        assert r["defaultConfiguration"]["level"] == rule.severity.label
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == BROKEN.resolve().as_uri() + "/"
    assert len(run["results"]) == len(broken_findings["findings"])
    for res, f in zip(run["results"], broken_findings["findings"]):
        assert res["ruleId"] == f["code"]
        assert driver["rules"][res["ruleIndex"]]["id"] == f["code"]
        assert res["level"] == f["severity"]
        assert res["message"]["text"] == f["message"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f["path"], "uriBaseId": "%SRCROOT%"}
        assert loc["region"] == {"startLine": f["line"], "startColumn": f["column"]}


def test_sarif_of_a_clean_playbook_validates(tmp_path):
    write_playbook(tmp_path, CLEAN)
    result = invoke("check", tmp_path, "--format", "sarif")
    assert result.exit_code == 0
    data = json.loads(result.output)
    validate_sarif(data)
    assert data["runs"][0]["results"] == []


def test_sarif_of_an_odd_path_validates(tmp_path):
    f = Finding("PB304", Location("personas/a b#c.yaml", 2, 1), "x", Severity.WARNING)
    data = json.loads(to_sarif(synthetic(tmp_path, f, files=("personas/a b#c.yaml",))))
    validate_sarif(data)
    assert data["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        == "personas/a%20b%23c.yaml"


# ----------------------------------------------------------------------------- junit

def test_junit_counts_match(in_broken, broken_findings):
    result = invoke("check", ".", *TODAY, "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "playbook check"
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == broken_findings["files_checked"] == 21
    by_path = Counter(f["path"] for f in broken_findings["findings"])
    assert int(suite.get("failures")) == len(by_path) == 19
    assert root.get("tests") == suite.get("tests") and root.get("failures") == suite.get("failures")
    assert [c.get("name") for c in cases] == sorted(c.get("name") for c in cases)
    failures = []
    for case in cases:
        assert case.get("classname") == "playbook"
        fails = case.findall("failure")
        assert len(fails) == by_path.get(case.get("name"), 0)
        failures += [(case.get("name"), fl) for fl in fails]
    assert len(failures) == len(broken_findings["findings"])
    for (path, fl), f in zip(failures, broken_findings["findings"]):
        assert path == f["path"] and fl.get("type") == f["code"] and fl.get("message") == f["message"]
        assert f"{f['path']}:{f['line']}:{f['column']}: {f['code']}" in fl.text


def test_junit_of_a_clean_playbook_passes(tmp_path):
    write_playbook(tmp_path, CLEAN)
    result = invoke("check", tmp_path, "--format", "junit")
    assert result.exit_code == 0
    suite = ET.fromstring(result.output.encode("utf-8")).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "definitions/teams.yaml" and list(case) == []


def test_junit_escapes_text(tmp_path):
    f = Finding("PB101", Location("a.yaml", 1, 1), 'a <b> & "c" \x01 ]]>', Severity.ERROR)
    root = ET.fromstring(to_junit(synthetic(tmp_path, f)).encode("utf-8"))
    assert root.find("testsuite/testcase/failure").get("message") == 'a <b> & "c" \ufffd ]]>'


# ---------------------------------------------------------------------------- gitlab

def test_gitlab_report_shape(in_broken, broken_findings):
    result = invoke("check", ".", *TODAY, "--format", "gitlab")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert len(report) == len(broken_findings["findings"])
    for item, f in zip(report, broken_findings["findings"]):
        assert set(item) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert item["check_name"] == f["code"] and item["description"] == f["message"]
        assert item["severity"] == {"error": "major", "warning": "minor"}[f["severity"]]
        assert item["location"] == {"path": f["path"], "lines": {"begin": f["line"]}}
        assert re.fullmatch(r"[0-9a-f]{64}", item["fingerprint"])
    assert len({i["fingerprint"] for i in report}) == len(report)
    assert invoke("check", ".", *TODAY, "--format", "gitlab").output == result.output


def test_gitlab_fingerprints_survive_inserted_lines(tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(BROKEN, copy)
    before = json.loads(invoke("check", copy, *TODAY, "--format", "gitlab").output)
    teams = copy / "definitions" / "teams.yaml"
    teams.write_text("# a new first line\n# and another\n" + teams.read_text(encoding="utf-8"), encoding="utf-8")
    after = json.loads(invoke("check", copy, *TODAY, "--format", "gitlab").output)
    old = {i["fingerprint"]: i for i in before}
    new = {i["fingerprint"]: i for i in after}
    assert set(old) == set(new)
    moved = [fp for fp, i in old.items() if i["location"]["path"] == "definitions/teams.yaml"]
    assert len(moved) >= 5  # includes messages naming lines: "first on line 14", "teams.yaml:3:9"
    for fp in moved:
        assert new[fp]["location"]["lines"]["begin"] == old[fp]["location"]["lines"]["begin"] + 2


def test_gitlab_identical_findings_get_distinct_fingerprints(tmp_path):
    a = Finding("PB304", Location("a.yaml", 1, 1), "same", Severity.WARNING)
    b = Finding("PB304", Location("a.yaml", 9, 1), "same", Severity.WARNING)
    report = json.loads(to_gitlab(synthetic(tmp_path, a, b)))
    assert report[0]["fingerprint"] != report[1]["fingerprint"]


# -------------------------------------------------------------------------- markdown

def md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_markdown_tables_match_findings(in_broken, broken_findings):
    result = invoke("check", ".", *TODAY, "--format", "markdown")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "## playbook check: 56 errors and 35 warnings"
    rows, headings, current = [], [], None
    for line in lines:
        if line.startswith("### "):
            current = line[4:].strip("`")
            headings.append(current)
        elif line.startswith("| ") and not line.startswith(("| Line", "| ---")):
            m = MD_ROW.match(line)
            assert m, line
            rows.append((current, int(m["line"]), m["code"], m["sev"], md_unescape(m["msg"])))
    expected = [(f["path"], f["line"], f["code"], f["severity"], f["message"]) for f in broken_findings["findings"]]
    assert rows == expected
    assert headings == sorted({f["path"] for f in broken_findings["findings"]})


def test_markdown_when_clean(tmp_path):
    write_playbook(tmp_path, CLEAN)
    result = invoke("check", tmp_path, "--format", "markdown")
    assert result.exit_code == 0
    assert "No problems found" in result.output and "|" not in result.output


def test_markdown_escapes_pipes(tmp_path):
    f = Finding("PB304", Location("a.yaml", 4, 1), "either | or\nnext <b>", Severity.WARNING)
    row = [l for l in to_markdown(synthetic(tmp_path, f)).splitlines() if l.startswith("| 4 ")][0]
    assert re.split(r"(?<!\\)\|", row)[1:-1] == [" 4 ", " PB304 " + RULES["PB304"].name + " (warning) ",
                                                  r" either \| or next \<b\> "]


# ------------------------------------------------------------------------ -o outputs

def test_several_outputs_in_one_run(in_broken, tmp_path, broken_findings):
    files = {fmt: tmp_path / f"report.{fmt}" for fmt in
             ("sarif", "junit", "gitlab", "markdown", "json", "text", "github")}
    args = [a for fmt, p in files.items() for a in ("-o", f"{fmt}={p}")]
    result = invoke("check", ".", *TODAY, "--format", "github", *args)
    assert result.exit_code == 1
    assert result.output.startswith("::error file=")
    assert files["github"].read_text(encoding="utf-8") == result.output
    n = len(broken_findings["findings"])
    assert len(json.loads(files["sarif"].read_text(encoding="utf-8"))["runs"][0]["results"]) == n
    assert len(ET.parse(files["junit"]).getroot().findall(".//failure")) == n
    assert len(json.loads(files["gitlab"].read_text(encoding="utf-8"))) == n
    assert json.loads(files["json"].read_text(encoding="utf-8"))["findings"] == broken_findings["findings"]
    assert files["text"].read_text(encoding="utf-8").endswith("(21 files checked).\n")
    assert "\x1b[" not in files["text"].read_text(encoding="utf-8")
    assert files["markdown"].read_text(encoding="utf-8").startswith("## playbook check:")


def test_bad_outputs_are_usage_errors(tmp_path):
    write_playbook(tmp_path, CLEAN)
    cases = {
        f"pdf={tmp_path / 'x.pdf'}": '"pdf" is not a format',
        f"sarif={tmp_path / 'nowhere' / 'x.sarif'}": "does not exist",
        f"sarif={tmp_path}": "is a folder",
        "sarif": "FORMAT=FILE",
        f"sarif={tmp_path / 'a'} ": None,  # fine: a file name may end in a space
    }
    for value, expected in cases.items():
        result = invoke("check", tmp_path, "-o", value)
        if expected is None:
            assert result.exit_code == 0, result.output
            continue
        assert result.exit_code == 2, (value, result.output)
        assert expected in result.output, (value, result.output)
        assert "Traceback" not in result.output
    twice = invoke("check", tmp_path, "-o", f"sarif={tmp_path / 'r'}", "-o", f"junit={tmp_path / 'r'}")
    assert twice.exit_code == 2 and "named twice" in twice.output


# -------------------------------------------------------------------------- baseline

def test_baseline_round_trip(tmp_path):
    baseline = tmp_path / "baseline.json"
    made = invoke("check", BROKEN, *TODAY, "--generate-baseline", baseline)
    assert made.exit_code == 0, made.output
    assert made.output.startswith("Recorded 91 findings")
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert sum(e["count"] for e in data["findings"]) == 91
    for entry in data["findings"]:
        assert {"code", "path", "fingerprint", "count"} <= set(entry)

    quiet = invoke("check", BROKEN, *TODAY, "--baseline", baseline)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output.strip() == "No problems found in 21 files (91 hidden by the baseline)."
    as_json = json.loads(invoke("check", BROKEN, *TODAY, "--baseline", baseline, "--format", "json").output)
    assert as_json["findings"] == [] and as_json["baseline"] == {"hidden": 91}
    assert invoke("check", BROKEN, *TODAY, "--baseline", baseline, "--fail-on", "warning").exit_code == 0

    copy = tmp_path / "broken"
    shutil.copytree(BROKEN, copy)
    teams = copy / "definitions" / "teams.yaml"
    teams.write_text("# moved everything down a line\n" + teams.read_text(encoding="utf-8")
                     + "  - id: Field Sales\n    name: Field sales\n", encoding="utf-8")
    new = invoke("check", copy, *TODAY, "--baseline", baseline, "--format", "json")
    assert new.exit_code == 1
    report = json.loads(new.output)
    assert [(f["code"], f["path"]) for f in report["findings"]] == [("PB021", "definitions/teams.yaml")]
    assert "Field Sales" in report["findings"][0]["message"]
    assert report["baseline"] == {"hidden": 91}
    text = invoke("check", copy, *TODAY, "--baseline", baseline)
    assert text.output.splitlines()[-1] == \
        "Found 1 error and 0 warnings in 1 file (21 files checked, 91 hidden by the baseline)."


def test_baseline_respects_counts(tmp_path):
    copy = tmp_path / "broken"
    shutil.copytree(BROKEN, copy)
    baseline = tmp_path / "baseline.json"
    assert invoke("check", copy, *TODAY, "--generate-baseline", baseline).exit_code == 0
    teams = copy / "definitions" / "teams.yaml"
    lines = teams.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(4, "    name: Marketing again\n")  # a second duplicate key: the same PB013 message
    teams.write_text("".join(lines), encoding="utf-8")
    result = json.loads(invoke("check", copy, *TODAY, "--baseline", baseline, "--format", "json").output)
    assert [f["code"] for f in result["findings"]] == ["PB013"]
    assert result["baseline"] == {"hidden": 91}
    data = json.loads(baseline.read_text(encoding="utf-8"))
    (entry,) = [e for e in data["findings"] if e["code"] == "PB013"]
    entry["count"] = 2
    baseline.write_text(json.dumps(data), encoding="utf-8")
    again = invoke("check", copy, *TODAY, "--baseline", baseline)
    assert again.exit_code == 0, again.output


def test_baseline_fingerprint_ignores_days_passing(tmp_path):
    baseline = tmp_path / "baseline.json"
    assert invoke("check", BROKEN, *TODAY, "--generate-baseline", baseline).exit_code == 0
    later = invoke("check", BROKEN, "--today", "2026-12-25", "--baseline", baseline)
    assert later.exit_code == 0, later.output  # "600 days ago" became "633 days ago"


def test_generate_baseline_exits_zero_on_a_clean_playbook_too(tmp_path):
    write_playbook(tmp_path / "pb", CLEAN)
    baseline = tmp_path / "b.json"
    result = invoke("check", tmp_path / "pb", "--generate-baseline", baseline)
    assert result.exit_code == 0 and result.output.startswith("Recorded 0 findings")
    assert json.loads(baseline.read_text(encoding="utf-8"))["findings"] == []


@pytest.mark.parametrize("content, expected", [
    (None, "no such baseline file"),
    ("{not json", "JSON cannot be read"),
    ("[]", "not a baseline"),
    ('{"version": 7, "findings": []}', "unsupported baseline version"),
    ('{"version": 1, "findings": {}}', "must be a list"),
    ('{"version": 1, "findings": [{"fingerprint": "abc", "count": 1}]}', "fingerprint"),
    ('{"version": 1, "findings": [{"fingerprint": "' + "a" * 64 + '", "count": 0}]}', "count"),
    (b"\xff\xfe\x00", "not UTF-8 text"),
])
def test_bad_baselines_are_usage_errors(tmp_path, content, expected):
    write_playbook(tmp_path / "pb", CLEAN)
    baseline = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        baseline.write_bytes(content)
    elif content is not None:
        baseline.write_text(content, encoding="utf-8")
    result = invoke("check", tmp_path / "pb", "--baseline", baseline)
    assert result.exit_code == 2, result.output
    assert "Baseline error" in result.output and expected in result.output
    assert "Traceback" not in result.output


def test_baseline_options_exclusive_and_unwritable(tmp_path):
    write_playbook(tmp_path / "pb", CLEAN)
    both = invoke("check", tmp_path / "pb", "--baseline", tmp_path / "a", "--generate-baseline", tmp_path / "b")
    assert both.exit_code == 2 and "cannot be used together" in both.output
    nowhere = invoke("check", tmp_path / "pb", "--generate-baseline", tmp_path / "missing" / "b.json")
    assert nowhere.exit_code == 2 and "cannot write the baseline" in nowhere.output
    assert not (tmp_path / "missing").exists()


def test_fingerprint_leaves_out_lines_and_columns():
    a = Finding("PB020", Location("t.yaml", 3, 9), 'The id "x" is already used at t.yaml:1:9.', entity=("team", "x"))
    b = Finding("PB020", Location("t.yaml", 30, 2), 'The id "x" is already used at t.yaml:12:9.', entity=("team", "x"))
    c = Finding("PB020", Location("t.yaml", 3, 9), 'The id "x" is already used at t.yaml:1:9.', entity=("team", "y"))
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)
