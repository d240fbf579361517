"""What every frontend offers the core: start, stop, send, edit; and the errors delivery can meet."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands import Rendered

if TYPE_CHECKING:
    from bot.app import Application


@dataclass(frozen=True)
class Target:
    """Where a message goes on one platform: a chat (group, channel) or a person's direct chat."""

    kind: str  # "chat" | "user" (the outbox's "thread" rows reach a frontend as their room's "chat")
    id: str


@dataclass(frozen=True)
class Sent:
    chat_id: str
    message_id: str


class DeliveryError(Exception):
    """Base of the failures a frontend reports to the outbox."""


class Unreachable(DeliveryError):
    """The person blocked the bot or closed their DMs: retrying will not help."""


class MessageGone(DeliveryError):
    """The message to edit was deleted, or the bot lost access to its chat."""


class Rejected(DeliveryError):
    """The platform refused this message for good (too long, malformed): sending it again fails again."""


class RetryLater(DeliveryError):
    """A temporary failure (rate limit, platform down); `after` seconds when the platform says."""

    def __init__(self, message: str = "", after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class Frontend(ABC):
    platform: str
    # How a conversation (bot/conversations.py) is shared here under a destination's chat: "thread" (Discord:
    # members with an account here are added to it, and the destination's team sees it), "topic" (Telegram: a
    # forum topic only the team's group sees; people still get DMs), None: members get DMs, the team its chat.
    room_kind: str | None = None

    def __init__(self, app: Application) -> None:
        self.app = app
        # Live copies (bot/live.py) are edited at most this often; a frontend may raise it per chat.
        self.edit_interval: float = app.config.bot.live_edit_seconds

    def edit_interval_for(self, chat_id: str) -> float:
        return self.edit_interval

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def send(self, target: Target, message: Rendered) -> Sent: ...

    @abstractmethod
    async def edit(self, sent: Sent, message: Rendered) -> None: ...

    def health(self) -> str | None:
        """Why this frontend is not serving right now (GET /healthz answers 503 with it), None when it is."""
        return None

    def processes_changed(self, count: int) -> None:
        """`count` live processes share this bot's platform accounts now (bot/workers.py): a frontend whose
        platform limits the account as a whole keeps to its part."""
        return None

    def destination_chat(self, destination: str) -> str | None:
        """This platform's chat id for a named destination, if it maps to one."""
        return None

    def preview(self, message: Rendered) -> str:
        """The message as a reader here would see it, as plain text: this platform's clipping and escaping
        applied, its markup not shown (`ctx.preview`, e.g. /announce preview)."""
        return message.plain_text()

    async def open_room(self, chat_id: str, title: str, user_ids: list[str], *, team: bool) -> str | None:
        """A conversation's room under `chat_id` with `user_ids` in it (`team`: the chat's own team is a member
        and must see it); its id, to send to as a chat. None when the chat cannot hold one: the core then
        sends its members DMs and the team its chat."""
        return None

    async def add_to_room(self, room_id: str, user_id: str) -> None:
        return None

    async def remove_from_room(self, room_id: str, user_id: str) -> None:
        return None

    async def close_room(self, room_id: str, *, closed: bool) -> None:
        """Closed: nobody writes in it any more (archived and locked); `closed=False` opens it again."""
        return None

    async def create_invite(self, chat_id: str) -> tuple[str, str] | None:
        """A new invite to the chat's server, (code, url), whose uses are followed (`Arrival.invite`)."""
        return None

    def direct_link(self, payload: str) -> str | None:
        """A link that opens a direct chat with the bot carrying `payload` (Telegram deep links)."""
        return None
