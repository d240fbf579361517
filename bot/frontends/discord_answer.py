"""An interaction's first answer without asking Discord for the message back.

discord.py's `InteractionResponse.send_message` always asks for the callback's result (`?with_response=1`) and
builds a Message object of it: a JSON parse and some hundred attribute reads per reply. Most replies need
nothing back (only a reply that shows a stored thing needs its message id, to keep it current), so those are
sent here the way `send_message` sends them, minus the result: Discord then answers 204 No Content.

The response is marked as given, so `is_done()`, follow-ups and edits of the original work as after
`send_message`. The view is not put in discord.py's view store: every button of ours is a dynamic item the
client registered once (discord_render.ActionButton), found by its custom id whatever message it is on.
"""

from __future__ import annotations

from typing import Any

import discord
from discord.enums import InteractionResponseType
from discord.http import Route
from discord.webhook.async_ import async_context, interaction_message_response_params

CALLBACK = "/interactions/{webhook_id}/{webhook_token}/callback"


async def answer(interaction: discord.Interaction[Any], *, content: str | None = None,
                 embed: discord.Embed | None = None, view: discord.ui.View | None = None,
                 files: list[discord.File] | None = None, ephemeral: bool = False) -> None:
    """The interaction's answer as a new message (what `send_message` sends), without the message back."""
    response = interaction.response
    if response.is_done():
        raise discord.InteractionResponded(interaction)
    flags = discord.MessageFlags(ephemeral=True) if ephemeral else discord.utils.MISSING
    missing = discord.utils.MISSING
    params = interaction_message_response_params(
        type=InteractionResponseType.channel_message.value, content=content,
        embed=embed if embed is not None else missing, view=view if view is not None else missing,
        files=files if files else missing, flags=flags,
        previous_allowed_mentions=interaction._state.allowed_mentions)
    http = interaction._state.http
    route = Route("POST", CALLBACK, webhook_id=interaction.id, webhook_token=interaction.token)
    await async_context.get().request(route, session=interaction._session, proxy=http.proxy,
                                      proxy_auth=http.proxy_auth, payload=params.payload,
                                      multipart=params.multipart, files=params.files)
    response._response_type = InteractionResponseType.channel_message
