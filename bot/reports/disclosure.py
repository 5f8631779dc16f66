"""Disclosure control for the equality report (Trust §14): small groups of staff are never exposed.

One characteristic per table, so every table is one-way: its groups (rows), a count per group in each column, and
the column's total. A column is protected on its own, and a row whose headcount is hidden is hidden whole:

- primary suppression: any cell under the threshold (default 10, never below 5) is hidden;
- secondary suppression: the total minus the shown cells gives the sum of the hidden ones, so the hidden cells
  must be two or more and add up to at least the threshold; if not, the next smallest cells are hidden too, and
  where even that cannot be done (a table of one group) the total is hidden;
- what is shown is rounded to the nearest 5;
- a rate (per head) only where both its counts are shown and its denominator is 10 or more.

Pure: numbers in, numbers out. bot.reports.equality builds the tables; tests/unit/test_disclosure.py tries to
recover a hidden cell by differencing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

DEFAULT_THRESHOLD = 10
LOWEST_THRESHOLD = 5  # the floor: a school may ask for more caution, never for less
RATE_DENOMINATOR = 10  # no rate on fewer heads than this
ROUND_TO = 5


def check_threshold(threshold: int) -> int:
    if threshold < LOWEST_THRESHOLD:
        raise ValueError(f"the suppression threshold is at least {LOWEST_THRESHOLD}")
    return threshold


def rounded(count: int) -> int:
    """To the nearest 5, halves up (12 → 10, 13 → 15)."""
    return (count + ROUND_TO // 2) // ROUND_TO * ROUND_TO


@dataclass(frozen=True)
class Hidden:
    """Which cells of one column are withheld: its groups', and whether its total is."""

    cells: frozenset[str]
    total: bool


def suppress(values: Mapping[str, int], threshold: int, forced: frozenset[str] = frozenset()) -> Hidden:
    """The cells of one column to withhold: under the threshold, `forced` (rows hidden whole), and enough more
    that no hidden cell, nor the hidden cells' sum, can be worked out from what is shown."""
    check_threshold(threshold)
    hidden = set(forced) | {group for group, count in values.items() if count < threshold}
    if sum(values.values()) < threshold:  # every cell is under it too: the column is withheld whole
        return Hidden(frozenset(values), True)
    if not hidden:
        return Hidden(frozenset(), False)
    # Smallest first, then by name, so the same table always hides the same cells.
    shown = sorted((group for group in values if group not in hidden), key=lambda g: (values[g], g))
    while (len(hidden) < 2 or sum(values[g] for g in hidden) < threshold) and shown:
        hidden.add(shown.pop(0))
    exposed = len(hidden) < 2 or sum(values[g] for g in hidden) < threshold
    return Hidden(frozenset(hidden), exposed)


@dataclass(frozen=True)
class Row:
    """One group as published: None where a count or rate is withheld."""

    group: str
    heads: int | None
    counts: tuple[int | None, ...]  # one per measure, in the table's order
    rates: tuple[float | None, ...]  # each count per head


@dataclass(frozen=True)
class Table:
    characteristic: str
    measures: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row  # the whole school: its rates are the school's rate
    threshold: int


def protect(characteristic: str, heads: Mapping[str, int], measures: Mapping[str, Mapping[str, int]],
            threshold: int = DEFAULT_THRESHOLD) -> Table:
    """One characteristic's table: per group its headcount and each measure's count, protected as above.

    `heads`: people per group; `measures`: for each measure (visits, walk rooms), its count per group (a group
    missing from a measure counts 0)."""
    groups = sorted(heads)
    heads_hidden = suppress(heads, threshold)
    columns = {name: {g: counts.get(g, 0) for g in groups} for name, counts in measures.items()}
    # A row whose headcount is withheld is withheld whole: a small group's visits say something about them.
    hidden = {name: suppress(column, threshold, forced=heads_hidden.cells) for name, column in columns.items()}

    def shown(count: int, withheld: bool) -> int | None:
        return None if withheld else rounded(count)

    def rate(count: int, people: int, withheld: bool) -> float | None:
        return None if withheld or people < RATE_DENOMINATOR else round(count / people, 1)

    rows = []
    for g in groups:
        head_off = g in heads_hidden.cells
        rows.append(Row(
            g, shown(heads[g], head_off),
            tuple(shown(columns[m][g], g in hidden[m].cells) for m in columns),
            tuple(rate(columns[m][g], heads[g], head_off or g in hidden[m].cells) for m in columns)))
    people = sum(heads.values())
    total = Row("Whole school", shown(people, heads_hidden.total),
                tuple(shown(sum(columns[m].values()), hidden[m].total) for m in columns),
                tuple(rate(sum(columns[m].values()), people, heads_hidden.total or hidden[m].total)
                      for m in columns))
    return Table(characteristic, tuple(columns), tuple(rows), total, threshold)
