"""Tests for bot.chat.when: dates, times, durations and spans typed in chat."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.when import (
    looks_like_duration,
    parse_date,
    parse_duration,
    parse_span,
    parse_time,
    parse_time_or_period,
)
from bot.domain.calendar import Period, SchoolCalendar, Session, Term
from bot.errors import InputError

MON = date(2027, 2, 1)  # a Monday
WED = date(2027, 2, 3)
SUN = date(2027, 2, 7)
DEC = date(2027, 12, 20)  # a Monday in December

CAL = SchoolCalendar(
    timezone="Europe/London",
    day_start=time(8, 45),
    day_end=time(15, 30),
    sessions=(Session("2026-27", (Term("Spring", date(2027, 1, 6), date(2027, 3, 31)),)),),
    periods=(
        Period("P1", time(8, 50), time(9, 40)),
        Period("P2", time(9, 40), time(10, 30)),
        Period("P3", time(10, 45), time(11, 35)),
        Period("P4", time(11, 35), time(12, 25)),
        Period("P5", time(13, 15), time(14, 5)),
    ),
)
NO_PERIODS = SchoolCalendar("Europe/London", time(8, 45), time(15, 30), ())


def rejects(func, *args) -> str:
    with pytest.raises(InputError) as caught:
        func(*args)
    return str(caught.value)


# ---------------------------------------------------------------- parse_date: accepted forms


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2027-02-03", date(2027, 2, 3)),
        ("2027-2-3", date(2027, 2, 3)),
        ("2026-12-25", date(2026, 12, 25)),  # past dates with a year are the caller's business
        ("3/2/2027", date(2027, 2, 3)),
        ("03/02/2027", date(2027, 2, 3)),
        ("03/02/27", date(2027, 2, 3)),
        ("3-2-2027", date(2027, 2, 3)),
        ("3/2", date(2027, 2, 3)),
        ("1/2", date(2027, 2, 1)),  # today counts as not yet past
        ("31/1", date(2028, 1, 31)),  # already past this year -> next year
        ("13/2", date(2027, 2, 13)),  # day > 12 is still day-first, never swapped
        ("3 Feb", date(2027, 2, 3)),
        ("3 February", date(2027, 2, 3)),
        ("Feb 3", date(2027, 2, 3)),
        ("February 3rd", date(2027, 2, 3)),
        ("3rd Feb", date(2027, 2, 3)),
        ("1st Mar", date(2027, 3, 1)),
        ("22nd march", date(2027, 3, 22)),
        ("4th sept", date(2027, 9, 4)),
        ("3 Feb 2027", date(2027, 2, 3)),
        ("3 Feb 2028", date(2028, 2, 3)),
        ("Feb 3, 2027", date(2027, 2, 3)),
        ("3 feb.", date(2027, 2, 3)),
        ("31 Jan", date(2028, 1, 31)),
        ("1 Feb", MON),
        ("29 Feb 2028", date(2028, 2, 29)),
        ("today", MON),
        ("tomorrow", date(2027, 2, 2)),
        ("  TOMORROW  ", date(2027, 2, 2)),
        ("3  FEB", date(2027, 2, 3)),
        ("tue", date(2027, 2, 2)),
        ("tues", date(2027, 2, 2)),
        ("Tuesday", date(2027, 2, 2)),
        ("wed", date(2027, 2, 3)),
        ("weds", date(2027, 2, 3)),
        ("thur", date(2027, 2, 4)),
        ("thurs", date(2027, 2, 4)),
        ("fri", date(2027, 2, 5)),
        ("sunday", date(2027, 2, 7)),
        ("mon", date(2027, 2, 8)),  # bare weekday on that weekday -> a week ahead
        ("monday", date(2027, 2, 8)),
        ("this mon", MON),
        ("this fri", date(2027, 2, 5)),
        ("this sun", date(2027, 2, 7)),
        ("next mon", date(2027, 2, 8)),
        ("next tue", date(2027, 2, 9)),  # the following Mon-Sun week, not tomorrow
        ("next sun", date(2027, 2, 14)),
        ("Next Friday", date(2027, 2, 12)),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text, MON) == expected


@pytest.mark.parametrize(
    "text, today, expected",
    [
        ("3 Jan", DEC, date(2028, 1, 3)),  # year rollover
        ("3/1", DEC, date(2028, 1, 3)),
        ("25 Dec", DEC, date(2027, 12, 25)),
        ("20 Dec", DEC, DEC),
        ("19 Dec", DEC, date(2028, 12, 19)),
        ("next mon", SUN, date(2027, 2, 8)),  # Sunday is the end of the week
        ("mon", SUN, date(2027, 2, 8)),
        ("this sun", SUN, SUN),
        ("sun", SUN, date(2027, 2, 14)),
        ("next wed", WED, date(2027, 2, 10)),
        ("wed", WED, date(2027, 2, 10)),
        ("this thu", WED, date(2027, 2, 4)),
        ("fri", date(2027, 12, 31), date(2028, 1, 7)),  # across the year end
        ("tomorrow", date(2027, 12, 31), date(2028, 1, 1)),
        ("tomorrow", date(2028, 2, 28), date(2028, 2, 29)),
        ("29 Feb", date(2028, 1, 10), date(2028, 2, 29)),
    ],
)
def test_parse_date_relative_to_today(text, today, expected):
    assert parse_date(text, today) == expected


def test_bare_weekday_is_always_within_the_next_seven_days():
    for offset in range(7):
        today = MON + timedelta(days=offset)
        for name in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
            day = parse_date(name, today)
            assert 1 <= (day - today).days <= 7
            assert day.strftime("%a").lower() == name


def test_next_weekday_is_always_in_the_following_week():
    for offset in range(7):
        today = MON + timedelta(days=offset)
        for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun")):
            assert parse_date(f"next {name}", today) == date(2027, 2, 8) + timedelta(days=index)


# ---------------------------------------------------------------- parse_date: rejections


@pytest.mark.parametrize(
    "text",
    ["", "   ", "blah", "10", "3", "1st", "10:30", "2pm", "next", "this", "next week",
     "3 blah", "blah 3", "tue 3 feb", "3 Feb 27", "3.2.2027", "2027/02/03", "02032027",
     "3//2", "3/2/", "3/2-2027", "20270203", "yesterday", "last tue", "next 3 feb",
     "3 feb tomorrow", "fuzzy 3 feb text", "٣/٢"],
)
def test_parse_date_rejects_unreadable(text):
    message = rejects(parse_date, text, MON)
    assert "date" in message
    assert "3 Feb" in message and "tomorrow" in message  # says how to write it


@pytest.mark.parametrize(
    "text, needle",
    [
        ("32 Jan", "32 January doesn't exist"),
        ("31 Feb", "31 February doesn't exist"),
        ("30/2", "30 February doesn't exist"),
        ("2027-02-30", "30 February doesn't exist"),
        ("29 Feb", "29 February 2027 doesn't exist"),  # not a leap year: the year matters
        ("31 Apr 2027", "31 April doesn't exist"),
        ("0 Feb", "0 February doesn't exist"),
        ("2027-13-01", "months go from 1 to 12"),
        ("13/13", "months go from 1 to 12"),
        ("3/13", "months go from 1 to 12"),  # dateutil would quietly read 13 March
        ("1/0/2027", "months go from 1 to 12"),
    ],
)
def test_parse_date_rejects_dates_that_do_not_exist(text, needle):
    assert needle in rejects(parse_date, text, MON)


def test_this_weekday_already_gone():
    message = rejects(parse_date, "this mon", WED)
    assert "already gone" in message and "next mon" in message


def test_error_quotes_the_text_but_not_too_much():
    message = rejects(parse_date, "x" * 500, MON)
    assert "xxxx…" in message and len(message) < 200


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10:30", time(10, 30)),
        ("10.30", time(10, 30)),
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("14:15", time(14, 15)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("10am", time(10, 0)),
        ("10 AM", time(10, 0)),
        ("2pm", time(14, 0)),
        ("2:15pm", time(14, 15)),
        ("2.15pm", time(14, 15)),
        ("2 p.m.", time(14, 0)),
        ("12pm", time(12, 0)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("noon", time(12, 0)),
        (" 10:30 ", time(10, 30)),
    ],
)
def test_parse_time_accepts(text, expected):
    assert parse_time(text) == expected
    assert parse_time(text, CAL) == expected
    assert parse_time_or_period(text, CAL) == (expected, None)


@pytest.mark.parametrize(
    "text, start, minutes",
    [("P1", time(8, 50), 50), ("p3", time(10, 45), 50), ("P5", time(13, 15), 50), ("period 2", time(9, 40), 50)],
)
def test_periods(text, start, minutes):
    assert parse_time(text, CAL) == start
    assert parse_time_or_period(text, CAL) == (start, minutes)


def test_period_with_a_non_p_name():
    cal = SchoolCalendar("Europe/London", time(8, 45), time(15, 30), (), periods=(Period("Reg", time(8, 45), time(9, 0)),))
    assert parse_time_or_period("REG", cal) == (time(8, 45), 15)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("", "Please give a time"),
        ("blah", "couldn't read 'blah' as a time"),
        ("25:00", "hours go from 0 to 23"),
        ("24:00", "hours go from 0 to 23"),
        ("10:60", "minutes go from 00 to 59"),
        ("13pm", "hours go from 1 to 12"),
        ("0am", "hours go from 1 to 12"),
        ("14:15pm", "hours go from 1 to 12"),
        ("10", "can't tell which time"),
        ("1030", "can't tell which time"),
        ("10:3", "couldn't read"),
        ("10:30:00", "couldn't read"),
        ("-10:30", "couldn't read"),
        ("3 Feb", "couldn't read"),
    ],
)
def test_parse_time_rejects(text, needle):
    message = rejects(parse_time, text, CAL)
    assert needle in message
    if needle == "couldn't read":
        assert "10:30" in message and "2pm" in message and "P1" in message


def test_unknown_period_lists_the_real_ones():
    message = rejects(parse_time, "P9", CAL)
    assert "P9" in message and "P1, P2, P3, P4, P5" in message


def test_period_without_periods():
    assert "No periods" in rejects(parse_time, "P3", NO_PERIODS)
    assert "No periods" in rejects(parse_time, "P3")
    assert "period name" not in rejects(parse_time, "blah")  # don't suggest what can't work


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("20m", 20), ("20min", 20), ("20mins", 20), ("20minutes", 20), ("20 minutes", 20), ("1 minute", 1),
        ("1h", 60), ("1hr", 60), ("2hrs", 120), ("1hour", 60), ("2 hours", 120),
        ("1h30", 90), ("1h30m", 90), ("1h 30m", 90), ("1hr30mins", 90), ("90m", 90), ("1.5h", 90),
        ("0.25h", 15), ("1h0m", 60), ("10h", 600), ("600m", 600), ("20M", 20),
    ],
)
def test_parse_duration_accepts(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text, needle",
    [
        ("", "how long"),
        ("0m", "can't last 0 minutes"),
        ("0h", "can't last 0 minutes"),
        ("0h0m", "can't last 0 minutes"),
        ("-5m", "negative"),
        ("999h", "longer than 10 hours"),
        ("601m", "longer than 10 hours"),
        ("10h1m", "longer than 10 hours"),
        ("9" * 5000 + "m", "longer than 10 hours"),
        ("0.01h", "whole minutes"),
        ("20", "couldn't read"),
        ("blah", "couldn't read"),
        ("m", "couldn't read"),
        ("1h90", "couldn't read"),
        ("1.5h30", "couldn't read"),
        ("20s", "couldn't read"),
        ("1d", "couldn't read"),
        ("20m20m", "couldn't read"),
        ("30m1h", "couldn't read"),
    ],
)
def test_parse_duration_rejects(text, needle):
    assert needle in rejects(parse_duration, text)


@pytest.mark.parametrize("token", ["20m", "20min", "1h", "1h30", "1.5h", "90mins", "0m", "-5m", "999h"])
def test_looks_like_duration_yes(token):
    assert looks_like_duration(token)


@pytest.mark.parametrize("token", ["", "20", "3", "m", "10:30", "2pm", "tue", "3/2", "P3", "-", "1d"])
def test_looks_like_duration_no(token):
    assert not looks_like_duration(token)


# ---------------------------------------------------------------- spans


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2d", timedelta(days=2)),
        ("3h", timedelta(hours=3)),
        ("45m", timedelta(minutes=45)),
        ("1w", timedelta(weeks=1)),
        ("2d3h", timedelta(days=2, hours=3)),
        ("1w2d3h4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
        ("3h2d", timedelta(days=2, hours=3)),
        ("2d 3h", timedelta(days=2, hours=3)),
        ("2D", timedelta(days=2)),
        ("366d", timedelta(days=366)),
    ],
)
def test_parse_span_accepts(text, expected):
    assert parse_span(text) == expected


@pytest.mark.parametrize(
    "text, needle",
    [
        ("", "couldn't read"),
        ("2", "couldn't read"),
        ("d", "couldn't read"),
        ("2x", "couldn't read"),
        ("2d2d", "couldn't read"),
        ("2.5d", "couldn't read"),
        ("tomorrow", "couldn't read"),
        ("0d", "more than zero"),
        ("0h0m", "more than zero"),
        ("-2d", "positive"),
        ("367d", "too far"),
        ("53w", "too far"),
        ("9" * 5000 + "w", "too far"),
    ],
)
def test_parse_span_rejects(text, needle):
    assert needle in rejects(parse_span, text)


# ---------------------------------------------------------------- properties: only ever InputError

_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789/-:. apmhdwfebtuesnxrio", max_size=20),
    st.from_regex(r"\A[0-9]{1,4}[/-][0-9]{1,2}([/-][0-9]{1,4})?\Z"),
)
_TODAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=400)
@given(_TEXT, _TODAY)
def test_parse_date_only_raises_input_error(text, today):
    try:
        result = parse_date(text, today)
    except InputError as err:
        assert str(err)
    else:
        assert isinstance(result, date)


@settings(max_examples=400)
@given(_TEXT)
def test_parse_time_only_raises_input_error(text):
    for calendar in (None, CAL, NO_PERIODS):
        try:
            assert isinstance(parse_time_or_period(text, calendar)[0], time)
        except InputError as err:
            assert str(err)


@settings(max_examples=400)
@given(_TEXT)
def test_parse_duration_only_raises_input_error(text):
    try:
        assert 1 <= parse_duration(text) <= 600
    except InputError as err:
        assert str(err)


@settings(max_examples=400)
@given(_TEXT)
def test_parse_span_only_raises_input_error(text):
    try:
        assert timedelta(0) < parse_span(text) <= timedelta(days=366)
    except InputError as err:
        assert str(err)


@given(st.text())
def test_looks_like_duration_never_raises(token):
    assert isinstance(looks_like_duration(token), bool)


@given(_TODAY, st.integers(min_value=0, max_value=400))
def test_iso_round_trip(today, offset):
    day = today + timedelta(days=offset)
    assert parse_date(day.isoformat(), today) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", today) == day
    assert parse_date(f"{day:%d %B %Y}", today) == day
