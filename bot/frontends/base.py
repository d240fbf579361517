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

    kind: str  # "chat" | "user" (the outbox's "thread" rows reach a frontend as the thread's "chat")
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
    # Whether open_thread() can host a private thread here; without, thread members get DMs (bot/outbox.py).
    private_threads: bool = False

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

    def destination_chat(self, destination: str) -> str | None:
        """This platform's chat id for a named destination, if it maps to one."""
        return None

    async def open_thread(self, chat_id: str, title: str, user_ids: list[str]) -> str | None:
        """A private thread under `chat_id` that only `user_ids` (and the bot) see; its id, to send to as a
        chat. None when the platform has no private threads: the core then sends each member a DM."""
        return None

    def direct_link(self, payload: str) -> str | None:
        """A link that opens a direct chat with the bot carrying `payload` (Telegram deep links)."""
        return None
