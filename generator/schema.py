"""JSON Schemas for every kind of playbook file, so editors validate and autocomplete them.

Files point at their schema with a first-line modeline::

    # yaml-language-server: $schema=../schemas/persona.schema.json
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Optional

from pydantic import ConfigDict, create_model

from . import model as m
from .config import config_schema

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
    out["playbook-config"] = config_schema()
    for kind, schema in out.items():
        schema.setdefault("$schema", SCHEMA_DIALECT)
        schema.setdefault("title", kind)
    return out


class SchemaWriteError(Exception):
    """The schemas cannot be written where asked; the message says why, naming the path."""


def _refuse_odd(path: Path, what: str) -> None:
    """Refuse a symbolic link, or anything but a regular file (``what`` "file") or folder."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise SchemaWriteError(f"{path} cannot be written: a part of that path is a file, not a folder.") from None
    except OSError as exc:
        raise SchemaWriteError(f"{path} cannot be checked: {exc.strerror or exc}.") from None
    if stat.S_ISLNK(mode):
        raise SchemaWriteError(f"{path} is a symbolic link; playbook does not write through links. "
                               "Remove the link or name another folder.")
    if what == "folder" and not stat.S_ISDIR(mode):
        raise SchemaWriteError(f"{path} is not a folder; name a folder to write the schemas into.")
    if what == "file" and not stat.S_ISREG(mode):
        raise SchemaWriteError(f"{path} is not a regular file; remove it or name another folder.")


def write_schemas(folder: Path) -> list[Path]:
    """Write (or leave, when unchanged) one schema file per kind in ``folder``.

    Never writes through a symbolic link; each changed file is replaced whole, so a failed
    write leaves the previous file. Raises SchemaWriteError with a message naming the path.
    """
    _refuse_odd(folder, "folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SchemaWriteError(f"The folder {folder} cannot be created: {exc.strerror or exc}.") from None
    written = []
    for kind, schema in sorted(schemas().items()):
        path = folder / f"{kind}.schema.json"
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        _refuse_odd(path, "file")
        try:
            if not path.exists() or path.read_bytes() != text.encode("utf-8"):
                _replace(path, text.encode("utf-8"))
        except OSError as exc:
            raise SchemaWriteError(f"{path} cannot be written: {exc.strerror or exc}.") from None
        written.append(path)
    return written


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".playbook-schema-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

