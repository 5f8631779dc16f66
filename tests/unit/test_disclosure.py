"""Disclosure control of the equality report (bot.reports.disclosure): over random group tables, no cell under the
threshold is published, and none can be worked out by differencing rows, columns or totals."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reports.disclosure import (
    LOWEST_THRESHOLD,
    RATE_DENOMINATOR,
    Hidden,
    check_threshold,
    protect,
    rounded,
    suppress,
)

MEASURES = ("visits", "walk rooms")
GROUP_NAMES = ("16-24", "25-34", "35-44", "45-54", "55+", "Prefer not to say", "Not recorded")


@st.composite
def group_tables(draw):
    """A characteristic's groups: each with its headcount and a count per measure, and a threshold."""
    names = draw(st.lists(st.sampled_from(GROUP_NAMES), min_size=1, max_size=len(GROUP_NAMES), unique=True))
    heads = {g: draw(st.integers(1, 40)) for g in names}
    measures = {m: {g: draw(st.integers(0, 60)) for g in names} for m in MEASURES}
    threshold = draw(st.integers(LOWEST_THRESHOLD, 15))
    return heads, measures, threshold


def unknowns(hidden: Hidden) -> list[str]:
    """What an attacker does not know in a one-way table: the hidden cells, and the total if it is hidden."""
    return [*sorted(hidden.cells), *(["total"] if hidden.total else [])]


def derivable(values: dict[str, int], hidden: Hidden) -> dict[str, int]:
    """Every cell or sum of cells an attacker can compute exactly from the published (unrounded, the worst case)
    cells and total: the published ones, and by differencing the total with the shown cells, the hidden cells'
    sum; which is one cell's value when exactly one is hidden."""
    known = {g: v for g, v in values.items() if g not in hidden.cells}
    if not hidden.total:
        rest = sum(values.values()) - sum(known.values())
        if hidden.cells:
            known["+".join(sorted(hidden.cells))] = rest
    return known


def assert_column_safe(values: dict[str, int], hidden: Hidden, threshold: int) -> None:
    for name, value in derivable(values, hidden).items():
        assert value >= threshold, (name, value, values, hidden)
    left = unknowns(hidden)
    assert len(left) != 1, f"one unknown in one equation is recovered: {left} of {values}"
    if not hidden.total:
        assert sum(values.values()) >= threshold


@settings(max_examples=400, deadline=None)
@given(group_tables())
def test_no_published_or_derivable_cell_is_under_the_threshold(table):
    heads, measures, threshold = table
    published = protect("age band", heads, measures, threshold)
    heads_hidden = suppress(heads, threshold)
    assert_column_safe(heads, heads_hidden, threshold)
    for i, m in enumerate(MEASURES):
        column = {g: measures[m].get(g, 0) for g in heads}
        hidden = suppress(column, threshold, forced=heads_hidden.cells)
        assert_column_safe(column, hidden, threshold)
        assert heads_hidden.cells <= hidden.cells  # a row whose headcount is withheld is withheld whole
        for row in published.rows:
            shown = row.counts[i]
            assert (shown is None) == (row.group in hidden.cells)
            if shown is not None:
                assert shown % 5 == 0 and shown == rounded(column[row.group]) and column[row.group] >= threshold
            if row.rates[i] is not None:  # only from shown counts, on 10 or more people
                assert row.heads is not None and shown is not None and heads[row.group] >= RATE_DENOMINATOR
        total = published.total.counts[i]
        assert (total is None) == hidden.total
    for row in published.rows:
        assert (row.heads is None) == (row.group in heads_hidden.cells)
        assert row.heads is None or (row.heads % 5 == 0 and heads[row.group] >= threshold)
        if row.heads is None:
            assert row.counts == (None,) * len(MEASURES) and row.rates == (None,) * len(MEASURES)


@settings(max_examples=200, deadline=None)
@given(group_tables())
def test_the_same_table_always_hides_the_same_cells(table):
    heads, measures, threshold = table
    assert protect("sex", heads, measures, threshold) == protect("sex", dict(reversed(heads.items())), measures,
                                                                 threshold)


def test_one_small_cell_takes_the_next_smallest_with_it():
    hidden = suppress({"A": 30, "B": 12, "C": 4, "D": 20}, 10)
    assert hidden == Hidden(frozenset({"B", "C"}), False)  # C alone would be the total minus the others


def test_hidden_cells_that_add_up_to_little_take_more_with_them():
    # 3 + 4 = 7 from the total is under 10: the next smallest goes too.
    assert suppress({"A": 3, "B": 4, "C": 11, "D": 50}, 10) == Hidden(frozenset({"A", "B", "C"}), False)


def test_a_table_of_one_small_group_or_a_small_school_hides_its_total():
    assert suppress({"Prefer not to say": 7}, 10) == Hidden(frozenset({"Prefer not to say"}), True)
    assert suppress({"A": 3, "B": 4}, 10) == Hidden(frozenset({"A", "B"}), True)
    assert suppress({"A": 30}, 10) == Hidden(frozenset(), False)


def test_counts_round_to_five_and_rates_need_ten_people():
    assert [rounded(n) for n in (10, 12, 13, 17, 18, 22)] == [10, 10, 15, 15, 20, 20]
    table = protect("disability", {"Yes": 10, "No": 30, "Prefer not to say": 12},
                    {"visits": {"Yes": 25, "No": 61, "Prefer not to say": 30}}, threshold=10)
    by = {r.group: r for r in table.rows}
    assert by["Yes"].heads == 10 and by["Yes"].counts == (25,) and by["Yes"].rates == (2.5,)
    assert table.total.heads == 50 and table.total.counts == (115,) and table.total.rates == (2.2,)  # 116 visits over 52 people


def test_the_threshold_is_never_below_five():
    assert check_threshold(5) == 5
    with pytest.raises(ValueError):
        check_threshold(4)
    with pytest.raises(ValueError):
        suppress({"A": 1}, 3)
