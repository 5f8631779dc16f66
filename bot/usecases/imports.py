"""Staff and timetables from the school's MIS: `walkbot import staff|timetable|oneroster`.

Every line is checked before anything is written, and every bad line is told with its number; one bad line and
nothing changes. What is written goes in one transaction, and importing the same file again changes nothing.
How an import and school.yml share the staff list: docs/import.md.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import time
from typing import Callable, Iterator, Mapping

from bot.domain.model import Role
from bot.domain.school import EMAIL, GUID, MOST, School, StaffSpec
from bot.domain.timetable import DAYS, WEEKS, Lesson
from bot.errors import InputError, NotFound
from bot.ports import Changes, ImportedStaff, Listed, UnitOfWork

STAFF_COLUMNS = ("staff_id", "name", "email", "roles", "line_manager", "department", "slack_id", "teams_id")
TIMETABLE_COLUMNS = ("staff_id", "week", "day", "period", "start", "end", "class", "subject", "room")
# What walkbot reads of OneRoster 1.1 (IMS Global): its users, and which classes each teacher teaches.
ONEROSTER_FILES = ("users.csv", "classes.csv", "enrollments.csv")
# OneRoster roles that are staff walkbot books visits for; everyone else (students, parents...) is skipped unread.
ONEROSTER_ROLES = {"teacher": Role.TEACHER, "aide": Role.SUPPORT}
_DAY_NAMES = {name: i for i, day in enumerate(DAYS)
              for name in (day.lower(), ("monday", "tuesday", "wednesday", "thursday", "friday")[i])}
_MOST_TEXT = 100  # class, subject, room, staff_id: what storage keeps
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Imported:
    """What an import did, in counts only (who is in it is the school's business, not the terminal's)."""

    school: School
    what: str  # "staff" or "lessons"
    changes: Changes
    skipped: int = 0  # OneRoster rows that are not staff (pupils, parents): never read further


class _Problems:
    """Every bad line of one file, so one run tells them all."""

    def __init__(self, source: str):
        self.source = source
        self.found: list[tuple[int, str]] = []  # (line, what is wrong said with its line)

    def add(self, line: int, message: str) -> None:
        self.found.append((line, f"line {line}: {message}" if line else message))

    def check(self) -> None:
        if not self.found:
            return
        said = [message for _, message in sorted(self.found, key=lambda f: f[0])]
        if len(said) == 1:
            raise InputError(f"{self.source}: {said[0]} Nothing was imported.")
        raise InputError(f"{self.source} has {len(said)} problems; nothing was imported:\n"
                         + "\n".join(f"  {s}" for s in said))


def _rows(text: str, source: str, needed: tuple[str, ...], optional: tuple[str, ...],
          problems: _Problems) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row of a CSV file with the line it starts on, its cells stripped; a wrong header is one problem."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in needed if c not in header]
    unknown = [c for c in header if c not in needed + optional]
    if not header:
        problems.add(1, f"the file is empty: its first line names the columns, {','.join(needed + optional)}.")
        return
    if missing or unknown:
        said = []
        if missing:
            said.append(f"no column {', '.join(missing)}")
        if unknown:
            said.append(f"column{'s' if len(unknown) > 1 else ''} walkbot does not know: {', '.join(unknown)}")
        problems.add(1, f"the first line has {' and '.join(said)}; it names the columns, like "
                        f"{','.join(needed + optional)}.")
        return
    line = 2
    try:
        for row in reader:
            if None in row:
                problems.add(line, f"more cells than the {len(header)} columns; put a comma inside a cell "
                                   'in quotes, like "Maths, Year 8".')
            cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
            if any(_CONTROL.search(v) for v in cells.values()):
                problems.add(line, "holds an invisible control character (a NUL, say), which walkbot can't keep: "
                                   "type the cell again.")
            if any(cells.values()):
                yield line, cells
            line = reader.line_num + 1
    except csv.Error as err:
        problems.add(reader.line_num, f"can't be read as CSV ({err}).")


def _long(problems: _Problems, line: int, what: str, text: str, most: int) -> bool:
    if len(text) > most:
        problems.add(line, f"the {what} is {len(text)} characters long; at most {most} can be kept.")
        return True
    return False


def _school(uow: UnitOfWork, key: str) -> School:
    school = uow.schools.by_key(key)
    if school is None:
        raise NotFound(f"There is no school with the key {key}: load its school.yml first (walkbot load school.yml).")
    return school


# --- staff ----------------------------------------------------------------------------------------------------------


@dataclass
class _Person:
    line: int
    mis_id: str
    chat_id: str
    name: str
    roles: frozenset[Role]
    email: str | None
    manager: str  # as the file gives it: a staff_id, an email or a staff id
    department: str | None


def _staff_rows(rows, listed: list[Listed], problems: _Problems) -> list[ImportedStaff]:
    people: list[_Person] = []
    mis_ids, chat_ids, emails = {}, {}, {}
    known = ", ".join(r.value for r in Role)
    for line, row in rows:
        mis_id, name = row["staff_id"], row["name"]
        email = row.get("email", "").lower() or None
        slack_id, teams_id = row.get("slack_id", ""), row.get("teams_id", "").lower()
        bad = False
        if not mis_id:
            problems.add(line, "no staff_id: give the school's own id for the person (the MIS's).")
            bad = True
        elif _long(problems, line, "staff_id", mis_id, _MOST_TEXT):
            bad = True
        elif mis_id in mis_ids:
            problems.add(line, f"the staff_id {mis_id} is on line {mis_ids[mis_id]} already; each person once.")
            bad = True
        if not name:
            problems.add(line, "no name: give the person's name as colleagues know it, like Tom Baker.")
            bad = True
        else:
            bad |= _long(problems, line, "name", name, MOST["name"])
        if email is not None:
            if not EMAIL.fullmatch(email) or len(email) > MOST["email"]:
                problems.add(line, f"'{email[:60]}' is not an email address; write it like tom.baker@school.org.uk.")
                bad = True
            elif email in emails:
                problems.add(line, f"the email {email} is on line {emails[email]} already; each person needs "
                                   "their own.")
                bad = True
            else:
                emails[email] = line
        if slack_id and teams_id:
            problems.add(line, "both a slack_id and a teams_id: walkbot knows each person by one id. Give the "
                               "one your school chats in (with an email, Teams finds a person listed by it).")
            bad = True
        if slack_id and (len(slack_id) > MOST["id"] or not slack_id.isalnum()):
            problems.add(line, f"'{slack_id[:60]}' is not a Slack user id; it looks like U02TEACH (their profile → "
                               "⋮ → Copy member ID).")
            bad = True
        if teams_id and not GUID.fullmatch(teams_id):
            problems.add(line, f"'{teams_id[:60]}' is not a Teams user id: give their Microsoft Entra object id, a "
                               "GUID like 6f1c2d3e-0000-4000-8000-123456789abc, or leave it blank to match them by "
                               "email when they first write.")
            bad = True
        chat_id = slack_id or teams_id or email
        if chat_id is None:
            problems.add(line, "no email, slack_id or teams_id: walkbot needs one to know the person when they "
                               "write (by email, on their first message in Teams).")
            bad = True
        elif not (slack_id or teams_id) and len(chat_id) > MOST["id"]:
            problems.add(line, f"the email is too long to serve as the person's id (at most {MOST['id']} "
                               "characters): give their slack_id or teams_id as well.")
            bad = True
        elif chat_id in chat_ids:
            problems.add(line, f"the person's id {chat_id} is on line {chat_ids[chat_id]} already.")
            bad = True
        roles = set()
        for word in (w.strip().lower() for w in row.get("roles", "").split(";")):
            if not word:
                continue
            try:
                roles.add(Role(word))
            except ValueError:
                problems.add(line, f"'{word[:30]}' is not a role; roles are {known}, separated by ; "
                                   "(teacher;promoted).")
                bad = True
        department = row.get("department") or None
        if department:
            bad |= _long(problems, line, "department", department, MOST["department"])
        if bad:
            continue
        mis_ids[mis_id], chat_ids[chat_id] = line, line
        people.append(_Person(line, mis_id, chat_id, name, frozenset(roles or {Role.TEACHER}), email,
                              row.get("line_manager", ""), department))
    return _with_managers(_one_entry_each(people, listed, problems), listed, problems)


def _one_entry_each(people: list[_Person], listed: list[Listed], problems: _Problems) -> list[_Person]:
    """Each line is found on the staff list as the store finds it (by MIS id, else by staff id): two lines that
    would both be one entry there are told, not let overwrite each other."""
    by_mis = {someone.mis_id: someone.chat_id for someone in listed if someone.mis_id}
    by_chat = {someone.chat_id for someone in listed}
    taken: dict[str, int] = {}
    kept = []
    for person in people:
        entry = by_mis.get(person.mis_id) or (person.chat_id if person.chat_id in by_chat else None)
        if entry is not None and entry in taken:
            problems.add(person.line, f"is the person on line {taken[entry]} as the staff list knows them (staff id "
                                      f"{entry}): give each person one line, with their own staff_id.")
            continue
        if entry is not None:
            taken[entry] = person.line
        kept.append(person)
    return kept


def _with_managers(people: list[_Person], listed: list[Listed], problems: _Problems) -> list[ImportedStaff]:
    """A line manager is named by their staff_id, email or staff id, in the file or on the staff list already."""
    ids: dict[str, str] = {}
    for someone in listed:
        if someone.active:
            ids.update({k: someone.chat_id for k in (someone.chat_id, someone.email, someone.mis_id) if k})
    for person in people:
        ids.update({k: person.chat_id for k in (person.chat_id, person.email, person.mis_id) if k})
    found = []
    for person in people:
        manager = ids.get(person.manager) or ids.get(person.manager.lower()) if person.manager else None
        if person.manager and manager is None:
            problems.add(person.line, f"the line_manager {person.manager[:60]} is no one in this file or on the staff "
                                      "list: give their staff_id or email.")
            continue
        if manager == person.chat_id:
            problems.add(person.line, "the person is given as their own line manager.")
            continue
        found.append(ImportedStaff(person.mis_id, StaffSpec(person.chat_id, person.name, person.roles,
                                                            line_manager=manager, email=person.email,
                                                            department=person.department)))
    return found


def import_staff(key: str, text: str, source: str, uow: UnitOfWork) -> Imported:
    """`walkbot import staff FILE.csv --school KEY`: staff_id,name,email,roles,line_manager,department,slack_id,
    teams_id (roles separated by ;)."""
    with uow:
        school = _school(uow, key)
        problems = _Problems(source)
        people = _staff_rows(_rows(text, source, STAFF_COLUMNS[:4], STAFF_COLUMNS[4:], problems),
                             uow.imported_staff.listed(school.id), problems)
        problems.check()
        changes = uow.imported_staff.save(school.id, people)
        uow.commit()
        return Imported(school, "staff", changes)


# --- timetable ------------------------------------------------------------------------------------------------------


def _clock(text: str) -> time | None:
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _lesson_rows(rows, school: School, teacher_of: Callable[[str], str | None], problems: _Problems) -> list[Lesson]:
    cal = school.calendar
    lessons: list[tuple[int, Lesson]] = []
    for line, row in rows:
        said = len(problems.found)
        teacher = teacher_of(row["staff_id"]) if row["staff_id"] else None
        if not row["staff_id"]:
            problems.add(line, "no staff_id: whose lesson is it?")
        elif teacher is None:
            problems.add(line, f"the staff_id {row['staff_id'][:60]} is no one on the staff list: import the staff "
                               "first (walkbot import staff), or give their id or email as school.yml lists them.")
        week = row["week"].upper() or None
        if week is not None and week not in WEEKS:
            problems.add(line, f"the week '{row['week'][:10]}' is not A or B; leave it blank for a lesson every week.")
        elif week is not None and school.week_a_starts is None:
            problems.add(line, f"week {week}, but school.yml says which weeks are A and B nowhere: add "
                               "timetable: {week_a_starts: DATE} (the Monday of a week A) to it, and load it.")
        day = _DAY_NAMES.get(row["day"].lower())
        if day is None:
            problems.add(line, f"the day '{row['day'][:12]}' is not a school day; write Mon, Tue, Wed, Thu or Fri.")
        start, end, period = _lesson_times(line, row, cal, problems)
        for column in ("class", "subject", "room"):
            _long(problems, line, column, row[column], _MOST_TEXT)
        if len(problems.found) == said:
            lessons.append((line, Lesson(teacher, day, start, end, week, period, row["class"] or None,
                                         row["subject"] or None, row["room"] or None)))
    taken: dict[tuple[str, int], list[tuple[int, Lesson]]] = {}
    for line, lesson in lessons:
        same_day = taken.setdefault((lesson.teacher, lesson.day), [])
        clash = next((first for first, other in same_day if other.overlaps(lesson.start, lesson.end)
                      and (other.week is None or lesson.week is None or other.week == lesson.week)), None)
        if clash is not None:
            problems.add(line, f"this lesson overlaps the one on line {clash}: a teacher teaches one lesson at a time.")
        same_day.append((line, lesson))
    return [lesson for _, lesson in lessons]


def _lesson_times(line: int, row: Mapping[str, str], cal, problems: _Problems):
    named = row["period"]
    start, end = _clock(row["start"]), _clock(row["end"])
    for column, value in (("start", start), ("end", end)):
        if row[column] and value is None:
            problems.add(line, f"the {column} '{row[column][:10]}' is not a time; write it like 09:50.")
    if named:
        period = cal.period(named)
        if period is None:
            names = ", ".join(p.name for p in cal.periods) or "none"
            problems.add(line, f"the period '{named[:20]}' is not one of school.yml's periods ({names}); name one, or "
                               "leave it blank and give start and end.")
            return None, None, None
        if (start and start != period.start) or (end and end != period.end):
            problems.add(line, f"{row['start'] or '…'}–{row['end'] or '…'} is given for {period.name}, which is "
                               f"{period.start:%H:%M}–{period.end:%H:%M} in school.yml; give one or the other.")
        return period.start, period.end, period.name
    if not (row["start"] and row["end"]):
        problems.add(line, "no period, and no start and end: name a period from school.yml, or give both times.")
        return None, None, None
    if start and end and end <= start:
        problems.add(line, f"the lesson ends at {end:%H:%M}, not after it starts ({start:%H:%M}).")
    elif start and end and not (cal.day_start <= start and end <= cal.day_end):
        problems.add(line, f"{start:%H:%M}–{end:%H:%M} is not within the school day "
                           f"({cal.day_start:%H:%M}–{cal.day_end:%H:%M}).")
    return start, end, None


def import_timetable(key: str, text: str, source: str, uow: UnitOfWork) -> Imported:
    """`walkbot import timetable FILE.csv --school KEY`: staff_id,week,day,period,start,end,class,subject,room.
    The file is the whole timetable: lessons it no longer has are taken away."""
    with uow:
        school = _school(uow, key)
        ids: dict[str, str] = {}
        for someone in uow.imported_staff.listed(school.id):
            if someone.active:
                ids.update({k: someone.chat_id for k in (someone.chat_id, someone.email, someone.mis_id) if k})
        problems = _Problems(source)
        lessons = _lesson_rows(_rows(text, source, TIMETABLE_COLUMNS, (), problems), school,
                               lambda given: ids.get(given) or ids.get(given.lower()), problems)
        problems.check()
        changes = uow.timetable.replace(school.id, lessons)
        uow.commit()
        return Imported(school, "lessons", changes)


# --- OneRoster 1.1 --------------------------------------------------------------------------------------------------


def _oneroster_staff(files: Mapping[str, str], problems: _Problems) -> tuple[list[dict], int]:
    """Teachers and aides from users.csv, each with the subject of most of the classes they teach as their
    department. Rows of students, guardians and the rest are counted and passed over: no cell of theirs but the
    role is read."""
    missing = [name for name in ONEROSTER_FILES if name not in files]
    if missing:
        problems.add(0, f"has no {', '.join(missing)}: a OneRoster 1.1 CSV export holds users.csv, classes.csv and "
                        "enrollments.csv.")
        return [], 0
    # OneRoster files have more columns than walkbot reads; only these are looked at.
    def staff_role(row: Mapping[str, str | None]) -> bool:
        return (row.get("role") or "").strip().lower() in ONEROSTER_ROLES \
            and (row.get("status") or "").strip().lower() != "tobedeleted"

    users, skipped = _any_columns(files["users.csv"], "users.csv",
                                  ("sourcedId", "role", "givenName", "familyName", "email"), problems, staff_role)
    classes, _ = _any_columns(files["classes.csv"], "classes.csv", ("sourcedId", "subjects"), problems)
    # A teacher's enrolments only: a pupil's say which class they are in, which walkbot has no need to know.
    enrollments, _ = _any_columns(files["enrollments.csv"], "enrollments.csv",
                                  ("classSourcedId", "userSourcedId", "role"), problems,
                                  lambda row: (row.get("role") or "").strip().lower() == "teacher")
    subjects = {row["sourcedId"]: row["subjects"].split(",")[0].strip() for _, row in classes if row["subjects"]}
    taught: dict[str, Counter] = {}
    for _, row in enrollments:
        if subjects.get(row["classSourcedId"]):
            taught.setdefault(row["userSourcedId"], Counter())[subjects[row["classSourcedId"]]] += 1
    staff = []
    for line, row in users:
        role = ONEROSTER_ROLES[row["role"].lower()]
        name = " ".join(p for p in (row["givenName"], row["familyName"]) if p)
        department = taught[row["sourcedId"]].most_common(1)[0][0] if row["sourcedId"] in taught else ""
        staff.append({"line": line, "staff_id": row["sourcedId"], "name": name, "email": row["email"],
                      "roles": role.value, "department": department})
    return staff, skipped


def _any_columns(text: str, name: str, needed: tuple[str, ...], problems: _Problems,
                 keep: Callable[[Mapping[str, str | None]], bool] = lambda row: True
                 ) -> tuple[list[tuple[int, dict]], int]:
    """The `needed` cells of the rows of a OneRoster file (which may carry any of the standard's other columns) that
    `keep` keeps, looking at nothing else of the others; and how many it passed over."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in needed if c not in header]
    if missing:
        problems.add(0, f"{name} has no column {', '.join(missing)}: is it a OneRoster 1.1 export?")
        return [], 0
    found, passed, line = [], 0, 2
    try:
        for row in reader:
            if keep(row):
                found.append((line, {k: (row.get(k) or "").strip() for k in needed}))
            else:
                passed += 1
            line = reader.line_num + 1
    except csv.Error as err:
        problems.add(0, f"{name} line {reader.line_num} can't be read as CSV ({err}).")
    return found, passed


def import_oneroster(key: str, files: Mapping[str, str], source: str, uow: UnitOfWork) -> Imported:
    """`walkbot import oneroster PATH --school KEY`: teachers (and aides, as support staff) become staff, by their
    OneRoster sourcedId; nothing about pupils is read past its role. OneRoster has no bell times, so no lessons."""
    with uow:
        school = _school(uow, key)
        problems = _Problems(source)
        found, skipped = _oneroster_staff(files, problems)
        rows = [(row.pop("line"), {**row, "line_manager": "", "slack_id": "", "teams_id": ""}) for row in found]
        people = _staff_rows(((line, row) for line, row in rows), uow.imported_staff.listed(school.id),
                             _Lined(problems, "users.csv"))
        problems.check()
        changes = uow.imported_staff.save(school.id, people)
        uow.commit()
        return Imported(school, "staff", changes, skipped)


class _Lined:
    """Problems of one file inside a OneRoster export, told with the file's name."""

    def __init__(self, into: _Problems, name: str):
        self.into, self.name = into, name

    def add(self, line: int, message: str) -> None:
        self.into.found.append((line, f"{self.name} line {line}: {message}"))
