"""The shared scenario suite: every module here lists SCENARIOS; each frontend runs them all."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Scenario = Callable[[Any], Awaitable[None]]
# The scenarios meet what organisers meet: /event create shows its preview (the test kit's default is off).
SETTINGS: dict[str, dict[str, Any]] = {"events": {"preview": True}}


def all_scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name in ("driver", "console_driver") or module.name.endswith("_driver"):
            continue
        found += getattr(importlib.import_module(f"tests.scenarios.{module.name}"), "SCENARIOS", [])
    return found
