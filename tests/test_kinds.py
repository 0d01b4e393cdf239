"""Every entity kind, end to end: one row in ``generator/kinds.py`` reaches the model, the
checker, ``playbook new``, the JSON Schemas, the site's pages and its navigation.

The playbook is the starter ``playbook init`` writes, with one entity of each kind added by
``playbook new``, so nothing here depends on the example's vocabulary.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator import kinds, model as m
from generator.check import run_check
from generator.config import find_config, load_config
from generator.schema import schemas
from generator.site import generate

from conftest import TODAY

NEW = [k for k in kinds.KINDS if k.new]


def _playbook(*args):
    return subprocess.run([sys.executable, "-c", "from generator.cli import main; main()", *args],
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds") / "pb"
    done = _playbook("init", str(root))
    assert done.returncode == 0, done.stderr
    for k in NEW:
        done = _playbook("new", k.new, f"Zed {k.new}", str(root), "--today", TODAY.isoformat())
        assert done.returncode == 0, (k.kind, done.stdout, done.stderr)
    config = load_config(find_config(root))
    result = run_check(root, config, TODAY)
    return root, result, generate(result.playbook, config, TODAY)


def test_the_model_follows_the_registry():
    assert list(m.ENTITY_CLASSES) == [k.kind for k in kinds.KINDS]
    for k in kinds.KINDS:
        assert m.ENTITY_CLASSES[k.kind].KIND == k.kind
        assert m.KIND_LABELS[k.kind] == k.label
        if k.section:
            assert m.SECTIONS[k.section].kind == k.kind and m.SECTIONS[k.section].many == k.many
            assert k.section in m.FILE_KINDS[k.file]
            for key in k.before + k.after:
                assert m.SECTIONS[key].kind is None and key in m.FILE_KINDS[k.file]
    # every section belongs to some kind's file, and every file kind is some kind's
    assert set(m.FILE_KINDS) == {k.file for k in kinds.KINDS if k.file}


def test_kinds_are_unique():
    for attr in ("kind", "label", "plural", "new"):
        values = [getattr(k, attr) for k in kinds.KINDS if getattr(k, attr)]
        assert len(values) == len(set(values)), attr
    sections = [k.section for k in kinds.KINDS if k.section]
    assert len(sections) == len(set(sections))


@pytest.mark.parametrize("k", NEW, ids=lambda k: k.kind)
def test_new_entity_loads_and_checks_without_errors(everything, k):
    _, result, _ = everything
    found = [e for e in result.playbook.of(k.kind) if e.id == f"zed-{k.new}"]
    assert found, f"playbook new {k.new} wrote nothing the loader found"
    errors = [f for f in result.findings if f.severity.name == "ERROR"]
    assert not errors, [f"{f.code} {f.message}" for f in errors]


@pytest.mark.parametrize("k", NEW, ids=lambda k: k.kind)
def test_new_entity_has_its_page(everything, k):
    _, _, tree = everything
    slug = f"zed-{k.new}"
    page = k.page_of(slug)
    assert page in tree.files, f"{k.kind}: no page {page}"
    text = tree.files[page]
    assert f"Zed {k.new}" in text
    if k.anchored:
        assert slug in text, f"{k.kind}: {page} has no anchor for {slug}"


def _titles(nav) -> set[str]:
    out = set()
    for item in nav:
        if isinstance(item, dict):
            for title, value in item.items():
                out.add(title)
                if isinstance(value, list):
                    out |= _titles(value)
    return out


def test_every_kind_is_in_the_navigation(everything):
    _, _, tree = everything
    titles = _titles(tree.nav)
    for k in kinds.KINDS:
        if k.nav:
            assert k.nav in titles, k.kind
    ranked = [k.nav for k in sorted((k for k in kinds.KINDS if k.nav), key=lambda k: k.nav_rank)]
    order = [t for t in (next(iter(i)) for i in tree.nav if isinstance(i, dict)) if t in ranked]
    assert order == ranked


def test_every_definitions_file_kind_has_a_schema():
    names = set(schemas())
    for k in kinds.KINDS:
        if k.file:
            assert any(k.file in name for name in names), (k.kind, sorted(names))


def _text_only(k) -> bool:
    """A kind whose model requires nothing but free text (no reference, number, date or choice)
    beyond the fields every entity has."""
    fields = m.ENTITY_CLASSES[k.kind].model_fields
    return all(info.annotation is str and not info.metadata for name, info in fields.items()
               if info.is_required() and name not in ("id", "name", "term"))


TEXT_ONLY = [k for k in NEW if _text_only(k)]


@pytest.mark.parametrize("k", TEXT_ONLY, ids=lambda k: k.kind)
def test_a_kind_without_a_skeleton_of_its_own_gets_one_from_its_model(tmp_path, monkeypatch, k):
    """A new kind needs no skeleton body for ``playbook new``: its model's required fields are
    written as TODOs, so the entity loads and passes its model; what the team must still write
    (a complaint's steps, say) is left to the rules, which ``new`` lists."""
    from click.testing import CliRunner

    from generator import skeletons
    from generator.cli import main
    monkeypatch.delitem(skeletons._BODIES, k.kind)
    root = tmp_path / "pb"
    assert CliRunner().invoke(main, ["init", str(root)]).exit_code == 0
    done = CliRunner().invoke(main, ["new", k.new, "Plain one", str(root), "--today", TODAY.isoformat()])
    assert done.exit_code in (0, 1), done.output  # 1: the check lists what is still to do
    config = load_config(find_config(root))
    result = run_check(root, config, TODAY)
    entity = result.playbook.get(k.kind, "plain-one")
    assert entity is not None, done.output
    assert "TODO" in (entity.description or "")
    from generator.rules.builtin import BUILTIN
    unreadable = [f for f in result.findings if f.code in {r.code for r in BUILTIN}]
    assert not unreadable, [f"{f.code} {f.message}" for f in unreadable]


def test_most_kinds_need_no_skeleton_body():
    assert len(TEXT_ONLY) >= 6, [k.kind for k in TEXT_ONLY]
