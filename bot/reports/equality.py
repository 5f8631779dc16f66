"""Equality monitoring (Trust §14): "we will monitor annually the impact of this protocol by reference to the
protected characteristics of staff".

walkbot holds no protected characteristic. SLT give the school's own HR export for one run: staff id (as in
school.yml) or email, then one column per characteristic. It is read here, joined in memory with each class teacher's visits and walk rooms this
session, and forgotten; only the protected tables (bot.reports.disclosure) leave. "Prefer not to say" is a group
of its own, as is an empty cell ("Not recorded") and a teacher missing from the file ("Not in the HR file"), so
every table covers every class teacher and its totals are the school's.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.domain.calendar import Session
from bot.domain.model import Role, VisitKind
from bot.domain.school import School
from bot.errors import InputError
from bot.ports import UnitOfWork
from bot.reports.disclosure import DEFAULT_THRESHOLD, Table, check_threshold, protect
from bot.reports.period import report_session

NOT_RECORDED = "Not recorded"
NOT_IN_FILE = "Not in the HR file"
MEASURES = ("Visits (not on a walk)", "Walk rooms")
CLAUSE = ("Trust learning-walks protocol §14: “To ensure that we are meeting our public sector equality duty we will "
          "monitor annually the impact of this protocol by reference to the protected characteristics of staff”")
MAX_PROBLEMS = 20  # told at once; more would bury the first


@dataclass(frozen=True)
class Groups:
    """The HR export as read: each characteristic's group of each person, in memory only."""

    characteristics: tuple[str, ...]
    of: dict[str, tuple[str, ...]]  # staff id or email -> its group in each characteristic, in column order


def read_groups(text: str, source: str = "the file") -> Groups:
    """The HR export's rows. Every bad line is reported at once, with its number; nothing is kept of a bad file."""
    problems: list[str] = []
    text = text.lstrip("\ufeff")  # the byte-order mark spreadsheets put first
    first = text.split("\n", 1)[0]
    # A spreadsheet set to a European locale saves with semicolons; some HR systems with tabs.
    delimiter = max(",;\t", key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = rows[0] if rows else []
    names = [h.strip() for h in header]
    if len(names) < 2 or not all(names):
        raise InputError(f"{source}, line 1: the first line names the columns: the staff id, then one column per "
                         "characteristic, like: staff id,age band,sex,disability.")
    duplicates = sorted({n for n in names[1:] if names[1:].count(n) > 1})
    if duplicates:
        problems.append(f"line 1: the column {duplicates[0]!r} is named twice: one column per characteristic.")
    of: dict[str, tuple[str, ...]] = {}
    seen_at: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != len(names):
            problems.append(f"line {number}: {len(row)} values where the first line names {len(names)} columns.")
            continue
        person = row[0].strip()
        if not person:
            problems.append(f"line {number}: the staff id is empty.")
        elif person.casefold() in seen_at:
            problems.append(f"line {number}: staff id already given on line {seen_at[person.casefold()]}.")
        else:
            seen_at[person.casefold()] = number
            of[person] = tuple(cell.strip() or NOT_RECORDED for cell in row[1:])
    if problems:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        raise InputError(f"{source} has {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was "
                         "written. " + " ".join(shown) + (f" ...and {more} more." if more else ""))
    if not of:
        raise InputError(f"{source} lists no staff: after the line naming the columns, one line per person.")
    return Groups(tuple(names[1:]), of)


@dataclass(frozen=True)
class EqualityReport:
    school: School
    session: Session
    tables: tuple[Table, ...]  # one per characteristic
    threshold: int
    made_at: datetime
    unmatched: int  # ids in the file that are no class teacher on walkbot's list (left out; a count only)


def equality_report(uow: UnitOfWork, school: School, now: datetime, groups: Groups,
                    threshold: int = DEFAULT_THRESHOLD) -> EqualityReport:
    """Visits and walk rooms per head in each group of each characteristic, protected; read in an open uow."""
    check_threshold(threshold)
    session = report_session(school, now)
    teachers = [s for s in uow.staff.all(school.id) if s.has(Role.TEACHER)]
    counts = uow.visits.booked_by_teacher(school.id, [t.chat_id for t in teachers], session.start)
    # An HR system knows people by email more often than by chat id: either finds them.
    by_key = {key.casefold(): key for key in groups.of}
    found = {t.chat_id: by_key.get(t.chat_id.casefold()) or by_key.get((t.email or "").casefold()) for t in teachers}
    tables = []
    for i, characteristic in enumerate(groups.characteristics):
        heads: dict[str, int] = {}
        measures: dict[str, dict[str, int]] = {m: {} for m in MEASURES}
        for person, key in found.items():
            group = groups.of[key][i] if key else NOT_IN_FILE
            kinds = {kind: n for kind, (n, _) in counts.get(person, {}).items()}
            heads[group] = heads.get(group, 0) + 1
            walks = kinds.get(VisitKind.LEARNING_WALK, 0)
            for measure, n in zip(MEASURES, (sum(kinds.values()) - walks, walks)):
                measures[measure][group] = measures[measure].get(group, 0) + n
        tables.append(protect(characteristic, heads, measures, threshold))
    unmatched = len(set(groups.of) - set(found.values()))
    return EqualityReport(school, session, tuple(tables), threshold, now, unmatched)
