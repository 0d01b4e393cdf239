"""Property-based: no input makes `check` crash; every finding is located."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
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


# ---------------------------------------------------------------- the regression sweep
#
# Thousands of seeded, realistic and adversarial edits of the example playbook and of the second
# fixture playbook, each checked through the command line as CI runs it. No edit may give a
# traceback or an internal error (PB999), an exit code other than 0, 1 or 2, or a finding
# outside its file as an editor shows it. The edits are drawn from a fixed seed, so every run
# makes the same edits, and a failure names the edit's number and what it changed.

SECOND = REPO / "tests" / "fixtures" / "ledger-saas"
SWEEP_EDITS = 2000
SWEEP_SEED = 20261122
SWEEP_BUDGET_SECONDS = 300  # for one process's share of one playbook's edits: a guard, not a target
SLOW_CHECK_SECONDS = 5.0

# Keys no edit touches (none now: review dates at the end of the calendar are refused cleanly).
_SKIPPED_KEYS: frozenset[str] = frozenset()
_KEY_LINE = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*):(?P<rest>.*)$")
_FLOW_VALUE = re.compile(r"(?P<key>[A-Za-z_][\w-]*): (?P<value>[^,{}\[\]]+)")
_ID_LINE = re.compile(r"^\s*(?:-\s+)?id:\s*([a-z0-9-]+)\s*$", re.M)
_ODD_BREAKS = ("\u2028", "\x85", "\u2029")

_REPLACEMENTS = (
    # another type
    "[]", "{}", "[a, b]", "{x: 1}", "[[1]]", "yes", "no", "true", "null", "~", "-", "|\n  block", ">-",
    # numbers out of range
    "9" * 400, "99999999999999999999", "-99999999999999999999", "1e308", "1e309", "-1e400", "0",
    "-1", "-0", "0.0000001", ".inf", "-.inf", ".nan", "NaN", "0x1F", "1_000", "１２", "٣",
    # empty and blank
    "", "''", '""', "' '",
    # text
    "é", "日本語のテキスト", "\U0001F600", "Ω≈ç√∫", "\u202eevil", "a\tb", "x" * 3000,
    "'unterminated", '"unterminated', "a: b", "#", "&anchor x", "*alias", "!!python/object:os.system",
    "%", "@at", "`tick`",
    # dates and durations
    "2026-02-30", "0001-01-01", "2026-13-45", "1d business", "0h", "-4h", "99999999999d",
    "1e400h business", "every 0 weeks", "every 99999999999999999999 days", "1500 USD/month",
    "99999999999999999999 USD", "$", "USD", "9999-12-31", "9899-12-31", "99999999", "36501",
    # odd line breaks inside a value
    "\"a\u2028b\"", "\"a\x85b\"", "a \u2029 b", "\"\u2028\"",
)
_ODD_CHARACTERS = ("\u2028", "\x85", "\u2029", "\u2028", "\x85", "\u2029", "\r", "\t", "\ufeff", "\u200b",
                   "\x07", "\x00", "\ud7ff", "\U0010ffff", "\\", "\"", "'", ":", "- ", "{", "[", "#", "&a ", "*a ")


def _source_files(source: Path) -> dict[str, str]:
    files = {p.relative_to(source).as_posix(): p.read_text(encoding="utf-8")
             for folder in ("personas", "definitions") for p in sorted((source / folder).glob("*.yaml"))}
    files["playbook.yaml"] = (source / "playbook.yaml").read_text(encoding="utf-8")
    return files


def _item_block(lines: list[str], i: int) -> tuple[int, int] | None:
    """The lines [start, end) of the list item holding line i."""
    start = i
    while start >= 0 and not lines[start].lstrip().startswith("- "):
        start -= 1
    if start < 0:
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return start, end


_NODES = (None, True, 0, -1, 10**30, -10**30, 1e308, "", "é日本", "\u2028", [], {}, [None], [[]], [{}],
          {"a": None}, {"gte": "x"}, {"in": 5}, {"eq": []}, ["a", 1, None], "9" * 400, "1d business", "-5h",
          "every 0 days", {"fit_score": {"gte": 10**30}}, [{"x": {"gte": 1}}], {"kind": "stage", "id": "x"},
          {"level": 1, "after": "1d"}, [{"id": "a"}, {"id": "a"}], {"id": None}, {"text": None, "metric": []})


def _restructure(rng: random.Random, text: str) -> tuple[str, str] | None:
    """Replace, remove or wrap one value anywhere in the parsed file, then write the file again."""
    try:
        data = yaml.load(text, Loader=yaml.CBaseLoader)  # every scalar stays text
    except (yaml.YAMLError, ValueError):
        return None
    spots = []

    def walk(node, path):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if key not in _SKIPPED_KEYS:
                spots.append((node, key, path + (key,)))
                walk(value, path + (key,))
    walk(data, ())
    if not spots:
        return None
    parent, key, path = rng.choice(spots)
    what = rng.choice(("node", "node", "remove", "wrap"))
    if what == "node":
        parent[key] = rng.choice(_NODES)
    elif what == "remove":
        del parent[key]
    else:
        parent[key] = [parent[key]]
    out = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
    return out, f"restructure {what} {'/'.join(map(str, path))[:80]}"


def _edit_text(rng: random.Random, text: str, ids: list[str]) -> tuple[str, str]:
    """One edit of a file's text and a short description of it."""
    lines = text.split("\n")
    keyed = [i for i, line in enumerate(lines) if (m := _KEY_LINE.match(line)) and m["key"] not in _SKIPPED_KEYS]
    op = rng.choice(("replace", "replace", "replace", "flow", "delete-key", "delete-item", "duplicate-item",
                     "swap-ids", "missing-ref", "odd-break", "odd-break", "odd-char", "indent", "rename-key",
                     "truncate", "swap-lines", "number", "restructure"))
    if op == "restructure":
        changed = _restructure(rng, text)
        if changed is not None:
            return changed
        op = "odd-char"
    if op in ("replace", "delete-key", "rename-key", "number") and not keyed:
        op = "odd-char"
    if op == "replace":
        i = rng.choice(keyed)
        m = _KEY_LINE.match(lines[i])
        lines[i] = f'{m["lead"]}{m["key"]}: {rng.choice(_REPLACEMENTS)}'
        return "\n".join(lines), f"{op} line {i + 1}"
    if op == "flow":
        candidates = [(i, m) for i, line in enumerate(lines) for m in _FLOW_VALUE.finditer(line)
                      if "{" in line and m["key"] not in _SKIPPED_KEYS]
        if candidates:
            i, m = rng.choice(candidates)
            new = rng.choice(_REPLACEMENTS).replace("\n", " ")
            lines[i] = lines[i][:m.start("value")] + new + lines[i][m.end("value"):]
            return "\n".join(lines), f"{op} line {i + 1}"
        op = "odd-char"
    if op == "delete-key":
        i = rng.choice(keyed)
        del lines[i]
        return "\n".join(lines), f"{op} line {i + 1}"
    if op == "rename-key":
        i = rng.choice(keyed)
        m = _KEY_LINE.match(lines[i])
        key = rng.choice((m["key"] + "s", m["key"][:-1], m["key"].upper(), "bogus", "id", "name", "<<"))
        lines[i] = f'{m["lead"]}{key}:{m["rest"]}'
        return "\n".join(lines), f"{op} line {i + 1}"
    if op == "number":
        numbered = [i for i in keyed if re.search(r"\d", lines[i])]
        if numbered:
            i = rng.choice(numbered)
            lines[i] = re.sub(r"\d+(?:\.\d+)?", lambda _: rng.choice(("0", "-1", "1e9", "9" * 40, "0.5", "100000")),
                              lines[i], count=1)
            return "\n".join(lines), f"{op} line {i + 1}"
        op = "odd-char"
    if op in ("delete-item", "duplicate-item"):
        block = _item_block(lines, rng.randrange(len(lines)))
        if block:
            start, end = block
            if op == "delete-item":
                del lines[start:end]
            else:
                lines[end:end] = lines[start:end]
            return "\n".join(lines), f"{op} lines {start + 1}-{end}"
        op = "odd-char"
    if op == "swap-ids":
        found = [(m.start(1), m.end(1), m[1]) for m in _ID_LINE.finditer(text)]
        if len(found) >= 2:
            (a0, a1, a), (b0, b1, b) = sorted(rng.sample(found, 2))
            return text[:a0] + b + text[a1:b0] + a + text[b1:], f"{op} {a} {b}"
        op = "odd-char"
    if op == "missing-ref":
        present = [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
        if present:
            target = rng.choice(present)
            spots = [m.start() for m in re.finditer(rf"(?<![\w-]){re.escape(target)}(?![\w-])", text)]
            at = rng.choice(spots)
            new = rng.choice((target + "x", target[:-1], "missing-" + target, target.upper(), target + "\u2028"))
            return text[:at] + new + text[at + len(target):], f"{op} {target} at {at}"
        op = "odd-char"
    if op == "odd-break":
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(_ODD_BREAKS) + text[at:], f"{op} at {at}"
    if op == "odd-char":
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(_ODD_CHARACTERS) + text[at:], f"{op} at {at}"
    if op == "indent":
        i = rng.randrange(len(lines))
        lines[i] = rng.choice(("  ", " ", "\t", "")) + (lines[i][2:] if rng.random() < 0.3 else lines[i])
        return "\n".join(lines), f"{op} line {i + 1}"
    if op == "truncate":
        at = rng.randrange(len(text) + 1)
        return text[:at], f"{op} at {at}"
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines), f"swap-lines {i + 1} {j + 1}"


def _sweep_edit(rng: random.Random, originals: dict[str, str], ids: list[str]) -> tuple[dict[str, str], str]:
    """One to three edits, mostly of one file, sometimes of two (a reference and its target)."""
    edited: dict[str, str] = {}
    described = []
    names = sorted(originals)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        rel = rng.choice(names) if not edited or rng.random() < 0.3 else rng.choice(sorted(edited))
        text, what = _edit_text(rng, edited.get(rel, originals[rel]), ids)
        edited[rel] = text
        described.append(f"{rel}: {what}")
    return edited, "; ".join(described)


def _editor_lines(raw: bytes) -> list[str]:
    """A file's lines as an editor shows them: only CR LF, CR and LF end a line."""
    text = raw.decode("utf-8", errors="replace")
    return re.split("\r\n|\r|\n", text)


def _problems_of(result, root: Path) -> list[str]:
    problems = []
    if result.exit_code not in (0, 1, 2):
        problems.append(f"exit code {result.exit_code}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"exception {result.exception!r}")
    if "Traceback" in result.output:
        problems.append("a traceback in the output")
    if result.exit_code in (0, 1) and not problems:
        try:
            findings = json.loads(result.stdout)["findings"]
        except (ValueError, KeyError) as exc:
            return problems + [f"the output is not the JSON report ({exc})"]
        lines_of: dict[str, list[str] | None] = {}
        for f in findings:
            where = f'{f["path"]}:{f["line"]}:{f["column"]} {f["code"]}'
            if f["code"] == "PB999":
                problems.append(f"{where} {f['message']}")
                continue
            if f["path"] not in lines_of:
                path = root / f["path"]
                lines_of[f["path"]] = _editor_lines(path.read_bytes()) if path.is_file() else None
            lines = lines_of[f["path"]]
            if lines is None:
                continue  # a folder or a missing file: nothing to be located within
            if not 1 <= f["line"] <= len(lines):
                problems.append(f"{where}: line outside the file's {len(lines)} lines")
            elif not 1 <= f["column"] <= len(lines[f["line"] - 1]) + 1:
                problems.append(f"{where}: column outside the line's {len(lines[f['line'] - 1])} characters")
    return problems


def _sweep(root: Path, source: Path, seed: int, count: int, part: int = 0, parts: int = 1) -> tuple[list[str], int]:
    """Make the seed's first ``count`` edits and check those whose number is ``part`` modulo
    ``parts``, in a copy of the playbook at ``root``; the failures and how many were checked."""
    originals = _source_files(source)
    for rel, text in originals.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    ids = sorted({i for text in originals.values() for i in _ID_LINE.findall(text) if len(i) > 2})
    rng = random.Random(seed)
    runner = CliRunner()
    args = ["check", str(root), "--format", "json", "--today", "2026-11-22"]
    failures: list[str] = []
    checked = 0
    started = time.perf_counter()
    for number in range(count):
        edited, described = _sweep_edit(rng, originals, ids)  # every part draws every edit
        if number % parts != part:
            continue
        for rel, text in edited.items():
            (root / rel).write_text(text, encoding="utf-8")
        began = time.perf_counter()
        result = runner.invoke(main, args)
        took = time.perf_counter() - began
        problems = _problems_of(result, root)
        if took > SLOW_CHECK_SECONDS:
            problems.append(f"the check took {took:.1f} s")
        if problems:
            failures.append(f"edit {number} ({described}): " + "; ".join(problems[:3]))
        for rel in edited:
            (root / rel).write_text(originals[rel], encoding="utf-8")
        checked += 1
        if time.perf_counter() - started > SWEEP_BUDGET_SECONDS:
            failures.append(f"the sweep of {source.name} ran out of time after {number + 1} of {count} edits")
            break
        if len(failures) >= 15:
            break
    return failures, checked


def _sweep_part(job: tuple) -> tuple[list[str], int]:
    return _sweep(*job)


@pytest.mark.parametrize("source, seed", [(REPO, SWEEP_SEED), (SECOND, SWEEP_SEED + 1)],
                         ids=["example", "second-fixture"])
def test_regression_sweep(tmp_path, source, seed):
    """The edits are shared among one process per CPU (at most four); each checks its share."""
    parts = max(1, min(4, os.cpu_count() or 1))
    jobs = [(tmp_path / f"part-{k}", source, seed, SWEEP_EDITS, k, parts) for k in range(parts)]
    if parts == 1:
        results = [_sweep_part(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(parts) as pool:
            results = pool.map(_sweep_part, jobs)
    failures = [f for part_failures, _ in results for f in part_failures]
    assert failures == []
    assert sum(checked for _, checked in results) == SWEEP_EDITS


def test_the_sweep_makes_every_kind_of_edit():
    originals = _source_files(SECOND)
    ids = sorted({i for text in originals.values() for i in _ID_LINE.findall(text) if len(i) > 2})
    rng = random.Random(SWEEP_SEED)
    described = " ".join(_sweep_edit(rng, originals, ids)[1] for _ in range(400))
    for op in ("replace", "flow", "delete-key", "delete-item", "duplicate-item", "swap-ids", "missing-ref",
               "odd-break", "odd-char", "indent", "rename-key", "truncate", "swap-lines", "number", "restructure"):
        assert f" {op} " in described, op


def test_the_sweep_reports_crashes_and_findings_outside_their_file(tmp_path):
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "x.yaml").write_text("teams:\n  - id: a\u2028b\n", encoding="utf-8")

    def result(exit_code=1, findings=(), output="", exception=None):
        stdout = json.dumps({"findings": [dict(zip(("code", "path", "line", "column", "message"), f))
                                          for f in findings]})
        return SimpleNamespace(exit_code=exit_code, exception=exception, output=output + stdout, stdout=stdout)

    assert _problems_of(result(findings=[("PB010", "definitions/x.yaml", 2, 12, "ok")]), tmp_path) == []
    assert _problems_of(result(findings=[("PB010", "definitions/x.yaml", 3, 1, "ok")]), tmp_path) == []
    for bad in (result(findings=[("PB999", "definitions/x.yaml", 1, 1, "boom")]),
                result(findings=[("PB010", "definitions/x.yaml", 4, 1, "past the end")]),
                result(findings=[("PB010", "definitions/x.yaml", 2, 13, "past the line")]),
                result(exit_code=3), result(output="Traceback (most recent call last):\n"),
                result(exception=OverflowError("date value out of range"))):
        assert _problems_of(bad, tmp_path), bad
