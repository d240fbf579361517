"""The console: try the bot with no token and no network, interactively or from a script.

Lines:  /command args       run a command (name=value pairs or positional words)
        :as NAME [roles]    act as another person (created on first use), e.g. `:as olli organiser,board`
        :click N [#M]       press button N of the last message with buttons (or of message #M)
        :press DATA [#M]    send any button data for message #M (the last one), as a modified client can
        :dm | :channel NAME type in your direct chat, or in a destination's group channel
        :wait SECONDS       let time pass: due reminders and jobs run and their messages are printed
        :reply #M           your next line replies to message #M (a conversation's message)
        :lang fi|en         the language your "platform" reports (before /language is used)
        # comment           ignored
Everything the bot sends elsewhere (a team channel, another person's DM) is printed too, marked with where
it went, so a script shows the whole flow.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from bot.commands import Rendered, Reply, render_reply
from bot.context import Account, Chat, Context, Origin
from bot.frontends.base import Frontend, Sent, Target

PLATFORM = "console"
HELP = __doc__.split("\n\n")[1] if __doc__ else ""


@dataclass
class Printed:
    """One message as the console showed it; tests read these."""

    number: int
    kind: str  # reply | sent | edit | notice | info
    where: str  # "you", "#announcements", "@olli"
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, action id)
    files: list[str] = field(default_factory=list)
    file_data: dict[str, bytes] = field(default_factory=dict)


@dataclass
class ConsolePerson:
    name: str
    roles: frozenset[str]
    language: str | None = None


class ConsoleFrontend(Frontend):
    platform = PLATFORM

    def __init__(self, app, out: TextIO | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app)
        self.edit_interval = 0.0  # a terminal has no rate limits: show every edit at once
        self.out = out if out is not None else sys.stdout
        self.printed: list[Printed] = []
        self.messages: dict[str, Printed] = {}  # message id -> the latest version
        self.person = ConsolePerson("Newcomer", frozenset())
        self.people: dict[str, ConsolePerson] = {}
        self.chat = self._dm_chat()
        self._counter = 0
        self._replying_to: str | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    # ---------------------------------------------------------------------------------- output side

    def destination_chat(self, destination: str) -> str | None:
        return f"#{destination}" if destination in self.app.config.destinations else None

    def direct_link(self, payload: str) -> str | None:
        return None

    async def send(self, target: Target, message: Rendered) -> Sent:
        where = target.id if target.kind == "chat" else f"@{target.id}"
        shown = self._show("sent", where, message)
        return Sent(where, str(shown.number))

    async def edit(self, sent: Sent, message: Rendered) -> None:
        original = self.messages.get(sent.message_id)
        shown = self._show("edit", sent.chat_id, message, number=int(sent.message_id))
        if original is not None:
            self.messages[sent.message_id] = shown

    def _show(self, kind: str, where: str, message: Rendered, number: int | None = None) -> Printed:
        if number is None:
            self._counter += 1
            number = self._counter
        buttons = [(b.label, b.action or b.url or "") for row in message.buttons for b in row]
        shown = Printed(number, kind, where, message.plain_text(), buttons, [f.name for f in message.files],
                        {f.name: f.data for f in message.files})
        self.printed.append(shown)
        self.messages[str(number)] = shown
        self._write(shown)
        return shown

    def _write(self, shown: Printed) -> None:
        label = {
            "reply": f"#{shown.number}",
            "sent": f"#{shown.number} → {shown.where}",
            "edit": f"#{shown.number} ✎ {shown.where}",
        }.get(shown.kind, shown.kind)
        lines = [f"[{label}] {shown.text}" if shown.text else f"[{label}]"]
        for index, (text, _action) in enumerate(shown.buttons, start=1):
            lines.append(f"    [{index}] {text}")
        lines += [f"    📎 {name}" for name in shown.files]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def info(self, text: str) -> None:
        self.printed.append(Printed(0, "info", "", text))
        self.out.write(f"· {text}\n")
        self.out.flush()

    # ----------------------------------------------------------------------------------- input side

    def _dm_chat(self) -> Chat:
        return Chat(PLATFORM, f"@{self.person.name.lower()}", direct=True)

    def _account(self) -> Account:
        return Account(PLATFORM, self.person.name.lower())

    async def _context(self, origin: Origin | None = None, chat: Chat | None = None) -> Context:
        return await self.app.core.context_for(
            self._account(), self.person.name, chat or self.chat, self.person.roles, self.person.language, origin
        )

    async def handle_line(self, line: str) -> list[Printed]:
        """One console line; returns what it printed (after deliveries settle)."""
        start = len(self.printed)
        line = line.strip()
        if not line or line.startswith("#"):
            return []
        if line.startswith(":"):
            await self._meta(line)
        else:
            ctx = await self._context()
            reply = await self.app.core.handle_text(ctx, line)
            if reply is None:  # a message to a conversation (bot/conversations.py)
                reply = await self._to_conversation(ctx, line)
            self._replying_to = None
            if reply is None:
                self.info("(not a command: type /help, or :help for console commands)")
            else:
                await self._reply(ctx, reply)
        await self.app.settle()
        return self.printed[start:]

    async def _to_conversation(self, ctx: Context, line: str) -> Reply | None:
        """In your direct chat: to your conversation. In a team's channel: a reply (`:reply #M`) to a message
        relayed there is the team's answer."""
        conversations = self.app.conversations
        if ctx.chat.direct:
            return await conversations.from_direct(ctx, line, [], self._replying_to)
        if self._replying_to is None:
            return None
        conversation_id = await conversations.relayed_in_chat(PLATFORM, ctx.chat.id, self._replying_to)
        if conversation_id is None:
            return None
        return await conversations.from_team_chat(ctx, conversation_id, line, [])

    async def _reply(self, ctx: Context, reply: Reply, origin: Origin | None = None) -> None:
        message = render_reply(reply, ctx.language)
        if origin is not None and message.edit:
            await self.edit(Sent(origin.chat_id, origin.message_id), message)
            if message.notice:
                self.info(message.notice)
            return
        if not message.has_body():  # a toast, or nothing at all (a flood past the rate, already told)
            if message.notice:
                self.info(message.notice)
            return
        where = "you" if ctx.chat.direct or message.private else ctx.chat.id
        shown = self._show("reply", where, message)
        await self.app.live.remember_reply(message, PLATFORM, Sent(ctx.chat.id, str(shown.number)), ctx)

    async def _meta(self, line: str) -> None:
        words = shlex.split(line[1:])
        command, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if command == "as" and args:
            self._switch(args[0], args[1] if len(args) > 1 else None)
        elif command == "click" and args and args[0].isdigit():
            await self._click(int(args[0]), args[1].lstrip("#") if len(args) > 1 else None)
        elif command == "press" and args:
            number = args[1].lstrip("#") if len(args) > 1 else None
            target = self.messages.get(number) if number else next(
                (p for p in reversed(self.printed) if p.kind != "info"), None)
            if target is None:
                self.info("no such message")
            else:
                await self._press(target, args[0])
        elif command == "dm":
            self.chat = self._dm_chat()
            self.info(f"typing in your direct chat, as {self.person.name}")
        elif command == "channel" and args:
            name = args[0].lstrip("#")
            self.chat = Chat(PLATFORM, f"#{name}", direct=False, title=name)
            self.info(f"typing in #{name}, as {self.person.name}")
        elif command == "wait" and args:
            await self.app.scheduler.advance(_seconds(args[0]))
            self.info(f"{args[0]} passed; now {self.app.clock.now():%Y-%m-%d %H:%M} UTC")
        elif command == "reply" and args:
            self._replying_to = args[0].lstrip("#")
        elif command == "lang" and args:
            self.person.language = args[0]
        else:
            self.info(HELP)

    def _switch(self, name: str, roles: str | None) -> None:
        person = self.people.get(name.lower())
        if person is None or roles is not None:
            role_set = frozenset(r.strip() for r in (roles or "").split(",") if r.strip())
            person = ConsolePerson(name, role_set, person.language if person else None)
            self.people[name.lower()] = person
        was_direct = self.chat.direct
        self.person = person
        if was_direct:
            self.chat = self._dm_chat()
        self.info(f"you are {name}" + (f" ({', '.join(sorted(person.roles))})" if person.roles else ""))

    async def _click(self, index: int, message_number: str | None) -> None:
        target = self._find_buttons(message_number)
        if target is None or not 1 <= index <= len(target.buttons):
            self.info("no such button")
            return
        _label, action = target.buttons[index - 1]
        if action.startswith("http"):
            self.info(f"(a link: {action})")
            return
        await self._press(target, action)

    async def _press(self, target: Printed, action: str) -> None:
        chat_id = target.where if target.where.startswith(("#", "@")) else self.chat.id
        origin = Origin(PLATFORM, chat_id, str(target.number))
        # The press happens where the message is: a channel's card is shared, "you" and "@name" are private.
        chat = self.chat if chat_id == self.chat.id else Chat(PLATFORM, chat_id, direct=not chat_id.startswith("#"))
        ctx = await self._context(origin, chat)
        reply = await self.app.core.press(ctx, action)
        await self._reply(ctx, reply, origin)

    def _find_buttons(self, message_number: str | None) -> Printed | None:
        if message_number is not None:
            return self.messages.get(message_number)
        return next((p for p in reversed(self.printed) if p.buttons and p.kind != "info"), None)

    async def run_lines(self, lines: Iterable[str], echo: bool = True) -> None:
        for line in lines:
            if echo and line.strip() and not line.lstrip().startswith("#"):
                self.out.write(f"{self.person.name}> {line.rstrip()}\n")
            await self.handle_line(line)


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def banner(config) -> str:  # type: ignore[no-untyped-def]
    """The first line a newcomer reads, in the community's language, then how to switch to each other language,
    said in that language ("In English: /language en"), so that a reader of either finds their way."""
    from bot.i18n import LANGUAGES, _, render

    home = config.community.default_language
    first = render(_("{community} bot console: /help lists what you can do.", community=config.community.name), home)
    others = [render(_("In English: /language {code}", code=code), code) for code in LANGUAGES if code != home]
    return " · ".join([first, *others, ":help console commands, Ctrl-D quits"])


async def run_console(config, data_dir, script: str | None) -> int:  # type: ignore[no-untyped-def]
    """`humako-bot console`: interactive, or a script from a file or standard input."""
    import asyncio

    from bot.app import Application

    app = Application(config, data_dir)
    app.web_optional = True
    console = ConsoleFrontend(app)
    app.add_frontend(console)
    await app.start()
    try:
        if script is not None:
            source = sys.stdin if script == "-" else open(script, encoding="utf-8")  # noqa: SIM115
            with source:
                await console.run_lines(source.read().splitlines())
            return 0
        console.info(banner(config))
        while True:
            try:
                line = await asyncio.to_thread(input, f"{console.person.name}> ")
            except EOFError:
                return 0
            await console.handle_line(line)
    finally:
        await app.stop()
