"""A consistent copy of the live database, taken while the bot runs, with SQLite's online backup API.

Copying the file (cp, rsync) while the bot writes can give a torn copy, and in WAL mode the newest
transactions live in humako.sqlite3-wal, which a file copy of the main file misses. The backup API reads
one consistent snapshot (committed transactions only, the WAL included) without stopping the writers.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """The backup could not be made; the message says why in one line."""


def backup(source: Path, target: Path) -> int:
    """Copy the database at `source` to `target` (replaced atomically if it exists); returns its size."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    partial = target.with_name(f".{target.name}.partial")
    try:
        # mode=rw: never create an empty database by mistake; the copy only reads.
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30)) as live, \
                contextlib.closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backing up {source} failed: {error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size
