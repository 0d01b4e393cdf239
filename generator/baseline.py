"""Baselines: record today's findings so a team adopting the checker sees only new problems.

A baseline file is JSON (version 1)::

    {"version": 1, "tool": "playbook",
     "findings": [{"code": "PB401", "path": "personas/erin.yaml", "message": "...",
                   "fingerprint": "<sha256>", "count": 1}]}

The fingerprint (see ``output.fingerprint``) covers the rule code, the path, the entity and the
message without line numbers, so inserting lines above a finding does not make it "new". The
count says how many identical findings the baseline accepts: with a count of 1 and two such
findings now, one is reported.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from .config import UnreadableFile, read_limited
from .output import fingerprint

BASELINE_VERSION = 1
# A baseline lists every finding of a playbook: generous, but read no further than this.
BASELINE_MAX_BYTES = 64 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a playbook baseline."""


def make_baseline(findings) -> dict:
    entries: dict[str, dict] = {}
    for f in sorted(findings, key=lambda f: f.sort_key()):
        fp = fingerprint(f)
        if fp in entries:
            entries[fp]["count"] += 1
        else:
            entries[fp] = {"code": f.code, "path": f.location.path, "message": f.message,
                           "fingerprint": fp, "count": 1}
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["code"], e["message"], e["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": "playbook", "findings": ordered}


def write_baseline(path: Path, findings) -> dict:
    path = Path(path)
    if path.exists() and not path.is_file():
        raise BaselineError(f"{path} is not a regular file; name a file to record the baseline in.")
    data = make_baseline(findings)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def load_baseline(path: Path) -> Counter:
    """Fingerprint → how many findings with it the baseline accepts."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise BaselineError(f"{path}: no such baseline file; create one with --generate-baseline.")
    try:
        text = read_limited(path, BASELINE_MAX_BYTES, "baseline").decode("utf-8")
    except UnreadableFile as exc:
        raise BaselineError(exc.message) from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not a baseline: it is not UTF-8 text.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}:{exc.colno}: not a baseline: the JSON cannot be read "
                            f"({exc.msg}).") from None
    except (ValueError, RecursionError):  # numbers too long to read, nesting too deep
        raise BaselineError(f"{path}: not a baseline: the JSON has numbers too long or lists nested "
                            "too deeply to read.") from None
    if not isinstance(data, dict) or "findings" not in data:
        raise BaselineError(f"{path}: not a baseline: expected an object with \"version\" and "
                            "\"findings\"; create one with --generate-baseline.")
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: unsupported baseline version {data.get('version')!r} "
                            f"(this playbook reads version {BASELINE_VERSION}).")
    if not isinstance(data["findings"], list):
        raise BaselineError(f'{path}: not a baseline: "findings" must be a list.')
    accepted: Counter = Counter()
    for n, entry in enumerate(data["findings"], 1):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not _HEX64.match(fp):
            raise BaselineError(f"{path}: finding {n} has no valid \"fingerprint\" (64 hex digits).")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise BaselineError(f"{path}: finding {n} has an invalid \"count\" (a whole number of at least 1).")
        accepted[fp] += count
    return accepted


def apply_baseline(findings, accepted: Counter) -> tuple[list, int]:
    """(the findings the baseline does not cover, how many it hid). Findings keep their order."""
    remaining = Counter(accepted)
    kept, hidden = [], 0
    for f in findings:
        fp = fingerprint(f)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            hidden += 1
        else:
            kept.append(f)
    return kept, hidden
