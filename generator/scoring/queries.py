"""The compiled query's DuckDB text, compiled once per change of the definitions: kept in memory
and, between runs, in the user's cache folder under a digest of everything the text depends on."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..playbook import Playbook
from . import compile as c

_QUERIES: dict = {}  # definitions -> the query's DuckDB text, the day a parameter: compiled once per change
CACHE_ENV = "PLAYBOOK_CACHE_DIR"  # where compiled queries are kept between runs ("off": nowhere)
KEEP_QUERIES = 64                 # at most this many kept


def definitions_key(pb: Playbook) -> str:
    """What the compiled query depends on, as text: equal keys, equal queries."""
    parts = [pb.scoring.model_dump_json() if pb.scoring else ""]
    parts += [s.model_dump_json(include={"id", "order", "entry"}) for s in pb.stages]
    parts += [p.model_dump_json(include={"id", "kind", "criteria", "red_flags"}) for p in pb.personas]
    parts += [repr(c.nurture_routes(pb))]
    return "\n".join(parts)


def query_text(pb: Playbook, part: str = "query") -> str:
    """A compiled text as DuckDB's, reading the scoring day from the parameter ``$as_of``: the
    scoring query reading the event points from ``_pb_event_sums`` ("query"), the aggregates that
    sum them per lead ("event_sums": :func:`~generator.scoring.compile.event_sum_columns`) or that
    table's query over ``events`` ("event_sums_query"). Kept in memory, and between runs in the
    user's cache folder under a digest of everything the text depends on (the definitions it
    reads, the compiler's source, sqlglot's version)."""
    key = definitions_key(pb) + "\n" + part
    text = _QUERIES.get(key)
    if text is None:
        if len(_QUERIES) >= 16:
            _QUERIES.clear()
        stored = cached_query(key)
        text = stored.read_text(encoding="utf-8") if stored is not None and stored.is_file() else None
        if text is None:
            text = _compiled(pb, part)
            keep(stored, text)
        _QUERIES[key] = text
    return text


def _compiled(pb: Playbook, part: str) -> str:
    options = {"event_position": "pos", "as_of_parameter": "as_of"}
    if part == "event_sums":
        return ", ".join(e.sql("duckdb") for e in c.event_sum_columns(pb, None, **options))
    if part == "event_sums_query":
        return c.event_sums_query(pb, None, **options).sql("duckdb")
    return c.scoring_query(pb, None, event_sums="_pb_event_sums", **options).sql("duckdb")


# The modules the compiled text is made by: the compiler's own, and every module of the package
# they import (tests/test_score_engine.py checks that none is missing).
COMPILER_SOURCES = ("scoring/compile.py", "scoring/definitions.py", "scoring/expressions.py", "criteria.py",
                    "playbook.py", "units.py", "model/*.py")


def compiler_sources() -> list[Path]:
    """The files of :data:`COMPILER_SOURCES`, in a fixed order."""
    package = Path(c.__file__).resolve().parent.parent
    return [path for pattern in COMPILER_SOURCES for path in sorted(package.glob(pattern))]


def cached_query(key: str, suffix: str = ".sql", engine: bool = False) -> Path | None:
    """The file the compiled text for these definitions is kept in, or None (no cache folder).
    With ``engine``, a file for what the whole engine made (worked examples' results): its name
    digests every scoring module and DuckDB's version as well."""
    folder = os.environ.get(CACHE_ENV)
    if folder == "off":
        return None
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "playbook", "queries")
    import hashlib
    digest = hashlib.sha256()
    sources = compiler_sources()
    extra = []
    if engine:
        import duckdb
        sources += sorted(Path(__file__).resolve().parent.glob("*.py"))
        extra.append(duckdb.__version__.encode())
    for part in ([p.read_bytes() for p in sources]
                 + [_sqlglot_version(), *extra, key.encode("utf-8", "surrogatepass")]):
        digest.update(len(part).to_bytes(8, "big") + part)
    return Path(folder) / f"{digest.hexdigest()}{suffix}"


def _sqlglot_version() -> bytes:
    """sqlglot's version, read without importing it (its import takes longer than the lookup saves)."""
    import importlib.util
    spec = importlib.util.find_spec("sqlglot")
    if spec is None or not spec.origin:
        return b""
    folder = Path(spec.origin).parent
    version = folder / "_version.py"
    return version.read_bytes() if version.is_file() else str(folder).encode()


def keep(path: Path | None, text: str) -> None:
    """Write the compiled text whole or not at all (another run may read it at the same time);
    a folder that cannot be written just means compiling again next time."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
        kept = sorted(path.parent.glob("*" + path.suffix), key=lambda p: p.stat().st_mtime)
        for old in kept[:-KEEP_QUERIES]:  # the oldest go: the folder stays small
            if re.fullmatch(r"[0-9a-f]{64}\.(sql|json)", old.name):
                old.unlink(missing_ok=True)
    except OSError:
        pass
