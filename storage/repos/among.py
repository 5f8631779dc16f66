"""`column IN (subquery)`, written so that PostgreSQL looks the few rows up by index.

For `visits.id IN (SELECT …)` PostgreSQL estimates how many ids come and, the table being a school's few
thousand rows in memory, often reads the whole table to match them (a hash join): the person's dozen visits
cost a scan of every visit of the school. `visits.id = ANY(ARRAY(SELECT …))` has the ids worked out first, once,
and then fetched by the primary key, whatever the table holds. Other databases get the plain IN.
"""
from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, CompoundSelect, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class among(FunctionElement):  # noqa: N801 (an SQL construct, named as SQLAlchemy's own are)
    type = Boolean()
    inherit_cache = True
    name = "among"


def ids_among(column: ColumnElement, ids: Select | CompoundSelect) -> ColumnElement[bool]:
    """`column` is one of the values `ids` selects (one column), whatever the enclosing query reads."""
    ids = ids.scalar_subquery()
    return among(column, ids if isinstance(ids.element, CompoundSelect) else ids.correlate(None))


@compiles(among)
def _in(element: among, compiler, **kw) -> str:
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(ids, **kw)}"


@compiles(among, "postgresql")
def _any_array(element: among, compiler, **kw) -> str:
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(ids, **kw)})"
