"""pyproject.toml declares compatible ranges; constraints.txt pins the exact versions CI tests with.

Every pin must satisfy the range it constrains, every dependency must be pinned (so CI tests one
known set), and the site engine's dependencies must be ranges, not pins (a pin clashes with the
environments playbook teams install it into).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
SITE_ENGINE = {"properdocs", "mkdocs", "mkdocs-material", "mike", "watchdog", "zensical"}


def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        found += [Requirement(r) for r in extra]
    return found


def constraints(text: str) -> dict[str, Version]:
    pins = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"constraints.txt:{number}: {raw!r} is not an exact pin"
        name = canonicalize_name(req.name)
        assert name not in pins, f"constraints.txt:{number}: {req.name} is pinned twice"
        pins[name] = Version(specs[0].version)
    return pins


def mismatches(reqs: list[Requirement], pins: dict[str, Version]) -> list[str]:
    out = []
    for req in reqs:
        name = canonicalize_name(req.name)
        if name not in pins:
            out.append(f"{req.name} has no exact version in constraints.txt")
        elif not req.specifier.contains(pins[name], prereleases=True):
            out.append(f"{req.name}=={pins[name]} is outside the range {req.specifier}")
    return out


def test_every_pin_satisfies_its_range_and_every_dependency_is_pinned():
    pins = constraints((REPO / "constraints.txt").read_text(encoding="utf-8"))
    assert mismatches(requirements(), pins) == []


def test_the_site_engine_dependencies_are_ranges_not_pins():
    engine = [r for r in requirements() if canonicalize_name(r.name) in SITE_ENGINE]
    assert {canonicalize_name(r.name) for r in engine} == SITE_ENGINE
    for req in engine:
        assert not any(s.operator in ("==", "===") for s in req.specifier), f"{req} is a pin, not a range"
        assert any(s.operator == "<" for s in req.specifier), f"{req} has no upper bound (a next major may break)"


@pytest.mark.parametrize("pin, problem", [
    ("properdocs==2.0.0", "properdocs==2.0.0 is outside the range"),
    ("mkdocs==1.6.1", "properdocs has no exact version"),
])
def test_the_check_finds_a_pin_outside_its_range_or_missing(pin, problem):
    pins = constraints((REPO / "constraints.txt").read_text(encoding="utf-8"))
    pins.pop("properdocs")
    pins.update(constraints(pin))
    assert any(problem in m for m in mismatches(requirements(), pins))


def test_a_constraint_that_is_not_a_pin_is_refused():
    with pytest.raises(AssertionError, match="not an exact pin"):
        constraints("mkdocs>=1.6\n")
