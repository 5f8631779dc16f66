"""Who may do what: every command, button and form × every kind of person, as the README's command
table, DESIGN.md and the agreements say.

One table drives it. Every case starts from the same small world — two schools in one database,
visits to Tom's class in every state, a learning walk — runs one command as one person through the
router, and checks the answer: allowed; or refused with nothing changed and, for someone who may not
see the visit, in the very words used for a visit that does not exist. Someone from the other school
never changes, or reads, anything of this school's.

tests/integration/test_teams_authorization.py runs the same table in the same world through Microsoft Teams.
"""
from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from bot.chat import forms
from bot.chat.router import Reply, Walkbot
from bot.domain.clock import FixedClock
from bot.domain.school import parse_school_config
from bot.errors import WalkbotError
from bot.usecases import commands as c
from handlers.slack.blocks import ACCEPT, AGREE, WITHDRAW
from handlers.slack.listeners import ANSWERS
from handlers.wiring import read_school_file
from storage import Store, open_store
from storage.db import make_engine
from storage.tables import Base

LONDON = ZoneInfo("Europe/London")
BUILT_AT = datetime(2027, 2, 1, 8, 30, tzinfo=LONDON)  # Monday
NOW = datetime(2027, 2, 4, 10, 0, tzinfo=LONDON)  # Thursday: one visit has begun, one was held yesterday
NOTE = "Pupils explained their thinking in pairs"
RECORD = "We will try think-pair-share before written answers"
WALK_FOCUS = "feedback in books"  # one of the demo session's focus areas
GHOST = 9999  # a visit or walk number nobody has
PUBLIC_URL = "https://walkbot.school.example"  # where calendar feeds are reached (WALKBOT_PUBLIC_URL)
# Each school's Microsoft 365 organisation (its Slack workspace is in its school.yml too).
TENANTS = {"A": "a1a1a1a1-0000-4000-8000-00000000000a", "B": "b2b2b2b2-0000-4000-8000-00000000000b"}
# What the Suggest and Decline forms are filled in with, on either surface.
SUGGESTED = {"date": "2027-02-11", "time": "11:10"}
DECLINED = {"reason": "mock exams that week"}


def school_a() -> dict:
    """The demo school with one person for each part in the table."""
    config = read_school_file(None)
    config["school"]["teams"] = {"tenant_id": TENANTS["A"]}
    config["school"]["escalation"] = {"head": "U07GORDON"}  # what concerns the head: the chair of governors
    config["school"]["overrides"] = {
        **config["school"]["overrides"],
        # Tom's class is visited often in this world; the caps are not what this file is about.
        **{name: {"value": value, "agreed_by": "Test SNC", "agreed_on": "2026-09-01"}
           for name, value in {"observations_per_year": 20, "observation_minutes_per_year": 1200}.items()},
    }
    config["staff"] = [
        {"id": "U01HEAD", "handle": "rachel", "name": "Rachel Carli", "roles": ["slt", "promoted", "teacher"]},
        {"id": "U03TOM", "handle": "tom", "name": "Tom Baker", "roles": ["teacher"], "line_manager": "U08HANA"},
        {"id": "U05SAM", "handle": "sam", "name": "Sam Patel", "roles": ["teacher", "promoted"],
         "line_manager": "U01HEAD"},
        {"id": "U04AMY", "handle": "amy", "name": "Amy Chen", "roles": ["teacher"], "line_manager": "U01HEAD"},
        {"id": "U08HANA", "handle": "hana", "name": "Hana Kowalski", "roles": ["teacher", "promoted"],
         "line_manager": "U01HEAD"},
        {"id": "U09ED", "handle": "ed", "name": "Ed Moore", "roles": ["teacher"], "line_manager": "U08HANA"},
        {"id": "U06PRIYA", "handle": "priya", "name": "Priya Shah", "roles": ["support"], "line_manager": "U05SAM"},
        {"id": "U07GORDON", "handle": "gordon", "name": "Gordon Reid", "roles": ["governor"]},
        {"id": "U10LENA", "handle": "lena", "name": "Lena Ortiz", "roles": ["la_officer"]},
        {"id": "U11OLIVE", "handle": "olive", "name": "Olive Leaver", "roles": ["teacher"]},
        {"id": "U12MAYA", "handle": "maya", "name": "Maya Hart", "roles": ["head", "teacher"]},
    ]
    return config


def school_b() -> dict:
    """Another school in the same database, with its own Slack workspace, Teams tenant and staff."""
    config = read_school_file(None)
    config["school"].update(key="elmwood", name="Elmwood Academy", slack_team_id="T0ELM",
                            announcements_channel="C0ELMSTAFF", teams={"tenant_id": TENANTS["B"]},
                            escalation={"head": "U53DEV"})  # Ben's own concerns: to the chair of governors
    config["staff"] = [
        {"id": "U51BEN", "handle": "ben", "name": "Ben Okafor", "roles": ["slt", "promoted", "teacher"]},
        {"id": "U52CARA", "handle": "cara", "name": "Cara Doyle", "roles": ["teacher"], "line_manager": "U51BEN"},
        {"id": "U53DEV", "handle": "dev", "name": "Dev Rao", "roles": ["governor"]},
    ]
    return config


A_NAMES = [person["name"] for person in school_a()["staff"]]

# Each part in the table, and who plays it: (school, chat id).
ACTORS = {
    "teacher": ("A", "U03TOM"),  # the class teacher visited
    "proposer": ("A", "U05SAM"),  # the visitor who proposed
    "visitor": ("A", "U04AMY"),  # a visitor listed on the proposal
    "slt": ("A", "U01HEAD"),  # SLT, not in the visit
    "line_manager": ("A", "U08HANA"),  # Tom's line manager, not SLT
    "colleague": ("A", "U09ED"),  # a teacher with nothing to do with the visit
    "support": ("A", "U06PRIYA"),
    "governor": ("A", "U07GORDON"),
    "la_officer": ("A", "U10LENA"),
    "former_staff": ("A", "U11OLIVE"),  # taken off the staff list
    "not_on_staff": ("A", "U99NOBODY"),  # in the workspace, never on the list
    "other_school": ("B", "U51BEN"),  # SLT at the other school, in his own workspace, naming ours
    "other_school_here": ("A", "U51BEN"),  # the same person, his request reaching our school
    "head": ("A", "U12MAYA"),  # the head teacher: SLT too, and told of unsafe practice
}
ROLES = tuple(ACTORS)
A_STAFF = {"teacher", "proposer", "visitor", "slt", "line_manager", "colleague", "support", "governor", "la_officer",
           "head"}
SLT = {"slt", "head"}  # whatever SLT may do, so may the head teacher
IN_VISIT = {"teacher", "proposer", "visitor"}
SEE_VISIT = IN_VISIT | SLT  # README: /visit show is for the teacher, the visitors and SLT


@dataclass(frozen=True)
class World:
    """The built world: its schools, the numbers of its visits and walk, and the times the buttons show."""

    schools: dict[str, int]
    ids: dict[str, int]  # proposed, countered, agreed, begun, held, walk, objected (Ed's class, his objection open)
    asked: dict[str, datetime]
    path: Path | None = None  # a SQLite file holding it


@dataclass(frozen=True)
class Action:
    """One row of the table: a command as typed (or a button's command), and who may do it.

    `sees`: for reading, what only those allowed find in the answer. `of`: the visit or walk the
    command names; someone who may not see it must get the same answer as for one that doesn't exist.
    """

    name: str
    allowed: frozenset[str]
    text: str | None = None
    button: Callable[[World, int, dict, str], c.Command] | None = None
    sees: str | None = None
    of: str | None = None
    may_see: frozenset[str] = frozenset()

    def reply(self, bot: Walkbot, world: World, role: str, ids: dict[str, int]) -> Reply:
        where, actor = ACTORS[role]
        school_id = world.schools[where]
        if self.text is not None:
            return bot.handle(self.text.format(**ids), school_id=school_id, actor=actor)
        return bot.run(self.button(world, school_id, ids, actor))


def act(name, allowed, text=None, *, button=None, sees=None, of=None, may_see=()) -> Action:
    return Action(name, frozenset(allowed), text, button, sees, of, frozenset(may_see))


# What the Slack listeners build when a button is clicked or a form sent (handlers/slack/listeners.py).

def agree_button(world, school_id, ids, actor):
    return ANSWERS[AGREE](school_id=school_id, actor=actor, visit_id=ids["proposed"],
                          asked_start=world.asked["proposed"])


def accept_button(world, school_id, ids, actor):
    return ANSWERS[ACCEPT](school_id=school_id, actor=actor, visit_id=ids["countered"],
                           asked_start=world.asked["countered"])


def withdraw_button(world, school_id, ids, actor):
    return ANSWERS[WITHDRAW](school_id=school_id, actor=actor, visit_id=ids["countered"])


def suggest_form(world, school_id, ids, actor):
    return forms.suggest_command(SUGGESTED, ids["proposed"], school_id=school_id, actor=actor)


def decline_form(world, school_id, ids, actor):
    return forms.decline_command(DECLINED, ids["proposed"], school_id=school_id, actor=actor)


def home_tab(world, school_id, ids, actor):
    return c.ShowOverview(school_id=school_id, actor=actor)


def who_am_i(world, school_id, ids, actor):
    return c.WhoAmI(school_id=school_id, actor=actor)  # asked before the App Home opens a form


PROPOSE = '/visit propose @tom 2027-02-09 P3 30m kind {} focus "questioning" feedback "after school"'
VISIT = dict(may_see=SEE_VISIT)
WALK = dict(of="walk", may_see=A_STAFF)
OBJECTED = {"colleague", "visitor"} | SLT  # Ed's class, visited by Amy

TABLE = [
    # proposing: anyone the agreement lets visit (Durants: staff, governors, other professionals), not
    # into their own class; recording an inspection is for SLT only.
    act("propose", A_STAFF - {"teacher"}, PROPOSE.format("formal")),
    act("propose an inspection", SLT, PROPOSE.format("inspection")),
    # answering a proposal is the class teacher's; a suggested time is the visitors' to answer
    act("agree", {"teacher"}, "/visit agree {proposed}", of="proposed", **VISIT),
    act("suggest", {"teacher"}, "/visit suggest {proposed} 2027-02-11 P3", of="proposed", **VISIT),
    act("decline", {"teacher"}, '/visit decline {proposed} "mock exams that week"', of="proposed", **VISIT),
    act("accept", {"proposer", "visitor"}, "/visit accept {countered}", of="countered", **VISIT),
    act("withdraw", {"proposer", "visitor"}, "/visit withdraw {proposed}", of="proposed", **VISIT),
    # an agreed visit
    act("cancel", IN_VISIT | SLT, '/visit cancel {agreed} "fire drill"', of="agreed", **VISIT),
    act("move", IN_VISIT, "/visit move {agreed} 2027-02-10 P3", of="agreed", **VISIT),
    act("object", {"teacher"}, '/visit object {agreed} @sam "we have history"', of="agreed", **VISIT),
    # Ed's objection to Amy, passed to his line manager Hana: she resolves it, he may withdraw it (004 §9)
    act("object resolve", {"line_manager"}, '/visit object {objected} resolve "we talked it through"',
        of="objected", may_see=OBJECTED),
    act("object withdraw", {"colleague"}, "/visit object {objected} withdraw", of="objected", may_see=OBJECTED),
    act("show", SEE_VISIT, "/visit show {agreed}", of="agreed", **VISIT),
    # after the visit: only the teacher visited and the visitors; SLT see the visit but not its notes
    act("held", IN_VISIT, "/visit held {begun}", of="begun", **VISIT),
    act("dialogue", IN_VISIT, "/visit dialogue {held} 2027-02-05 P3", of="held", **VISIT),
    act("notes", IN_VISIT, '/visit notes {held} "Questions went round the whole class"', of="held", **VISIT),
    act("read notes", IN_VISIT, "/visit show {held}", sees=NOTE, of="held", **VISIT),
    act("record", IN_VISIT, '/visit record {held} "We agreed to share seating plans"', of="held", **VISIT),
    act("record agree", IN_VISIT, "/visit record {held} agree", of="held", **VISIT),
    act("read record", IN_VISIT, "/visit show {held}", sees=RECORD, of="held", **VISIT),
    # unsafe practice is reported by a visitor, once the visit has begun, to the head teacher (000 Conduct)
    act("unsafe", {"proposer", "visitor"}, '/visit unsafe {begun} "pupils left alone by the fume cupboard"',
        of="begun", **VISIT),
    # anyone on the staff list, about themselves (the other school's SLT at their own school)
    act("concern", A_STAFF | {"other_school"}, '/visit concern "three visits in one week"'),
    act("list", A_STAFF | {"other_school"}, "/visit list"),
    act("list shows the visits", IN_VISIT, "/visit list", sees="Tom Baker's class"),
    act("limits", A_STAFF | {"other_school"}, "/visit limits"),
    act("limits of another", {"teacher", "line_manager"} | SLT, "/visit limits @tom"),
    act("who am I", A_STAFF | {"other_school"}, button=who_am_i),
    act("home tab", A_STAFF | {"other_school"}, button=home_tab),
    act("home tab counts", SLT, button=home_tab, sees="  Tom Baker: "),  # every teacher's counts: SLT
    # learning walks: SLT plan and call off; everyone on the list sees them
    act("walk plan", SLT, f'/walk plan 2027-05-12 09:00-10:00 focus "{WALK_FOCUS}" purpose "share practice" walkers @rachel @hana'),
    act("walk list", A_STAFF, "/walk list", sees=WALK_FOCUS),
    act("walk show", A_STAFF, "/walk show {walk}", sees=WALK_FOCUS, **WALK),
    act("walk cancel", SLT, '/walk cancel {walk} "snow"', **WALK),
    # SLT's reports: the summary of findings (004 §8) and coverage against the caps, counts only
    act("walk summary", SLT, "/walk summary", sees="Summary of findings — Durants Demo School"),
    act("coverage", SLT, "/visit coverage", sees="  Tom Baker: "),
    # the staff list: SLT only (the other school's SLT keep their own)
    act("staff add", SLT | {"other_school"}, '/visit staff add @U20NIA "Nia Jones"'),
    act("staff remove", SLT, "/visit staff remove @ed"),
    act("staff list", SLT, "/visit staff list", sees="Tom Baker"),
    # each person's own calendar feed (the other school's SLT their own school's)
    act("calendar", A_STAFF | {"other_school"}, "/visit calendar", sees=f"{PUBLIC_URL}/calendar/feed/"),
    act("calendar new", A_STAFF | {"other_school"}, "/visit calendar new", sees=f"{PUBLIC_URL}/calendar/feed/"),
    # Slack's buttons and forms
    act("Agree button", {"teacher"}, button=agree_button, of="proposed", **VISIT),
    act("Suggest form", {"teacher"}, button=suggest_form, of="proposed", **VISIT),
    act("Decline form", {"teacher"}, button=decline_form, of="proposed", **VISIT),
    act("Accept button", {"proposer", "visitor"}, button=accept_button, of="countered", **VISIT),
    act("Withdraw button", {"proposer", "visitor"}, button=withdraw_button, of="countered", **VISIT),
]
CASES = [pytest.param(action, role, id=f"{action.name}-{role}") for action in TABLE for role in ROLES]


# --- the world ----------------------------------------------------------------------------------------------------

def build_world(store: Store) -> World:
    """Both schools, and Tom's class visited by Sam and Amy in every state, through the router."""
    with store.uow() as uow:
        schools = {"A": uow.schools.save(parse_school_config(school_a())).id,
                   "B": uow.schools.save(parse_school_config(school_b())).id}
        uow.commit()
    clock = FixedClock(BUILT_AT)
    bot = Walkbot(uow_factory=store.uow, clock=clock)

    def say(actor: str, text: str) -> str:
        reply = bot.handle(text, school_id=schools["A"], actor=actor)
        assert reply.ok, (text, reply.text)
        return reply.text

    def propose(day: str) -> int:
        text = say("U05SAM", f'/visit propose @tom {day} P1 30m kind formal focus "questioning" '
                             'feedback "after school" with @amy')
        return int(re.search(r"#(\d+)", text).group(1))

    ids = {"held": propose("2027-02-03"), "begun": propose("2027-02-04"), "agreed": propose("2027-02-09"),
           "proposed": propose("2027-02-10"), "countered": propose("2027-02-12")}
    for state in ("held", "begun", "agreed"):
        say("U03TOM", f"/visit agree {ids[state]}")
    say("U03TOM", f"/visit suggest {ids['countered']} 2027-02-22 P2")
    objected = say("U04AMY", '/visit propose @ed 2027-02-08 P2 30m kind formal focus "questioning" '
                             'feedback "after school"')
    ids["objected"] = int(re.search(r"#(\d+)", objected).group(1))
    say("U09ED", f'/visit object {ids["objected"]} "we have history"')
    planned = say("U01HEAD", f'/walk plan 2027-02-11 09:00-10:00 focus "{WALK_FOCUS}" purpose "share practice" walkers @rachel @hana rooms @ed')
    ids["walk"] = int(re.search(r"walk #(\d+)", planned).group(1))
    say("U01HEAD", "/visit staff remove @olive")

    clock.set(datetime(2027, 2, 3, 10, 0, tzinfo=LONDON))  # after the first visit
    say("U03TOM", f"/visit held {ids['held']}")
    say("U05SAM", f"/visit dialogue {ids['held']} 2027-02-04 P5")  # a record of dialogue follows a dialogue
    say("U05SAM", f'/visit notes {ids["held"]} "{NOTE}"')
    say("U05SAM", f'/visit record {ids["held"]} "{RECORD}"')

    with store.uow() as uow:
        asked = {"proposed": uow.visits.get(schools["A"], ids["proposed"]).start,
                 "countered": uow.visits.get(schools["A"], ids["countered"]).suggested_start}
    return World(schools, ids, asked)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    path = tmp_path_factory.mktemp("authorization") / "world.db"
    store = open_store(f"sqlite:///{path}")
    try:
        built = build_world(store)
    finally:
        store.close()  # the last connection closing folds the write-ahead log into the file
    return World(built.schools, built.ids, built.asked, path)


@contextmanager
def staged(world: World, folder: Path) -> Iterator[Store]:
    """One database the cases take turns in: a copy of the world, in `folder`."""
    path = folder / "stage.db"
    shutil.copyfile(world.path, path)
    engine = make_engine(f"sqlite:///{path}")  # a copy of the world: migrated already

    @event.listens_for(engine, "connect")
    def _no_waiting_for_the_disk(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")  # the stage is thrown away after the tests

    store = Store(engine)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def stage(world, tmp_path_factory) -> Iterator[tuple[Store, sqlite3.Connection]]:
    """One database the cases take turns in, and the world as built, to start each case from."""
    with staged(world, tmp_path_factory.mktemp("stage")) as store:
        built = sqlite3.connect(world.path)
        yield store, built
        built.close()


@pytest.fixture
def fresh(stage) -> Store:
    """The stage holding the world as built again. SQLite's backup API copies it in within milliseconds;
    a new database and engine for every case would take most of this file's time."""
    store, built = stage
    connection = store.engine.raw_connection()
    try:
        built.backup(connection.driver_connection)
        assert counts(connection.driver_connection) == counts(built)  # not what the last case left
    finally:
        connection.close()
    return store


def counts(connection: sqlite3.Connection) -> list[int]:
    return [connection.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
            for table in Base.metadata.sorted_tables]


def rows(store: Store, *, leave_out_school: int | None = None) -> dict[str, list[tuple]]:
    """Every row of every table walkbot keeps (optionally not those of one school), in key order.

    Plain SQL, as the driver returns it: quick enough to take before and after each of the cases."""
    found = {}
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            where = ""
            if leave_out_school is not None and table.name == "schools":  # its row moves when its staff change
                where = f" WHERE id <> {int(leave_out_school)}"
            elif leave_out_school is not None and "school_id" in table.c:
                where = f" WHERE school_id <> {int(leave_out_school)}"
            order = ", ".join(column.name for column in table.primary_key.columns)
            found[table.name] = [tuple(row) for row in
                                 conn.exec_driver_sql(f"SELECT * FROM {table.name}{where} ORDER BY {order}")]
    return found


def handle(store: Store, world: World, school: str, actor: str, text: str) -> Reply:
    bot = Walkbot(uow_factory=store.uow, clock=FixedClock(NOW), public_url=PUBLIC_URL)
    return bot.handle(text, school_id=world.schools[school], actor=actor)


def ask(store: Store, action: Action, world: World, role: str, ids: dict[str, int]) -> Reply:
    return action.reply(Walkbot(uow_factory=store.uow, clock=FixedClock(NOW), public_url=PUBLIC_URL), world, role,
                        ids)


def granted(action: Action, reply: Reply) -> bool:
    return reply.ok and (action.sees is None or action.sees in reply.text)


def as_if_unknown(store: Store, action: Action, world: World, role: str) -> str:
    """The answer the same person gets for a visit or walk number nobody has, with the real number in it."""
    ghost = ask(store, action, world, role, {**world.ids, action.of: GHOST})
    return ghost.text.replace(str(GHOST), str(world.ids[action.of]))


# --- the matrix ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "role"), CASES)
def test_who_may_do_what(world, fresh, action, role):
    refused = role not in action.allowed
    before = rows(fresh) if refused else None
    ours_before = rows(fresh, leave_out_school=world.schools["B"]) if role == "other_school" else None

    reply = ask(fresh, action, world, role, world.ids)

    assert reply.error is None or isinstance(reply.error, WalkbotError), reply.text  # never a crash
    if not refused:
        assert granted(action, reply), reply.text
    else:
        assert not granted(action, reply), reply.text
        assert rows(fresh) == before, f"{action.name} by {role} was refused but changed the database"
        if action.of and role not in action.may_see:  # nothing given away about it
            assert reply.text == as_if_unknown(fresh, action, world, role)
    if role == "other_school":
        assert rows(fresh, leave_out_school=world.schools["B"]) == ours_before, "the other school changed ours"
        for secret in (*A_NAMES, NOTE, RECORD, WALK_FOCUS):
            assert secret not in reply.text, f"the other school was shown {secret!r}"


def test_the_table_names_every_part_and_its_size_is_shown():
    for action in TABLE:
        assert action.allowed <= set(ROLES), action.name
        assert (action.text is None) != (action.button is None), action.name
    allowed = sum(role in action.allowed for action in TABLE for role in ROLES)
    print(f"\nauthorization matrix: {len(TABLE)} commands × {len(ROLES)} people = {len(CASES)} cases "
          f"({allowed} allowed, {len(CASES) - allowed} refused)")
    assert len(CASES) == len(TABLE) * len(ROLES) == len({case.id for case in CASES})


@pytest.mark.postgres
def test_the_other_school_reaches_nothing_of_ours_on_postgresql(postgres_url):
    """The matrix's other-school column again, in one PostgreSQL database, one command after another."""
    store = open_store(postgres_url)
    try:
        world = build_world(store)
        ours = rows(store, leave_out_school=world.schools["B"])
        for action in TABLE:
            reply = ask(store, action, world, "other_school", world.ids)
            assert reply.error is None or isinstance(reply.error, WalkbotError), reply.text
            assert granted(action, reply) == ("other_school" in action.allowed), (action.name, reply.text)
            for secret in (*A_NAMES, NOTE, RECORD, WALK_FOCUS):
                assert secret not in reply.text, (action.name, secret)
            if action.of:
                assert reply.text == as_if_unknown(store, action, world, "other_school"), action.name
        assert rows(store, leave_out_school=world.schools["B"]) == ours
    finally:
        store.close()


# --- whose class can be visited ----------------------------------------------------------------------------------

HAS_A_CLASS = {"teacher": True, "visitor": True, "slt": True, "head": True, "line_manager": True, "colleague": True,
               "proposer": False,  # Sam, who is proposing: not into his own class
               "support": False, "governor": False, "la_officer": False,  # no class of their own
               "former_staff": False, "not_on_staff": False, "other_school": False}


@pytest.mark.parametrize("role", HAS_A_CLASS)
def test_whose_class_can_be_visited(world, fresh, role):
    before = rows(fresh)
    reply = handle(fresh, world, "A", "U05SAM", f"/visit propose @{ACTORS[role][1]} 2027-02-09 P3 30m "
                                                'kind formal focus "questioning" feedback "after school"')
    if HAS_A_CLASS[role]:
        assert reply.text.startswith("Proposed #"), reply.text
    else:
        assert isinstance(reply.error, WalkbotError), reply.text
        assert rows(fresh) == before


def test_someone_without_a_class_is_told_so_and_a_walk_books_no_room_of_theirs(world, fresh):
    reply = handle(fresh, world, "A", "U05SAM", '/visit propose @gordon 2027-02-09 P3 30m kind formal '
                                                'focus "questioning" feedback "after school"')
    assert reply.text == ("Gordon Reid (governor) is not a class teacher on Durants Demo School's staff list, "
                          "so there is no class of theirs to visit.")
    planned = handle(fresh, world, "A", "U01HEAD", f'/walk plan 2027-05-12 09:00-10:00 focus "{WALK_FOCUS}" '
                                                   'purpose "share practice" walkers @rachel @hana rooms @priya @ed').text
    # A walk is booked with all its rooms or none (issue 11): nothing of it is written.
    assert "Priya Shah is not a class teacher, so there is no class to visit." in planned
    assert "Ed Moore's class" not in planned


def test_whose_room_a_walk_visits_is_seen_by_slt_the_walkers_and_that_teacher_only(world, fresh):
    walk = world.ids["walk"]  # walkers Rachel (SLT) and Hana; Ed's room
    for who in ("U01HEAD", "U08HANA", "U09ED"):
        assert "Ed Moore's class" in handle(fresh, world, "A", who, f"/walk show {walk}").text, who
    shown = handle(fresh, world, "A", "U03TOM", f"/walk show {walk}").text  # a colleague: the programme only
    assert WALK_FOCUS in shown and "Ed Moore's class" not in shown


# --- people taken off the staff list -----------------------------------------------------------------------------

def test_a_visit_with_someone_since_taken_off_the_list_gets_answers_not_errors(world, fresh):
    """Amy leaves: her visits can no longer be agreed or re-timed, but can be ended, held and followed up."""
    ids = world.ids
    handle(fresh, world, "A", "U01HEAD", "/visit staff remove @amy")
    before = rows(fresh)
    for actor, command, of in [("U03TOM", "/visit agree {proposed}", "proposed"),
                               ("U03TOM", "/visit suggest {proposed} 2027-02-11 P3", "proposed"),
                               ("U05SAM", "/visit accept {countered}", "countered"),
                               ("U05SAM", "/visit move {agreed} 2027-02-10 P3", "agreed"),
                               ("U03TOM", "/visit move {agreed} 2027-02-10 P3", "agreed")]:
        reply = handle(fresh, world, "A", actor, command.format(**ids))
        assert reply.text == (f"Amy Chen is no longer on Durants Demo School's staff list, so visit #{ids[of]} "
                              "can't be agreed or given a new time. It can still be declined, withdrawn or "
                              "cancelled."), reply.text
    assert rows(fresh) == before
    for actor, command in [("U03TOM", '/visit decline {proposed} "Amy has left"'),
                           ("U05SAM", "/visit withdraw {countered}"),
                           ("U03TOM", "/visit held {begun}"),
                           ("U03TOM", "/visit dialogue {held} 2027-02-05 P3"),
                           ("U05SAM", '/visit cancel {agreed} "Amy has left"')]:
        reply = handle(fresh, world, "A", actor, command.format(**ids))
        assert reply.ok, (command, reply.text)
    shown = handle(fresh, world, "A", "U03TOM", f"/visit show {ids['agreed']}").text
    assert "Amy Chen" in shown and "U04AMY" not in shown  # still named in the visit she was part of


def test_a_teacher_can_object_to_an_observer_who_has_since_left(world, fresh):
    proposed = handle(fresh, world, "A", "U05SAM", '/visit propose @ed 2027-02-09 P3 30m kind formal '
                                                   'focus "questioning" feedback "after school"').text
    visit_id = int(re.search(r"#(\d+)", proposed).group(1))
    handle(fresh, world, "A", "U01HEAD", "/visit staff remove @sam")
    reply = handle(fresh, world, "A", "U09ED", f'/visit object {visit_id} "not again"')
    assert reply.text.startswith("Recorded: you object to Sam Patel observing your class."), reply.text


# --- two schools, one database -----------------------------------------------------------------------------------

def test_one_person_on_both_schools_lists_has_each_schools_roles_only(world, fresh):
    agreed = world.ids["agreed"]
    # Ben is SLT at his own school; ours adds him as a teacher.
    assert handle(fresh, world, "A", "U01HEAD", '/visit staff add @U51BEN "Ben Okafor" roles teacher').ok
    assert handle(fresh, world, "A", "U51BEN", "/visit staff list").text == ("Only SLT can change or see the "
                                                                             "staff list.")
    assert handle(fresh, world, "A", "U51BEN", f"/visit show {agreed}").text == \
        f"There is no visit #{agreed} that you can see. Say /visit list for yours."
    assert handle(fresh, world, "B", "U51BEN", "/visit staff list").text.startswith("Elmwood Academy's staff list")

    # His school puts our Tom on its list: another person there, who sees nothing of Tom's here.
    assert handle(fresh, world, "B", "U51BEN", '/visit staff add @U03TOM "Tom Baker"').ok
    assert handle(fresh, world, "B", "U03TOM", f"/visit show {agreed}").text == \
        handle(fresh, world, "B", "U03TOM", f"/visit show {GHOST}").text.replace(str(GHOST), str(agreed))
    assert "Tom Baker's class" not in handle(fresh, world, "B", "U03TOM", "/visit list").text
    assert handle(fresh, world, "B", "U51BEN", "/visit limits @U03TOM").text.startswith(
        "Tom Baker, session 2026-27: 0 of 3 observations used this year")
    assert handle(fresh, world, "A", "U03TOM", "/visit limits").text.startswith(
        "Tom Baker, session 2026-27: 3 of 20 observations used this year")
