"""The feedback cog's tests share this: the example config with its [feedback] block switched on (so the
documented block is what runs), a secret, and small readers."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.config import Config, load_config
from tests.harness import ROOT

KEY = "feedback-test-secret-0123456789-abcdefghijklmn"
CODE = re.compile(r"F-[2-9A-HJ-NP-Z]{6}")


def _example_cogs() -> tuple[str, ...]:
    """The example config's cogs plus feedback (its block is commented out there)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    found = re.search(r"^cogs = \[(.*)\]$", text, flags=re.MULTILINE)
    assert found, "config.example.toml lost its cogs line"
    return (*re.findall(r'"([a-z_]+)"', found.group(1)), "feedback")


EXAMPLE_COGS = _example_cogs()


def feedback_config(directory: Path, *, cogs: tuple[str, ...] = EXAMPLE_COGS,
                    text: str | None = None, **settings: object) -> Config:
    """config.example.toml (or `text`) with its commented [feedback] block enabled, `settings` overriding keys."""
    text = text or (ROOT / "config.example.toml").read_text(encoding="utf-8")
    head, marker, block = text.partition("#[feedback]")
    assert marker, "config.example.toml lost its [feedback] block"
    enabled = "\n".join(line[1:] if line.startswith("#") and not line.startswith("# ") and line != "#" else line
                        for line in (marker + block).splitlines())
    for key, value in settings.items():
        rendered = repr(value).lower() if isinstance(value, bool) else repr(value).replace("'", '"')
        enabled, count = re.subn(rf"^{key} = .*$", f"{key} = {rendered}", enabled, count=1, flags=re.MULTILINE)
        assert count == 1, key
    head = re.sub(r'^cogs = \[.*\]$', f"cogs = {list(cogs)!r}".replace("'", '"'), head, count=1, flags=re.MULTILINE)
    path = directory / "feedback-config.toml"
    path.write_text(head + enabled, encoding="utf-8")
    config = load_config(path, env={})
    # No web server on the example's fixed port 8080: it may be taken while other tests or processes run.
    return dataclasses.replace(config, secrets=dataclasses.replace(config.secrets, secret_key=KEY),
                               web=dataclasses.replace(config.web, enabled=False))


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found is not None, f"no case code in {text!r}"
    return found.group(0)
