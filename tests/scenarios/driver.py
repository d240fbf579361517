"""One scenario suite for every frontend: scenarios talk to a Driver, each frontend test provides one.

A scenario says what people do ("Olli types /ping hello", "Sanni presses Going") and checks what they see.
The console driver runs it in-process; the Telegram and Discord drivers run the same scenario through the
real libraries against the fake servers, so no frontend drifts from the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Who:
    """A person in a scenario. Roles are given the frontend's way (console roles, Discord role ids...)."""

    name: str
    roles: frozenset[str] = frozenset()
    language: str = "fi"  # what the person's platform reports


@dataclass
class Seen:
    """A message as a person sees it now: text (title, body, fields as plain text) and button labels."""

    text: str
    buttons: list[str] = field(default_factory=list)
    handle: Any = None  # the driver's own reference, to press a button or re-read the message
    files: dict[str, bytes] = field(default_factory=dict)


class Driver(Protocol):
    async def say(self, who: Who, text: str, *, where: str | None = None) -> list[Seen]:
        """`who` types a command (in their DM, or in the chat of destination `where`); the replies they see."""

    async def press(self, who: Who, message: Seen, label: str) -> list[Seen]:
        """`who` presses the button labelled `label` (a substring) on `message`; what they see as a result."""

    async def current(self, message: Seen) -> Seen:
        """The message as it looks now (after edits)."""

    async def posted(self, destination: str) -> list[Seen]:
        """Messages the bot posted in a destination's chat, oldest first, as they look now."""

    async def dms(self, who: Who) -> list[Seen]:
        """Messages the bot sent to `who` on its own (not replies to a command), oldest first."""

    async def wait(self, seconds: float) -> None:
        """Let bot time pass: due reminders and jobs run."""


def text_of(seen: list[Seen]) -> str:
    return "\n".join(s.text for s in seen)
