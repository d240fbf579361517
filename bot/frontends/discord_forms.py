"""Forms as Discord modals: each field a Label (type 18) around a text input or a select.

Discord's docs place modal inputs in Label components (inputs inside action rows are deprecated); discord.py
2.7 builds them with `ui.Label`. A modal holds at most five (the core sends at most five fields at a time,
and asks the rest in a further round). A choice or yes/no field is a select; everything else is text that the
core converts and checks, exactly as when it is typed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import discord

from bot.commands import Kind, ParamSpec, clip
from bot.i18n import render

MODAL_TITLE_MAX = 45
LABEL_MAX = 45
LABEL_DESCRIPTION_MAX = 100
INPUT_MAX = 4000
SHORT_INPUT_MAX = 100  # numbers and dates
OPTION_LABEL_MAX = 100
MODAL_FIELDS_MAX = 5
NOTE_MAX = 4000

Submit = Callable[[discord.Interaction[Any], dict[str, Any]], Awaitable[None]]
Failed = Callable[[discord.Interaction[Any], BaseException], Awaitable[None]]


def field_label(param: ParamSpec, language: str, config: Any, default: str | None = None,
                required: bool = False) -> discord.ui.Label[Any]:
    """One field: its description as the label; `required` also for an optional field that must be given now."""
    required = required or param.required
    component: discord.ui.Item[Any]
    if param.kind in (Kind.CHOICE, Kind.YES_NO):
        options = [discord.SelectOption(label=clip(render(c.label, language), OPTION_LABEL_MAX) or c.value,
                                        value=c.value, default=c.value == default) for c in param.choices(config)]
        component = discord.ui.Select(custom_id=param.name, options=options, required=required,
                                      min_values=1 if required else 0, max_values=1)
    else:
        constraint = param.param
        long = param.kind is Kind.LONG_TEXT
        limit = INPUT_MAX if param.kind in (Kind.TEXT, Kind.LONG_TEXT) else SHORT_INPUT_MAX
        component = discord.ui.TextInput(
            custom_id=param.name, style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
            required=required, default=default, placeholder=clip((param.param.example or "").strip('"'), 100) or None,
            min_length=constraint.min_len if param.kind in (Kind.TEXT, Kind.LONG_TEXT) else None,
            max_length=min(constraint.max_len or limit, limit) if param.kind in (Kind.TEXT, Kind.LONG_TEXT)
            else limit)
    # The field's name as the label, its question under it (what the prompt asks on other platforms); a form's
    # own question from config is its label already.
    label, question = render(param.description, language), render(param.question, language)
    return discord.ui.Label(text=clip(label, LABEL_MAX) or param.name,
                            description=clip(question, LABEL_DESCRIPTION_MAX) if question != label else None,
                            component=component)


class FieldsModal(discord.ui.Modal):
    """Up to five fields; on submit `submit(interaction, {name: typed text or chosen value})`."""

    def __init__(self, title: str, fields: Sequence[ParamSpec], language: str, config: Any, submit: Submit,
                 failed: Failed, given: Mapping[str, str] | None = None, note: str = "",
                 must: frozenset[str] = frozenset()) -> None:
        super().__init__(title=clip(title, MODAL_TITLE_MAX) or "·", timeout=15 * 60)
        self._submit, self._failed = submit, failed
        self.inputs: dict[str, discord.ui.Label[Any]] = {}
        room = MODAL_FIELDS_MAX
        if note:  # why a field is asked again, above the fields (it takes one of the five places)
            self.add_item(discord.ui.TextDisplay(clip(note, NOTE_MAX)))
            room -= 1
        for param in fields[:room]:
            label = field_label(param, language, config, (given or {}).get(param.name), param.name in must)
            self.inputs[param.name] = label
            self.add_item(label)

    def answers(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, label in self.inputs.items():
            component = label.component
            if isinstance(component, discord.ui.TextInput):
                found[name] = component.value
            elif isinstance(component, discord.ui.Select):
                found[name] = component.values[0] if component.values else ""
        return found

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._submit(interaction, self.answers())

    # discord.py's Modal.on_error drops BaseView's `item` argument: this is Modal's own signature.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await self._failed(interaction, error)
