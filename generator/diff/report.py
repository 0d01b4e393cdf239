"""A diff as a reviewer reads it: text for the terminal, Markdown for a pull request, JSON."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from ..kinds import label
from ..text import markdown_text
from .changes import GRADES, Diff, EntityChange


_SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": "→", "unreadable": "?"}

# GitHub refuses a comment over 65,536 characters (counted as JavaScript counts them, in UTF-16
# units). The pull-request workflow adds a marker line and cuts anything over 60,000 itself, so
# the Markdown stays within that; past FOLD_AFTER characters the rest is folded away.
MARKDOWN_LIMIT = 60_000
FOLD_AFTER = 20_000


def show_value(value) -> str:
    """A value in a few words (for tables where a whole paragraph does not fit)."""
    text = _full(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _full(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


_WORDS = re.compile(r"\n|[^\s]+")


def _is_prose(old, new) -> bool:
    """Text long enough that marking the changed words says more than old → new."""
    return (isinstance(old, str) and isinstance(new, str)
            and any(len(_WORDS.findall(t)) >= 4 or "\n" in t for t in (old, new)))


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The new text as runs of (" ", kept), ("-", removed) and ("+", added) words; line breaks
    are kept, other whitespace is read as one space."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    runs: list[tuple[str, str]] = []

    def join(words):
        return " ".join(words).replace(" \n ", "\n").replace(" \n", "\n").replace("\n ", "\n")

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append((" ", join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", join(b[j1:j2])))
    return runs


def _marked(runs, mark, keep=lambda text: text) -> str:
    """Runs joined with spaces, each changed run wrapped by ``mark(op, text)`` line by line."""
    out = []
    for op, text in runs:
        if op == " ":
            out.append(keep(text))
        else:
            out.append("\n".join(mark(op, line) if line else line for line in text.split("\n")))
    text = " ".join(out)
    return text.replace(" \n", "\n").replace("\n ", "\n")


def _text_mark(op, text):
    return f"[-{text}-]" if op == "-" else f"{{+{text}+}}"


def _md_mark(op, text):
    return f"~~{_md_escape(text)}~~" if op == "-" else f"**{_md_escape(text)}**"


def _md_escape(text: str) -> str:
    return markdown_text(text, one_line=False)  # a word diff's line breaks become <br> later


def summary(d: Diff) -> str:
    c = d.counts()
    if not d.changes:
        if d.head_errors:
            n = len(d.head_errors)
            return (f"No changes in meaning could be seen, but the head side has {n} error{'s' if n != 1 else ''} "
                    f"and what {'it hides' if n == 1 else 'they hide'} is not compared.")
        return "No changes in meaning."
    parts = [f"{c[k]} {k}" for k in ("added", "removed", "renamed", "changed", "unreadable") if c[k]]
    grades = [f"{c[g]} {g}" for g in GRADES if c[g]]
    n = len(d.changes)
    return f"{n} {'entity' if n == 1 else 'entities'} changed ({', '.join(parts)})" + (f"; impacts: {', '.join(grades)}." if grades else ".")


_ERRORS_TITLE = {
    "head": "Errors on the head side (fix them: what they hide is left out of this comparison, not removed)",
    "base": "Errors on the base side (what they hid there is shown as unreadable, not as added)",
}


def _where_hidden(c: EntityChange) -> str:
    first = c.errors[0] if c.errors else None
    at = f"; see {first.location} {first.code}" if first else ""
    return f"cannot be read on the {c.side} side{at}"


def to_text(d: Diff) -> str:
    lines = [f"Semantic diff: {d.base} → {d.head}", ""]
    for side, errors in (("head", d.head_errors), ("base", d.base_errors)):
        if errors:
            lines.append(_ERRORS_TITLE[side])
            for f in errors:
                lines.append(f"  {f.location} {f.code} {f.message}")
            lines.append("")
    if d.impacts:
        lines.append("Impacts")
        for i in d.impacts:
            lines.append(f"  {i.grade.upper():<9} {i.message}  [{i.code}]")
        lines.append("")
    if d.changes:
        lines.append("Changes")
        for c in d.changes:
            extra = f" (was {c.old_id})" if c.old_id else ""
            where = f"  {c.path}" if c.path else ""
            hidden = f"  ({_where_hidden(c)})" if c.change == "unreadable" else ""
            lines.append(f"  {_SIGN[c.change]} {label(c.kind)} {c.id}{extra}: {c.name}{where}{hidden}")
            for f in c.fields:
                if _is_prose(f.old, f.new):
                    lines.append(f"      {f.path}:")
                    for line in _marked(word_diff(f.old, f.new), _text_mark).split("\n"):
                        lines.append(f"        {line}".rstrip())
                else:
                    lines.append(f"      {f.path}: {_full(f.old)} → {_full(f.new)}")
        lines.append("")
    if d.leads is not None:
        lines.append(f"On {d.leads.scored:,} leads" + (f" ({d.leads.bad_rows} bad rows skipped)" if d.leads.bad_rows else ""))
        for sentence in d.leads.sentences() or ["No lead changes stage, persona or nurture track."]:
            lines.append(f"  {sentence}")
        for ident, what, a, b in d.leads.examples:
            lines.append(f"    {ident}: {what} {a or 'none'} → {b or 'none'}")
        lines.append("")
    lines.append(summary(d))
    return "\n".join(lines) + "\n"


def _size(text: str) -> int:
    """Length as GitHub counts a comment (UTF-16 units, like JavaScript)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Section:
    head: list[str]  # lines before the items: a heading, a table header
    items: list[str]  # one or more lines each; never split
    noun: tuple[str, str]  # what one item is, singular and plural


def _sections(d: Diff) -> list[_Section]:
    out: list[_Section] = []
    for side, errors in (("head", d.head_errors), ("base", d.base_errors)):
        if errors:
            out.append(_Section([f"#### {markdown_text(_ERRORS_TITLE[side])}", ""],
                                [f"- `{markdown_text(f.location)}` {f.code} {markdown_text(f.message)}"
                                 for f in errors],
                                (f"error on the {side} side", f"errors on the {side} side")))
    if d.impacts:
        icon = {"breaking": "🔴 breaking", "warning": "🟠 warning", "info": "🔵 info"}
        out.append(_Section(["| Impact | What it means |", "| --- | --- |"],
                            [f"| {icon[i.grade]} | {markdown_text(i.message)} |" for i in d.impacts],
                            ("impact", "impacts")))
    items = []
    for c in d.changes:
        extra = f" (was `{c.old_id}`)" if c.old_id else ""
        hidden = f" ({markdown_text(_where_hidden(c))})" if c.change == "unreadable" else ""
        lines = [f"- **{c.change}** {label(c.kind)} `{c.id}`{extra}: {markdown_text(c.name)}{hidden}"]
        for f in c.fields:
            if _is_prose(f.old, f.new):
                marked = _marked(word_diff(f.old, f.new), _md_mark, _md_escape)
                lines.append(f"  - `{f.path}`: {marked.replace(chr(10), '<br>')}")
            else:
                lines.append(f"  - `{f.path}`: {markdown_text(_full(f.old))} → {markdown_text(_full(f.new))}")
        items.append("\n".join(lines))
    if items:
        out.append(_Section(["#### Changes", ""], items, ("change", "changes")))
    if d.leads is not None:
        out.append(_Section([f"#### Impact on {d.leads.scored:,} leads", ""],
                            [f"- {markdown_text(s)}" for s in d.leads.sentences() or
                             ["No lead changes stage, persona or nurture track."]], ("lead move", "lead moves")))
        if d.leads.examples:
            out.append(_Section(["| Lead | What | Before | After |", "| --- | --- | --- | --- |"],
                                [f"| {markdown_text(ident)} | {what} | {markdown_text(a or 'none')} "
                                 f"| {markdown_text(b or 'none')} |" for ident, what, a, b in d.leads.examples],
                                ("example lead", "example leads")))
    return out


def _render(parts: list[tuple[_Section, list[str]]], continued: set[int] = frozenset()) -> list[str]:
    lines: list[str] = []
    for index, (sec, items) in enumerate(parts):
        if not items:
            continue
        head = list(sec.head)
        if id(sec) in continued and head and head[0].startswith("#### "):
            head[0] += " (continued)"
        lines += head + items + [""]
    return lines


def _counted(left: list[tuple[_Section, str]]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for sec, _ in left:
        counts[sec.noun] = counts.get(sec.noun, 0) + 1
    said = [f"{n:,} {noun[0] if n == 1 else noun[1]}" for noun, n in counts.items()]
    return ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]


def _local_command(d: Diff) -> str:
    refs = []
    for side in (d.base, d.head):
        found = re.search(r"\(([0-9a-f]{4,64})\)$", side)
        if found:
            refs.append(found.group(1))
        elif side != "working tree":
            refs.append(side)
    return " ".join(["playbook diff", *refs])


def to_markdown(d: Diff, limit: int = MARKDOWN_LIMIT, fold_after: int = FOLD_AFTER) -> str:
    top = [f"### Playbook changes: `{d.base}` → `{d.head}`", "", summary(d), ""]
    flat = [(sec, item) for sec in _sections(d) for item in sec.items]

    def group(pairs):
        parts: list[tuple[_Section, list[str]]] = []
        for sec, item in pairs:
            if parts and parts[-1][0] is sec:
                parts[-1][1].append(item)
            else:
                parts.append((sec, [item]))
        return parts

    def cost(pairs, seen):
        """Characters the items add, headings of sections not yet started included."""
        total = 0
        for sec, item in pairs:
            if id(sec) not in seen:
                seen.add(id(sec))
                total += _size("\n".join(sec.head)) + 2
            total += _size(item) + 1
        return total

    whole = "\n".join(top + _render(group(flat))).rstrip() + "\n"
    if _size(whole) <= fold_after:
        return whole
    # the first part stays open, the rest is folded; what does not fit at all is left out
    shown, used, seen = [], _size("\n".join(top)), set()
    for pair in flat:
        extra = cost([pair], set(seen))
        if used + extra > fold_after:
            break
        used += extra
        cost([pair], seen)
        shown.append(pair)
    rest = flat[len(shown):]
    started = set(seen)
    room = limit - used - 700  # the <details> wrapper and the sentences around it
    folded, seen = [], set()
    for pair in rest:
        extra = cost([pair], set(seen))
        if extra > room:
            break
        room -= extra
        cost([pair], seen)
        folded.append(pair)
    left = rest[len(folded):]
    lines = top + _render(group(shown))
    if folded:
        lines += ["<details>",
                  f"<summary>More: {_counted(folded)}, folded to keep this comment readable (click to open)</summary>",
                  "", *_render(group(folded), started), "</details>", ""]
    if left:
        lines += [f"**Left out:** {_counted(left)} did not fit in a pull-request comment (GitHub's limit is "
                  f"65,536 characters). Run `{_local_command(d)}` locally to see everything "
                  "(`--format json` for tools)."]
    return "\n".join(lines).rstrip() + "\n"


def to_json(d: Diff) -> str:
    def value(v):
        return list(v) if isinstance(v, tuple) else v

    return json.dumps({
        "version": 1, "base": d.base, "head": d.head, "summary": d.counts(),
        "impacts": [{"code": i.code, "grade": i.grade, "message": i.message, "kind": i.kind, "id": i.id}
                    for i in d.impacts],
        "errors": {side: [{"code": f.code, "path": f.location.path, "line": f.location.line,
                           "col": f.location.col, "message": f.message} for f in errors]
                   for side, errors in (("base", d.base_errors), ("head", d.head_errors))},
        "changes": [{"kind": c.kind, "id": c.id, "name": c.name, "change": c.change, "path": c.path,
                     "old_id": c.old_id, **({"side": c.side} if c.change == "unreadable" else {}),
                     "fields": [{"path": f.path, "old": value(f.old), "new": value(f.new)} for f in c.fields]}
                    for c in d.changes],
        "leads": None if d.leads is None else {
            "scored": d.leads.scored, "bad_rows": d.leads.bad_rows,
            "moves": [{"what": w, "from": a, "to": b, "count": n}
                      for (w, a, b), n in sorted(d.leads.moves.items(), key=lambda kv: (-kv[1], kv[0]))],
            "examples": [{"id": i, "what": w, "from": a, "to": b} for i, w, a, b in d.leads.examples]},
    }, indent=2, ensure_ascii=False) + "\n"
