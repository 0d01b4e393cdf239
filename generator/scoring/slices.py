"""Statements run in slices at once, one thread each.

DuckDB works on a table in row groups of 122,880 rows, one thread per row group: a file of
100,000 leads would be read, checked and scored by one thread however many the machine has.
A statement over fewer than two row groups' rows is therefore run as slices of the rows (by
row id), each on its own cursor in its own thread; a small one (a worked example) runs whole.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

ROW_GROUP = 122_880      # DuckDB's rows per row group: from two of them on, DuckDB shares the work itself
SMALLEST_SLICE = 20_000  # fewer rows than this are not worth a thread


def slices(con, rows: int) -> list[tuple[int, int]]:
    """The (first, last) row ids of each slice of ``rows`` rows: one slice when DuckDB shares the
    work itself or the rows are few."""
    if rows >= 2 * ROW_GROUP or rows < 2 * SMALLEST_SLICE:
        return [(0, max(rows - 1, 0))]
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    count = max(1, min(threads, rows // SMALLEST_SLICE))
    size = -(-rows // count)
    return [(start, min(start + size, rows) - 1) for start in range(0, rows, size)]


def run_sliced(con, parts: list[tuple[int, int]], run: Callable[[object, int, int, int], None]) -> None:
    """``run(connection, index, first, last)`` for each slice: one on ``con``, or each on a cursor of
    its own at once (a cursor sees the tables, not the temporary views, of ``con``)."""
    if len(parts) == 1:
        run(con, 0, *parts[0])
        return
    cursors = [con.cursor() for _ in parts]
    try:
        with ThreadPoolExecutor(len(parts)) as pool:
            for done in [pool.submit(run, cursor, i, *part) for i, (cursor, part) in enumerate(zip(cursors, parts))]:
                done.result()
    finally:
        for cursor in cursors:
            cursor.close()
