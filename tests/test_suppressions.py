"""Configuration ignores and inline suppressions."""

from __future__ import annotations

import pytest

from generator.config import ConfigError, Ignore, find_config, load_config

from conftest import write_playbook

OVERDUE = """
    teams:
      - id: sales
        name: Sales
        last_reviewed: 2020-01-01{comment}
        review_every_days: 30
    """


def _codes(result):
    return [(f.code, f.location.line) for f in result.findings]


def test_inline_suppression_with_reason_silences_that_line(check_files):
    result = check_files({"definitions/teams.yaml": OVERDUE.format(
        comment="  # playbook: ignore[PB704] being merged into client services")})
    assert _codes(result) == []


def test_suppression_on_its_own_line_covers_the_next_line(check_files):
    text = """
    teams:
      - id: sales
        name: Sales
        # playbook: ignore[PB704] being merged into client services
        last_reviewed: 2020-01-01
        review_every_days: 30
    """
    assert _codes(check_files({"definitions/teams.yaml": text})) == []


def test_suppression_without_reason_is_a_finding_and_silences_nothing(check_files):
    result = check_files({"definitions/teams.yaml": OVERDUE.format(comment="  # playbook: ignore[PB704]")})
    assert _codes(result) == [("PB704", 4), ("PB901", 4)]


def test_suppression_of_unknown_code_is_a_finding(check_files):
    result = check_files({"definitions/teams.yaml": OVERDUE.format(
        comment="  # playbook: ignore[PB704, PB7040] old import")})
    assert _codes(result) == [("PB902", 4)]


def test_unused_suppression_is_reported(check_files):
    result = check_files({"definitions/teams.yaml": OVERDUE.format(
        comment="  # playbook: ignore[PB101] not a stage")})
    assert _codes(result) == [("PB704", 4), ("PB903", 4)]


def test_file_wide_suppression(check_files):
    text = "# playbook: ignore-file[PB704] archived team list\n" + OVERDUE.format(comment="")
    assert _codes(check_files({"definitions/teams.yaml": text})) == []


def test_suppression_text_inside_a_value_is_not_a_comment(check_files):
    text = OVERDUE.format(comment="").replace("name: Sales", 'name: "Sales#playbook: ignore[PB704] x"')
    assert ("PB704", 4) in _codes(check_files({"definitions/teams.yaml": text}))


def test_config_ignores_by_path_and_rule(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": OVERDUE.format(comment="")})
    (root / "playbook.yaml").write_text(
        "review_every_days: 30\nignore:\n  - paths: ['definitions/team*.yaml']\n    rules: [review-overdue]\n")
    cfg = load_config(find_config(root))
    assert cfg.ignores == [Ignore(["definitions/team*.yaml"], ["PB704"])]
    from generator.check import run_check
    from conftest import TODAY
    assert run_check(root, cfg, TODAY).findings == []


def test_config_default_review_interval_applies(tmp_path):
    root = write_playbook(tmp_path, {"definitions/teams.yaml": """
        teams:
          - {id: sales, name: Sales, last_reviewed: 2026-01-01}
        """})
    from generator.check import run_check
    from conftest import TODAY
    (root / "playbook.yaml").write_text("review_every_days: 400\n")
    assert run_check(root, load_config(find_config(root)), TODAY).findings == []
    (root / "playbook.yaml").write_text("review_every_days: 100\n")
    result = run_check(root, load_config(find_config(root)), TODAY)
    assert _codes(result) == [("PB704", 2)]


def test_config_discovery_walks_upwards(tmp_path):
    (tmp_path / "playbook.yaml").write_text("name: Outer\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "playbook.yaml"
    assert load_config(find_config(deep)).name == "Outer"


@pytest.mark.parametrize("text", ["rules:\n  nope: error\n", "ignore:\n  - paths: [x]\n    rules: [PB000]\n",
                                  "ignore:\n  - rules: [PB101]\n", "- a\n", "max_file_bytes: -3\n"])
def test_bad_config_raises_a_located_error(tmp_path, text):
    path = tmp_path / "playbook.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.location is not None and info.value.location.line >= 1
