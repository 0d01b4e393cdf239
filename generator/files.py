"""Reading a file named on the command line or in the settings: a regular file, within a size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnreadableFile(Exception):
    """A file named on the command line that is not a regular, readable file within the limit."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, refusing devices, pipes, folders and files over
    ``limit`` bytes (checked on the open file, and read no further than the limit)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such {what} file.") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path} is a folder, not a {what} file.") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: the {what} file cannot be read ({exc.strerror or exc}).") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{path} is a folder, not a {what} file.")
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{path} is not a regular file (it is a device, a pipe or a socket); "
                                 f"name the {what} file itself.")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"{path}: the {what} file cannot be read ({exc.strerror or exc}).") from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise UnreadableFile(f"{path} is over the {limit:,}-byte limit for a {what} file.")
    return raw
