"""A list shown a page at a time, with Previous/Next and buttons per line.

The page number travels in the buttons' action ids (the cog's own action, which rebuilds the list), so the
page is kept per reader: the one a list was made for turns it in place; anyone else pressing on it gets
their own copy (the core answers a press on someone else's message privately) and turns that one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.commands import Button, Reply
from bot.i18n import Lines, Text, _


@dataclass(frozen=True)
class Line:
    """One entry: its text, and buttons that act on it (Cancel, Show)."""

    text: Text
    buttons: Sequence[Button] = ()


def page_count(total: int, size: int) -> int:
    return max(1, (total + size - 1) // size)


def pager(
    lines: Sequence[Line | Text],
    *,
    page: int,
    size: int,
    turn: Callable[[int], str],
    title: Text,
    empty: Text,
    footer: Text | None = None,
    edit: bool = False,
    private: bool = False,
) -> Reply:
    """Page `page` (1-based, clamped) of `lines`, `size` a page. `turn(n)` is the action id that shows page
    n, e.g. `lambda n: cog.action_id("page", n, where)`: it is checked against the signed-id limit
    (ACTION_PAYLOAD_MAX) when the buttons are made, so a too long one fails in the first test, not live.
    `edit`: the reply replaces the message (from the page action)."""
    if not lines:
        return Reply(empty, edit=edit, private=private)
    pages = page_count(len(lines), size)
    page = min(max(page, 1), pages)
    shown = [line if isinstance(line, Line) else Line(line) for line in lines[(page - 1) * size: page * size]]
    heading: Text = Lines(title, _("page {page}/{pages}", page=page, pages=pages), sep=", ") if pages > 1 else title
    rows: list[list[Button]] = [list(line.buttons) for line in shown if line.buttons]
    turns = []
    if page > 1:
        turns.append(Button(_("Previous"), turn(page - 1)))
    if page < pages:
        turns.append(Button(_("Next"), turn(page + 1)))
    if turns:
        rows.append(turns)
    return Reply(Lines(*(line.text for line in shown), footer), title=heading, buttons=rows, edit=edit,
                 private=private)
