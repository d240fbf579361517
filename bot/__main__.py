"""The `humako-bot` command line: run, console, check-config."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, default_config_path, load_config
from bot.logs import configure_logging

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="humako-bot", description="HUMAKO's community bot.")
    sub = parser.add_subparsers(dest="command")
    for name, text in (
        ("run", "run the configured frontends (Discord and/or Telegram when their tokens are set)"),
        ("console", "talk to the bot in this terminal: no token, no network"),
        ("check-config", "validate the configuration and print what is wrong"),
    ):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument("--config", type=Path, default=None,
                             help="config file (default: config.toml, else config.example.toml)")
        command.add_argument("--data", type=Path, default=Path("data"),
                             help="directory of the SQLite database (default: ./data)")
        command.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
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
                      (secrets.discord_token, secrets.telegram_token, secrets.secret_key))
    if command == "check-config":
        print(f"{config_path}: OK (frontends: {', '.join(config.enabled_frontends)})")
        return 0
    data = getattr(args, "data", Path("data"))
    from bot.app import StartupError

    try:
        if command == "console":
            from bot.frontends.console import run_console

            return asyncio.run(run_console(config, data, getattr(args, "script", None)))
        from bot.run import run_bot

        return asyncio.run(run_bot(config, data))
    except StartupError as error:
        # One line naming the cause, and a non-zero exit a supervisor acts on; the traceback only with -v.
        log.critical("cannot start: %s", error, exc_info=verbose)
        return 1


if __name__ == "__main__":
    sys.exit(main())
