"""Discord gateway shards divided between processes: `[discord] shard_ids` of `shard_count` run this process's
shards on discord.py's AutoShardedClient; the process with shard 0 registers the slash commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.frontends.discord import HumakoShardedClient
from bot.testing import make_config
from tests.fakes.discord_server import GUILD_ID, FakeDiscord
from tests.scenarios.discord_driver import DiscordBot, guild_for
from tests.scenarios.driver import Who


def sharded(ids: list[int], count: int = 2) -> object:
    return make_config(["ping"], {"discord": {"shard_ids": ids, "shard_count": count}})


async def test_a_process_runs_its_shards_and_answers_on_the_guilds_shard(tmp_path: Path) -> None:
    bot = await DiscordBot.start(tmp_path, sharded([0, 1]))  # type: ignore[arg-type]
    try:
        assert isinstance(bot.frontend.client, HumakoShardedClient)
        assert sorted(tuple(p["shard"]) for p in bot.fake.identify_payloads) == [(0, 2), (1, 2)]
        guild_shard = (GUILD_ID >> 22) % 2
        assert bot.frontend.client.get_guild(GUILD_ID).shard_id == guild_shard  # type: ignore[union-attr]
        user = bot.driver._user(Who("Olli", frozenset()))
        handle = await bot.fake.slash("ping", {"message": "moi"}, user_id=user)
        assert (await handle.response()).json["data"]["content"] == "Pong: moi"  # answered once, by its shard
    finally:
        await bot.stop()


async def test_a_process_without_shard_0_leaves_the_commands_to_the_one_with_it(tmp_path: Path) -> None:
    config = sharded([1])
    fake = await FakeDiscord(guild_for(config)).start()  # type: ignore[arg-type]
    bot = await DiscordBot.start(tmp_path, config, fake=fake)  # type: ignore[arg-type]
    try:
        assert [p["shard"] for p in fake.identify_payloads] == [[1, 2]]
        assert bot.frontend.client is not None and bot.frontend.client.get_guild(GUILD_ID) is None  # shard 0's
        assert not (tmp_path / "discord_commands.json").exists()  # nothing synced from here
    finally:
        await bot.stop()


@pytest.mark.parametrize(("table", "problem"), [
    ({"shard_ids": [0]}, "discord.shard_ids: needs discord.shard_count"),
    ({"shard_ids": [2], "shard_count": 2}, "each shard id must be below shard_count"),
    ({"shard_ids": [1, 1], "shard_count": 2}, "listed twice"),
    ({"shard_count": 0}, "discord.shard_count"),
])
def test_shard_settings_are_checked(table: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        make_config(["ping"], {"discord": table})
