"""Child rows (visitors, walkers, notes): read with their parent in one statement, kept in order."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Protocol, TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text


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


class _rows_json(FunctionElement):
    """A child table's rows for one parent as a JSON array of arrays of these columns (NULL or [] for none)."""

    type = Text()
    inherit_cache = True
    name = "rows_json"


@compiles(_rows_json, "postgresql")
def _rows_json_postgresql(element, compiler, **kw) -> str:
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


@compiles(_rows_json, "sqlite")
def _rows_json_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def child_rows(*columns: ColumnElement[Any], of: ColumnElement[int], parent: type) -> ScalarSelect:
    """A column for the parent's select: its child rows (`of` their parent's id), as json_rows reads them back."""
    return select(_rows_json(*columns)).where(of == parent.id).correlate(parent).scalar_subquery()


def json_rows(value: str | None) -> list[list[Any]]:
    return json.loads(value) if value else []
