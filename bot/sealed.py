"""Sealed delivery: a cog reaches a person later without the database saying who they are (anonymous feedback).

`ctx.seal_route()` keeps the account the person wrote from (platform and account id) only as ciphertext
(Fernet) and gives the cog a random handle. `ctx.notify_sealed(handle, reply)` queues an outbox row that
names nobody: platform and target_kind 'sealed', the handle as its target. The outbox worker opens the route
only when it delivers (`SealedDelivery.send`), and the row is deleted once delivered or given up. A delivery
that cannot reach the person is dropped quietly: marking their account unreachable would say whose it was.
No log line names a person, an account or a handle.

Decisions (docs/sealed-delivery.md has the operator's side):
- Only the account the person wrote from is sealed, no linked fallbacks: finding those needs the person.
- A sealed message is rendered in the language the person used when the route was sealed. Quiet hours do not
  apply (they are the person's setting). Its buttons are signed as shared: an owner in an action id would be
  the person's id.
- Fernet tokens carry their creation time in clear: routes are sealed at time 0 and padded to one length,
  so a token tells neither when it was made nor which platform's (shorter or longer) id it holds.
- Keys come from HUMAKO_SECRET_KEY through HKDF (bot/signing.py), one `info` string per use, so the route
  key, the sender-hash key and the button key differ. Without the secret (the console, tests) the data
  directory's key file stands in, as for buttons: `humako-bot run` never starts a real platform without the
  secret, and a cog that declares `needs_secret=True` refuses a secret shorter than MIN_SECRET_CHARS.
- `keyed_hash(purpose, person_id)` is an HMAC per person id, so it is the same for linked accounts. It
  changes with the secret: anything keyed on it (a block, a rate limit) lapses when the key is rotated.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.commands import Rendered, Reply, render_reply
from bot.frontends.base import RetryLater, Target, Unreachable
from bot.signing import derive_key, key_material
from storage.sealed import SEALED, SealedQueries

if TYPE_CHECKING:
    from bot.app import Application
    from bot.commands import Cog
    from bot.context import Account
    from storage.db import Database
    from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

__all__ = ["MIN_SECRET_CHARS", "SEALED", "Route", "SealedDelivery", "Sealer", "StartRefused", "check_secret",
           "rotate_routes"]

MIN_SECRET_CHARS = 32
ROUTE_INFO = b"humako-bot sealed routes v1"
SENDER_INFO = b"humako-bot sender keys v1"
HANDLE_BYTES = 16  # 128 random bits, 22 characters
ROUTE_PAD = 64  # plaintext bytes: covers a console name, a Telegram id and a Discord snowflake alike
PURPOSE_RE = re.compile(r"^[a-z0-9_.:-]{1,64}$")


class StartRefused(RuntimeError):
    """The bot must not start as configured; the message says why in one line (never the secret itself)."""


def check_secret(secret_key: str | None, cogs: Iterable[Cog], platforms: Iterable[str]) -> None:
    """A cog that seals routes needs a real secret: none on a real platform, or a short one, refuses start."""
    needing = sorted(cog.name for cog in cogs if cog.needs_secret)
    if not needing:
        return
    names = ", ".join(needing)
    hint = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not secret_key:
        if set(platforms) - {"console"}:
            raise StartRefused(f"HUMAKO_SECRET_KEY is not set and the {names} cog needs it; set it to the output "
                               f"of: {hint}")
    elif len(secret_key) < MIN_SECRET_CHARS:
        raise StartRefused(f"HUMAKO_SECRET_KEY is shorter than {MIN_SECRET_CHARS} characters and the {names} cog "
                           f"needs a long one; set it to the output of: {hint}")


def route_fernet(material: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(material, ROUTE_INFO)))


@dataclass(frozen=True)
class Route:
    platform: str
    user_id: str


class Sealer:
    """The keys: seal and open routes, hash senders. Knows no storage."""

    def __init__(self, material: bytes) -> None:
        self._fernet = route_fernet(material)
        self._sender_key = derive_key(material, SENDER_INFO)

    def seal(self, route: Route) -> str:
        data = json.dumps([route.platform, route.user_id]).encode().ljust(ROUTE_PAD)
        return self._fernet.encrypt_at_time(data, 0).decode()

    def open(self, token: str) -> Route | None:
        """The route, or None when the token does not open with this key (rotated away, lost key file)."""
        try:
            platform, user_id = json.loads(self._fernet.decrypt(token))
        except (InvalidToken, ValueError):
            return None
        return Route(str(platform), str(user_id))

    def keyed_hash(self, purpose: str, person_id: int) -> str:
        """The same text for the same person and purpose; without the key it says nothing about either."""
        if not PURPOSE_RE.match(purpose):
            raise ValueError(f"purpose {purpose!r} must match {PURPOSE_RE.pattern}")
        return hmac.new(self._sender_key, f"{purpose}/{person_id}".encode(), sha256).hexdigest()[:32]


class SealedDelivery:
    """`app.sealed`: routes stored sealed, deliveries through them, sender hashes."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.routes = SealedQueries(app.db)
        self._sealer: Sealer | None = None

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:  # on first use, like the button signer: the data directory exists by then
            self._sealer = Sealer(key_material(self.app.config.secrets.secret_key, self.app.data_dir))
        return self._sealer

    async def seal(self, account: Account, language: str) -> str:
        """A new handle for this account; the account is stored only inside the ciphertext."""
        handle = secrets.token_urlsafe(HANDLE_BYTES)
        await self.routes.add(handle, self.sealer.seal(Route(account.platform, account.user_id)), language)
        return handle

    async def deliver(self, handle: str, reply: Reply) -> bool:
        """Queue `reply` to whoever `handle` was sealed for; False when there is no such route (dropped or
        forgotten). The outbox row names nobody; delivery opens the route and deletes the row."""
        found = await self.routes.get(handle)
        if found is None:
            return False
        language = found[1]
        message = render_reply(self.app.core.seal(reply, None), language)
        await self.app.outbox.rows.add(
            now=self.app.clock.now(), person_id=None, destination=None, platform=SEALED, target_kind=SEALED,
            target_id=handle, language=language, body=message.to_json(), shows=None, urgent=True,
        )
        self.app.outbox.wake()
        return True

    async def is_for(self, handle: str, account: Account) -> bool:
        """Whether `handle` was sealed for this account (someone adding to their own anonymous case, a sealed
        member writing in a conversation): opens that one route only."""
        found = await self.routes.get(handle)
        route = self.sealer.open(found[0]) if found is not None else None
        return route == Route(account.platform, account.user_id)

    async def drop(self, handle: str) -> None:
        """The route is no longer needed (the case is closed): it and anything still queued for it go."""
        await self.routes.drop([handle])

    def keyed_hash(self, purpose: str, person_id: int) -> str:
        return self.sealer.keyed_hash(purpose, person_id)

    async def send(self, row: OutboxRow) -> None:
        """The outbox worker's sealed lane: open the route, send, delete the row (or retry, or give up)."""
        found = await self.routes.get(row.target_id)
        route = self.sealer.open(found[0]) if found is not None else None
        if route is None:
            log.warning("a sealed delivery was dropped: its route is gone or does not open with the current key")
            await self.routes.delivered(row.id)
            return
        frontend = self.app.frontends.get(route.platform)
        try:
            if frontend is None:
                raise RetryLater("the route's platform is not running")
            await frontend.send(Target("user", route.user_id), Rendered.from_json(row.body))
        except Unreachable:
            log.info("a sealed delivery could not reach its recipient and was dropped")
            await self.routes.delivered(row.id)
        except Exception as error:  # every other failure is retried; only its type is kept (no ids)
            delay = self.app.outbox.retry_delay(row.attempts + 1, error)
            if delay is None:
                log.warning("a sealed delivery failed %s times (%s) and was dropped", row.attempts + 1,
                            type(error).__name__)
                await self.routes.delivered(row.id)
            else:
                await self.app.outbox.rows.retry_at(row.id, self.app.clock.now() + timedelta(seconds=delay),
                                                    type(error).__name__)
        else:
            await self.routes.delivered(row.id)

    async def of_accounts(self, accounts: Iterable[tuple[str, str]]) -> list[str]:
        """Handles sealed for any of these accounts. Each route must be opened to know: nothing else says."""
        wanted = {(platform, str(user_id)) for platform, user_id in accounts}
        stored, sealer = await self.routes.all(), self.sealer

        def matching() -> list[str]:
            opened = ((handle, sealer.open(token)) for handle, token in stored)
            return [handle for handle, route in opened
                    if route is not None and (route.platform, route.user_id) in wanted]

        # About 9 ms per 1,000 routes (bench/sealed.py): off the event loop, so commands are not held up.
        return await asyncio.to_thread(matching)

    async def forget_accounts(self, accounts: Iterable[tuple[str, str]]) -> int:
        """/forgetme: the routes to these accounts go, with anything still queued for them."""
        handles = await self.of_accounts(accounts)
        await self.routes.drop(handles)
        return len(handles)


async def rotate_routes(db: Database, new_material: bytes, old_material: bytes) -> tuple[int, int]:
    """Every route re-encrypted under the key from `new_material`, in one transaction: (rotated, unreadable).

    A route that opens with neither key is counted and nothing is changed, so a wrong old key loses nothing.
    Running it again is harmless: routes already under the new key are re-encrypted under it.
    """
    fernet = MultiFernet([route_fernet(new_material), route_fernet(old_material)])
    queries = SealedQueries(db)
    async with db.transaction():
        rotated: list[tuple[str, str]] = []
        unreadable = 0
        for handle, token in await queries.all():
            try:
                rotated.append((handle, fernet.rotate(token).decode()))  # keeps the token's time 0
            except InvalidToken:
                unreadable += 1
        if unreadable:
            return 0, unreadable
        await queries.replace(rotated)
    return len(rotated), 0
