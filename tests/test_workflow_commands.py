"""Team workflow commands: review, codeowners, init and new, and the shipped CI files."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from generator.check import run_check
from generator.cli import main
from generator.config import load_config
from generator.findings import Severity

from conftest import REPO, write_playbook

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")
STARTER = REPO / "generator" / "starter"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def validates_against_modeline(path: Path) -> None:
    """The file names its JSON Schema in a first-line modeline and validates against it."""
    text = path.read_text(encoding="utf-8")
    m = MODELINE.match(text.splitlines()[0])
    assert m, f"{path} must start with a yaml-language-server modeline"
    schema_path = (path.parent / m["path"]).resolve()
    assert schema_path.is_file(), schema_path
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.validate(_json_safe(yaml.safe_load(text)), schema, cls=jsonschema.Draft202012Validator)


# ---------------------------------------------------------------- review

REVIEW_FILES = {
    "playbook.yaml": """
        name: Review test
        version: "1.0"
        review_every_days: 100
        """,
    "definitions/teams.yaml": """
        teams:
          - {id: sales, name: Sales team, owner: sales, last_reviewed: 2026-01-01, review_every_days: 1000}
          - {id: marketing, name: Marketing team, owner: sales, last_reviewed: 2026-01-01, review_every_days: 1000}
        """,
    "definitions/goals.yaml": """
        goals:
          - {id: late, name: Late goal, owner: marketing, metric: m, target: t, last_reviewed: 2026-01-01, review_every_days: 30}
          - {id: later, name: "Later | goal", owner: marketing, metric: m, target: t, last_reviewed: 2025-12-01, review_every_days: 30}
          - {id: soon, name: Soon goal, owner: sales, metric: m, target: t, last_reviewed: 2026-05-25}
          - {id: far, name: Far goal, owner: sales, metric: m, target: t, last_reviewed: 2026-06-01, review_every_days: 365}
          - {id: orphan, name: Orphan goal, metric: m, target: t, last_reviewed: 2026-02-01, review_every_days: 10}
          - {id: never, name: Never reviewed, owner: sales, metric: m, target: t}
          - id: deferred
            name: Deferred goal
            owner: sales
            metric: m
            target: t
            last_reviewed: 2026-01-01  # playbook: ignore[PB704] moved to the summer offsite
            review_every_days: 30
        """,
}
REVIEW_DAY = "2026-09-01"  # "soon" is due 2026-09-02 (100 days, the default), "far" 2027-06-01


@pytest.fixture
def review_root(tmp_path):
    return write_playbook(tmp_path, REVIEW_FILES)


def test_review_json_groups_by_owner_sorted_by_due_date(review_root):
    result = invoke("review", review_root, "--today", REVIEW_DAY, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["playbook"] == "Review test" and data["version"] == "1.0"
    assert data["today"] == REVIEW_DAY and data["within_days"] is None
    assert data["counts"] == {"overdue": 4, "upcoming": 0, "total": 4}
    groups = [(g["owner"], g["owner_name"], [i["id"] for i in g["items"]]) for g in data["groups"]]
    assert groups == [("marketing", "Marketing team", ["later", "late"]),
                      ("sales", "Sales team", ["deferred"]),
                      (None, "No owner", ["orphan"])]
    later = data["groups"][0]["items"][0]
    assert later == {
        "kind": "goal", "kind_label": "goal", "id": "later", "name": "Later | goal", "owner": "marketing",
        "path": "definitions/goals.yaml", "line": 3, "last_reviewed": "2025-12-01", "review_every_days": 30,
        "due": "2025-12-31", "days_overdue": 244, "state": "overdue", "deferred": None,
    }
    deferred = data["groups"][1]["items"][0]
    assert deferred["deferred"] == "moved to the summer offsite"
    assert deferred["line"] == 13


def test_review_matches_the_review_overdue_rule(review_root):
    cfg = load_config(review_root / "playbook.yaml")
    day = dt.date.fromisoformat(REVIEW_DAY)
    pb704 = {f.entity for f in run_check(review_root, cfg, day).findings if f.code == "PB704"}
    data = json.loads(invoke("review", review_root, "--today", REVIEW_DAY, "--format", "json").output)
    listed = {(i["kind"], i["id"]) for g in data["groups"] for i in g["items"]}
    assert listed - {("goal", "deferred")} == pb704  # the deferred one is suppressed in the check only


def test_review_within_adds_what_falls_due_soon(review_root):
    data = json.loads(invoke("review", review_root, "--today", REVIEW_DAY, "--within", "30",
                             "--format", "json").output)
    assert data["within_days"] == 30
    assert data["counts"] == {"overdue": 4, "upcoming": 1, "total": 5}
    sales = next(g for g in data["groups"] if g["owner"] == "sales")
    assert [i["id"] for i in sales["items"]] == ["deferred", "soon"]
    soon = sales["items"][1]
    assert (soon["due"], soon["days_overdue"], soon["state"], soon["review_every_days"]) == \
        ("2026-09-02", -1, "upcoming", 100)
    everything = json.loads(invoke("review", review_root, "--today", REVIEW_DAY, "--within", "300",
                                   "--format", "json").output)
    ids = {i["id"] for g in everything["groups"] for i in g["items"]}
    assert "far" in ids and "never" not in ids and "sales" not in ids


def test_review_text(review_root):
    result = invoke("review", review_root, "--today", REVIEW_DAY, "--within", "30")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == ("Review agenda for Review test on 2026-09-01: 4 overdue, "
                        "1 due in the next 30 days.")
    text = result.output
    assert text.index("Marketing team (marketing) — 2 items") < text.index("Sales team (sales) — 2 items") \
        < text.index("No owner — 1 item")
    assert '  goal "Later | goal" (later) — 244 days overdue' in lines
    assert "      definitions/goals.yaml:3  last reviewed 2025-12-01, due 2025-12-31" in lines
    assert '  goal "Soon goal" (soon) — due in 1 day' in lines
    assert "      deferred: moved to the summer offsite" in lines


def test_review_markdown(review_root):
    result = invoke("review", review_root, "--today", REVIEW_DAY, "--format", "markdown")
    assert result.exit_code == 0
    md = result.output
    assert md.startswith("## Review agenda — Review test, 2026-09-01\n\n4 overdue.\n")
    assert "### Marketing team\n\n| Done | What | Kind | File | Last reviewed | Due | Status |\n" in md
    assert ("| ☐ | Later \\| goal (`later`) | goal | `definitions/goals.yaml:3` | 2025-12-01 | 2025-12-31 "
            "| **244 days overdue** |") in md
    assert "### No owner" in md
    assert "(deferred: moved to the summer offsite)" in md
    # every table row has the same number of cells
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert {len(re.findall(r"(?<!\\)\|", row)) for row in rows} == {8}


def test_review_with_nothing_due(review_root):
    result = invoke("review", review_root, "--today", "2025-01-01")
    assert result.exit_code == 0
    assert result.output.strip() == ("Review agenda for Review test on 2025-01-01: "
                                     "Nothing is past its review date.")
    data = json.loads(invoke("review", review_root, "--today", "2025-01-01", "--format", "json").output)
    assert data["groups"] == [] and data["counts"]["total"] == 0


def test_review_scope_and_usage_errors(review_root, tmp_path):
    scoped = invoke("review", review_root / "definitions" / "teams.yaml", "--today", "2030-01-01",
                    "--format", "json")
    assert scoped.exit_code == 0
    assert {i["path"] for g in json.loads(scoped.output)["groups"] for i in g["items"]} == \
        {"definitions/teams.yaml"}
    assert invoke("review", tmp_path / "missing").exit_code == 2
    (review_root / "playbook.yaml").write_text("nmae: typo\n", encoding="utf-8")
    result = invoke("review", review_root)
    assert result.exit_code == 2 and "Configuration error" in result.output
    assert invoke("review", review_root, "--within", "-1").exit_code == 2


def test_review_of_the_example_playbook_agrees_with_the_check():
    day = "2027-06-01"
    data = json.loads(invoke("review", REPO, "--today", day, "--format", "json").output)
    listed = {(i["kind"], i["id"]) for g in data["groups"] for i in g["items"]}
    cfg = load_config(REPO / "playbook.yaml")
    flagged = {f.entity for f in run_check(REPO, cfg, dt.date.fromisoformat(day)).findings if f.code == "PB704"}
    assert listed == flagged and listed


# ---------------------------------------------------------------- codeowners


def test_codeowners_of_the_example_playbook():
    result = invoke("codeowners", REPO, "-o", "-")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith('# Generated by "playbook codeowners"')
    assert any("playbook codeowners" in line and line.startswith("#   ") for line in lines)
    rules = {line.split()[0]: line.split()[1:] for line in lines if line and not line.startswith("#")}
    assert rules["/personas/ecommerce-founder.yaml"] == ["@marketing"]
    assert rules["/personas/below-price-point.yaml"] == ["@sales"]
    assert rules["/definitions/teams.yaml"] == ["@leadership"]
    assert rules["/definitions/lifecycle.yaml"] == ["@client-services", "@marketing", "@sales"]
    assert len(rules) == len(list((REPO / "personas").glob("*.yaml"))) + \
        len(list((REPO / "definitions").glob("*.yaml")))
    assert list(rules) == sorted(rules)
    assert invoke("codeowners", REPO, "-o", "-").output == result.output  # deterministic


def test_codeowners_team_handles():
    result = invoke("codeowners", REPO, "-o", "-", "--team-handle", "marketing=@brightside/marketing",
                    "--team-handle", "sales=@brightside/sales-team")
    assert result.exit_code == 0, result.output
    assert re.search(r"^/personas/ecommerce-founder\.yaml +@brightside/marketing$", result.output, re.MULTILINE)
    assert re.search(r"^/definitions/lifecycle\.yaml +@client-services @brightside/marketing "
                     r"@brightside/sales-team$", result.output, re.MULTILINE)
    assert ("#   playbook codeowners --team-handle marketing=@brightside/marketing "
            "--team-handle sales=@brightside/sales-team") in result.output
    for bad in ("marketing", "marketing=brightside", "nobody=@x/y", "=@x/y"):
        failed = invoke("codeowners", REPO, "-o", "-", "--team-handle", bad)
        assert failed.exit_code == 2, bad


def test_codeowners_writes_github_codeowners(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write_playbook(root / "playbook", {
        "playbook.yaml": "name: Nested\n",
        "definitions/teams.yaml": """
            teams:
              - {id: sales, name: Sales, owner: sales}
              - {id: marketing, name: Marketing, owner: sales}
            """,
        "definitions/goals.yaml": """
            goals:
              - {id: a, name: A, owner: marketing, metric: m, target: t}
              - {id: b, name: B, owner: sales, metric: m, target: t}
              - {id: c, name: C, owner: sales, metric: m, target: t}
            """,
        "definitions/glossary.yaml": """
            glossary:
              - {id: x, term: X, definition: Something.}
            """,
        "personas/erin.yaml": "id: erin\nname: Erin\nowner: marketing\n",
    })
    result = invoke("codeowners", root / "playbook")
    assert result.exit_code == 0, result.output
    target = root / ".github" / "CODEOWNERS"
    text = target.read_text(encoding="utf-8")
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert body == ["/playbook/definitions/goals.yaml @marketing @sales",
                    "/playbook/definitions/teams.yaml @sales",
                    "/playbook/personas/erin.yaml     @marketing"]
    assert "# /playbook/definitions/glossary.yaml" in text  # no owner: listed as a comment
    assert "Wrote 3 owner rules" in result.output
    assert invoke("codeowners", root / "playbook").exit_code == 0
    assert target.read_text(encoding="utf-8") == text
    # a hand-written CODEOWNERS is not overwritten without --force
    target.write_text("* @someone\n", encoding="utf-8")
    refused = invoke("codeowners", root / "playbook")
    assert refused.exit_code == 2 and "--force" in refused.output
    assert target.read_text(encoding="utf-8") == "* @someone\n"
    assert invoke("codeowners", root / "playbook", "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") == text
    other = tmp_path / "owners.txt"
    assert invoke("codeowners", root / "playbook", "--output", other).exit_code == 0
    assert other.read_text(encoding="utf-8") == text


# ---------------------------------------------------------------- init


@pytest.fixture(scope="module")
def starter(tmp_path_factory):
    """A playbook made by ``playbook init`` (read-only: copy it before changing it)."""
    target = tmp_path_factory.mktemp("init") / "acme"
    result = invoke("init", target, "--name", "Acme — Sales & Marketing")
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture
def fresh(starter, tmp_path):
    target = tmp_path / "pb"
    shutil.copytree(starter, target)
    return target


def test_init_checks_clean_today(starter):
    result = invoke("check", starter, "--fail-on", "warning")
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("No problems found")
    cfg = load_config(starter / "playbook.yaml")
    assert cfg.name == "Acme — Sales & Marketing" and cfg.version == "0.1"
    # dated today, so nothing is due for a long while
    dates = set(re.findall(r"last_reviewed: (\S+)", "".join(
        p.read_text(encoding="utf-8") for p in starter.rglob("*.yaml"))))
    assert dates == {dt.date.today().isoformat()}


def test_init_builds_a_site(starter, tmp_path):
    site = tmp_path / "site"
    result = invoke("build", starter, "--strict", "--site-dir", site)
    assert result.exit_code == 0, result.output
    assert (site / "index.html").is_file()
    assert "Acme" in (site / "index.html").read_text(encoding="utf-8")


def test_init_is_complete(starter):
    cfg = load_config(starter / "playbook.yaml")
    pb = run_check(starter, cfg).playbook
    for kind in ("team", "commitment", "stage", "reason", "handoff", "nurture", "scoring", "proposition",
                 "question", "complaint", "campaign", "goal", "term", "meeting"):
        assert pb.of(kind), kind
    assert {p.kind for p in pb.personas} == {"buyer", "negative"}
    assert pb.transitions and pb.frameworks
    for rel in (".github/workflows/playbook.yml", ".pre-commit-config.yaml", ".gitignore", "mkdocs.yml",
                "playbook/index.md", ".vscode/settings.json", ".vscode/extensions.json",
                "schemas/persona.schema.json", "schemas/playbook-config.schema.json"):
        assert (starter / rel).is_file(), rel
    assert "site/" in (starter / ".gitignore").read_text().split()
    assert (starter / "playbook/index.md").read_text(encoding="utf-8").startswith("# Acme — Sales & Marketing\n")
    mkdocs = yaml.safe_load((starter / "mkdocs.yml").read_text())
    assert mkdocs["theme"] == {"name": "material", "font": False}
    assert json.loads((starter / ".vscode/extensions.json").read_text())["recommendations"] == ["redhat.vscode-yaml"]
    settings = json.loads((starter / ".vscode/settings.json").read_text())
    mapped = set()
    for schema, patterns in settings["yaml.schemas"].items():
        assert (starter / schema).is_file(), schema
        mapped.update(p for pattern in patterns for p in starter.glob(pattern))
    yaml_files = [starter / "playbook.yaml", *sorted((starter / "personas").glob("*.yaml")),
                  *sorted((starter / "definitions").glob("*.yaml"))]
    assert set(yaml_files) <= mapped
    for path in yaml_files:
        validates_against_modeline(path)
    hooks = yaml.safe_load((starter / ".pre-commit-config.yaml").read_text())
    hook = hooks["repos"][0]["hooks"][0]
    assert (hook["id"], hook["entry"], hook["pass_filenames"]) == ("playbook-check", "playbook check", False)


def test_init_on_another_day(tmp_path):
    target = tmp_path / "old"
    assert invoke("init", target, "--today", "2020-02-03").exit_code == 0
    assert invoke("check", target, "--today", "2020-02-03", "--fail-on", "warning").exit_code == 0
    late = invoke("check", target, "--today", "2021-01-01")
    assert "PB704" in late.output and late.exit_code == 0


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine\n")
    result = invoke("init", tmp_path / "full")
    assert result.exit_code == 2 and "not empty" in result.output
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    assert invoke("init", tmp_path / "file").exit_code == 2
    (tmp_path / "empty").mkdir()
    assert invoke("init", tmp_path / "empty").exit_code == 0
    assert invoke("init", tmp_path / "bad", "--name", "two\nlines").exit_code == 2


def test_init_writes_the_package_into_the_workflow(tmp_path):
    target = tmp_path / "pkg"
    spec = "git+https://example.com/acme/playbook@v0.1.0"
    assert invoke("init", target, "--package", spec).exit_code == 0
    workflow = yaml.safe_load((target / ".github/workflows/playbook.yml").read_text())
    assert workflow["env"]["PLAYBOOK_PACKAGE"] == spec


def test_starter_files_are_package_data():
    # setuptools' "starter/**/*" skips hidden files; dot files are shipped as dot-NAME
    names = [p.relative_to(STARTER).as_posix() for p in STARTER.rglob("*")]
    assert names and not [n for n in names if any(part.startswith(".") for part in n.split("/"))]


# ---------------------------------------------------------------- new


def _errors(root: Path):
    config = root / "playbook.yaml"
    result = run_check(root, load_config(config if config.is_file() else None))
    return [f for f in result.findings if f.severity is Severity.ERROR]


def test_new_persona_gets_its_own_file(fresh):
    result = invoke("new", "persona", "Priya, the in-house marketer", fresh)
    assert result.exit_code == 0, result.output
    path = fresh / "personas" / "priya-the-in-house-marketer.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/persona.schema.json\n"
                           "id: priya-the-in-house-marketer\nname: Priya, the in-house marketer\n")
    assert "owner: leadership\n" in text and "status: draft\n" in text  # the first team
    validates_against_modeline(path)
    assert 'Added the persona "priya-the-in-house-marketer" to personas/priya-the-in-house-marketer.yaml:2.' \
        in result.output
    assert "PB401" in result.output  # what the check still wants, as a to-do list
    assert not _errors(fresh)


def test_new_stage_keeps_every_byte_of_a_file_where_stages_come_last(fresh):
    path = fresh / "definitions" / "lifecycle.yaml"
    original = path.read_text(encoding="utf-8")
    # stages last in lifecycle.yaml, transitions in a file of their own, as some teams write it
    head, rest = original.split("stages:\n", 1)
    stages, rest = rest.split("\ntransitions:\n", 1)
    transitions, reasons = rest.split("\nreason_codes:\n", 1)
    lifecycle = head + "reason_codes:\n" + reasons.rstrip("\n") + "\n\nstages:\n" + stages.rstrip("\n") + "\n"
    flow = "transitions:\n" + transitions.rstrip("\n") + "\n"
    path.write_bytes(lifecycle.encode("utf-8"))
    (fresh / "definitions" / "flow.yaml").write_bytes(flow.encode("utf-8"))
    assert not _errors(fresh)
    result = invoke("new", "stage", "Churned", fresh)
    assert result.exit_code == 0, result.output
    after = path.read_bytes()
    assert after.startswith(lifecycle.encode("utf-8"))
    added = after[len(lifecycle.encode("utf-8")):].decode("utf-8")
    assert added.startswith("\n  - id: churned\n    name: Churned\n")  # blank line, like the others
    flow_after = (fresh / "definitions" / "flow.yaml").read_bytes()
    assert flow_after.startswith(flow.encode("utf-8"))
    assert flow_after[len(flow.encode("utf-8")):].decode("utf-8").startswith(
        "  - from: customer\n    to: churned\n")
    validates_against_modeline(path)
    assert not _errors(fresh)


def test_new_stage_is_inserted_after_the_last_stage(fresh):
    path = fresh / "definitions" / "lifecycle.yaml"
    original = path.read_text(encoding="utf-8")
    result = invoke("new", "stage", "Churned", fresh)
    assert result.exit_code == 0, result.output
    assert 'Added a transition from "customer" to "churned"' in result.output
    after = path.read_text(encoding="utf-8")
    # nothing was changed or removed: taking the added lines out gives the original back
    old_lines, new_lines = original.splitlines(keepends=True), after.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    assert {op for op, *_ in ops} <= {"equal", "insert"}
    data = yaml.safe_load(after)
    assert [s["id"] for s in data["stages"]][-1] == "churned"
    assert data["stages"][-1]["order"] == len(data["stages"]) and data["stages"][-1]["terminal"] is True
    assert {"from": "customer", "to": "churned"}.items() <= data["transitions"][-1].items()
    assert list(data) == ["stages", "transitions", "reason_codes"]
    assert not _errors(fresh)


def test_new_duplicate_is_refused_and_changes_nothing(fresh):
    path = fresh / "definitions" / "lifecycle.yaml"
    before = path.read_bytes()
    for kind, name in (("stage", "Marketing Qualified Lead"),  # the name of the stage "mql": another slug
                       ("stage", "marketing qualified LEAD"), ("stage", "MQL"), ("reason-code", "Bad timing"),
                       ("persona", "Growing business owner")):
        result = invoke("new", kind, name, fresh)
        assert result.exit_code == 2, (kind, name, result.output)
        assert "already exists" in result.output
    assert path.read_bytes() == before
    for name in ("!!!", "  ", "---", "日本"):
        assert invoke("new", "goal", name, fresh).exit_code == 2
    assert invoke("new", "goal", "x" * 70, fresh).exit_code == 2
    assert invoke("new", "goal", "Fine", fresh, "--owner", "nobody").exit_code == 2
    assert invoke("new", "widget", "Fine", fresh).exit_code == 2


@pytest.mark.parametrize("kind,name,rel,key", [
    ("value-proposition", "Fixed monthly fee", "definitions/value-propositions.yaml", "value_propositions"),
    ("question", "Current provider", "definitions/qualifying-questions.yaml", "qualifying_questions"),
    ("complaint", "Billing error", "definitions/complaint-procedures.yaml", "complaint_procedures"),
    ("campaign", "Autumn webinar", "definitions/campaigns.yaml", "campaigns"),
    ("goal", "Faster replies", "definitions/goals.yaml", "goals"),
    ("term", "Retainer", "definitions/glossary.yaml", "glossary"),
    ("commitment", "Onboarding call", "definitions/service-commitments.yaml", "service_commitments"),
    ("team", "Finance", "definitions/teams.yaml", "teams"),
    ("nurture-track", "Reactivation", "definitions/nurture-tracks.yaml", "nurture_tracks"),
    ("handoff", "Onboarding", "definitions/handoffs.yaml", "handoffs"),
    ("reason-code", "Too small", "definitions/lifecycle.yaml", "reason_codes"),
    ("meeting", "Monthly review", "definitions/meetings.yaml", "meetings"),
])
def test_new_appends_a_valid_skeleton(fresh, kind, name, rel, key):
    path = fresh / rel
    before = path.read_text(encoding="utf-8")
    result = invoke("new", kind, name, fresh, "--owner", "sales")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    ident = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if list(yaml.safe_load(before))[-1] == key:
        assert after.startswith(before)
    entry = yaml.safe_load(after)[key][-1]
    assert entry["id"] == ident and entry["owner"] == "sales" and entry["status"] == "draft"
    validates_against_modeline(path)
    errors = _errors(fresh)
    assert not errors, [str(f.location) + " " + f.message for f in errors]
    assert re.search(rf'Added the .+ "{ident}" to {re.escape(rel)}:\d+\.', result.output)


def test_new_creates_a_missing_definitions_file(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": """
        teams:
          - {id: sales, name: Sales}
        """})
    result = invoke("new", "term", "Lead", root)
    assert result.exit_code == 0, result.output
    text = (root / "definitions" / "glossary.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/glossary.schema.json\n\nglossary:\n"
                           "  - id: lead\n    term: Lead\n    owner: sales\n")
    result = invoke("new", "stage", "Lead", root)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((root / "definitions" / "lifecycle.yaml").read_text())["stages"][0]["id"] == "lead"
    result = invoke("new", "stage", "Customer", root)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((root / "definitions" / "lifecycle.yaml").read_text())
    assert list(data) == ["stages", "transitions"]
    assert [s["id"] for s in data["stages"]] == ["lead", "customer"]
    assert not _errors(root)


def test_new_keeps_crlf_and_refuses_flow_lists(tmp_path):
    root = write_playbook(tmp_path, {})
    teams = root / "definitions" / "teams.yaml"
    teams.write_bytes(b"teams:\r\n  - id: sales\r\n    name: Sales")  # no final line break
    assert invoke("new", "team", "Service desk", root).exit_code == 0
    raw = teams.read_bytes()
    assert raw.startswith(b"teams:\r\n  - id: sales\r\n    name: Sales\r\n  - id: service-desk\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    glossary = root / "definitions" / "glossary.yaml"
    glossary.write_bytes(b"glossary: []\n")
    result = invoke("new", "term", "Lead", root)
    assert result.exit_code == 2 and "by hand" in result.output
    assert glossary.read_bytes() == b"glossary: []\n"
    campaigns = root / "definitions" / "campaigns.yaml"
    campaigns.write_bytes(b"campaigns:\n# none yet\n")
    assert invoke("new", "campaign", "yes", root, "--today", "2026-01-10").exit_code == 0
    data = yaml.safe_load(campaigns.read_text())
    assert data["campaigns"][0]["id"] == "yes" and data["campaigns"][0]["name"] == "yes"
    assert data["campaigns"][0]["sales_briefing"]["date"] < data["campaigns"][0]["starts"]
    assert not _errors(root)


def test_new_refuses_a_broken_file(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": "teams:\n  - id: sales\n    name: [\n"})
    before = (root / "definitions" / "teams.yaml").read_bytes()
    result = invoke("new", "team", "Marketing", root)
    assert result.exit_code == 2 and "fix it first" in result.output
    assert (root / "definitions" / "teams.yaml").read_bytes() == before


# ---------------------------------------------------------------- CI files

WORKFLOWS = [REPO / ".github" / "workflows" / "playbook.yml", STARTER / "dot-github" / "workflows" / "playbook.yml"]

# pre-commit's manifest format (pre_commit/clientlib.py), for .pre-commit-hooks.yaml
PRE_COMMIT_HOOKS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "name", "entry", "language"],
        "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "entry": {"type": "string"},
            "language": {"enum": ["conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail",
                                  "golang", "haskell", "julia", "lua", "node", "perl", "pygrep", "python",
                                  "r", "ruby", "rust", "swift", "script", "system", "unsupported",
                                  "unsupported_script"]},
            "alias": {"type": "string"}, "files": {"type": "string"}, "exclude": {"type": "string"},
            "types": {"type": "array", "items": {"type": "string"}},
            "types_or": {"type": "array", "items": {"type": "string"}},
            "exclude_types": {"type": "array", "items": {"type": "string"}},
            "additional_dependencies": {"type": "array", "items": {"type": "string"}},
            "args": {"type": "array", "items": {"type": "string"}},
            "always_run": {"type": "boolean"}, "fail_fast": {"type": "boolean"},
            "pass_filenames": {"type": "boolean"}, "description": {"type": "string"},
            "language_version": {"type": "string"}, "log_file": {"type": "string"},
            "minimum_pre_commit_version": {"type": "string"}, "require_serial": {"type": "boolean"},
            "stages": {"type": "array", "items": {"type": "string"}}, "verbose": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
}


def check_jsonschema(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", *map(str, args)],
                          check=False, capture_output=True, text=True)


@pytest.mark.parametrize("path", WORKFLOWS, ids=["repository", "starter"])
def test_workflow_validates_against_the_github_schema(path):
    proc = check_jsonschema("--builtin-schema", "vendor.github-workflows", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_runs_the_playbook_loop():
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    on = workflow[True] if True in workflow else workflow["on"]  # PyYAML reads the key "on" as true
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    steps = check["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].startswith("actions/setup-python@") and steps[1]["with"]["python-version"] == "3.11"
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "playbook check --format github" in runs and "playbook build --strict" in runs
    assert 'playbook diff --format markdown "origin/$BASE_REF" HEAD > diff.md' in runs
    assert any(s.get("env", {}).get("BASE_REF") == "${{ github.base_ref }}" for s in steps)
    assert any(s.get("uses", "").startswith("actions/github-script@") and "diff.md" in s["with"]["script"]
               for s in steps)
    assert check["permissions"]["pull-requests"] == "write"
    publish_runs = "\n".join(s.get("run", "") for s in publish["steps"])
    assert "playbook build --strict" in publish_runs and "playbook publish --push" in publish_runs
    assert publish["permissions"]["contents"] == "write"
    assert "refs/heads/main" in publish["if"]


def test_starter_workflow_is_the_repository_workflow():
    def normalised(path):
        return re.sub(r"^  PLAYBOOK_PACKAGE: .*$", "  PLAYBOOK_PACKAGE: ...", path.read_text(), flags=re.MULTILINE)
    assert normalised(WORKFLOWS[0]) == normalised(WORKFLOWS[1])


def test_gitlab_ci_validates_against_the_gitlab_schema():
    path = REPO / ".gitlab-ci.yml"
    proc = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ci = yaml.safe_load(path.read_text())
    assert "playbook check --format gitlab -o gitlab=gl-code-quality-report.json" in ci["check"]["script"]
    assert ci["check"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert any("playbook diff --format markdown" in line for line in ci["diff"]["script"])
    assert any("playbook publish --push" in line for line in ci["publish"]["script"])
    assert ci["publish"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


def test_pre_commit_hooks(tmp_path):
    schema = tmp_path / "pre-commit-hooks.schema.json"
    schema.write_text(json.dumps(PRE_COMMIT_HOOKS_SCHEMA))
    path = REPO / ".pre-commit-hooks.yaml"
    proc = check_jsonschema("--schemafile", schema, path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = yaml.safe_load(path.read_text())
    assert hooks == [{"id": "playbook-check", "name": "playbook check",
                      "description": hooks[0]["description"], "entry": "playbook check", "language": "python",
                      "pass_filenames": False, "files": r"\.(ya?ml|md)$"}]
    assert re.search(hooks[0]["files"], "definitions/lifecycle.yaml")
    assert re.search(hooks[0]["files"], "playbook/index.md") and not re.search(hooks[0]["files"], "x.py")
    starter = yaml.safe_load((STARTER / "dot-pre-commit-config.yaml").read_text())
    local = starter["repos"][0]["hooks"]
    hook_schema = tmp_path / "local-hooks.schema.json"
    hook_schema.write_text(json.dumps(PRE_COMMIT_HOOKS_SCHEMA))
    local_file = tmp_path / "local-hooks.yaml"
    local_file.write_text(yaml.safe_dump(local))
    proc = check_jsonschema("--schemafile", hook_schema, local_file)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_new_negative_persona_is_a_valid_negative_skeleton(fresh):
    result = invoke("new", "persona", "The bargain hunter", fresh, "--negative", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    text = (fresh / "personas" / "the-bargain-hunter.yaml").read_text(encoding="utf-8")
    assert "kind: negative" in text and "red_flags:" in text
    check = invoke("check", fresh, "--today", "2026-11-22")
    assert check.exit_code == 0, check.output
    assert invoke("new", "stage", "Churned", fresh, "--negative").exit_code == 2


def test_new_refuses_the_name_of_an_entity_of_the_same_kind_with_another_id(fresh):
    before = sorted(p.name for p in (fresh / "personas").iterdir())
    # the starter's negative persona is "The do-it-yourself sole trader", id diy-sole-trader
    result = invoke("new", "persona", "the  Do-it-yourself SOLE trader", fresh)
    assert result.exit_code == 2 and "personas/diy-sole-trader.yaml" in result.output, result.output
    assert sorted(p.name for p in (fresh / "personas").iterdir()) == before
    # the same name in another kind is fine
    assert invoke("new", "term", "The do-it-yourself sole trader", fresh).exit_code == 0
