"""The `humako-bot` command line: run, console, check-config, migrate, rotate-key, backup, copy-database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config, ConfigError, default_config_path, load_config
from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.app import Application
    from storage.db import Database

OLD_KEY_ENV = "HUMAKO_SECRET_KEY_OLD"
ROTATE_HELP = f"""\
Sealed routes (bot/sealed.py, docs/sealed-delivery.md) are encrypted under a key derived from
HUMAKO_SECRET_KEY. To change the secret:
  1. stop the bot;
  2. set {OLD_KEY_ENV} to the current secret and HUMAKO_SECRET_KEY to the new one (at least 32
     characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))');
  3. run `humako-bot rotate-key --data DIR`: every route is re-encrypted under the new key in one
     transaction, or nothing changes if a route opens with neither key;
  4. start the bot with only the new HUMAKO_SECRET_KEY and unset {OLD_KEY_ENV}.
A new secret also changes the keyed sender hashes (blocks and rate limits keyed on them lapse) and the
button signatures (buttons posted before stop working)."""
log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="humako-bot", description="HUMAKO's community bot.")
    sub = parser.add_subparsers(dest="command")
    for name, text in (
        ("run", "run the configured frontends (Discord and/or Telegram when their tokens are set)"),
        ("console", "talk to the bot in this terminal: no token, no network"),
        ("check-config", "validate the configuration and print what is wrong"),
        ("migrate", "apply the database migrations of the core and the enabled cogs; print each one's version"),
        ("rotate-key", "re-encrypt every sealed route under a new HUMAKO_SECRET_KEY"),
        ("backup", "copy the database to PATH while the bot runs (SQLite's online backup API)"),
        ("copy-database", "copy every row of the (stopped) bot's database into the empty database at URL, e.g. "
                          "from SQLite to PostgreSQL"),
    ):
        epilog = ROTATE_HELP if name == "rotate-key" else None
        command = sub.add_parser(name, help=text, description=text, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("--config", type=Path, default=None,
                             help="config file (default: config.toml, else config.example.toml)")
        command.add_argument("--data", type=Path, default=Path("data"),
                             help="data directory, with the SQLite database unless [database] url names one "
                                  "(default: ./data)")
        command.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
        if name == "backup":
            command.add_argument("path", type=Path, help="where to write the copy (replaced if it exists)")
        if name == "copy-database":
            command.add_argument("url", help="the target database: postgresql://... or a SQLite file path")
        if name == "console":
            command.add_argument("--script", default=None,
                                 help="run the lines of FILE (or - for standard input) and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "console"
    config_path = getattr(args, "config", None) or default_config_path()
    verbose = getattr(args, "verbose", False)
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(f"{config_path}: the configuration has problems:\n{error}", file=sys.stderr)
        return 2
    secrets = config.secrets
    configure_logging(logging.DEBUG if verbose else logging.WARNING if command == "console" else logging.INFO,
                      (secrets.discord_token, secrets.telegram_token, secrets.secret_key,
                       os.environ.get(OLD_KEY_ENV)))
    if command == "check-config":
        print(f"{config_path}: OK (frontends: {', '.join(config.enabled_frontends)})")
        return 0
    data = getattr(args, "data", Path("data"))
    if command == "backup":
        return _backup(config, data, args.path)
    from bot.app import StartupError
    from bot.sealed import StartRefused

    try:
        if command == "migrate":
            return _migrate(config, data)
        if command == "rotate-key":
            return _rotate_key(config, data)
        if command == "copy-database":
            return _copy_database(config, data, args.url)
        if command == "console":
            from bot.frontends.console import run_console

            return asyncio.run(run_console(config, data, getattr(args, "script", None)))
        from bot.run import run_bot

        return asyncio.run(run_bot(config, data))
    except StartRefused as refused:
        print(f"humako-bot: {refused}", file=sys.stderr)
        return 2
    except StartupError as error:
        # One line naming the cause, and a non-zero exit a supervisor acts on; the traceback only with -v.
        log.critical("cannot start: %s", error, exc_info=verbose)
        return 1


def _backup(config: Config, data: Path, target: Path) -> int:
    from storage.backup import BackupError, backup
    from storage.db import is_postgresql_url, sqlite_path

    location = config.database.url or str(data / "humako.sqlite3")
    if is_postgresql_url(location):
        print("humako-bot backup: the database is PostgreSQL; back it up with pg_dump (docs/operations.md)",
              file=sys.stderr)
        return 2
    source = Path(sqlite_path(location))
    try:
        size = backup(source, target)
    except (BackupError, OSError) as error:
        print(f"humako-bot backup: {error}", file=sys.stderr)
        return 1
    print(f"{source} backed up to {target} ({size / 1e6:.1f} MB)")
    return 0


async def _open_migrated(app: Application, location: str, config: Config) -> Database:
    """The database at `location` with the core's and the enabled cogs' migrations applied (as `run` does)."""
    from storage.db import Database

    db = await Database.open(location, busy_timeout=config.database.busy_timeout_seconds, pool_size=2)
    try:
        for cog in app.cogs:
            if cog.migrations is not None:
                await db.migrate(cog.migrations, component=cog.name)
    except BaseException:
        await db.close()
        raise
    return db


def _migrate(config: Config, data: Path) -> int:
    """Apply pending migrations (what `run` does at start), e.g. before starting several processes on one
    PostgreSQL; print the version per component."""
    from bot.app import Application
    from storage.db import OPEN_ERRORS

    app = Application(config, data)

    async def migrate() -> dict[str, int]:
        db = await _open_migrated(app, app.database_path, config)
        try:
            return await db.schema_versions()
        finally:
            await db.close()

    try:
        versions = asyncio.run(migrate())
    except OPEN_ERRORS as error:
        print(f"humako-bot migrate: {app.database_name}: {error}", file=sys.stderr)
        return 1
    print(f"{app.database_name}:")
    for component, version in versions.items():
        print(f"  {component}: {version}")
    return 0


def _copy_database(config: Config, data: Path, url: str) -> int:
    """Move to another database (docs/operations.md, "From SQLite to PostgreSQL"): migrate both, then copy."""
    from bot.app import Application
    from bot.workers import slots_in_use
    from storage.db import OPEN_ERRORS, is_postgresql_url, sqlite_path
    from storage.postgres import redact_url
    from storage.transfer import TransferError, copy_rows, is_blank

    app = Application(config, data)
    source = app.database_path
    shown = redact_url(url)
    if not is_postgresql_url(source) and not Path(sqlite_path(source)).is_file():
        print(f"humako-bot copy-database: no database at {source} (check --data)", file=sys.stderr)
        return 2
    if (is_postgresql_url(url) and url == source) or (
            not is_postgresql_url(url) and not is_postgresql_url(source)
            and Path(sqlite_path(url)).resolve() == Path(sqlite_path(source)).resolve()):
        print("humako-bot copy-database: the target is the bot's own database", file=sys.stderr)
        return 2
    if slots_in_use(data / "workers"):
        # Rows written during the copy would be missed: the copy is of a stopped bot.
        print("humako-bot copy-database: the bot is running on this data directory; stop it first",
              file=sys.stderr)
        return 2

    async def copy() -> dict[str, int]:
        if not await is_blank(url):
            raise TransferError("the target database is not empty: copy only into a new, empty database")
        from_db = await _open_migrated(app, source, config)
        try:
            to_db = await _open_migrated(app, url, config)
            try:
                return await copy_rows(from_db, to_db)
            finally:
                await to_db.close()
        finally:
            await from_db.close()

    try:
        copied = asyncio.run(copy())
    except TransferError as error:
        print(f"humako-bot copy-database: {error}", file=sys.stderr)
        return 1
    except OPEN_ERRORS as error:
        print(f"humako-bot copy-database: {shown}: {error}", file=sys.stderr)
        return 1
    print(f"{app.database_name} copied to {shown}: {sum(copied.values())} rows in {len(copied)} tables")
    print(f"Now set [database] url to the new database (and keep {app.database_name} as the backup).")
    return 0


def _rotate_key(config: Config, data: Path) -> int:
    from bot.app import Application
    from bot.sealed import MIN_SECRET_CHARS, rotate_routes
    from storage.db import Database, is_postgresql_url, sqlite_path

    new, old = config.secrets.secret_key, os.environ.get(OLD_KEY_ENV) or None
    if not new or not old:
        print(f"humako-bot rotate-key: set {OLD_KEY_ENV} to the current secret and HUMAKO_SECRET_KEY to the new "
              "one (see humako-bot rotate-key --help)", file=sys.stderr)
        return 2
    if new == old:
        print(f"humako-bot rotate-key: HUMAKO_SECRET_KEY and {OLD_KEY_ENV} are the same", file=sys.stderr)
        return 2
    if len(new) < MIN_SECRET_CHARS:
        print(f"humako-bot rotate-key: the new HUMAKO_SECRET_KEY is shorter than {MIN_SECRET_CHARS} characters",
              file=sys.stderr)
        return 2

    database = Application(config, data).database_path
    if not is_postgresql_url(database) and not Path(sqlite_path(database)).is_file():
        # A mistyped --data must not create an empty database and say "done".
        print(f"humako-bot rotate-key: no database at {database} (check --data)", file=sys.stderr)
        return 2

    async def rotate() -> tuple[int, int]:
        db = await Database.open(database)
        try:
            return await rotate_routes(db, new.encode(), old.encode())
        finally:
            await db.close()

    rotated, unreadable = asyncio.run(rotate())
    if unreadable:
        print(f"humako-bot rotate-key: {unreadable} sealed route(s) open with neither key; nothing was changed. "
              f"Check {OLD_KEY_ENV}.", file=sys.stderr)
        return 1
    print(f"Re-encrypted {rotated} sealed route(s) under the new key. Start the bot with only the new "
          f"HUMAKO_SECRET_KEY and unset {OLD_KEY_ENV}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
