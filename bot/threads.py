"""Private threads: a small private conversation (a student and their tutor) under a named destination.

Where the destination's platform has private threads (Discord), the members with an account there share one,
opened on the first delivery of a "thread" outbox row, so that opening is retried like any message. Everyone
else (no account there, the platform not running, or the thread refused) gets each message as a DM on their
own platform, headed with the thread's name in their language. Every message goes through the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands import Rendered, Reply, render_reply
from bot.i18n import LANGUAGES, Text, _, render
from storage.outbox import OutboxRow
from storage.threads import ThreadMember, ThreadQueries

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThreadHeading:
    """“Private conversation “Statistics help”” (· the message's own title), in the reader's language."""

    titles: Mapping[str, str]  # the thread's title per language, fixed when it was opened
    inner: Text | None = None

    def render(self, language: str) -> str:
        title = self.titles.get(language) or next(iter(self.titles.values()))
        heading = render(_("Private conversation “{title}”", title=title), language)
        return f"{heading} · {render(self.inner, language)}" if self.inner else heading


class PrivateThreads:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.threads = ThreadQueries(app.db)
        self._opening: dict[tuple[int, str], asyncio.Lock] = {}  # one opening per thread and platform

    async def open(self, destination: str, title: Text, people: list[int], reply: Reply) -> int:
        """A private thread for `people` under `destination`, with its first message; returns its id."""
        self.app.config.destination(destination)  # a misspelt destination fails in the cog, not later
        # Hosts: running platforms with private threads where the destination has a channel.
        hosts: dict[str, str] = {}
        for frontend in self.app.frontends.values():
            chat_id = frontend.destination_chat(destination) if frontend.private_threads else None
            if chat_id is not None:
                hosts[frontend.platform] = chat_id
        members: list[ThreadMember] = []
        for person_id in dict.fromkeys(people):  # once each, in the cog's order
            accounts = dict(await self.app.people.accounts(person_id))
            platform = next((p for p in hosts if p in accounts), None)
            members.append(ThreadMember(person_id, platform, accounts.get(platform) if platform else None))
        titles = {language: render(title, language) for language in LANGUAGES}
        thread_id = await self.threads.create(destination=destination, titles=titles, now=self.app.clock.now(),
                                              members=members, hosts=hosts)
        await self.post(thread_id, reply)
        return thread_id

    async def post(self, thread_id: int, reply: Reply) -> None:
        thread = await self.threads.get(thread_id)
        if thread is None:
            log.warning("thread %s does not exist; message not queued", thread_id)
            return
        outbox = self.app.outbox
        hosted = {ref.platform for ref in thread.refs if ref.platform in self.app.frontends and not ref.refused}
        if hosted:
            destination = self.app.config.destinations.get(thread.destination)  # may be gone from config since
            language = destination.language if destination else self.app.config.community.default_language
            body = render_reply(reply, language).to_json()
            for platform in sorted(hosted):
                await outbox.rows.add(
                    now=self.app.clock.now(), person_id=None, destination=thread.destination, platform=platform,
                    target_kind="thread", target_id=str(thread_id), language=language, body=body,
                    shows=reply.shows, urgent=True,
                )
            outbox.wake()
        # Everyone else (no account on a hosting platform, or that platform is not running): a DM each.
        headed = dataclasses.replace(reply, title=ThreadHeading(thread.titles, reply.title))
        for member in thread.members:
            if member.platform not in hosted:
                await outbox.to_person(member.person_id, headed)

    async def chat_for(self, row: OutboxRow) -> str | None:
        """The platform's thread for a "thread" row, opened on first use; None if the platform cannot host it."""
        thread_id = int(row.target_id)
        # Rows of one thread are delivered concurrently: only the first may open it.
        async with self._opening.setdefault((thread_id, row.platform), asyncio.Lock()):
            thread = await self.threads.get(thread_id)
            ref = next((r for r in thread.refs if r.platform == row.platform), None) if thread else None
            if thread is None or ref is None or ref.refused:
                return None
            if ref.chat_id is not None:
                return ref.chat_id
            user_ids = [m.platform_user_id for m in thread.members
                        if m.platform == row.platform and m.platform_user_id is not None]
            chat_id = await self.app.frontends[row.platform].open_thread(
                ref.parent_chat_id, thread.title(row.language), user_ids)
            if chat_id is None:
                log.warning("thread %s: %s cannot host it; its members get DMs", thread_id, row.platform)
                await self.threads.refuse(thread_id, row.platform)
                return None
            await self.threads.set_chat(thread_id, row.platform, chat_id)
            return chat_id

    async def reroute_to_dms(self, row: OutboxRow, message: Rendered) -> None:
        """The platform could not host the thread after all: its members get this message as DMs (already
        rendered, so in the thread's language)."""
        outbox = self.app.outbox
        await outbox.rows.mark_final(row.id, "rerouted", "no private thread")
        thread = await self.threads.get(int(row.target_id))
        if thread is None:
            return
        heading = ThreadHeading(thread.titles, message.title).render(row.language)
        body = dataclasses.replace(message, title=heading).to_json()
        for member in thread.members:
            if member.platform != row.platform:
                continue  # in another platform's thread, or already sent a DM by post()
            await outbox.queue_dm(member.person_id, row.language, body, row.shows)
