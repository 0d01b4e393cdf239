"""`score:` in playbook.yaml: the CRM preset and column names a team reads its exports with,
used by `playbook score` and `playbook diff --leads`; and playbook.yaml's JSON Schema agrees
with the settings README documents."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.config import CRM_NAMES, ConfigError, load_config
from generator.scoring.run import CRM_PRESETS

from conftest import write_playbook
from test_score import SMALL, not_crashed, run_score, write

REPO = Path(__file__).resolve().parent.parent
PLAIN = "id,industry,email_opt_in,events\n1001,ecommerce,yes,call_booked:2026-11-20\n"
# A HubSpot export whose industry column has the team's own name.
RENAMED = ('"Record ID","Business type","Marketing emails opted in","events"\n'
           '"1001","ecommerce","true","call_booked:2026-11-20"\n')


def rows(result) -> list[dict]:
    not_crashed(result)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def with_settings(tmp_path: Path, settings: str) -> Path:
    root = write_playbook(tmp_path / "pb", SMALL)
    config = root / "playbook.yaml"
    base = config.read_text(encoding="utf-8") if config.exists() else "name: Small\n"
    config.write_text(base + settings, encoding="utf-8")
    return root


def test_the_crm_and_map_in_playbook_yaml_read_an_export_as_the_command_line_would(tmp_path):
    root = with_settings(tmp_path, 'score:\n  crm: hubspot\n  map:\n    "Business type": industry\n')
    want = rows(run_score(root, write(tmp_path, "plain.csv", PLAIN), "--format", "csv"))
    exported = write(tmp_path, "hubspot.csv", RENAMED)
    assert rows(run_score(root, exported, "--format", "csv")) == want
    assert want[0]["id"] == "1001" and float(want[0]["fit_score"]) > 0

    # Without the settings the same export loses the industry (and with it the fit points).
    bare = write_playbook(tmp_path / "bare", SMALL)
    without = rows(run_score(bare, exported, "--format", "csv", "--crm", "hubspot"))
    assert without[0]["fit_score"] != want[0]["fit_score"]


def test_the_command_line_map_goes_over_the_settings(tmp_path):
    root = with_settings(tmp_path, 'score:\n  map:\n    "Business type": company_size\n')
    exported = write(tmp_path, "hubspot.csv", RENAMED)
    want = rows(run_score(root, write(tmp_path, "plain.csv", PLAIN), "--format", "csv"))
    got = rows(run_score(root, exported, "--format", "csv", "--crm", "hubspot", "--map", "Business type=industry"))
    assert got == want


@pytest.mark.parametrize("settings, message", [
    ("score:\n  crm: pipedrive\n", '"score.crm" should be one of hubspot, salesforce, not "pipedrive".'),
    ("score: [hubspot]\n", '"score" may set "crm"'),
    ("score:\n  map: [a, b]\n", '"score.map" should map export column names to field names'),
    ("score:\n  columns: {}\n", '"score" may set "crm"'),
    ('score:\n  map:\n    "Budget": [1]\n', '"score.map" entry "Budget" should name an export column and a field.'),
])
def test_a_wrong_score_setting_is_a_located_configuration_error(tmp_path, settings, message):
    root = with_settings(tmp_path, settings)
    with pytest.raises(ConfigError) as caught:
        load_config(root / "playbook.yaml")
    assert message in caught.value.message
    assert caught.value.location.line > 1
    result = run_score(root, write(tmp_path, "plain.csv", PLAIN), "--format", "csv")
    not_crashed(result)
    assert result.exit_code == 2 and message in result.output


def test_the_crm_names_are_the_presets():
    assert set(CRM_NAMES) == set(CRM_PRESETS)


class _Yaml12(yaml.SafeLoader):
    """YAML as editors read it (1.2): only true and false are booleans, so `off` stays a word."""


_Yaml12.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _readme_yaml_blocks() -> list[dict]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = []
    for indent, body in re.findall(r"^( *)```yaml\n(.*?)^\1```", text, re.S | re.M):
        body = "\n".join(line[len(indent):] for line in body.splitlines())
        try:
            data = yaml.load(body, Loader=_Yaml12)
        except yaml.YAMLError:  # an excerpt of a definitions file, not playbook.yaml
            continue
        if isinstance(data, dict) and set(data) & {"review_every_days", "diff", "publish", "score", "rules"} \
                and not set(data) & {"stages", "scoring", "personas", "commitments"}:
            blocks.append(data)
    return blocks


def test_every_playbook_yaml_setting_readme_shows_is_valid_for_the_schema_and_the_loader(tmp_path):
    schema = json.loads((REPO / "schemas" / "playbook-config.schema.json").read_text(encoding="utf-8"))
    blocks = _readme_yaml_blocks()
    shown = {key for block in blocks for key in block}
    assert {"score", "diff", "rules", "site"} <= shown, shown
    for number, block in enumerate(blocks):
        jsonschema.validate(block, schema)
        path = tmp_path / f"{number}.yaml"
        path.write_text(yaml.safe_dump(block, allow_unicode=True), encoding="utf-8")
        load_config(path)  # raises ConfigError on a setting the loader does not know
    assert set(schema["properties"]) >= {"score", "diff", "publish", "site"}
