"""SQL text the engine is given besides the compiled query: names and values quoted as sqlglot
quotes them (so reading a file needs no sqlglot), and the DuckDB connection scoring runs in."""

from __future__ import annotations

import os

import duckdb


def quote_name(name: str) -> str:
    """A name as a quoted DuckDB identifier (a quote inside doubled), as sqlglot writes it."""
    return '"' + name.replace('"', '""') + '"'



def literal(text: str) -> str:
    """A text as a DuckDB string literal (a quote inside doubled; a backslash is plain text), as
    sqlglot writes it."""
    return "'" + text.replace("'", "''") + "'"



PROGRESS_AFTER = "PLAYBOOK_PROGRESS_AFTER_MS"  # how long a step runs before its progress bar shows



def connect(memory_limit: str | None = None, temp_directory: str | None = None,
            threads: int | None = None, progress: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection; with a memory limit it spills to ``temp_directory``. With a
    ``temp_directory`` the tables live in a database file made there (and removed at exit):
    DuckDB writes large tables to it compressed as they are made, so a file many times the memory
    limit is read without holding it in memory uncompressed. Otherwise everything is in memory.
    With ``progress`` (the caller's standard output is a terminal: DuckDB draws its bar there), a
    step running longer than 2 seconds, or ``PLAYBOOK_PROGRESS_AFTER_MS``, shows a progress bar."""
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = temp_directory
    if threads:
        config["threads"] = threads
    database = ":memory:"
    if temp_directory:
        import shutil
        import tempfile
        os.makedirs(temp_directory, exist_ok=True)
        folder = tempfile.mkdtemp(prefix="playbook-score-", dir=temp_directory)
        database = os.path.join(folder, "leads.duckdb")
        try:
            con = duckdb.connect(database, config=config)
        except BaseException:
            shutil.rmtree(folder, True)
            raise
        import weakref
        weakref.finalize(con, shutil.rmtree, folder, True)  # when the connection goes, or at exit
    else:
        con = duckdb.connect(database, config=config)
    if progress:
        after = os.environ.get(PROGRESS_AFTER, "")
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
        con.execute(f"SET progress_bar_time = {int(after) if after.isdigit() else 2000}")
    return con
