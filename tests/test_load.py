"""The loader refuses what is not plain data, with a located finding, and never raises."""

from __future__ import annotations

import time

from generator.load import LocDict, load_bytes, locate


def codes(loaded):
    return [(f.code, f.location.line, f.location.col) for f in loaded.findings]


def test_values_keep_their_line_and_column():
    loaded = load_bytes(b"teams:\n  - id: sales\n    name: Sales\n", "definitions/teams.yaml")
    assert loaded.findings == []
    assert isinstance(loaded.data, LocDict)
    assert locate(loaded.data, ("teams", 0, "name")) == (3, 11)
    assert locate(loaded.data, ("teams", 0)) == (2, 5)
    # a missing part falls back to the deepest part that exists
    assert locate(loaded.data, ("teams", 0, "lead")) == (2, 5)


def test_scalars_stay_as_written():
    loaded = load_bytes(b"country: NO\nversion: 1.10\nempty:\ntilde: ~\nquoted: 'null'\n", "x.yaml")
    assert loaded.data == {"country": "NO", "version": "1.10", "empty": None, "tilde": None,
                           "quoted": "null"}


def test_invalid_yaml_is_located():
    loaded = load_bytes(b"teams:\n  - id: sales\n   name: x\n", "x.yaml")
    assert loaded.data is None
    assert [c[0] for c in codes(loaded)] == ["PB001"]
    assert loaded.findings[0].location.line == 3


def test_tags_are_refused():
    for text in (b"a: !!python/object/apply:os.system ['ls']\n", b"a: !include other.yaml\n",
                 b"a: !!binary aGVsbG8=\n", b"a: !!set {x, y}\n"):
        loaded = load_bytes(text, "x.yaml")
        assert loaded.data is None
        assert codes(loaded)[0][:2] == ("PB002", 1), text


def test_explicit_str_tag_is_plain_text():
    loaded = load_bytes(b"a: !!str 123\n", "x.yaml")
    assert loaded.findings == [] and loaded.data == {"a": "123"}


def test_aliases_are_refused_and_a_bomb_is_cheap():
    loaded = load_bytes(b"base: &b {x: 1}\ncopy: *b\n", "x.yaml")
    assert codes(loaded) == [("PB002", 2, 1)]
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    bomb = ("\n".join(lines) + "\n").encode()
    start = time.perf_counter()
    loaded = load_bytes(bomb, "bomb.yaml")
    assert time.perf_counter() - start < 5
    assert loaded.data is None and codes(loaded)[0][0] == "PB002"


def test_duplicate_keys_are_reported_at_the_second_key():
    loaded = load_bytes(b"teams:\n  - id: a\n    name: A\n    name: B\n", "x.yaml")
    assert codes(loaded) == [("PB013", 4, 5)]
    assert "line 3" in loaded.findings[0].message


def test_binary_and_non_utf8_files_are_refused(tmp_path):
    loaded = load_bytes(b"teams:\n\x00\x01\x02", "x.yaml")
    assert codes(loaded) == [("PB003", 2, 1)]
    loaded = load_bytes("teams:\n  - name: Caf\u00e9\n".encode("latin-1"), "x.yaml")
    assert codes(loaded) == [("PB003", 2, 14)]


def test_byte_order_mark_is_accepted():
    loaded = load_bytes("\ufeffteams: []\n".encode("utf-8"), "x.yaml")
    assert loaded.findings == [] and loaded.data == {"teams": []}


def test_large_files_are_refused_before_reading(tmp_path):
    from generator.load import load_file
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * 3000 + b"\n")
    loaded = load_file(path, "big.yaml", max_bytes=1000)
    assert codes(loaded) == [("PB003", 1, 1)]
    assert "1,000-byte limit" in loaded.findings[0].message


def test_deep_nesting_is_refused():
    text = ("a: " + "[" * 200 + "]" * 200 + "\n").encode()
    loaded = load_bytes(text, "x.yaml")
    assert loaded.data is None and codes(loaded)[0][0] == "PB002"


def test_complex_keys_are_refused():
    loaded = load_bytes(b"? [a, b]\n: c\n", "x.yaml")
    assert loaded.data is None and codes(loaded)[0][0] == "PB010"
