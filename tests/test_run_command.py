"""`humako-bot run` as deployed: a real process on Telegram (the fake Bot API), stopped with SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def config_for(fake: FakeTelegram, path: Path) -> Path:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = ""', f'base_url = "{fake.bot_api_url}"', 1)
    text = text.replace('base_file_url = ""', f'base_file_url = "{fake.file_api_url}"', 1)
    text = text.replace("[web]\nenabled = true", "[web]\nenabled = false", 1)  # no fixed port 8080 in tests
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_run_serves_telegram_and_stops_cleanly_on_a_signal(tmp_path: Path, stop_signal: int) -> None:
    async with FakeTelegram() as fake:
        env = {**os.environ, "TELEGRAM_TOKEN": fake.token, "HUMAKO_SECRET_KEY": "run-test-secret-key"}
        env.pop("DISCORD_TOKEN", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config_for(fake, tmp_path / "config.toml")),
            "--data", str(tmp_path / "data"), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            user = fake.user(4242, "Sanni", language_code="fi")
            await fake.wait_for("deleteWebhook", timeout=30)  # polling starts right after
            fake.send_text(user, "/ping moi")
            [reply] = await fake.wait_for("sendMessage", timeout=15)
            assert "Pong: moi" in reply.params["text"]
            process.send_signal(stop_signal)
            _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, stderr.decode()
        log = stderr.decode()
        assert "stopped" in log
        assert fake.token not in log and "run-test-secret-key" not in log  # secrets never reach the log
    assert (tmp_path / "data" / "humako.sqlite3").exists()

