"""JSON Schemas for every kind of playbook file, so editors validate and autocomplete them.

Files point at their schema with a first-line modeline::

    # yaml-language-server: $schema=../schemas/persona.schema.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from pydantic import ConfigDict, create_model

from . import model as m

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _definitions_model(kind: str, sections: tuple[str, ...]):
    fields = {}
    for key in sections:
        section = m.SECTIONS[key]
        if section.value_type is not None:
            annotation = section.value_type
        elif section.many:
            annotation = list[m.ENTITY_CLASSES[section.kind]]
        else:
            annotation = m.ENTITY_CLASSES[section.kind]
        fields[key] = (Optional[annotation], None)
    title = "".join(part.capitalize() for part in kind.split("-")) + "File"
    return create_model(title, __config__=ConfigDict(extra="forbid"), **fields)


def schemas() -> dict[str, dict]:
    """File kind -> JSON Schema, including ``persona`` and ``definitions`` (every section)."""
    out = {"persona": m.Persona.model_json_schema(by_alias=True)}
    for kind, sections in m.FILE_KINDS.items():
        out[kind] = _definitions_model(kind, sections).model_json_schema(by_alias=True)
    out["definitions"] = _definitions_model("definitions", tuple(m.SECTIONS)).model_json_schema(by_alias=True)
    out["playbook-config"] = CONFIG_SCHEMA
    for kind, schema in out.items():
        schema.setdefault("$schema", SCHEMA_DIALECT)
        schema.setdefault("title", kind)
    return out


CONFIG_SCHEMA = {
    "title": "playbook.yaml",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "description": "The playbook's name, shown on every page."},
        "version": {"type": "string", "description": "The playbook's own version."},
        "description": {"type": "string"},
        "rules": {"type": "object", "description": "Rule code or name -> off, warning or error.",
                  "additionalProperties": {"enum": ["off", "warning", "error"]}},
        "ignore": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["paths"],
            "properties": {"paths": {"type": "array", "items": {"type": "string"}},
                           "rules": {"type": "array", "items": {"type": "string"}}}}},
        "review_every_days": {"type": "integer", "minimum": 1},
        "max_file_bytes": {"type": "integer", "minimum": 1},
        "site": {"type": "object"},
    },
}


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in sorted(schemas().items()):
        path = folder / f"{kind}.schema.json"
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

