"""The neutral model in Telegram's terms: HTML text, inline keyboards and the command menus."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.commands import CommandSpec, Rendered
from bot.i18n import render
from bot.textlen import clip_utf16, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_COMMAND_DESCRIPTION = 256
MAX_COMMANDS = 100


def to_html(message: Rendered, limit: int = MAX_TEXT) -> str:
    """Title in bold, the text, fields as "<b>name</b>: value" lines; everything the cog wrote escaped.

    The plain length stays within `limit` as Telegram counts it (UTF-16 code units): the body is cut, never
    the markup.
    """
    title = clip_utf16(message.title or "", limit // 4)
    fields = [(name, value) for name, value in message.fields]
    overhead = utf16_len(title) + sum(utf16_len(n) + utf16_len(v) + 3 for n, v in fields) + (1 if title else 0)
    body = clip_utf16(message.text, max(limit - overhead - 1, 1)) if message.text else ""
    parts = [f"<b>{html.escape(title)}</b>"] if title else []
    if body:
        parts.append(html.escape(body))
    parts += [f"<b>{html.escape(name)}</b>: {html.escape(value)}" for name, value in fields]
    return "\n".join(parts)


def as_seen(message: Rendered) -> str:
    """What a reader sees of `to_html`'s text: its own <b> tags gone, the escaped text shown as written (a
    file's caption carries the same text, or the text goes first when it is longer than a caption)."""
    return html.unescape(re.sub(r"</?b>", "", to_html(message)))


def has_text(message: Rendered) -> bool:
    return bool(message.text or message.title or message.fields)


def keyboard_json(message: Rendered) -> str | None:
    """`keyboard` as the Bot API's JSON, built directly: PTB's button objects and their serialisation cost
    ~150 µs per message (bench/telegram_e2e.py), this a few. For requests sent with `LeanBot.call`."""
    rows = [[{"text": button.label, "url": button.url} if button.url
             else {"text": button.label, "callback_data": button.action} for button in row]
            for row in message.buttons if row]
    return json.dumps({"inline_keyboard": rows}, ensure_ascii=False) if rows else None


def keyboard(message: Rendered) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(button.label, url=button.url) if button.url
         else InlineKeyboardButton(button.label, callback_data=button.action) for button in row]
        for row in message.buttons if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def menu(specs: Iterable[CommandSpec], language: str, *, groups: bool) -> list[BotCommand]:
    """The command menu for one language and chat kind: private-only commands are left out of groups."""
    commands: list[BotCommand] = []
    for spec in specs:
        if groups and spec.private:
            continue
        description = clip_utf16(render(spec.description, language), MAX_COMMAND_DESCRIPTION)
        commands.append(BotCommand(spec.flat_name, description))
    return commands[:MAX_COMMANDS]
