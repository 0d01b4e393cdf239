"""Validation errors as findings a marketing manager can act on: located at the offending key or
value, in the domain's words ("should be a whole number", "Did you mean ...?"), with the rule code
the loader raises (PB010 wrong type or value, PB011 missing field, PB012 unknown field)."""

from __future__ import annotations

import difflib
from typing import get_args, get_origin

from pydantic import BaseModel, ValidationError

from .findings import Finding, Location
from .load import LocDict, LocList, locate, locate_key


def unknown_message(key: str, allowed, what: str = "field") -> str:
    msg = f'Unknown {what} "{key}".'
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        msg += f' Did you mean "{close[0]}"?'
    elif allowed:
        names = sorted(allowed)
        if len(names) <= 12:
            msg += " Allowed here: " + ", ".join(names) + "."
    return msg


def _field_names(cls) -> list[str]:
    return [info.alias or name for name, info in cls.model_fields.items()]


def _class_at(cls, loc: tuple):
    """The model class found by following ``loc`` from ``cls`` (for "did you mean")."""
    current = cls
    for step in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(step, int):
            continue
        field = None
        for name, info in current.model_fields.items():
            if step in (name, info.alias):
                field = info
        if field is None:
            return None
        annotation = field.annotation
        while True:
            origin = get_origin(annotation)
            args = [a for a in get_args(annotation) if a is not type(None)]
            if origin is list and args:
                annotation = args[0]
                continue
            if origin is not None and args and not (isinstance(annotation, type)):
                models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
                if models:
                    annotation = models[0]
                    continue
                inner = [a for a in args if get_origin(a) is list]
                if inner:
                    annotation = inner[0]
                    continue
            break
        current = annotation
    return current


_TYPE_WORDS = {
    "int_parsing": "should be a whole number", "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_parsing": "should be a number", "float_type": "should be a number",
    "bool_parsing": "should be true or false", "bool_type": "should be true or false",
    "date_parsing": "should be a date like 2026-03-31", "date_from_datetime_parsing":
    "should be a date like 2026-03-31", "date_type": "should be a date like 2026-03-31",
    "string_type": "should be text", "list_type": "should be a list",
    "dict_type": "should be a mapping of fields", "model_type": "should be a mapping of fields",
    "model_attributes_type": "should be a mapping of fields",
}


def validation_findings(exc: ValidationError, root, path: str, base: tuple, cls, label: str,
                         ident: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple] = set()
    what = f'{label} "{ident}"' if ident else (f"this {label}" if cls else f'"{label}"')
    for err in exc.errors():
        loc = tuple(err["loc"])
        # drop union branch names and other steps that are not in the YAML
        steps, node = [], root
        for step in base:
            node = node[step] if isinstance(node, (LocDict, LocList)) else None
        for step in loc:
            if isinstance(node, LocDict) and isinstance(step, str) and step in node:
                steps.append(step)
                node = node[step]
            elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
                steps.append(step)
                node = node[step]
            elif err["type"] in ("missing", "extra_forbidden") and step == loc[-1]:
                steps.append(step)
                break
            else:
                if not isinstance(step, (str, int)) or isinstance(node, (LocDict, LocList)):
                    continue
                break
        steps_t = tuple(steps)
        field = ".".join(str(s) if isinstance(s, str) else f"[{s}]" for s in steps_t).replace(".[", "[")
        kind = err["type"]
        if kind == "missing":
            code = "PB011"
            where = locate(root, base + steps_t[:-1])
            msg = f'The {what} is missing the required field "{steps_t[-1] if steps_t else "?"}".'
        elif kind == "extra_forbidden":
            code = "PB012"
            where = locate_key(root, base + steps_t)
            owner = _class_at(cls, steps_t[:-1]) if cls else None
            allowed = _field_names(owner) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
            msg = unknown_message(str(steps_t[-1]) if steps_t else "?", allowed) + f" (in the {what})"
        else:
            code = "PB010"
            where = locate(root, base + steps_t)
            if kind in _TYPE_WORDS:
                problem = _TYPE_WORDS[kind]
            elif kind == "literal_error":
                problem = "should be one of: " + err.get("ctx", {}).get("expected", "").replace("'", "")
            elif kind == "value_error":
                problem = str(err["msg"]).removeprefix("Value error, ")
            elif kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
                problem = str(err["msg"]).replace("Input should be", "should be")
            else:
                problem = str(err["msg"]).replace("Input should be", "should be")
            got = err.get("input")
            shown = f' (it is "{got}")' if isinstance(got, str) and len(got) < 60 and kind != "value_error" else ""
            msg = f'In the {what}, "{field or label}" {problem}{shown}.'
        line, col = where or (1, 1)
        key = (code, line, col)
        if key in seen:
            continue
        seen.add(key)
        out.append(Finding(code, Location(path, line, col), msg,
                           entity=(cls.KIND, ident) if cls and ident else None))
    return out
