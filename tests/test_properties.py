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
from generator.load import line_map, load_bytes

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


# ---------------------------------------------------------------- lines as an editor counts them
#
# libyaml ends a line at NEL (U+0085), U+2028 and U+2029 as well; editors and GitHub end lines
# only at CR, LF and CR LF, and that is where a finding must point.


def test_positions_after_odd_line_breaks_are_the_editors():
    text = ('name: "Ends\u2028here"\n'          # 1: a quoted value holding U+2028
            "owner: sales  # note\x85\r\n"      # 2: NEL at the end of a comment, then CR LF
            "tags: [a, \"b\u2029c\", d]\n"     # 3: U+2029 inside a flow sequence
            "owner: marketing\n")                 # 4: a duplicate key
    loaded = load_bytes(text.encode("utf-8"), "x.yaml")
    data = loaded.data
    assert data.key_locs == {"name": (1, 1), "owner": (2, 1), "tags": (3, 1)}
    assert data.value_locs == {"name": (1, 7), "owner": (2, 8), "tags": (3, 7)}
    assert data["tags"].item_locs == [(3, 8), (3, 11), (3, 18)]
    [dup] = loaded.findings
    assert (dup.code, dup.location.line, dup.location.col) == ("PB013", 4, 1)
    assert "(first on line 2)" in dup.message


def test_a_syntax_error_after_odd_line_breaks_is_located_as_in_an_editor():
    text = 'a: "x\u2028y\u2028z"\nb: [1, \x85 2\nc: 3\n'
    [err] = load_bytes(text.encode("utf-8"), "x.yaml").findings
    assert err.code == "PB001" and err.location.line <= 4
    assert "starts on line 2" in err.message


def test_an_error_at_the_end_of_a_file_without_a_final_line_break_is_on_its_last_line():
    for text, where in (("a: [1, 2", (1, 9)), ("a:\n  - b\n  c", (3, 4)), ("a: [\u2028\n  1", (2, 4))):
        [err] = load_bytes(text.encode("utf-8"), "x.yaml").findings
        assert (err.code, err.location.line, err.location.col) == ("PB001", *where), text


def test_files_without_odd_line_breaks_skip_the_mapping():
    assert line_map("a: 1\r\nb: 2\n") is None
    assert line_map("a: 1\u2028") is not None


_ODD = st.sampled_from(["\u2028", "\x85", "\u2029"])
_plain = st.text(st.characters(codec="utf-8", categories=("L", "N"), exclude_characters="\x85"), min_size=1,
                 max_size=8)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(rows=st.lists(st.tuples(_plain, st.lists(st.tuples(_plain, _ODD), max_size=3),
                               st.sampled_from(["quoted", "comment", "plain"]),
                               st.sampled_from(["\n", "\r\n", "\r"])), min_size=1, max_size=12))
def test_every_key_is_located_on_its_editor_line(rows):
    lines, expected = [], {}
    for number, (word, pieces, where, end) in enumerate(rows, 1):
        odd = "".join(a + b for a, b in pieces)
        key = f"k{number}"
        # in a comment the odd breaks come last: libyaml reads text after one as a new line
        breaks = "".join(b for _, b in pieces)
        value = {"quoted": f'"{word}{odd}"', "comment": f"{word}  # {word}{breaks}", "plain": word}[where]
        lines.append(f"{key}: {value}{end}")
        expected[key] = (number, 1)
    loaded = load_bytes("".join(lines).encode("utf-8"), "x.yaml")
    assert loaded.findings == []
    assert loaded.data.key_locs == expected
    assert all(loc == (expected[k][0], len(k) + 3) for k, loc in loaded.data.value_locs.items())


def test_a_suppression_after_an_odd_line_break_still_applies(check_files):
    result = check_files({
        "definitions/teams.yaml": """
            teams:
              - id: sales
                name: "Sales\u2028team"
                description: "Sells\x85and\u2029calls"
                name: Sales  # playbook: ignore[PB013] kept until the CRM export is renamed
            """,
    })
    codes = {f.code for f in result.findings}
    assert "PB013" not in codes and "PB903" not in codes, result.findings
