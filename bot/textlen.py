"""Text lengths as the platforms count them.

Telegram counts message and caption lengths in UTF-16 code units (an emoji outside the Basic Multilingual
Plane is two), Discord in code points. The core's limits on typed text count the strictest way (UTF-16),
so a value it accepts fits every platform.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: every code point above U+FFFF takes two."""
    if text.isascii():  # the common case, at C speed (a long /help is rendered for every reader)
        return len(text)
    # Two bytes a unit; "surrogatepass" keeps a lone surrogate (one unit) from raising.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip_utf16(text: str, limit: int) -> str:
    """`text` cut (with an ellipsis) so that it is at most `limit` UTF-16 code units long."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    budget, end = limit - 1, 0  # one unit for the ellipsis
    for char in text:
        units = 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            break
        budget -= units
        end += 1
    return text[:end] + "…"
