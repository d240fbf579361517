"""Configuration loading: the example file is valid, and every kind of mistake is reported by key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_COGS_DIR,
    NUMERIC_KINDS,
    REPO_ROOT,
    REQUIRED,
    Bounds,
    Config,
    ConfigError,
    Field,
    Schema,
    available_cogs,
    default_config_path,
    load_config,
)

EXAMPLE = REPO_ROOT / "config.example.toml"
MINIMAL = """
[destinations.announcements]
telegram_chat_id = -100123
[destinations.board]
console_only = true
"""

EXAMPLE_COGS = 'cogs = ["ping", "events", "announcements", "meetings", "tutoring", "membership", "mentoring"]'
ORGANISER_TABLE = '[roles.organiser]\nname_fi = "paikallistoimijat"\nname_en = "organisers"'


POLLS_COG = """
from bot.commands import Cog
from bot.config import Field, between

cog = Cog("polls", "Polls", settings={"max_options": Field("int", 10, check=between(1, 20))})
"""


@pytest.fixture
def cogs(tmp_path: Path) -> Path:
    """A cogs package holding the modules the example enables: events is the real cog (its settings schema
    is what [events] is checked against), ping declares nothing, polls is a package declaring [polls]."""
    directory = tmp_path / "cogs"
    directory.mkdir()
    for name in ("__init__", "ping", "_helpers"):
        (directory / f"{name}.py").write_text("", encoding="utf-8")
    for real in ("events", "announcements", "meetings", "tutoring", "membership", "mentoring"):
        (directory / f"{real}.py").write_text(f"from cogs.{real} import cog  # noqa: F401\n", encoding="utf-8")
    (directory / "polls").mkdir()
    (directory / "polls" / "__init__.py").write_text(POLLS_COG, encoding="utf-8")
    return directory


def load_text(tmp_path: Path, cogs: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env or {}, cogs)


def problems(tmp_path: Path, cogs: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        load_text(tmp_path, cogs, text)
    message = str(excinfo.value)
    assert all(p in message for p in excinfo.value.problems)  # str() lists every problem
    return excinfo.value.problems


def example_with(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


def test_example_config_loads(cogs: Path) -> None:
    config = load_config(EXAMPLE, {}, cogs)
    assert config.community.name == "HUMAKO"
    assert str(config.tz) == "Europe/Helsinki"
    assert config.bot.cogs == ("ping", "events", "announcements", "meetings", "tutoring", "membership", "mentoring")
    assert "helsinki" in config.campus_ids and config.campus("jyvaskyla").name("en") == "Jyväskylä"
    assert config.destination("announcements").language == "fi"
    assert config.destination("international").language == "en"
    assert config.destination("dev").console_only
    assert set(config.roles) >= {"student", "board", "mentor_coordinator"}
    assert config.roles["board"].console_users == ("admin",)
    assert config.section("events")["reminder_hours"] == (24, 1)
    assert config.enabled_frontends == ["console"]
    with pytest.raises(KeyError):
        config.campus("oulu")
    with pytest.raises(KeyError, match="did you mean 'events'"):
        config.section("evnts")


@pytest.mark.skipif(
    not {"ping", "events"} <= available_cogs(DEFAULT_COGS_DIR), reason="example's cogs not written yet"
)
def test_example_config_loads_with_real_cogs() -> None:
    load_config(EXAMPLE, {})


def test_minimal_config_gets_defaults(tmp_path: Path, cogs: Path) -> None:
    config = load_text(tmp_path, cogs, MINIMAL)
    assert config.community.default_language == "fi"
    assert config.bot.command_rate_seconds == 60.0 and isinstance(config.bot.command_rate_seconds, float)
    assert config.outbox.max_attempts == 6 and config.scheduler.grace_seconds == 21600
    assert config.campuses == () and config.roles["organiser"].discord_role_ids == ()  # declared by events
    assert "tutor" not in config.roles  # declared by no enabled cog, and not defined in this file
    assert config.section("events")["digest_cron"] == "0 9 * * mon"
    assert config.destination("announcements").discord_channel_id is None


def test_default_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_config_path() == EXAMPLE
    (tmp_path / "config.toml").write_text(MINIMAL, encoding="utf-8")
    assert default_config_path() == tmp_path / "config.toml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("command_rate = 20", 'command_rate = "20"', "bot.command_rate: must be an integer"),
        ("command_rate = 20", "command_rate = true", "bot.command_rate: must be an integer"),
        ("command_rate = 20", "command_rate = 0", "bot.command_rate: must be between 1 and 10000, not 0"),
        ("enabled = true", 'enabled = "yes"', "discord.enabled: must be true or false"),
        (
            "reminder_hours = [24, 1]",
            'reminder_hours = [24, "1"]',
            "events.reminder_hours: must be a list of integers",
        ),
        (
            "telegram_chat_id = -1001000000010",
            'telegram_chat_id = "-1001000000010"',
            "destinations.announcements.telegram_chat_id: must be an integer",
        ),
        ('sync = "guild"', 'sync = "globl"', "discord.sync: must be one of 'guild', 'global', not 'globl'"),
        ('default_language = "fi"', 'default_language = "sv"', "community.default_language: must be one of"),
        ("webhook_port = 8443", "webhook_port = 70000", "telegram.webhook_port: must be between 1 and 65535"),
        (
            'digest_cron = "0 9 * * mon"',
            'digest_cron = "0 9 * mon"',
            "events.digest_cron: must be a 5-field cron",
        ),
        ('digest_cron = "0 9 * * mon"', 'digest_cron = "0 9 * * mond"', "events.digest_cron: invalid cron"),
        ('mode = "polling"', 'mode = "webhook"', "telegram.webhook_url: required when mode = 'webhook'"),
        (
            'api_base = ""',
            'api_base = "localhost:80"',
            "discord.api_base: must be empty or an http(s):// URL",
        ),
    ],
)
def test_wrong_values(tmp_path: Path, cogs: Path, old: str, new: str, expected: str) -> None:
    found = problems(tmp_path, cogs, example_with(old, new))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[community]", "[comunity]", "comunity: unknown key (did you mean 'community'?)"),
        ("cogs = [", "cog = [", "bot.cog: unknown key (did you mean 'cogs'?)"),
        ("page_size = 5", "pagesize = 5", "events.pagesize: unknown key (did you mean 'page_size'?)"),
        (
            "\nconsole_only = true",
            "\nconsol_only = true",
            "destinations.dev.consol_only: unknown key (did you",
        ),
        ('name_en = "Kuopio"', 'name_en = "Kuopio"\nnmae = "x"', "campuses[3].nmae: unknown key"),
        ('name_en = "Kuopio"\n', "", "campuses[3].name_en: missing required key"),
        (  # a misspelt role: without a name of its own it is not a new role
            ORGANISER_TABLE,
            "[roles.organizer]",
            "roles.organizer: unknown role (known: student, organiser, board, communications, chair, tutor, "
            "tutor_coordinator, mentor, aktori, mentor_coordinator, advocacy, harassment, section_international) "
            "(did you mean 'organiser'?); a role no cog declares needs name_fi or name_en",
        ),
        (
            EXAMPLE_COGS,
            'cogs = ["ping", "evnts"]',
            "bot.cogs: unknown cog 'evnts' (did you mean 'events'?)",
        ),
        (EXAMPLE_COGS, 'cogs = ["_helpers"]', "bot.cogs: unknown cog '_helpers'"),
        (
            'timezone = "Europe/Helsinki"',
            'timezone = "Europe/Helsingfors"',
            "community.timezone: unknown time zone 'Europe/Helsingfors' (did you mean 'Europe/Helsinki'?)",
        ),
        (
            'destination = "campus_turku"',
            'destination = "campus_x"',
            "campuses[4].destination: no destination named 'campus_x'",
        ),
        ('id = "turku"', 'id = "kuopio"', "campuses[4].id: duplicate campus id 'kuopio'"),
        ('id = "turku"', 'id = "Turku"', "campuses[4].id: must be lowercase"),
        (
            "[destinations.dev]\n",
            '[destinations.empty]\nlanguage = "en"\n[destinations.dev]\n',
            "destinations.empty: needs discord_channel_id or telegram_chat_id (or console_only = true)",
        ),
        ("[destinations.board]", "[destinations.bord]", "destinations.board: missing required destination"),
        ("[destinations.dev]", "[destinations.Dev]", "destinations.Dev: destination names must be lowercase"),
    ],
)
def test_structural_mistakes(tmp_path: Path, cogs: Path, old: str, new: str, expected: str) -> None:
    found = problems(tmp_path, cogs, example_with(old, new))
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("roles = 3", "roles: must be a table"),
        ("campuses = 3", "campuses: must be an array of tables ([[campuses]])"),
        ("[campuses]\nid = 'x'", "campuses: must be an array of tables ([[campuses]])"),
        ("bot = 3", "bot: must be a table"),
        ("[roles]\ntutor = 3", "roles.tutor: must be a table"),
        ("[[campuses]]\nid = 'x'\nname_fi = 'X'\nname_en = 3", "campuses[0].name_en: must be a string"),
    ],
)
def test_wrong_shapes(tmp_path: Path, cogs: Path, extra: str, expected: str) -> None:
    assert expected in problems(tmp_path, cogs, extra + "\n" + MINIMAL)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "[discord]\n",
            '[discord]\ntoken = "abc"\n',
            "discord.token: secrets come from the environment: set DISCORD_TOKEN",
        ),
        (
            "[telegram]\n",
            '[telegram]\ntoken = "abc"\n',
            "telegram.token: secrets come from the environment: set TELEGRAM_TOKEN",
        ),
        (
            "[community]",
            'discord_token = "abc"\n[community]',
            "discord_token: secrets come from the environment: set DISCORD_TOKEN",
        ),
        (
            "[community]",
            'HUMAKO_SECRET_KEY = "abc"\n[community]',
            "HUMAKO_SECRET_KEY: secrets come from the environment: set HUMAKO_SECRET_KEY",
        ),
        (
            "[bot]\n",
            '[bot]\nsecret_key = "abc"\n',
            "bot.secret_key: secrets come from the environment: set HUMAKO_SECRET_KEY",
        ),
    ],
)
def test_token_in_file_is_an_error(tmp_path: Path, cogs: Path, old: str, new: str, expected: str) -> None:
    found = problems(tmp_path, cogs, example_with(old, new))
    assert expected in found
    assert all("abc" not in p for p in found)


def test_every_problem_is_reported_at_once(tmp_path: Path, cogs: Path) -> None:
    text = example_with('timezone = "Europe/Helsinki"', 'timezone = "Mars/Base"')
    text = text.replace("command_rate = 20", 'command_rate = "x"').replace(ORGANISER_TABLE, "[roles.boss]")
    found = problems(tmp_path, cogs, text)
    assert [p.split(":")[0] for p in found] == ["community.timezone", "bot.command_rate", "roles.boss"]


def test_bad_toml_names_line_and_column(tmp_path: Path, cogs: Path) -> None:
    found = problems(tmp_path, cogs, '[community]\nname = "HUMAKO"\ntimezone = \n')
    assert len(found) == 1 and "not valid TOML" in found[0]
    assert re.search(r"line 3, column \d+", found[0]), found


def test_missing_file(tmp_path: Path, cogs: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", {}, cogs)


def test_secrets_come_from_env_and_stay_hidden(tmp_path: Path, cogs: Path) -> None:
    env = {
        "DISCORD_TOKEN": "discord-sekret",
        "TELEGRAM_TOKEN": "tg-sekret",
        "HUMAKO_SECRET_KEY": "key-sekret",
    }
    config = load_config(EXAMPLE, env, cogs)
    assert config.secrets.discord_token == "discord-sekret"
    assert config.secrets.telegram_token == "tg-sekret"
    assert config.secrets.secret_key == "key-sekret"
    assert config.enabled_frontends == ["console", "discord", "telegram"]
    for text in (repr(config), str(config), repr(config.secrets)):
        assert "sekret" not in text
    assert "discord_token=<set>" in repr(config.secrets)


def test_frontend_switches(tmp_path: Path, cogs: Path) -> None:
    text = MINIMAL + "[telegram]\nenabled = false\n"
    config = load_text(tmp_path, cogs, text, {"DISCORD_TOKEN": "", "TELEGRAM_TOKEN": "t"})
    assert config.enabled_frontends == ["console"]  # empty token = unset; telegram switched off
    assert load_config(EXAMPLE, os.environ | {"DISCORD_TOKEN": "d"}, cogs).enabled_frontends[:2] == [
        "console",
        "discord",
    ]


def test_cog_declares_its_settings_section(tmp_path: Path, cogs: Path) -> None:
    with_polls = MINIMAL + "[bot]\ncogs = ['polls']\n"
    assert load_text(tmp_path, cogs, with_polls).section("polls") == {"max_options": 10}
    found = problems(tmp_path, cogs, with_polls + "[polls]\nmax_options = 'ten'\n")
    assert found == ["polls.max_options: must be an integer"]
    found = problems(tmp_path, cogs, with_polls + "[polls]\nmax_options = 0\nmax_option = 3\n")
    assert found == ["polls.max_options: must be between 1 and 20, not 0",
                     "polls.max_option: unknown key (did you mean 'max_options'?)"]


def test_real_events_cog_declares_events_section() -> None:
    from cogs.events import cog

    assert (cog.name, cog.section) == ("event", "events")
    assert load_config(EXAMPLE, {}).section("events")["page_size"] == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[bot]\ncogs = ['ping']\n[events]\npage_size = 5\n",
         ["events: settings for the 'events' cog, which is not enabled (add it to bot.cogs)"]),
        ("[bot]\ncogs = ['ping']\n[polls]\nmax_options = 3\n",
         ["polls: settings for the 'polls' cog, which is not enabled (add it to bot.cogs)"]),
        ("[bot]\ncogs = ['ping']\n[ping]\nx = 1\n", ["ping: the 'ping' cog has no settings"]),
        ("[bot]\ncogs = ['ping', 'events']\n[evnts]\npage_size = 5\n",
         ["evnts: unknown key (did you mean 'events'?)"]),
    ],
)
def test_settings_table_needs_an_enabled_cog(tmp_path: Path, cogs: Path, text: str, expected: list[str]) -> None:
    assert problems(tmp_path, cogs, MINIMAL + text) == expected


def test_disabled_cog_has_no_section(tmp_path: Path, cogs: Path) -> None:
    config = load_text(tmp_path, cogs, MINIMAL + "[bot]\ncogs = ['ping']\n")
    assert config.sections == {}
    with pytest.raises(KeyError, match="no configuration section 'events'"):
        config.section("events")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("prompt_timeout_seconds = 300", "prompt_timeout_seconds = 1e400",
         "bot.prompt_timeout_seconds: must be a finite number"),
        ("prompt_timeout_seconds = 300", "prompt_timeout_seconds = nan",
         "bot.prompt_timeout_seconds: must be a finite number"),
        ("prompt_timeout_seconds = 300", "prompt_timeout_seconds = 1e9",
         "bot.prompt_timeout_seconds: must be between 10 and 86400, not 1000000000.0"),
        ("command_rate = 20", "command_rate = 100000000000000000000000",
         "bot.command_rate: must be between 1 and 10000"),
        ("live_edit_seconds = 3", "live_edit_seconds = -1", "bot.live_edit_seconds: must be between 0 and 3600"),
        ("grace_seconds = 21600", "grace_seconds = inf", "scheduler.grace_seconds: must be a finite number"),
        ("max_attempts = 6", "max_attempts = 1000000", "outbox.max_attempts: must be between 1 and 100"),
        ("backoff_seconds = 2", "backoff_seconds = 0", "outbox.backoff_seconds: must be between 0.1 and 3600"),
        ("role_cache_seconds = 300", "role_cache_seconds = 1e12",
         "telegram.role_cache_seconds: must be between 0 and 86400"),
        ("reminder_hours = [24, 1]", "reminder_hours = [24, 1000000000]",
         "events.reminder_hours: must contain only numbers between 1 and 720, not 1000000000"),
        ("reminder_hours = [24, 1]", "reminder_hours = [24, 0]",
         "events.reminder_hours: must contain only numbers between 1 and 720, not 0"),
        ("reminder_hours = [24, 1]", f"reminder_hours = {list(range(1, 12))}",
         "events.reminder_hours: must have at most 10 entries"),
        ("waitlist_offer_hours = 12", "waitlist_offer_hours = 1e9",
         "events.waitlist_offer_hours: must be between 0.25 and 336"),
        ("feedback_delay_hours = 1", "feedback_delay_hours = -inf",
         "events.feedback_delay_hours: must be a finite number"),
        ("page_size = 5", "page_size = 1000", "events.page_size: must be between 1 and 25"),
        ("telegram_user_ids = [500000004]", "telegram_user_ids = [50000000400000000000]",
         "roles.mentor_coordinator.telegram_user_ids: must contain only numbers between"),
        ("telegram_chat_id = -1001000000010", "telegram_chat_id = -100100000001000000000000",
         "destinations.announcements.telegram_chat_id: must be between"),
        ("discord_role_ids = [1100000000000000005]", "discord_role_ids = [0]",
         "roles.mentor.discord_role_ids: must contain only numbers between 1 and 9223372036854775807, not 0"),
    ],
)
def test_numbers_out_of_bounds_are_refused_with_their_key(tmp_path: Path, cogs: Path, old: str, new: str,
                                                          expected: str) -> None:
    found = problems(tmp_path, cogs, example_with(old, new))
    assert any(p.startswith(expected) for p in found), found


def _schemas() -> dict[str, Schema]:
    """Every settings table the bot can read: the core's, the nested ones and every cog's in cogs/."""
    from bot.commands import Cog
    from bot.config import CAMPUS, DESTINATION, ROLE, SECTIONS, TOP_SECRETS, _cog_module

    schemas: dict[str, Schema] = {**SECTIONS, "campuses[]": CAMPUS, "roles.*": ROLE, "destinations.*": DESTINATION,
                                  "(top level)": TOP_SECRETS}
    for name in sorted(available_cogs(DEFAULT_COGS_DIR)):
        cog = getattr(_cog_module(name, DEFAULT_COGS_DIR), "cog", None)
        if isinstance(cog, Cog) and cog.settings is not None:
            schemas[cog.section] = cog.settings
    return schemas


def test_every_number_of_every_schema_has_bounds() -> None:
    numbers = {f"{table}.{key}": spec for table, schema in _schemas().items() for key, spec in schema.items()
               if spec.kind in NUMERIC_KINDS}
    assert "events.reminder_hours" in numbers and "bot.prompt_timeout_seconds" in numbers
    assert [key for key, spec in numbers.items() if not isinstance(spec.check, Bounds)] == []
    with pytest.raises(TypeError, match="needs bounds"):
        Field("number", 1.0)


def test_defaults_lie_within_their_bounds() -> None:
    for table, schema in _schemas().items():
        for key, spec in schema.items():
            if isinstance(spec.check, Bounds) and spec.default not in (None, REQUIRED):
                default = list(spec.default) if isinstance(spec.default, tuple | list) else spec.default
                assert spec.check(default) is None, f"{table}.{key}"
