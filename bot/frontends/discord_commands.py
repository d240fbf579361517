"""The neutral command model as a discord.py CommandTree, localized from our catalogues, synced when changed.

discord.py derives options from a callback's signature. Our commands are data, so each one is an
`app_commands.Command` with a one-argument callback whose `_params` we fill with `CommandParameter`s built
from the ParamSpecs (type, length and range limits, choices, autocomplete). `CoreCommand` overrides
`_invoke_with_namespace` to hand the raw option values to the frontend: conversion, validation and prompts
for anything missing happen in the core, identically on every platform.

Option names are declared in English with their Finnish typed form (`start`, `aloitus`) as
`name_localizations`; descriptions and choice labels carry their `Msg` in a `locale_str` extra, and
`CatalogTranslator` renders it in Finnish (and English where the English catalogue rewords it) for the synced
payload.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import AppCommandOptionType, app_commands
from discord.app_commands import locale_str
from discord.app_commands.transformers import CommandParameter

from bot.commands import CHOICE_LABEL_MAX, DESCRIPTION_MAX, MAX_OPTIONS, CommandSpec, Kind, ParamSpec
from bot.i18n import Msg, Text, render

if TYPE_CHECKING:
    from bot.config import Config

log = logging.getLogger(__name__)

TEXT_OPTION_MAX = 6000  # Discord's max_length for a string option
DATETIME_MAX = 100

RunCommand = Callable[[discord.Interaction[Any], CommandSpec, dict[str, Any]], Awaitable[None]]
Complete = Callable[[discord.Interaction[Any], CommandSpec, ParamSpec, str], Awaitable[list[app_commands.Choice[str]]]]

ENGLISH = {discord.Locale.american_english, discord.Locale.british_english}


def localized(text: Text, limit: int = DESCRIPTION_MAX) -> locale_str:
    """The English text for the base payload, with the message kept for the translator."""
    return locale_str(render(text, "en")[:limit], msg=text if isinstance(text, Msg) else None, limit=limit)


class CatalogTranslator(app_commands.Translator):
    """Descriptions and choice labels from our catalogues: Finnish always, English where it is reworded."""

    async def translate(self, string: locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        names = string.extras.get("names")
        if names is not None:  # a parameter's name: its typed form in that language (aloitus)
            return names.get("fi") if locale is discord.Locale.finnish else None
        msg = string.extras.get("msg")
        if msg is None:
            return None
        limit = string.extras.get("limit", DESCRIPTION_MAX)
        if locale is discord.Locale.finnish:
            return render(msg, "fi")[:limit]
        if locale in ENGLISH:
            english = render(msg, "en")[:limit]
            return english if english != string.message else None
        return None


class CoreCommand(app_commands.Command[Any, ..., None]):
    """A slash command whose options come from a CommandSpec and whose values go to the core untouched."""

    def __init__(self, spec: CommandSpec, run: RunCommand, params: dict[str, CommandParameter],
                 parent: app_commands.Group | None) -> None:
        async def callback(interaction: discord.Interaction[Any]) -> None:  # never called: see below
            return None

        super().__init__(name=spec.name, description=localized(spec.description), callback=callback,
                         parent=parent)
        self._params = params
        self.spec = spec
        self._run = run

    async def _invoke_with_namespace(self, interaction: discord.Interaction[Any],
                                     namespace: app_commands.Namespace) -> None:
        given = namespace.__dict__
        values = {name: given[name] for name in self._params if given.get(name) is not None}
        await self._run(interaction, self.spec, values)


def _parameter(spec: CommandSpec, param: ParamSpec, config: Config, complete: Complete) -> CommandParameter:
    option = CommandParameter(name=param.name, description=localized(param.description),
                              required=param.required, default=param.default)
    finnish = param.typed_name("fi")
    if finnish != param.name:  # Discord sends the base name back, so the namespace stays keyed as declared
        option._rename = locale_str(param.name, names={"fi": finnish})
    constraint = param.param
    match param.kind:
        case Kind.INTEGER:
            option.type = AppCommandOptionType.integer
            option.min_value, option.max_value = constraint.min, constraint.max
        case Kind.USER:
            option.type = AppCommandOptionType.user
        case Kind.YES_NO:
            option.type = AppCommandOptionType.boolean
        case _:
            option.type = AppCommandOptionType.string
    if param.kind is Kind.TEXT:
        option.min_value = constraint.min_len
        option.max_value = min(constraint.max_len or TEXT_OPTION_MAX, TEXT_OPTION_MAX)
    elif param.kind is Kind.DATETIME:
        option.max_value = DATETIME_MAX
    choices = list(param.choices(config)) if param.kind is Kind.CHOICE else []  # yes/no: a boolean option
    if choices and len(choices) <= MAX_OPTIONS:
        option.choices = [app_commands.Choice(name=localized(c.label, CHOICE_LABEL_MAX), value=c.value)
                          for c in choices]
    elif param.kind in (Kind.REFERENCE, Kind.CHOICE):
        # References (and choice lists too long for Discord) are completed from the cog's suggestions.
        async def autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
            return await complete(interaction, spec, param, current)

        option.autocomplete = autocomplete
    return option


def build_tree(client: discord.Client, commands: list[CommandSpec], descriptions: dict[str, Text],
               config: Config, run: RunCommand, complete: Complete) -> app_commands.CommandTree[Any]:
    """One Group per cog group, top-level commands for the others. Long-text parameters are not options:
    the frontend asks for them in a modal."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    groups: dict[str, app_commands.Group] = {}
    for spec in commands:
        parent = None
        if spec.grouped:
            parent = groups.get(spec.cog.name)
            if parent is None:
                parent = app_commands.Group(name=spec.cog.name, description=localized(descriptions[spec.cog.name]))
                groups[spec.cog.name] = parent
        params = {p.name: _parameter(spec, p, config, complete) for p in spec.params if p.kind is not Kind.LONG_TEXT}
        command = CoreCommand(spec, run, params, parent)
        if parent is not None:
            parent.add_command(command)
        else:
            tree.add_command(command)
    for group in groups.values():
        tree.add_command(group)
    return tree


async def payload_of(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """What a sync sends (with localizations): compared by hash to skip syncing an unchanged tree."""
    translator = tree.translator or CatalogTranslator()
    return [await command.get_translated_payload(tree, translator) for command in tree.get_commands()]


async def sync_if_changed(tree: app_commands.CommandTree[Any], mode: str, guild_ids: tuple[int, ...],
                          state_file: Path) -> list[str]:
    """Sync to each configured guild (instant) or globally; skipped per scope when the payload's hash is the
    one synced last time. Returns the scopes that were synced."""
    digest = hashlib.sha256(json.dumps(await payload_of(tree), sort_keys=True).encode()).hexdigest()
    try:
        state: dict[str, str] = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    scopes: list[int | None] = list(guild_ids) if mode == "guild" else [None]
    synced = []
    for guild_id in scopes:
        key = f"guild:{guild_id}" if guild_id is not None else "global"
        if state.get(key) == digest:
            continue
        if guild_id is not None:
            guild = discord.Object(guild_id)
            tree.copy_global_to(guild=guild)
            await tree.sync(guild=guild)
        else:
            await tree.sync()
        state[key] = digest
        synced.append(key)
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")
    log.info("discord commands: %s", f"synced to {', '.join(synced)}" if synced else "unchanged, not synced")
    return synced
