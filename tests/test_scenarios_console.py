"""The shared scenario suite on the console frontend."""

from __future__ import annotations

import pytest

from tests.harness import ConsoleBot
from tests.scenarios import all_scenarios
from tests.scenarios.console_driver import ConsoleDriver


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.__name__)
async def test_scenario_on_console(bot: ConsoleBot, scenario) -> None:  # type: ignore[no-untyped-def]
    await scenario(ConsoleDriver(bot))
