from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import ConsoleBot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[ConsoleBot]:
    """The real application with the console frontend, a file database and a frozen clock."""
    harness = await ConsoleBot.start(tmp_path)
    try:
        yield harness
    finally:
        await harness.stop()
