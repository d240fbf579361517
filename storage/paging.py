"""A query read a page at a time: its COUNT and one LIMIT/OFFSET slice, both from the same FROM ... WHERE.

Storage modules return a `Paged` for a list people page through (bot/pager.py `source_pager` shows it), so a
page costs the same whatever the list's length: nothing is loaded whole to be sliced in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from storage.db import Database, Row

__all__ = ["Paged"]

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """`SELECT {columns} {source} ORDER BY {order}`, made into `T`s by `make`. `source` is the FROM and WHERE
    (joins included) with `?` placeholders for `params`; `order` must end in a unique column, so pages never
    overlap or skip a row."""

    db: Database
    source: str
    params: tuple[Any, ...]
    order: str
    make: Callable[[Row], T]
    columns: str = "*"

    async def count(self) -> int:
        return int(await self.db.fetchval(f"SELECT COUNT(*) {self.source}", self.params))

    async def page(self, offset: int, limit: int) -> list[T]:
        rows = await self.db.fetchall(
            f"SELECT {self.columns} {self.source} ORDER BY {self.order} LIMIT ? OFFSET ?",
            (*self.params, limit, offset))
        return [self.make(row) for row in rows]
