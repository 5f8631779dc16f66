"""Several reads in one statement, for a request that shows many things at once (the App Home): one round trip
for all of them. Each select's columns stand side by side in a UNION ALL, a typed NULL in every other select's
places, so each column keeps its own type (and SQLAlchemy's handling of it); each read's rows come back apart.
The selects are those the repositories read alone, so what a read is is written once."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, Select, cast, literal_column, null, union_all
from sqlalchemy.orm import Session

_PART = "together_part"


class Together:
    """The reads as one statement, built once: its values are given at each read (bindparam), so a request pays
    neither building it nor working out its cache key."""

    def __init__(self, *reads: Select):
        self.places = [(n, column.key) for n, read in enumerate(reads) for column in read.selected_columns]
        owners = [column for read in reads for column in read.selected_columns]
        members = []
        for n, read in enumerate(reads):
            columns = [literal_column(str(n), Integer).label(_PART)]
            columns += [(own if part == n else cast(null(), own.type)).label(f"c{i}")
                        for i, ((part, _), own) in enumerate(zip(self.places, owners))]
            members.append(read.with_only_columns(*columns, maintain_column_froms=True).order_by(None))
        self.reads, self.statement = len(reads), union_all(*members)

    def read(self, session: Session, values: dict[str, Any]) -> list[list[SimpleNamespace]]:
        """Each read's rows, in the order the reads were given; a row's columns by their names in its read. Rows
        come in no order: a read's caller sorts them (a member of a UNION keeps no ORDER BY)."""
        found: list[list[SimpleNamespace]] = [[] for _ in range(self.reads)]
        for row in session.connection().execute(self.statement, values):
            part = row[0]
            found[part].append(SimpleNamespace(**{name: row[i + 1] for i, (of, name) in enumerate(self.places)
                                                   if of == part}))
        return found
