"""A list shown a page at a time, with Previous/Next and buttons per line.

`pager` pages lines already in memory; `paged` asks a source for one page only (SQL's LIMIT/OFFSET after a
COUNT), so a list costs the same at page 1 of 10 items as at page 1 of 10,000.

The page number travels in the buttons' action ids (the cog's own action, which rebuilds the list), so the
page is kept per reader: the one a list was made for turns it in place; anyone else pressing on it gets
their own copy (the core answers a press on someone else's message privately) and turns that one.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

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
    page = clamp(page, len(lines), size)
    return _render(lines[(page - 1) * size: page * size], page=page, pages=page_count(len(lines), size), turn=turn,
                   title=title, footer=footer, edit=edit, private=private)


# One page of a source: (offset, limit) -> its lines, e.g. a storage query's LIMIT ? OFFSET ?.
PageFetch = Callable[[int, int], Awaitable[Sequence[Line | Text]]]
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class PageSource(Protocol[T_co]):
    """What storage.paging.Paged gives: a count, and one page of items."""

    async def count(self) -> int: ...

    async def page(self, offset: int, limit: int) -> Sequence[T_co]: ...


async def paged(
    total: int,
    fetch: PageFetch,
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
    """As `pager`, for a source that pages itself: `total` is its COUNT, and `fetch(offset, limit)` is asked for
    the one page shown (the page clamped first, so a page past the end shows the last one)."""
    if total <= 0:
        return Reply(empty, edit=edit, private=private)
    page = clamp(page, total, size)
    shown = await fetch((page - 1) * size, size)
    if not shown:  # the source shrank between its count and its page: no blank page
        return Reply(empty, edit=edit, private=private)
    return _render(shown, page=page, pages=page_count(total, size), turn=turn, title=title, footer=footer,
                   edit=edit, private=private)


async def source_pager(
    source: PageSource[T],
    line: Callable[[T], Line | Text | Awaitable[Line | Text]],
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
    """`paged` over a `PageSource` (a storage query): one COUNT, one page read, `line(item)` (plain or async) for
    the items shown only."""
    async def fetch(offset: int, limit: int) -> list[Line | Text]:
        lines: list[Line | Text] = []
        for item in await source.page(offset, limit):
            made = line(item)
            lines.append(await made if inspect.isawaitable(made) else made)
        return lines

    return await paged(await source.count(), fetch, page=page, size=size, turn=turn, title=title, empty=empty,
                       footer=footer, edit=edit, private=private)


def clamp(page: int, total: int, size: int) -> int:
    return min(max(page, 1), page_count(total, size))


def _render(lines: Sequence[Line | Text], *, page: int, pages: int, turn: Callable[[int], str], title: Text,
            footer: Text | None, edit: bool, private: bool) -> Reply:
    shown = [line if isinstance(line, Line) else Line(line) for line in lines]
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
