"""A throwaway PostgreSQL server for tests and benches, from the pip package `pgserver` (PostgreSQL 16 binaries:
no system package, no service).

    .venv/bin/python scripts/postgres.py start DIR   # starts (or finds) a server in DIR; prints its URL
    .venv/bin/python scripts/postgres.py stop DIR    # stops it and deletes DIR

The URL (a Unix socket under DIR) goes to HUMAKO_TEST_DATABASE_URL for the test suite, or to
`[database] url` to run the bot on it.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # pgserver logs every command it runs
    warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
    import pgserver

    directory = Path(argv[1]).resolve()
    if argv[0] == "start":
        directory.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(directory, cleanup_mode=None)  # keeps running after this process
        print(server.get_uri())
        return 0
    if not (directory / "PG_VERSION").exists():
        print(f"no PostgreSQL data directory at {directory}", file=sys.stderr)
        return 1
    pgserver.get_server(directory, cleanup_mode="delete").cleanup()  # the last handle: stop, then delete
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
