"""Property-based: no input makes `check` crash; every finding is located."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import model as m
from generator.check import run_check
from generator.cli import main
from generator.config import Config

from conftest import REPO, TODAY

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _assert_sane(result):
    for f in result.findings:
        assert f.code != "PB999", f.message
        assert f.location.path and f.location.line >= 1 and f.location.col >= 1
        assert f.message


def _run_cli(root: Path):
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--today", "2026-11-22"])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text_never_crashes(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("pb")
    (root / "definitions").mkdir()
    (root / "personas").mkdir()
    (root / "definitions" / "x.yaml").write_text(text, encoding="utf-8")
    (root / "personas" / "p.yaml").write_text(text, encoding="utf-8")
    _run_cli(root)
    _assert_sane(run_check(root, Config(), TODAY))


@SETTINGS
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("pb")
    (root / "definitions").mkdir()
    (root / "definitions" / "x.yaml").write_bytes(data)
    _assert_sane(run_check(root, Config(), TODAY))


_FIELD_NAMES = sorted({name for cls in m.ENTITY_CLASSES.values() for name in cls.model_fields}
                      | {"from", "to", "type", "all", "any", "gte", "in", "within", "after", "level"})
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                     st.text(max_size=20), st.sampled_from(["mql", "sales", "4h business", "weekly",
                                                            "2026-01-01", "1500 USD/month", "-", ""]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(_FIELD_NAMES), inner, max_size=5)), max_leaves=25)


@SETTINGS
@given(doc=st.dictionaries(st.sampled_from(sorted(m.SECTIONS) + ["bogus"]),
                           st.one_of(st.lists(st.dictionaries(st.sampled_from(_FIELD_NAMES), _values,
                                                              max_size=8), max_size=4), _values),
                           max_size=5),
       persona=st.dictionaries(st.sampled_from(_FIELD_NAMES), _values, max_size=10))
def test_random_structured_documents_never_crash(tmp_path_factory, doc, persona):
    root = tmp_path_factory.mktemp("pb")
    (root / "definitions").mkdir()
    (root / "personas").mkdir()
    (root / "definitions" / "x.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    (root / "personas" / "p.yaml").write_text(yaml.safe_dump(persona, allow_unicode=True))
    _assert_sane(run_check(root, Config(), TODAY))


EXAMPLE_FILES = sorted(p.relative_to(REPO).as_posix() for folder in ("personas", "definitions")
                       for p in (REPO / folder).glob("*.yaml"))


@st.composite
def mutations(draw):
    rel = draw(st.sampled_from(EXAMPLE_FILES))
    lines = (REPO / rel).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "replace-value", "indent", "truncate"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "replace-value" and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ": " + draw(st.sampled_from(["", "-5", "x y z", "[]", "{}", "mql", "sales",
                                                          "999999", "'", "2026-13-45", "[a, b]"]))
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "truncate":
            lines = lines[:i]
    return rel, "\n".join(lines) + "\n"


@SETTINGS
@given(mutation=mutations())
def test_mutated_example_playbook_never_crashes(tmp_path_factory, mutation):
    rel, text = mutation
    root = tmp_path_factory.mktemp("pb")
    for folder in ("personas", "definitions"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "playbook.yaml", root / "playbook.yaml")
    (root / rel).write_text(text, encoding="utf-8")
    result = _run_cli(root)
    assert result.exit_code in (0, 1)
    _assert_sane(run_check(root, Config(), TODAY))
