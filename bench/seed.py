"""A large local authority, generated reproducibly: its schools loaded as walkbot loads school.yml,
then years of visits bulk-inserted beside them (through the services 1M visits would take hours).

The last `teams_schools` of the schools are on Microsoft Teams, not Slack: their school.yml links an Entra
tenant (teams: {tenant_id: ...}) and their staff ids are Entra object ids, as walkbot reads a Teams user.

Today is 2026-11-23. Past sessions (2022-23 … 2025-26) hold most of the visits, as densely as the size
asks. The current session (2026-27) is light and falls in its Autumn term only: each class teacher has at
most three visits in it, one of them booked and at most an hour long, so every preset's caps leave room
and Spring 2027 is free for the proposals a benchmark makes.

    python -m bench.seed --db postgresql+psycopg://postgres@127.0.0.1:5432/walkbot_bench --visits 200000
"""
from __future__ import annotations

import argparse
import random
import time as timer
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Callable, Iterator

from sqlalchemy import Connection, Engine, func, select, text

from bot.domain.calendar import SchoolCalendar
from bot.domain.model import VisitKind, VisitStatus
from bot.domain.policy import PRESET_IDS
from bot.domain.school import School, parse_school_config
from storage import open_store
from storage.tables import (
    VisitNoteRow,
    VisitRecordAgreementRow,
    VisitRow,
    VisitVisitorRow,
)

TODAY = date(2026, 11, 23)
TIMEZONE = "Europe/London"
CURRENT_SESSION = "2026-27"
SESSION_YEARS = range(2022, 2028)  # 2022-23 … 2027-28: history, this session, and next year's published dates
CURRENT_SHARE = 10  # at most a tenth of the visits fall in the current session,
CURRENT_PER_TEACHER = 3  # and at most three per teacher, only the first of them ever booked
VISIT_TABLES = (VisitRow, VisitVisitorRow, VisitNoteRow, VisitRecordAgreementRow)  # what seeding writes in bulk
BATCH = 20_000  # visits per insert round: big enough to insert fast, small enough to stream
ENTRA = uuid.UUID("5d0c3a1e-6a4f-4d2b-9c7e-0b1e2f3a4b5c")  # the namespace of the seeded Entra ids

FIRST_NAMES = (
    "Aisha", "Alan", "Amy", "Ben", "Carla", "Chloe", "Daniel", "Eilidh", "Emma", "Fatima", "Fraser", "Grace",
    "Hamish", "Hannah", "Imran", "Isla", "Jack", "Jasmine", "Kirsty", "Liam", "Lucy", "Mairi", "Mark", "Megan",
    "Mohammed", "Morag", "Nadia", "Neil", "Olivia", "Owen", "Priya", "Rachel", "Rory", "Ruth", "Sam", "Sophie",
    "Tom", "Una", "Victor", "Zara",
)
SURNAMES = (
    "Ahmed", "Baker", "Brown", "Campbell", "Chen", "Clark", "Davies", "Doyle", "Evans", "Fraser", "Gill", "Grant",
    "Hughes", "Hussain", "Jones", "Kaur", "Kelly", "Khan", "Lewis", "MacDonald", "Martin", "Morrison", "Murray",
    "Nowak", "Patel", "Reid", "Robertson", "Ross", "Scott", "Shah", "Smith", "Stewart", "Taylor", "Thomson",
    "Walker", "Watson", "White", "Wilson", "Wright", "Young",
)
PLACES = (
    "Abbeyhill", "Ashgrove", "Beechwood", "Birchfield", "Bridgend", "Broomhill", "Burnside", "Castlebrae",
    "Craigmount", "Dalmore", "Eastfield", "Elmwood", "Fernhill", "Glenview", "Greenbank", "Hawthorn", "Hillhead",
    "Kingsmead", "Lochside", "Meadowbank", "Millbrook", "Northfield", "Oakwood", "Parkside", "Queensferry",
    "Riverside", "Rosebank", "St Ninian's", "Southfield", "Springvale", "Stonehaven", "Thornlea", "Victoria",
    "Westwood", "Whitehill", "Willowbank", "Woodlands", "Yewtree", "Canalside", "Harbourview",
)
SCHOOL_KINDS = ("Primary School", "High School", "Academy", "Community School")
FOCUSES = (
    "questioning that deepens pupils' thinking", "how pupils explain their reasoning",
    "checking understanding with mini-whiteboards", "pupils' talk in group work", "modelling in writing",
    "retrieval practice at the start of lessons", "feedback in books", "scaffolding for pupils with additional needs",
    "routines at transitions", "subject vocabulary in science",
)
FEEDBACK = (
    "a conversation after school the same day", "a chat at break the next day",
    "a short written note by Friday, then a talk", "fifteen minutes at the next department meeting",
)
NOTES = (
    "Pupils explained their thinking to a partner before answering.", "Wait time after questions helped more hands go up.",
    "The worked example on the board was referred to throughout.", "Group roles kept everyone talking about the task.",
)
RECORDS = (
    "We talked about the questions that got pupils reasoning; next, more wait time for everyone.",
    "We agreed the modelling worked well and will try it with the second set.",
    "We looked at how pupils used feedback and chose one routine to keep.",
)
DECLINE_REASONS = ("That lesson is a class assessment.", "The class is out on a trip that day.",
                   "A lesson later in the week would show more of the focus.")
CANCEL_REASONS = ("Covering an absent colleague's class.", "The fire drill moved into that period.",
                  "The visitor was called to a meeting.")
PRO_FORMA = "https://docs.example.org/learning-visit-notes"

# Weights by repetition: what a visit turned out to be.
KINDS = (VisitKind.PEER,) * 7 + (VisitKind.FORMAL,) * 4 + (VisitKind.SUPPORT,) * 2 + (VisitKind.PRD, VisitKind.REVIEW)
MINUTES = (20, 20, 30, 30, 30, 40, 60)  # every preset allows an hour, and every period lasts one
PAST_STATUSES = ((VisitStatus.HELD,) * 30 + (VisitStatus.AGREED,) * 3 + (VisitStatus.DECLINED,) * 4
                 + (VisitStatus.WITHDRAWN,) * 4 + (VisitStatus.CANCELLED,) * 4 + (VisitStatus.PROPOSED,) * 2
                 + (VisitStatus.COUNTERED,) * 2)
UNBOOKED_BEFORE_TODAY = (VisitStatus.DECLINED, VisitStatus.WITHDRAWN, VisitStatus.CANCELLED)
UNBOOKED_FROM_TODAY = (VisitStatus.PROPOSED, VisitStatus.COUNTERED, VisitStatus.DECLINED, VisitStatus.WITHDRAWN)

# The school day: periods as (name, minutes after the day starts, length); break after P2, lunch after P4.
PERIODS = (("P1", 0, 60), ("P2", 60, 60), ("P3", 140, 60), ("P4", 200, 60), ("P5", 310, 60))
DAY_MINUTES = 390  # 08:50–15:20 at the demo school
DAY_STARTS = (time(8, 40), time(8, 45), time(8, 50), time(9, 0))


@dataclass(frozen=True)
class SeededSchool:
    id: int
    key: str
    team_id: str | None  # slack_team_id, e.g. "T0BENCH042"; None for a school on Teams
    slt: tuple[str, ...]  # chat ids of SLT members
    teachers: tuple[str, ...]  # chat ids of class teachers (role teacher, not SLT)
    tenant_id: str | None = None  # the Entra tenant of a school on Teams


@dataclass(frozen=True)
class Authority:
    schools: tuple[SeededSchool, ...]
    staff: int
    visits: int  # totals written

    @property
    def on_slack(self) -> tuple[SeededSchool, ...]:
        return tuple(s for s in self.schools if s.team_id)

    @property
    def on_teams(self) -> tuple[SeededSchool, ...]:
        return tuple(s for s in self.schools if s.tenant_id)


# --- the calendar ---------------------------------------------------------------------------------

def _until(day: date, step: int, wanted: Callable[[date], bool]) -> date:
    while not wanted(day):
        day += timedelta(days=step)
    return day


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _monday(day: date) -> bool:
    return day.weekday() == 0


def _friday(day: date) -> bool:
    return day.weekday() == 4


def session_document(year: int) -> dict:
    """The session starting in September `year`, with English terms and half-terms; 2026-27 is the demo school's."""
    spring_end = _until(date(year + 1, 3, 31), -1, _friday)
    terms = [
        ("Autumn", _until(date(year, 9, 2), 1, _weekday), _until(date(year, 12, 18), -1, _friday)),
        ("Spring", _until(date(year + 1, 1, 5), 1, _weekday), spring_end),
        ("Summer", spring_end + timedelta(days=17), _until(date(year + 1, 7, 21), -1, _weekday)),  # after Easter
    ]
    half_terms = [_until(date(year, 10, 27), -1, _monday), _until(date(year + 1, 2, 13), 1, _monday),
                  _until(date(year + 1, 5, 31), -1, _monday)]
    return {
        "name": f"{year}-{(year + 1) % 100:02d}",
        "terms": [{"name": name, "start": first.isoformat(), "end": last.isoformat()} for name, first, last in terms],
        "holidays": [f"{monday.isoformat()}/{(monday + timedelta(days=4)).isoformat()}" for monday in half_terms],
    }


def _clock(start: time, minutes: int) -> time:
    at = datetime.combine(date.min, start) + timedelta(minutes=minutes)
    return at.time()


def _hhmm(at: time) -> str:
    return f"{at:%H:%M}"


# --- the schools ----------------------------------------------------------------------------------

def entra_id(*names: object) -> str:
    """A GUID as Entra gives one (an object id, a tenant id), the same for the same names. No random draw: a
    school on Teams draws the same staff and visits as it would on Slack."""
    return str(uuid.uuid5(ENTRA, "/".join(map(str, names))))


def _staff(no: int, size: int, rng: random.Random, *, teams: bool = False) -> list[dict]:
    """A staff list as school.yml has it: a few SLT, mostly class teachers, some support staff and governors;
    on Teams, each person's id is their Entra object id."""
    slt_n, support_n, governor_n = max(1, round(size * 0.06)), round(size * 0.1), round(size * 0.04)
    teacher_n = size - slt_n - support_n - governor_n
    pairs = rng.sample(range(len(FIRST_NAMES) * len(SURNAMES)), size)  # distinct names within the school
    people = []
    for n, pair in enumerate(pairs):
        first, last = FIRST_NAMES[pair // len(SURNAMES)], SURNAMES[pair % len(SURNAMES)]
        handle = f"{first}.{last}".lower().replace("'", "")
        chat_id = entra_id("bench", no, "staff", n) if teams else f"UB{no:03d}S{n:03d}"
        people.append({"id": chat_id, "handle": handle, "name": f"{first} {last}"})
    slt, teachers = people[:slt_n], people[slt_n:slt_n + teacher_n]
    support, governors = people[slt_n + teacher_n:slt_n + teacher_n + support_n], people[slt_n + teacher_n + support_n:]
    head = slt[0]["id"]
    for person in slt:
        person["roles"] = ["slt", "promoted", "teacher"]
        if person["id"] != head:
            person["line_manager"] = head
    promoted = [t for t in teachers if rng.random() < 0.2]
    deputies = [p["id"] for p in slt[1:]] or [head]
    leaders = deputies + [p["id"] for p in promoted]  # deputies manage middle leaders, who manage the rest too
    for person in teachers:
        person["roles"] = ["teacher", "promoted"] if person in promoted else ["teacher"]
        person["line_manager"] = rng.choice(deputies if person in promoted else leaders)
    for person in support:
        person["roles"], person["line_manager"] = ["support"], rng.choice(leaders)
    for person in governors:
        person["roles"] = ["governor"]
    return people


def school_document(no: int, staff_size: int, rng: random.Random, *, teams: bool = False) -> dict:
    """School number `no` of the authority as its school.yml would say it: linked to a Slack workspace, or with
    `teams` to a Microsoft 365 tenant of its own."""
    preset = PRESET_IDS[no % len(PRESET_IDS)]
    start = DAY_STARTS[rng.randrange(len(DAY_STARTS))]
    school = {
        "key": f"bench-{no:03d}",
        "name": f"{PLACES[no % len(PLACES)]} {SCHOOL_KINDS[no // len(PLACES) % len(SCHOOL_KINDS)]}",
        "timezone": TIMEZONE,
        "policy": preset,
        "school_day": {"start": _hhmm(start), "end": _hhmm(_clock(start, DAY_MINUTES))},
        "periods": {name: f"{_hhmm(_clock(start, at))}-{_hhmm(_clock(start, at + length))}"
                    for name, at, length in PERIODS},
    }
    school |= ({"teams": {"tenant_id": entra_id("bench", no, "tenant")}} if teams else
               {"announcements_channel": f"C0STAFF{no:03d}", "slack_team_id": f"T0BENCH{no:03d}"})
    if preset != "lnct-sharing-classroom-experience" and rng.random() < 0.25:  # a local agreement, lengthening notice
        school["overrides"] = {"min_notice_school_days": {
            "value": 3, "agreed_by": "School Negotiating Committee", "agreed_on": "2025-09-01"}}
    return {"school": school, "sessions": [session_document(year) for year in SESSION_YEARS],
            "staff": _staff(no, staff_size, rng, teams=teams)}


# --- visits ---------------------------------------------------------------------------------------

Slot = tuple[date, datetime, datetime | None]  # the day, a period's start (UTC), that day's last period (UTC)


@dataclass(frozen=True)
class _School:
    """What generating visits needs to know of one seeded school."""

    id: int
    teachers: tuple[str, ...]
    visitors: tuple[str, ...]  # SLT and class teachers: whom every preset allows to visit
    peers_date_only: bool  # the agreement keeps only the date of a peer visit: no notes, no record
    slots: dict[str, list[Slot]]  # every period of every school day, by session
    autumn: list[Slot]  # the current session's Autumn term, where its visits fall


@dataclass
class _Batch:
    visits: list[dict] = field(default_factory=list)
    visitors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    agreements: list[dict] = field(default_factory=list)


def _slt(document: dict) -> tuple[str, ...]:
    return tuple(p["id"] for p in document["staff"] if "slt" in p["roles"])


def _class_teachers(document: dict) -> tuple[str, ...]:
    """Teachers who are not SLT: the classes the visits go to."""
    return tuple(p["id"] for p in document["staff"] if "teacher" in p["roles"] and "slt" not in p["roles"])


@cache
def _slots(calendar: SchoolCalendar) -> dict[str, list[Slot]]:
    """Every period of every school day, by session; schools with the same day and periods share them."""
    slots = {}
    for session in calendar.sessions:
        found, day = [], session.start
        while day <= session.end:
            if calendar.is_school_day(day):
                starts = [calendar.at(day, p.start).astimezone(UTC) for p in calendar.periods]
                found += [(day, start, starts[-1] if start < starts[-1] else None) for start in starts]
            day += timedelta(days=1)
        slots[session.name] = found
    return slots


def _visiting(school: School, document: dict) -> _School:
    """The school as stored, with its school days."""
    calendar = school.calendar
    slots = _slots(calendar)
    autumn = next(s for s in calendar.sessions if s.name == CURRENT_SESSION).terms[0]
    teachers = _class_teachers(document)
    return _School(
        id=school.id, teachers=teachers, visitors=_slt(document) + teachers,
        peers_date_only=school.policy.peer_visits_date_only, slots=slots,
        autumn=[slot for slot in slots[CURRENT_SESSION] if slot[0] in autumn],
    )


Planned = Iterator[tuple[_School, str, Slot, VisitStatus]]  # (school, class teacher, slot, status) per visit


def _history(rng: random.Random, schools: list[_School], count: int) -> Planned:
    """Visits in the past sessions, oldest session first, to any class teacher of any school."""
    past = sorted(name for name in schools[0].slots if name < CURRENT_SESSION)
    for n in range(count):
        school = schools[rng.randrange(len(schools))]
        slots = school.slots[past[n * len(past) // count]]
        yield (school, school.teachers[rng.randrange(len(school.teachers))], slots[rng.randrange(len(slots))],
               PAST_STATUSES[rng.randrange(len(PAST_STATUSES))])


def _this_session(rng: random.Random, schools: list[_School], count: int) -> Planned:
    """Visits in the current session's Autumn term, spread over the class teachers a few at most each;
    only a teacher's first can be booked."""
    pairs = [(school, teacher) for school in schools for teacher in school.teachers]
    rng.shuffle(pairs)
    for n in range(count):
        school, teacher = pairs[n % len(pairs)]
        slot = school.autumn[rng.randrange(len(school.autumn))]
        before = slot[0] < TODAY
        if n < len(pairs) and rng.random() < 0.6:
            status = VisitStatus.AGREED if not before or rng.random() < 0.15 else VisitStatus.HELD
        else:
            status = rng.choice(UNBOOKED_BEFORE_TODAY if before else UNBOOKED_FROM_TODAY)
        yield school, teacher, slot, status


def _add_visit(rng: random.Random, batch: _Batch, visit_id: int, school: _School, teacher: str, slot: Slot,
               status: VisitStatus) -> None:
    _, start, after_lessons = slot
    minutes = MINUTES[rng.randrange(len(MINUTES))]
    kind = KINDS[rng.randrange(len(KINDS))]
    others = [v for v in rng.sample(school.visitors, 3) if v != teacher]
    visitors = others[:2] if rng.random() < 0.2 else others[:1]
    created = start - timedelta(days=rng.randint(3, 25), minutes=rng.randint(0, 480))
    row = {
        "id": visit_id, "school_id": school.id, "teacher": teacher, "proposer": visitors[0], "kind": kind.value,
        "status": status.value, "start_at": start, "end_at": start + timedelta(minutes=minutes), "minutes": minutes,
        "focus": FOCUSES[rng.randrange(len(FOCUSES))], "feedback": FEEDBACK[rng.randrange(len(FEEDBACK))],
        "pro_forma": PRO_FORMA if rng.random() < 0.1 else None, "walk_id": None, "suggested_start_at": None,
        "reason": None, "dialogue_at": None, "record": None, "created_at": created, "updated_at": created,
    }
    batch.visits.append(row)
    batch.visitors += [{"visit_id": visit_id, "chat_id": v, "position": n} for n, v in enumerate(visitors)]
    if status is VisitStatus.DECLINED:
        row["reason"] = rng.choice(DECLINE_REASONS)
    elif status is VisitStatus.CANCELLED:
        row["reason"] = rng.choice(CANCEL_REASONS)
    elif status is VisitStatus.COUNTERED:
        row["suggested_start_at"] = start + timedelta(days=rng.choice((1, 2, 7)))
    elif status is VisitStatus.HELD and not (kind is VisitKind.PEER and school.peers_date_only):
        row["dialogue_at"] = after_lessons if rng.random() < 0.7 else None
        if rng.random() < 0.3:
            batch.notes.append({"visit_id": visit_id, "author": visitors[0], "text": rng.choice(NOTES),
                                "written_at": row["end_at"]})
        if rng.random() < 0.5:
            row["record"] = rng.choice(RECORDS)
            batch.agreements += [{"visit_id": visit_id, "chat_id": p} for p in sorted({teacher, *visitors})]


def _insert(engine: Engine, batch: _Batch) -> None:
    with engine.begin() as conn:
        for table, rows in zip(VISIT_TABLES, (batch.visits, batch.visitors, batch.notes, batch.agreements)):
            if not rows:
                continue
            if conn.dialect.name == "postgresql":
                _copy(conn, table.__tablename__, rows)
            else:
                conn.execute(table.__table__.insert(), rows)


def _copy(conn: Connection, table: str, rows: list[dict]) -> None:
    """PostgreSQL's COPY, in the connection's transaction: psycopg's executemany sends a statement per row,
    several times slower. The times are aware UTC datetimes already, as the UTCDateTime column stores them."""
    columns = list(rows[0])
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])


def _settle(engine: Engine) -> None:
    """Explicit ids leave PostgreSQL's sequence behind. VACUUM ANALYZE does now what autovacuum would do
    soon after a bulk load (statistics, the visibility map), so it does not do it while a benchmark runs."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('visits', 'id'), (SELECT max(id) FROM visits))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE schools, staff, {', '.join(t.__tablename__ for t in VISIT_TABLES)}"))


# --- the authority --------------------------------------------------------------------------------

def seed_authority(db_url: str, *, schools: int = 100, staff_per_school: int = 50, visits: int = 200_000,
                   seed: int = 1, this_session: int | None = None, teams_schools: int = 0,
                   progress: Callable[[str], None] | None = None) -> Authority:
    """Migrate the empty database at `db_url`, load the schools, then write `visits` visits. Same arguments,
    same data.

    `this_session` of the visits fall in the current session (by default a tenth, at most three per class
    teacher); the rest are history. The current session comes from its own random stream, so the same
    `this_session` gives the same current session whatever the history: a fair comparison across sizes. The
    last `teams_schools` schools are on Teams.
    """
    if not 0 <= teams_schools <= schools:
        raise ValueError(f"teams_schools must be between 0 and the {schools} schools.")
    if staff_per_school < 4:
        raise ValueError("Each school needs at least 4 staff: SLT and class teachers who visit each other.")
    say = progress or (lambda _line: None)
    started = timer.perf_counter()

    def took() -> str:
        return f"{timer.perf_counter() - started:.1f} s"

    rng = random.Random(seed)
    documents = [school_document(no, staff_per_school, rng, teams=no >= schools - teams_schools)
                 for no in range(schools)]
    teachers = sum(len(_class_teachers(document)) for document in documents)
    current = min(visits // CURRENT_SHARE, CURRENT_PER_TEACHER * teachers) if this_session is None else this_session
    if not 0 <= current <= min(visits, CURRENT_PER_TEACHER * teachers):
        raise ValueError(f"this_session must be between 0 and {min(visits, CURRENT_PER_TEACHER * teachers):,}: "
                         f"at most all the visits, and {CURRENT_PER_TEACHER} per class teacher.")
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(VisitRow)):
                raise ValueError("That database already holds visits: seed an empty one.")
        with store.uow() as uow:
            saved = [uow.schools.save(parse_school_config(document)) for document in documents]
            uow.commit()
        say(f"{schools} schools and {schools * staff_per_school:,} staff loaded ({took()})")
        visiting = [_visiting(school, document) for school, document in zip(saved, documents)]
        history_rng, current_rng = random.Random(f"{seed}/history"), random.Random(f"{seed}/{CURRENT_SESSION}")
        batch, visit_id = _Batch(), 0
        for visit_rng, plan in ((history_rng, _history(history_rng, visiting, visits - current)),
                                (current_rng, _this_session(current_rng, visiting, current))):
            for school, teacher, slot, status in plan:
                visit_id += 1
                _add_visit(visit_rng, batch, visit_id, school, teacher, slot, status)
                if len(batch.visits) == BATCH or visit_id == visits:
                    _insert(store.engine, batch)
                    batch = _Batch()
                    say(f"{visit_id:,} of {visits:,} visits written ({took()})")
        _settle(store.engine)
    finally:
        store.close()
    seeded = tuple(
        SeededSchool(id=school.id, key=school.key, team_id=school.slack_team_id, slt=_slt(document),
                     teachers=_class_teachers(document),
                     tenant_id=document["school"].get("teams", {}).get("tenant_id"))
        for school, document in zip(saved, documents)
    )
    return Authority(schools=seeded, staff=schools * staff_per_school, visits=visits)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description="Seed a large local authority.")
    parser.add_argument("--db", required=True, help="URL of an empty database (SQLite or PostgreSQL)")
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--staff-per-school", type=int, default=50)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--this-session", type=int, help="visits in the current session (default: a tenth)")
    parser.add_argument("--teams-schools", type=int, default=0, help="how many of the schools are on Teams")
    args = parser.parse_args(argv)
    started = timer.perf_counter()
    authority = seed_authority(args.db, schools=args.schools, staff_per_school=args.staff_per_school,
                               visits=args.visits, seed=args.seed, this_session=args.this_session,
                               teams_schools=args.teams_schools, progress=print)
    print(f"Seeded {len(authority.schools)} schools, {authority.staff:,} staff and {authority.visits:,} visits "
          f"in {timer.perf_counter() - started:.1f} s.")


if __name__ == "__main__":
    main()
