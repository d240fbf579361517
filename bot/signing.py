"""Signed action ids: every button the bot shows carries a short keyed MAC, so nobody can forge or alter one.

Telegram hands back whatever callback data a client sends, and a Discord client can send any custom_id, so the
core checks the MAC before anything runs (Core.press). A signed id reads

    <payload>~<owner>~<mac>

where `payload` is the cog's `<prefix>:<name>:<arg>...`, `owner` the person the message was made for (their
person id in base 36; empty for a shared message such as an announcement card) and `mac` HMAC-SHA256 over both,
cut to 72 bits and written in 12 base64url characters. All of it fits in Telegram's 64 bytes of callback data.

The key is derived from HUMAKO_SECRET_KEY (HKDF, so that the secret's other uses get other keys). Without it
(the console, tests) a random key is generated once per data directory and kept in `action-signing.key` next to
the database, never inside it. `humako-bot run` with a platform token refuses to start without the secret.
Rotating the secret (or losing that file) makes every button posted before stop working: the person is told
"This button no longer works."
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.commands import ACTION_ID_MAX_BYTES, ACTION_SEP, Button, Reply

log = logging.getLogger(__name__)

KEY_FILE = "action-signing.key"
MAC_BYTES = 9  # 72 bits: 12 base64url characters, no padding
SIGNED_REMEMBERED = 4096
_HKDF_INFO = b"humako-bot action ids v1"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Signed:
    """A verified action id: the cog's payload and the person the message was made for (None: shared)."""

    payload: str
    owner: int | None


def derive_key(material: bytes, info: bytes = _HKDF_INFO) -> bytes:
    """A 32-byte key for one use of the secret; each use passes its own `info`, so the keys differ."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def load_key(secret_key: str | None, data_dir: Path) -> bytes:
    """The signing key: from HUMAKO_SECRET_KEY, else from (or newly into) this data directory's key file."""
    return derive_key(key_material(secret_key, data_dir))


def key_material(secret_key: str | None, data_dir: Path) -> bytes:
    """What every key is derived from: HUMAKO_SECRET_KEY, else this data directory's key file (made once)."""
    if secret_key:
        return secret_key.encode()
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting on a fresh directory end up with the same key, not two.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        material = path.read_bytes().strip()
    else:
        material = secrets.token_hex(32).encode()
        with os.fdopen(fd, "wb") as file:
            file.write(material)
        log.info("HUMAKO_SECRET_KEY is not set: keys (buttons, sealed routes) come from %s", path)
    return material


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


def payload_of(action: str) -> str:
    """The cog's part of an action id, signed or not (tests, logs)."""
    return action.split(ACTION_SEP, 1)[0]


class ActionSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # Recent signatures: a reply's buttons are mostly the ones just signed (a card re-rendered for each
        # copy, the same command again), and a signature costs an HMAC. Bounded; only this process's memory.
        self._signed: dict[tuple[str, int | None], str] = {}

    def _mac(self, payload: str, owner: str) -> str:
        digest = hmac.digest(self._key, f"{owner}{ACTION_SEP}{payload}".encode(), "sha256")  # one C call
        return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode()

    def sign(self, payload: str, owner: int | None) -> str:
        signed = self._signed.get((payload, owner))
        if signed is not None:
            return signed
        owner_text = _base36(owner) if owner is not None else ""
        signed = ACTION_SEP.join((payload, owner_text, self._mac(payload, owner_text)))
        if len(signed.encode()) > ACTION_ID_MAX_BYTES:  # declarations leave room; a huge person id does not
            raise ValueError("signed action id longer than the platforms allow")
        if len(self._signed) >= SIGNED_REMEMBERED:
            self._signed.clear()
        self._signed[(payload, owner)] = signed
        return signed

    def verify(self, action: str) -> Signed | None:
        """The payload and owner of a genuine id; None for a forged, altered or unsigned one."""
        parts = action.split(ACTION_SEP)
        if len(parts) != 3:
            return None
        payload, owner_text, mac = parts
        if not hmac.compare_digest(mac.encode(), self._mac(payload, owner_text).encode()):
            return None
        return Signed(payload, int(owner_text, 36) if owner_text else None)

    def seal(self, reply: Reply, owner: int | None) -> Reply:
        """The reply with every action button signed for `owner` (already signed ones are kept as they are)."""
        rows = reply.rows
        sealed: list[list[Button]] | None = None  # copied on the first button to sign: most replies have none
        for row_index, row in enumerate(rows):
            for index, button in enumerate(row):
                if self._unsigned(button):
                    if sealed is None:
                        sealed = [list(each) for each in rows]
                    sealed[row_index][index] = button.with_action(self.sign(button.action, owner))
        return reply if sealed is None else reply.with_buttons(sealed)

    @staticmethod
    def _unsigned(button: Button) -> bool:
        return button.url is None and ACTION_SEP not in button.action
