"""JSON Schemas: every example file names its schema in a modeline and validates against it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.schema import schemas, write_schemas

from conftest import REPO

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")
EXAMPLE_FILES = sorted(p for folder in ("personas", "definitions") for p in (REPO / folder).glob("*.yaml"))


def _json_safe(value):
    """YAML dates become strings, as an editor's language server sees them."""
    import datetime as dt
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def test_example_has_files():
    assert len(EXAMPLE_FILES) >= 15


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_example_file_validates_against_its_schema(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = MODELINE.match(first)
    assert m, f"{path.name} must start with a yaml-language-server modeline"
    schema_path = (path.parent / m["path"]).resolve()
    assert schema_path.is_file(), schema_path
    schema = json.loads(schema_path.read_text())
    data = _json_safe(yaml.safe_load(path.read_text(encoding="utf-8")))
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_a_misspelt_field():
    schema = schemas()["persona"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x", "name": "X", "golas": []}, schema)
    schema = schemas()["lifecycle"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"stages": [{"id": "x", "name": "X", "order": "first"}]}, schema)


def test_committed_schemas_are_current(tmp_path):
    write_schemas(tmp_path)
    for generated in tmp_path.iterdir():
        committed = REPO / "schemas" / generated.name
        assert committed.is_file(), f"run `playbook schema` to add {generated.name}"
        assert committed.read_text() == generated.read_text(), f"run `playbook schema`: {generated.name} is stale"
