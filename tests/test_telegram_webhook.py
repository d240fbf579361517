"""Telegram in webhook mode: setWebhook with a secret, updates POSTed to our listener, answers sent."""

from __future__ import annotations

import dataclasses
import hashlib
import socket
from pathlib import Path

import aiohttp

from bot.config import WebSettings
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.telegram_driver import TelegramBot, telegram_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_receives_updates_and_answers(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        port = free_port()
        config = telegram_config(fake)
        webhook = dataclasses.replace(config.telegram, mode="webhook", webhook_url="https://bot.example.org/tg-hook",
                                      webhook_listen="127.0.0.1", webhook_port=port)
        bot = await TelegramBot.start(tmp_path, fake, config=dataclasses.replace(config, telegram=webhook))
        try:
            assert fake.webhook["url"] == "https://bot.example.org/tg-hook"
            secret = fake.webhook["secret_token"]
            assert secret == hashlib.sha256(f"humako-webhook:{fake.token}".encode()).hexdigest()
            fake.send_text(fake.user(77, "Sanni"), "/ping moi")
            update = fake._updates.pop()  # delivered by POST instead of getUpdates
            async with aiohttp.ClientSession() as http:
                wrong = await http.post(f"http://127.0.0.1:{port}/tg-hook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
                assert wrong.status == 403  # someone who doesn't know the secret can't inject updates
                right = await http.post(f"http://127.0.0.1:{port}/tg-hook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": secret})
                assert right.status == 200
            [sent] = await fake.wait_for("sendMessage", timeout=5)
            assert "Pong: moi" in sent.params["text"]
        finally:
            await bot.stop()


async def test_with_the_web_server_on_the_webhook_shares_its_port(tmp_path: Path) -> None:
    """[web] enabled: Telegram's pushes come to the bot's one web server; PTB opens no listener of its own."""
    async with FakeTelegram() as fake:
        own_port = free_port()
        config = telegram_config(fake)
        webhook = dataclasses.replace(config.telegram, mode="webhook", webhook_url="https://bot.example.org/tg-hook",
                                      webhook_listen="127.0.0.1", webhook_port=own_port)
        web = WebSettings(enabled=True, port=0, base_url="https://bot.example.org")
        bot = await TelegramBot.start(tmp_path, fake, config=dataclasses.replace(config, telegram=webhook, web=web))
        try:
            server = bot.app.web
            assert server is not None and server.port
            secret = fake.webhook["secret_token"]
            fake.send_text(fake.user(77, "Sanni"), "/ping moi")
            update = fake._updates.pop()
            async with aiohttp.ClientSession() as http:
                base = f"http://127.0.0.1:{server.port}"
                assert (await http.get(f"{base}/healthz")).status == 200  # Telegram counts as connected
                wrong = await http.post(f"{base}/tg-hook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
                assert wrong.status == 403
                assert (await http.post(f"{base}/elsewhere", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": secret})).status == 404
                right = await http.post(f"{base}/tg-hook", json=update,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": secret})
                assert right.status == 200
            [sent] = await fake.wait_for("sendMessage", timeout=5)
            assert "Pong: moi" in sent.params["text"]
            with socket.socket() as probe:  # PTB's own listener was not opened
                probe.bind(("127.0.0.1", own_port))
        finally:
            await bot.stop()
