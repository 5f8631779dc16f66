"""How long a school keeps each kind of record walkbot holds (school.yml `retention:`), and which moments are due.

None of the agreements gives a period, so every default below is walkbot's own, chosen for what the record is for
and to be reviewed with the school's data protection officer (DPO) against the school's own retention schedule
(in England and Wales most schools keep one drawn from the IRMS Information Management Toolkit for Schools).
docs/privacy.md sets them out for the school's DPIA.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.domain.calendar import SchoolCalendar


class RecordKind(StrEnum):
    """What walkbot keeps, as school.yml's retention section names it."""

    VISITS = "visits"  # what a visit was about: focus, feedback arrangements, pro forma, reasons
    NOTES = "notes"  # notes made during a visit
    RECORDS = "records"  # records of dialogue
    CONCERNS = "concerns"  # concerns raised, unsafe practice reported
    OBJECTIONS = "objections"  # objections to an observer, once settled
    FINDINGS = "findings"  # a learning walk's findings
    MESSAGES = "messages"  # the words of messages sent (the outbox), and their calendar files
    INBOX = "inbox"  # requests Slack and Teams sent, kept until answered (what people typed)
    INSTALLATIONS = "installations"  # Slack and Teams installations of workspaces no school uses any more


DELETED, DE_IDENTIFIED = "deleted", "de-identified"
# De-identified where what remains is counted (caps, allowances, reports, who was sent what): the words go, the
# fact stays. Deleted where nothing counts them.
ACTIONS: dict[RecordKind, str] = {
    RecordKind.VISITS: DE_IDENTIFIED, RecordKind.NOTES: DELETED, RecordKind.RECORDS: DE_IDENTIFIED,
    RecordKind.CONCERNS: DELETED, RecordKind.OBJECTIONS: DELETED, RecordKind.FINDINGS: DELETED,
    RecordKind.MESSAGES: DE_IDENTIFIED, RecordKind.INBOX: DELETED, RecordKind.INSTALLATIONS: DELETED,
}
# What de-identified words read as, wherever they were shown.
REMOVED = "(removed: past the school's retention period)"
ERASED_NAME = "Former member of staff"


class Since(StrEnum):
    """What a period is counted from."""

    SESSION_END = "the end of the session it belongs to"  # records of the school year, as schools file them
    ITS_DATE = "its own date"  # copies and bookkeeping, with no school year of their own


_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_PERIOD = re.compile(r"(\d{1,4})\s*(day|week|month|year)s?")


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str  # day | week | month | year

    def after(self, moment: datetime | date) -> datetime | date:
        """The moment (or day) this period after `moment`: calendar months and years, as a school counts them."""
        return moment + relativedelta(**{_UNITS[self.unit]: self.amount})

    def before(self, moment: datetime) -> datetime:
        return moment - relativedelta(**{_UNITS[self.unit]: self.amount})

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def period(text: str) -> Period | None:
    found = _PERIOD.fullmatch(text.strip().lower())
    return Period(int(found.group(1)), found.group(2)) if found else None


@dataclass(frozen=True)
class Default:
    period: Period
    since: Since
    why: str  # where the default comes from: walkbot's reasoning, for the school's DPO to review
    least: Period | None = None  # a shorter period would break something walkbot relies on


DEFAULTS: dict[RecordKind, Default] = {
    RecordKind.VISITS: Default(Period(1, "year"), Since.SESSION_END,
                               "walkbot's default: through the next session, for the year's caps (001 §9) and the "
                               "annual monitoring (Trust §14); that a visit happened, who and when, is kept so caps "
                               "and counts stay true"),
    RecordKind.NOTES: Default(Period(3, "month"), Since.SESSION_END,
                              "walkbot's default: notes serve the professional dialogue that follows the visit "
                              "(004 §5), held within days"),
    RecordKind.RECORDS: Default(Period(1, "year"), Since.SESSION_END,
                                "walkbot's default: a record of dialogue is agreed and kept (002) and may be used "
                                "in the practitioner's annual PRD (002), so through the next session"),
    RecordKind.CONCERNS: Default(Period(1, "year"), Since.SESSION_END,
                                 "walkbot's default: what the school does about a concern is kept in its own "
                                 "records (000 Conduct: the head teacher decides); walkbot's copy goes after a year"),
    RecordKind.OBJECTIONS: Default(Period(1, "year"), Since.SESSION_END,
                                   "walkbot's default: a settled objection (004 §9) is kept through the next session; "
                                   "an open one is never removed, as it keeps the observer out of the lessons"),
    RecordKind.FINDINGS: Default(Period(1, "year"), Since.SESSION_END,
                                 "walkbot's default: findings feed the summary report (004 §8) and the next "
                                 "session's development planning"),
    RecordKind.MESSAGES: Default(Period(90, "day"), Since.ITS_DATE,
                                 "walkbot's default: a message's words are a copy of what the visit or walk holds; "
                                 "that it was sent, to whom and when, is kept"),
    RecordKind.INBOX: Default(Period(7, "day"), Since.ITS_DATE,
                              "walkbot's default: long enough to recognise a platform's retry and to look into a "
                              "failure", least=Period(1, "day")),
    RecordKind.INSTALLATIONS: Default(Period(30, "day"), Since.ITS_DATE,
                                      "walkbot's default: an installation no school links to any more (an uninstall "
                                      "removes one at once)"),
}


@dataclass(frozen=True)
class Retention:
    """The school's periods; kinds school.yml does not name keep walkbot's default."""

    given: Mapping[RecordKind, Period] = field(default_factory=dict)

    def period(self, kind: RecordKind) -> Period:
        return self.given.get(kind, DEFAULTS[kind].period)

    def from_school(self, kind: RecordKind) -> bool:
        return kind in self.given


DEFAULT_RETENTION = Retention()
EXAMPLE = "retention: {visits: 1 year, notes: 3 months, messages: 90 days}"


def parse_retention(given: Any, line: int | None, line_of: Callable[[Any, Any], int | None],
                    problem: Callable[[int | None, str], None]) -> Retention:
    """school.yml's `retention:` mapping, each problem told with its line; a kind with a problem keeps its default."""
    if given is None:
        return DEFAULT_RETENTION
    if not isinstance(given, Mapping):
        problem(line, f"retention must map each kind of record to how long it is kept, like\n    {EXAMPLE}")
        return DEFAULT_RETENTION
    known = ", ".join(k.value for k in RecordKind)
    periods: dict[RecordKind, Period] = {}
    for name, value in given.items():
        at = line_of(given, name) or line
        try:
            kind = RecordKind(str(name))
        except ValueError:
            problem(at, f"retention: '{name}' is not a kind of record walkbot keeps; the kinds are {known}.")
            continue
        found = period(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if found is None:
            problem(at, f"retention.{kind}: '{value}' is not a period; write it like \"1 year\", \"6 months\", "
                        "\"90 days\" or \"2 weeks\".")
            continue
        least = DEFAULTS[kind].least
        if least is not None and _shorter(found, least):
            problem(at, f"retention.{kind}: {found} is too short; keep it at least {least} ({DEFAULTS[kind].why}).")
            continue
        periods[kind] = found
    return Retention(periods)


def _shorter(a: Period, b: Period) -> bool:
    start = datetime(2000, 1, 1)
    return a.after(start) < b.after(start)


# --- what is due ---------------------------------------------------------------------------------------------------

Span = tuple[datetime | None, datetime]  # [start, end): None is the beginning of time


def due_spans(calendar: SchoolCalendar | None, kind: RecordKind, retention: Retention, now: datetime) -> list[Span]:
    """The stretches of time whose records of this kind are past their period at `now`, oldest first.

    Counted from the session's end, a record dated within a session is due once that session ended the period ago;
    one dated outside every session (a holiday between sessions) counts from its own date.
    """
    keep = retention.period(kind)
    cutoff = keep.before(now)
    if DEFAULTS[kind].since is Since.ITS_DATE or calendar is None:
        return [(None, cutoff)]
    tz, today = calendar.tz, calendar.local(now).date()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=tz)

    sessions = sorted(calendar.sessions, key=lambda s: s.start)
    spans: list[Span] = []
    begun: datetime | None = None  # the start of the stretch outside sessions being walked
    for session in sessions:
        start, end = midnight(session.start), midnight(session.end + timedelta(days=1))
        if begun is None or begun < start:
            spans.append((begun, min(start, cutoff)))  # before this session: by its own date
        if keep.after(session.end) < today:
            spans.append((start, end))
        begun = end if begun is None else max(begun, end)
    spans.append((begun, cutoff))
    return _merged([(a, b) for a, b in spans if a is None or a < b])


def within(spans: list[Span], moment: datetime) -> bool:
    return any((start is None or start <= moment) and moment < end for start, end in spans)


def due_at(calendar: SchoolCalendar | None, kind: RecordKind, retention: Retention, moment: datetime) -> datetime:
    """When a record of this kind dated `moment` falls due (the midnight it is first within due_spans)."""
    keep = retention.period(kind)
    session = calendar.session_of(calendar.local(moment).date()) if calendar is not None else None
    if DEFAULTS[kind].since is Since.ITS_DATE or session is None:
        return keep.after(moment)
    return datetime.combine(keep.after(session.end) + timedelta(days=1), time(0), tzinfo=calendar.tz)


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans, key=lambda s: (s[0] is not None, s[0] or s[1])):
        if merged and (start is None or start <= merged[-1][1]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
