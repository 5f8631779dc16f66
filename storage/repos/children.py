"""Keeping an ordered list of people (visitors, walkers) in child rows."""
from __future__ import annotations

from typing import Callable, Iterable, Protocol, TypeVar


class _Person(Protocol):
    chat_id: str
    position: int


Row = TypeVar("Row", bound=_Person)


def ordered_people(existing: Iterable[Row], chat_ids: Iterable[str], make: Callable[[], Row]) -> list[Row]:
    """Rows for `chat_ids` in order, reusing existing rows (same primary key) instead of delete + insert."""
    by_id = {row.chat_id: row for row in existing}
    rows = []
    for position, chat_id in enumerate(dict.fromkeys(chat_ids)):
        row = by_id.get(chat_id) or make()
        row.chat_id, row.position = chat_id, position
        rows.append(row)
    return rows
