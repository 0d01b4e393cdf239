"""Show findings: grouped text for people, a stable JSON shape for tools.

JSON shape (version 1)::

    {"version": 1, "root": "<playbook folder>", "files_checked": 21,
     "summary": {"error": 0, "warning": 2},
     "findings": [{"code": "PB401", "name": "incomplete-persona", "severity": "warning",
                   "message": "...", "path": "personas/erin.yaml", "line": 3, "column": 1,
                   "entity": {"kind": "persona", "id": "erin"} or null}]}

When ``--baseline`` is given, a top-level ``"baseline": {"hidden": 3}`` says how many findings
the baseline hid; without it the key is absent.

CI formats (each a pure function of a ``CheckResult``, sorted and deterministic):

``github``    GitHub Actions workflow commands, ``::error file=…,line=…,col=…,title=CODE name::message``
``sarif``     SARIF 2.1.0, one run, every rule in the driver, a result per finding
``junit``     JUnit XML, one test case per checked file, a ``<failure>`` per finding
``gitlab``    GitLab Code Quality report, a JSON array with line-independent fingerprints
``markdown``  a report for a pull-request comment, one table per file

``prefix`` (default ``""``) is put in front of every path in the CI formats, so that paths are
relative to the repository root when the playbook lives in a sub-folder of it.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import click

from . import __version__
from .findings import Severity
from .rules import RULES
from .text import markdown_text

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result, hidden: int | None = None) -> str:
    """The one-line summary; ``hidden`` is how many findings a baseline hid (None: no baseline)."""
    errors, warnings = result.counts.get("error", 0), result.counts.get("warning", 0)
    files = _plural(result.files_checked, "file")
    by_baseline = "" if hidden is None else f"{hidden} hidden by the baseline"
    if not errors and not warnings:
        return f"No problems found in {files}" + (f" ({by_baseline})." if by_baseline else ".")
    paths = len({f.location.path for f in result.findings})
    return (f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')} "
            f"in {_plural(paths, 'file')} ({files} checked" + (f", {by_baseline}" if by_baseline else "")
            + ").")


def text_lines(result, colour: bool = False, hidden: int | None = None):
    """`path:line:col: CODE message`, grouped by file with a blank line between files."""
    current = None
    for f in result.findings:
        if current is not None and f.location.path != current:
            yield ""
        current = f.location.path
        where = f"{f.location}:"
        code = f.code
        if colour:
            where = click.style(where, bold=True)
            code = click.style(code, fg=_COLOURS.get(f.severity, "white"), bold=True)
        yield f"{where} {code} {f.message}"
    if result.findings:
        yield ""
    line = summary_line(result, hidden)
    if colour:
        fg = "red" if result.counts.get("error") else "yellow" if result.counts.get("warning") else "green"
        line = click.style(line, fg=fg)
    yield line


def to_json(result, hidden: int | None = None) -> str:
    data = {
        "version": 1,
        "root": str(result.playbook.root),
        "files_checked": result.files_checked,
        "summary": {"error": result.counts.get("error", 0), "warning": result.counts.get("warning", 0)},
        "findings": [finding_dict(f) for f in result.findings],
    }
    if hidden is not None:
        data["baseline"] = {"hidden": hidden}
    return json.dumps(data, indent=2, ensure_ascii=False)


def finding_dict(f) -> dict:
    return {
        "code": f.code,
        "name": RULES[f.code].name,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.location.path,
        "line": f.location.line,
        "column": f.location.col,
        "entity": {"kind": f.entity[0], "id": f.entity[1]} if f.entity else None,
    }


# ------------------------------------------------------------------ CI formats

FORMATS = ("text", "json", "github", "sarif", "junit", "gitlab", "markdown")

_VOLATILE = (
    (re.compile(r"(\w[\w./-]*\.\w+):\d+(?::\d+)?"), r"\1"),  # "teams.yaml:3:9" in a message
    (re.compile(r"\bline \d+"), "line N"),                     # "(first on line 14)"
    (re.compile(r"\b\d+ days? ago\b"), "N days ago"),          # changes every day
)


def stable_message(message: str) -> str:
    """The message without the parts that change when text moves or a day passes."""
    for pattern, repl in _VOLATILE:
        message = pattern.sub(repl, message)
    return message


def fingerprint(f, path: str | None = None) -> str:
    """A sha256 of code, path, entity and message that does not depend on the line number."""
    kind, ident = f.entity if f.entity else ("", "")
    parts = (f.code, path if path is not None else f.location.path, kind, ident, stable_message(f.message))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _sorted(result) -> list:
    return sorted(result.findings, key=lambda f: f.sort_key())


def _rule_name(code: str) -> str:
    r = RULES.get(code)
    return r.name if r else code


# GitHub Actions workflow commands --------------------------------------------

def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(result, prefix: str = "", hidden: int | None = None) -> str:
    """One ``::error``/``::warning`` workflow command per finding, then the summary line."""
    lines = []
    for f in _sorted(result):
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = ",".join((
            f"file={_gh_property(prefix + f.location.path)}",
            f"line={f.location.line}",
            f"col={f.location.col}",
            f"title={_gh_property(f'{f.code} {_rule_name(f.code)}')}",
        ))
        lines.append(f"::{level} {props}::{_gh_data(f.message)}")
    lines.append(summary_line(result, hidden))
    return "\n".join(lines)


# SARIF 2.1.0 ----------------------------------------------------------------------

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.OFF: "none"}


def _base_uri(result, prefix: str) -> str:
    """The folder the reported paths are relative to, as a ``file:`` URI ending in a slash."""
    base = Path(result.playbook.root).resolve()
    for _ in Path(prefix).parts:
        base = base.parent
    uri = base.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def to_sarif(result, prefix: str = "", hidden: int | None = None) -> str:
    from urllib.parse import quote

    rules = list(RULES.values())
    index = {r.code: i for i, r in enumerate(rules)}
    driver_rules = []
    for r in rules:
        entry = {"id": r.code, "name": r.name, "shortDescription": {"text": r.summary}}
        if r.explanation:
            entry["fullDescription"] = {"text": r.explanation}
        entry["defaultConfiguration"] = {"level": _SARIF_LEVEL[r.severity]}
        if r.area:
            entry["properties"] = {"tags": [r.area]}
        driver_rules.append(entry)
    results = []
    for f in _sorted(result):
        item = {"ruleId": f.code}
        if f.code in index:
            item["ruleIndex"] = index[f.code]
        item.update({
            "level": _SARIF_LEVEL.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(prefix + f.location.path), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(1, f.location.line), "startColumn": max(1, f.location.col)},
            }}],
            "partialFingerprints": {"playbookFingerprint/v1": fingerprint(f)},
        })
        results.append(item)
    run = {
        "tool": {"driver": {"name": "playbook", "version": __version__, "rules": driver_rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _base_uri(result, prefix)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if hidden is not None:
        run["properties"] = {"hiddenByBaseline": hidden}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]},
                      indent=2, ensure_ascii=False)


# JUnit XML ------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text)


def in_scope(path: str, scope: str | None) -> bool:
    return not scope or path == scope or path.startswith(scope.rstrip("/") + "/")


def checked_paths(result, scope: str | None = None) -> list[str]:
    """Every file the check read (within ``scope``), and every file a finding names."""
    paths = {p for p in result.playbook.files if in_scope(p, scope)}
    paths.update(f.location.path for f in result.findings)
    return sorted(paths)


def to_junit(result, prefix: str = "", scope: str | None = None) -> str:
    """One test case per checked file; each finding in it is a ``<failure>``."""
    by_path: dict[str, list] = {}
    for f in _sorted(result):
        by_path.setdefault(f.location.path, []).append(f)
    paths = checked_paths(result, scope)
    failed = sum(1 for p in paths if by_path.get(p))
    counts = {"tests": str(len(paths)), "failures": str(failed), "errors": "0"}
    suites = ET.Element("testsuites", {"name": "playbook", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "playbook check", **counts, "skipped": "0"})
    for path in paths:
        shown = _xml_text(prefix + path)
        case = ET.SubElement(suite, "testcase", {"name": shown, "classname": "playbook", "file": shown})
        for f in by_path.get(path, ()):
            failure = ET.SubElement(case, "failure", {"type": f.code, "message": _xml_text(f.message)})
            failure.text = _xml_text(f"{shown}:{f.location.line}:{f.location.col}: {f.code} "
                                     f"{_rule_name(f.code)} ({f.severity.label})\n{f.message}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


# GitLab Code Quality --------------------------------------------------------------

def to_gitlab(result, prefix: str = "") -> str:
    """A Code Quality report; fingerprints leave out the line so moving text does not churn them."""
    out, seen = [], {}
    for f in _sorted(result):
        path = prefix + f.location.path
        fp = fingerprint(f, path)
        seen[fp] = seen.get(fp, 0) + 1
        if seen[fp] > 1:  # the same problem twice in one file: still one fingerprint each
            fp = hashlib.sha256(f"{fp}\x1f{seen[fp]}".encode()).hexdigest()
        out.append({
            "description": f.message,
            "check_name": f.code,
            "fingerprint": fp,
            "severity": "major" if f.severity is Severity.ERROR else "minor",
            "location": {"path": path, "lines": {"begin": f.location.line}},
        })
    return json.dumps(out, indent=2, ensure_ascii=False)


# Markdown -------------------------------------------------------------------------


def to_markdown(result, prefix: str = "", hidden: int | None = None) -> str:
    errors, warnings = result.counts.get("error", 0), result.counts.get("warning", 0)
    if not result.findings:
        return f"## playbook check: no problems\n\n{summary_line(result, hidden)}"
    lines = [f"## playbook check: {_plural(errors, 'error')} and {_plural(warnings, 'warning')}",
             "", summary_line(result, hidden)]
    current = None
    for f in _sorted(result):
        if f.location.path != current:
            current = f.location.path
            lines += ["", f"### `{(prefix + current).replace('`', '')}`", "",
                      "| Line | Rule | Message |", "| ---: | --- | --- |"]
        rule = f"{f.code} {_rule_name(f.code)} ({f.severity.label})"
        lines.append(f"| {f.location.line} | {markdown_text(rule)} | {markdown_text(f.message)} |")
    return "\n".join(lines)


def render(fmt: str, result, *, colour: bool = False, prefix: str = "", hidden: int | None = None,
           scope: str | None = None) -> str:
    """The findings of ``result`` in one of ``FORMATS``, as one string without a final newline."""
    if fmt == "text":
        return "\n".join(text_lines(result, colour, hidden))
    if fmt == "json":
        return to_json(result, hidden)
    if fmt == "github":
        return to_github(result, prefix, hidden)
    if fmt == "sarif":
        return to_sarif(result, prefix, hidden)
    if fmt == "junit":
        return to_junit(result, prefix, scope)
    if fmt == "gitlab":
        return to_gitlab(result, prefix)
    if fmt == "markdown":
        return to_markdown(result, prefix, hidden)
    raise ValueError(f"unknown format {fmt!r}")
