"""Finding the references inside a model: a plan per class, walked generically."""

from __future__ import annotations

from typing import Annotated, Union, get_args, get_origin

from .base import Ref, Model


def _ref_of(annotation) -> Ref | None:
    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            if isinstance(meta, Ref):
                return meta
    return None


def _plan(annotation):
    """How to find references inside a value of this type: a small tree of instructions."""
    ref = _ref_of(annotation)
    if ref:
        return ("ref", ref.kind)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plan(get_args(annotation)[0])
    if origin in (Union,) or str(origin) == "types.UnionType" or (
            origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        plans = [p for p in (_plan(a) for a in get_args(annotation)) if p]
        return ("union", plans) if plans else None
    if origin is list:
        inner = _plan(get_args(annotation)[0])
        return ("list", inner) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, Model):
        fields = model_ref_plan(annotation)
        return ("model", fields) if fields else None
    return None


_PLANS: dict[type, tuple] = {}


def model_ref_plan(cls: type[Model]) -> tuple:
    """(field name, alias, plan) for every field of ``cls`` that holds references."""
    if cls not in _PLANS:
        _PLANS[cls] = ()
        out = []
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            if info.metadata:
                annotation = Annotated[(annotation, *info.metadata)]
            plan = _plan(annotation)
            if plan:
                out.append((name, info.alias or name, plan))
        _PLANS[cls] = tuple(out)
    return _PLANS[cls]


def iter_refs(obj: Model, base: tuple = ()):
    """Yield (path, kind, id) for every reference inside ``obj``; path uses YAML keys."""
    for name, key, plan in model_ref_plan(type(obj)):
        yield from _walk(getattr(obj, name), plan, base + (key,))


def _walk(value, plan, path):
    if value is None:
        return
    op = plan[0]
    if op == "ref":
        if isinstance(value, str):
            yield path, plan[1], value
    elif op == "list":
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, plan[1], path + (i,))
    elif op == "union":
        for sub in plan[1]:
            if sub[0] == "ref" and isinstance(value, str):
                yield from _walk(value, sub, path)
                return
            if sub[0] == "list" and isinstance(value, list):
                yield from _walk(value, sub, path)
                return
            if sub[0] == "model" and isinstance(value, Model):
                yield from _walk(value, sub, path)
                return
    elif op == "model":
        for name, key, sub in plan[1]:
            yield from _walk(getattr(value, name), sub, path + (key,))
