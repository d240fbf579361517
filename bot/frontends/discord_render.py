"""Rendered replies as Discord message parts: content or an embed, a persistent button view, attachments.

Buttons are `ActionButton` dynamic items whose custom_id is the core's action id. The client registers the
class once (`add_dynamic_items`), so a button on any message, also one sent before a restart, reaches
`DiscordFrontend.on_press`; no per-message view is kept in memory.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord

from bot.commands import Rendered, RenderedButton, clip

if TYPE_CHECKING:
    from bot.frontends.discord import DiscordFrontend

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
BUTTON_LABEL_MAX = 80
ROWS_MAX = 5
PER_ROW_MAX = 5

STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?P<action>.+)"):
    """Any button of ours: the custom_id is the action id, handled by the frontend the client belongs to."""

    def __init__(self, action: str, label: str = "", style: str = "secondary", row: int | None = None) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=clip(label, BUTTON_LABEL_MAX) or "·", custom_id=action, style=STYLES.get(style, STYLES["secondary"])
        )
        super().__init__(button, row=row)
        self.action = action

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: Any) -> ActionButton:
        return cls(match["action"], getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        frontend: DiscordFrontend = interaction.client.frontend
        await frontend.on_press(interaction, self.action)


def _rows(buttons: list[list[RenderedButton]]) -> list[list[RenderedButton]]:
    # The prompt flow puts one choice per row; Discord allows 5 rows of 5, so reflow when needed.
    if len(buttons) <= ROWS_MAX and all(len(row) <= PER_ROW_MAX for row in buttons):
        return buttons
    flat = [b for row in buttons for b in row][: ROWS_MAX * PER_ROW_MAX]
    return [flat[i : i + PER_ROW_MAX] for i in range(0, len(flat), PER_ROW_MAX)]


def build_view(message: Rendered) -> discord.ui.View | None:
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(_rows(message.buttons)):
        for button in row:
            if button.url:
                view.add_item(discord.ui.Button(label=clip(button.label, BUTTON_LABEL_MAX), url=button.url, row=index))
            else:
                view.add_item(ActionButton(button.action, button.label, button.style, row=index))
    return view


def build_embed(message: Rendered) -> discord.Embed | None:
    """Structured content (a title or fields: an event, a case) as an embed; plain text stays content."""
    if message.title is None and not message.fields:
        return None
    embed = discord.Embed(title=clip(message.title, EMBED_TITLE_MAX) if message.title else None,
                          description=clip(message.text, EMBED_DESCRIPTION_MAX) if message.text else None)
    for name, value in message.fields[:FIELDS_MAX]:
        embed.add_field(name=clip(name, FIELD_NAME_MAX) or "·", value=clip(value, FIELD_VALUE_MAX) or "·",
                        inline=False)
    return embed


def files_of(message: Rendered) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.data), filename=f.name) for f in message.files]


def message_parts(message: Rendered, *, edit: bool = False) -> dict[str, Any]:
    """Keyword arguments for send/send_message (or, with edit=True, for edit/edit_message)."""
    embed = build_embed(message)
    content = None if embed is not None else clip(message.text or message.notice or "", CONTENT_MAX)
    if embed is None and not content and not message.files:
        content = "✓"  # Discord refuses an empty message
    view = build_view(message)
    files = files_of(message)
    if edit:
        # None clears what the old version had (an embed, buttons); attachments only change when given.
        parts: dict[str, Any] = {"content": content, "embed": embed, "view": view}
        if files:
            parts["attachments"] = files
        return parts
    parts = {"content": content}
    if embed is not None:
        parts["embed"] = embed
    if view is not None:
        parts["view"] = view
    if files:
        parts["files"] = files
    return parts


def as_seen(message: Rendered) -> str:
    """The message as sent here, as plain text: the content, or the embed's title, description and fields,
    each clipped to Discord's limits as `message_parts` clips them."""
    parts = message_parts(message)
    embed: discord.Embed | None = parts.get("embed")
    if embed is None:
        return str(parts.get("content") or "")
    lines = [text for text in (embed.title, embed.description) if text]
    lines += [f"{field.name}: {field.value}" for field in embed.fields]
    return "\n".join(lines)
