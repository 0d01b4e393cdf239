"""playbook.yaml: one model is what the commands read and the JSON Schema editors validate with;
every mistake in the file is told in the project's words at the key or value it is about."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from generator.config import SETTINGS, Config, ConfigError, Ignore, config_schema, load_config
from generator.diff import IMPACTS
from generator.findings import Severity

from conftest import REPO

IMPACT = sorted(IMPACTS)[0]
EVERY_SETTING = f"""\
name: Acme playbook
version: "2.1"
description: How Acme sells
rules:
  PB101: warning
  dead-end-stage: off
ignore:
  - paths: [personas/old-*.yaml]
    rules: [PB401]
  - paths: definitions/legacy.yaml
review_every_days: 180
max_file_bytes: 4000000
site:
  url: https://acme.example/playbook/
  edit_url: https://git.example/acme/playbook/edit/main/{{path}}
diff:
  grades:
    {IMPACT}: info
publish:
  branch: pages
  remote: upstream
score:
  crm: hubspot
  map:
    "Business Type": Industry
"""


def _load(tmp_path, text: str):
    path = tmp_path / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_every_setting_is_read_into_the_config(tmp_path):
    cfg = _load(tmp_path, EVERY_SETTING)
    assert (cfg.name, cfg.version, cfg.description) == ("Acme playbook", "2.1", "How Acme sells")
    assert cfg.severities == {"PB101": Severity.WARNING, "PB103": Severity.OFF}
    assert cfg.severity("PB101") is Severity.WARNING and cfg.severity("PB102") is Severity.ERROR
    assert cfg.ignores == [Ignore(["personas/old-*.yaml"], ["PB401"]), Ignore(["definitions/legacy.yaml"], [])]
    assert (cfg.review_every_days, cfg.max_file_bytes) == (180, 4000000)
    assert cfg.site == {"url": "https://acme.example/playbook/",
                        "edit_url": "https://git.example/acme/playbook/edit/main/{path}"}
    assert cfg.diff_grades == {IMPACT: "info"}
    assert cfg.publish == {"branch": "pages", "remote": "upstream"}
    assert (cfg.score_crm, cfg.score_map) == ("hubspot", {"business type": "industry"})
    assert cfg.path == tmp_path / "playbook.yaml"


def test_the_schema_is_generated_from_the_model_and_knows_every_setting():
    schema = config_schema()
    assert tuple(schema["properties"]) == SETTINGS
    assert set(SETTINGS) == {"name", "version", "description", "rules", "ignore", "review_every_days",
                             "max_file_bytes", "site", "diff", "publish", "score"}
    committed = json.loads((REPO / "schemas" / "playbook-config.schema.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in committed.items() if k != "$schema"} == schema
    jsonschema.Draft202012Validator.check_schema(committed)


def _schema_accepts(text: str) -> bool:
    schema = json.loads((REPO / "schemas" / "playbook-config.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load(text.replace(": off", ': "off"'))
    return jsonschema.Draft202012Validator(schema).is_valid(data)


def test_the_schema_and_the_loader_accept_the_same_full_file(tmp_path):
    assert _schema_accepts(EVERY_SETTING)
    _load(tmp_path, EVERY_SETTING)


# (file, the message, line:col it points at): each is refused by the loader, told in its own
# words, and refused by the schema an editor validates with.
WRONG = [
    ("naem: Acme\n", 'Unknown setting "naem". Did you mean "name"?', "1:1"),
    ("name: [Acme]\n", '"name" should be text.', "1:7"),
    ("rules:\n  PB101: loud\n", 'The severity of PB101 should be off, warning or error, not "loud".', "2:10"),
    ("rules: [PB101]\n", '"rules" should map rule codes or names to off, warning or error.', "1:8"),
    ("ignore:\n  - rules: [PB101]\n", 'Each ignore entry needs "paths" (file patterns) and may list "rules".', "2:5"),
    ("ignore:\n  - paths: [a]\n    why: old\n", 'Each ignore entry needs "paths"', "2:5"),
    ("ignore:\n  - paths: {a: b}\n", '"paths" should be a list of file patterns', "2:5"),
    ("ignore: all\n", '"ignore" should be a list of {paths: [...], rules: [...]}.', "1:9"),
    ("review_every_days: 0\n", '"review_every_days" should be a whole number of days from 1 to 36500', "1:20"),
    ("max_file_bytes: 2000000000\n", '"max_file_bytes" should be a whole number of bytes from 1 to', "1:17"),
    ("site:\n  theme: dark\n", 'Unknown site setting "theme"', "2:3"),
    ("site:\n  url: acme.example\n", '"site.url" should be the http(s) address', "2:8"),
    ("site:\n  edit_url: https://git.example/edit/\n", '"site.edit_url" should be an http(s) address holding {path}',
     "2:13"),
    ("site: [url]\n", '"site" should be a mapping of site settings.', "1:7"),
    (f"diff:\n  grades:\n    {IMPACT}: loud\n", f'The grade of {IMPACT} should be breaking, warning, info or off',
     "3:" + str(7 + len(IMPACT))),
    ("diff:\n  grade: {}\n", '"diff" should be {grades: {impact-code: breaking|warning|info|off}}.', "2:3"),
    ("publish:\n  branch: [a, b]\n", '"publish" may set "branch" (default gh-pages) and "remote"', "2:3"),
    ("publish:\n  host: x\n", '"publish" may set "branch"', "2:3"),
    ("score:\n  crm: pipedrive\n", '"score.crm" should be one of hubspot, salesforce, not "pipedrive".', "2:8"),
    ("score:\n  map: [a]\n", '"score.map" should map export column names to field names', "2:8"),
    ("score:\n  columns: {}\n", '"score" may set "crm" (hubspot or salesforce) and "map"', "2:3"),
]


@pytest.mark.parametrize("text, message, where", WRONG, ids=[w[0].split(":")[0] + str(i) for i, w in enumerate(WRONG)])
def test_a_wrong_setting_is_told_in_words_at_its_place_and_the_schema_refuses_it_too(tmp_path, text, message, where):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert message in caught.value.message
    assert str(caught.value.location) == f"{tmp_path / 'playbook.yaml'}:{where}"
    assert not _schema_accepts(text), "the schema should refuse what the loader refuses"


def test_what_only_the_loader_knows_is_refused_by_it(tmp_path):
    # Rule codes and impact codes are checked against the catalogue, which the schema does not list.
    for text, message in [("rules:\n  PB000: off\n", '"PB000" is not a rule'),
                          ("ignore:\n  - paths: [a]\n    rules: [nope]\n", '"nope" is not a rule'),
                          ("diff:\n  grades:\n    nope: info\n", '"nope" is not a diff impact; known: ')]:
        with pytest.raises(ConfigError) as caught:
            _load(tmp_path, text)
        assert message in caught.value.message


_SHAPES = ["x", "[x, y]", "{a: b}", "{a: [b]}", "[{a: b}]", '""', "0"]
_PLACES = ["{}", "\n  rules: {}", "\n  grades: {}", "\n  grades:\n    %s: {}" % IMPACT, "\n  url: {}",
           "\n  edit_url: {}", "\n  branch: {}", "\n  crm: {}", "\n  map: {}", "\n  map:\n    col: {}",
           "\n  - paths: {}", "\n  - paths: [a]\n    rules: {}", "\n  PB101: {}", "\n  - {}"]


@pytest.mark.parametrize("setting", SETTINGS)
def test_no_shape_of_a_wrong_value_reaches_the_user_as_pydantic_text(tmp_path, setting):
    told = 0
    for place in _PLACES:
        for shape in _SHAPES:
            text = f"{setting}: " + place.replace("{}", shape) + "\n"
            try:
                _load(tmp_path, text)
            except ConfigError as exc:
                told += 1
                for raw in ("Input should", "validation error", "pydantic", "[type=", "Extra inputs", "Field required"):
                    assert raw not in exc.message, (text, exc.message)
                assert exc.location is not None and exc.location.line >= 1, text
                assert exc.message[:1].isupper() or exc.message.startswith('"'), exc.message
    assert told > 10


def test_python_code_builds_a_config_with_the_names_the_commands_read():
    cfg = Config(severities={"PB401": Severity.OFF}, review_every_days=365)
    assert cfg.severity("PB401") is Severity.OFF and cfg.review_every_days == 365
    assert Config().name == "Sales & marketing playbook" and Config().diff_grades == {}
    assert Config().score_map == {} and Config().score_crm is None and Config().publish == {}


def test_readme_shows_every_setting_of_the_model():
    import re

    from test_score_settings import _readme_yaml_blocks
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = {key for block in _readme_yaml_blocks() for key in block}
    for setting in SETTINGS:
        # in an example playbook.yaml, or named with its sub-setting (`publish.branch`)
        assert setting in shown or re.search(rf"`{setting}\.[a-z_]+`", readme), f"README does not show {setting}:"
