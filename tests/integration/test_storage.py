"""Storage on SQLite and PostgreSQL: every repository round-trips, schools reload idempotently,
the schema matches its migrations, and lock() makes concurrent bookings take turns."""
from __future__ import annotations

import re
import sqlite3
import threading
import time
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa_exc

from bot.domain.model import (
    BUSY_STATUSES,
    Concern,
    Note,
    Notice,
    NoticeKind,
    Objection,
    Role,
    Staff,
    Visit,
    VisitKind,
    VisitStatus,
    Walk,
)
from bot.domain.school import parse_school_config
from bot.errors import NotFound, Unavailable
from bot.reply.card import card
from storage import open_store
from storage.db import make_engine
from storage.migrate import alembic_config
from storage.tables import Base, described_here
from tests.conftest import DEMO_SCHOOL

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def school(store, demo_config):
    with store.uow() as uow:
        school = uow.schools.save(demo_config)
        uow.commit()
    return school


def a_visit(school_id: int, **changes) -> Visit:
    visit = Visit(
        id=None,
        school_id=school_id,
        teacher="U03TOM",
        visitors=("U01HEAD",),
        proposer="U01HEAD",
        kind=VisitKind.FORMAL,
        start=MONDAY,
        minutes=30,
    )
    return replace(visit, **changes)


def add(store, *visits: Visit) -> list[Visit]:
    with store.uow() as uow:
        added = [uow.visits.add(v) for v in visits]
        uow.commit()
    return added


def config_with(staff=None, **school_changes):
    """The demo school.yml with some school: fields (and perhaps the staff list) changed."""
    data = {**DEMO_SCHOOL, "school": {**DEMO_SCHOOL["school"], **school_changes}}
    return parse_school_config({**data, "staff": staff} if staff is not None else data)


# --- schema and migrations ---------------------------------------------------------------------


def test_migrations_build_exactly_the_tables_in_tables_py(store):
    with store.engine.connect() as conn, warnings.catch_warnings():
        # SQLite can't reflect the lower(handle) index; PostgreSQL compares it.
        warnings.filterwarnings("ignore", "(autogenerate skipping|Skipped unsupported reflection).*expression-based index")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": described_here})
        assert compare_metadata(context, Base.metadata) == []
        if conn.dialect.name == "sqlite":
            assert conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_staff_school_id_lower_handle'"))


def test_reopening_migrates_nothing_and_works_from_any_directory(store_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for _ in range(2):
        store = open_store(store_url)
        with store.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        store.close()


def test_sqlite_settings(tmp_path):
    store = open_store(str(tmp_path / "plain-path.db"))  # a bare path means a SQLite file
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    store.close()


@pytest.mark.parametrize("url", ["postgres://u@db.example/walkbot", "postgresql://u@db.example/walkbot"])
def test_postgres_urls_use_psycopg_3(url):
    assert make_engine(url).dialect.driver == "psycopg"


# --- schools and staff -------------------------------------------------------------------------


def test_saving_a_school_twice_changes_nothing(store, demo_config):
    with store.uow() as uow:
        first = uow.schools.save(demo_config)
        uow.commit()
    with store.uow() as uow:
        second = uow.schools.save(demo_config)
        staff = uow.staff.all(second.id)
        uow.commit()
    assert second.id == first.id
    assert len(staff) == 4
    with store.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM schools")) == 1
        assert conn.scalar(text("SELECT count(*) FROM staff")) == 4


def test_a_school_comes_back_as_it_was_configured(store, school, demo_config):
    with store.uow() as uow:
        by_id, by_key = uow.schools.get(school.id), uow.schools.by_key("durants-test")
        assert uow.schools.get(school.id + 100) is None and uow.schools.by_key("nowhere") is None
    assert by_id == by_key == school
    assert school.name == "Durants Test School" and school.announcements_channel == "C0STAFF"
    assert school.calendar == demo_config.school.calendar
    assert school.policy == demo_config.school.policy
    assert school.policy.min_notice_school_days == 2


def test_yaml_dates_are_stored_as_text_the_parser_reads_back(store):
    data = {**DEMO_SCHOOL, "sessions": [{**DEMO_SCHOOL["sessions"][0], "holidays": [date(2026, 11, 30)]}]}
    data["school"] = {**DEMO_SCHOOL["school"], "overrides": {
        "min_notice_school_days": {"value": 3, "agreed_by": "SNC", "agreed_on": date(2026, 9, 1)}}}
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(data))
        uow.commit()
    assert school.calendar.holidays[0] == (date(2026, 11, 30), date(2026, 11, 30))
    assert school.policy.cite("min_notice_school_days").param.override.agreed_on == date(2026, 9, 1)


def test_reloading_updates_staff_and_retires_those_no_longer_listed(store, school):
    staff = [
        {"id": "U01HEAD", "handle": "@rachel", "name": "Rachel Carli-Smith", "roles": ["slt", "promoted", "teacher"]},
        {"id": "U03TOM", "handle": "tom", "name": "Tom Baker", "roles": ["teacher"], "line_manager": "U01HEAD"},
        {"id": "U08NEW", "handle": "nia", "name": "Nia Jones", "roles": ["support"]},
    ]
    with store.uow() as uow:
        reloaded = uow.schools.save(config_with(staff, name="Durants School"))
        uow.commit()
    with store.uow() as uow:
        active = {s.chat_id: s for s in uow.staff.all(school.id)}
        amy = uow.staff.get(school.id, "U04AMY")
        assert uow.staff.find(school.id, "@amy") is None
    assert reloaded.id == school.id and reloaded.name == "Durants School"
    assert set(active) == {"U01HEAD", "U03TOM", "U08NEW"}
    assert active["U01HEAD"].name == "Rachel Carli-Smith"
    assert active["U01HEAD"].roles == {Role.SLT, Role.PROMOTED, Role.TEACHER}
    assert active["U01HEAD"].handle == "rachel"
    assert amy is not None and not amy.active  # kept: visits still refer to her

    with store.uow() as uow:  # listed again: back at work
        uow.schools.save(parse_school_config(DEMO_SCHOOL))
        uow.commit()
        assert uow.staff.get(school.id, "U04AMY").active
        assert not uow.staff.get(school.id, "U08NEW").active


def test_a_school_is_found_by_its_key_so_a_new_name_is_the_same_school(store, school):
    with store.uow() as uow:
        renamed = uow.schools.save(config_with(name="Durants Academy", slack_team_id="T0DUR"))
        uow.commit()
    with store.uow() as uow:
        assert [(s.id, s.key, s.name, s.slack_team_id) for s in uow.schools.all()] == [
            (school.id, "durants-test", "Durants Academy", "T0DUR")]
        assert len(uow.staff.all(school.id)) == 4 and renamed.id == school.id


def test_one_name_two_keys_are_two_schools(store, school):
    with store.uow() as uow:
        other = uow.schools.save(config_with(key="durants-two", slack_team_id="T0TWO"))
        uow.commit()
    with store.uow() as uow:
        assert {s.key: (s.name, s.slack_team_id) for s in uow.schools.all()} == {
            "durants-test": ("Durants Test School", None), "durants-two": ("Durants Test School", "T0TWO")}
        assert other.id != school.id and len(uow.staff.all(school.id)) == len(uow.staff.all(other.id)) == 4


def test_a_workspace_belongs_to_one_school_key(store, school):
    from bot.errors import InputError

    with store.uow() as uow:
        uow.schools.save(config_with(slack_team_id="T0ONE"))
        uow.commit()
    with store.uow() as uow, pytest.raises(InputError) as refused:
        uow.schools.save(config_with(key="another-school", name="Another School", slack_team_id="T0ONE"))
    assert str(refused.value).startswith("The Slack workspace T0ONE is already linked to another school, the one "
                                         "with key durants-test; nothing was changed.")
    with store.uow() as uow:
        assert [(s.key, s.slack_team_id) for s in uow.schools.all()] == [("durants-test", "T0ONE")]
        assert uow.schools.by_slack_team("T0ONE").id == school.id
        moved = uow.schools.save(config_with(slack_team_id="T0NEW"))  # the school itself may change workspace
        uow.commit()
    assert moved.slack_team_id == "T0NEW"


@pytest.mark.postgres
@pytest.mark.parametrize("second", [dict(key="racing-two", name="Racing Two"), dict(key="racing-one")])
def test_two_loads_racing_for_one_workspace_or_key_are_told_not_traced(postgres_url, second):
    from bot.errors import InputError

    store = open_store(postgres_url)
    saved, release = threading.Event(), threading.Event()

    def first_load() -> None:
        with store.uow() as uow:
            uow.schools.save(config_with(key="racing-one", name="Racing One", slack_team_id="T0RACE"))
            saved.set()
            release.wait(10)
            uow.commit()

    loader = threading.Thread(target=first_load)
    loader.start()
    try:
        assert saved.wait(10)
        threading.Timer(0.3, release.set).start()  # the second save waits on the first's uncommitted row
        with store.uow() as uow, pytest.raises(InputError, match="was saved at the same moment; nothing was changed"):
            uow.schools.save(config_with(slack_team_id="T0RACE", **second))
    finally:
        release.set()
        loader.join()
    with store.uow() as uow:
        assert [(s.key, s.slack_team_id) for s in uow.schools.all()] == [("racing-one", "T0RACE")]
    store.close()


def test_a_school_stored_before_keys_were_required_still_reads_back(store, school):
    from storage.tables import SchoolRow

    old = {**DEMO_SCHOOL, "school": {k: v for k, v in DEMO_SCHOOL["school"].items() if k != "key"},
           "staff": [*DEMO_SCHOOL["staff"], {"id": "U09X", "name": "X", "line_manager": "U99GONE"}]}
    with store.uow() as uow:
        uow.session.get(SchoolRow, school.id).config = old
        uow.commit()
    with store.uow() as uow:
        again = uow.schools.by_key("durants-test")
    assert again.id == school.id and again.key == "durants-test" and again.name == school.name


@pytest.mark.parametrize(
    "mention", ["U03TOM", "u03tom", "@U03TOM", "@u03tom", "tom", "@tom", "@TOM", " Tom "]
)
def test_find_by_any_form_of_mention(store, school, mention):
    with store.uow() as uow:
        found = uow.staff.find(school.id, mention)
    assert found is not None and found.chat_id == "U03TOM" and found.name == "Tom Baker"
    assert found.roles == {Role.TEACHER} and found.line_manager == "U01HEAD" and found.mention == "@tom"


@pytest.mark.parametrize("mention", ["", "@", "nobody", "@U99", "<@U03TOM>", "Tom Baker"])
def test_find_nobody(store, school, mention):
    with store.uow() as uow:
        assert uow.staff.find(school.id, mention) is None


def test_find_is_per_school_and_does_not_guess_between_shared_handles(store, school):
    with store.uow() as uow:
        other = uow.schools.save(config_with(key="elsewhere", name="Elsewhere"))
        assert uow.staff.find(other.id, "@tom").school_id == other.id
        uow.staff.add(Staff(None, school.id, "U09TOM", "Tom Two", frozenset({Role.TEACHER}), handle="Tom"))
        assert uow.staff.find(school.id, "@tom") is None
        assert uow.staff.find(school.id, "U09TOM").name == "Tom Two"


def test_add_staff_round_trip(store, school):
    staff = Staff(None, school.id, "U10VIS", "Val Visitor", frozenset({Role.LA_OFFICER, Role.TEACHER}), "val", "U01HEAD")
    with store.uow() as uow:
        added = uow.staff.add(staff)
        uow.commit()
    with store.uow() as uow:
        assert uow.staff.get(school.id, "U10VIS") == added == replace(staff, id=added.id)


def test_lock_of_someone_unknown_is_not_found(store, school):
    with store.uow() as uow, pytest.raises(NotFound):
        uow.staff.lock(school.id, ["U99NOBODY"])


# --- visits ------------------------------------------------------------------------------------


def test_visit_round_trip_with_visitors_notes_and_record_agreements(store, school):
    written = datetime(2026, 9, 14, 16, 0, tzinfo=UTC)
    visit = a_visit(
        school.id,
        visitors=("U07GORDON", "U01HEAD", "U04AMY"),
        status=VisitStatus.COUNTERED,
        focus="questioning",
        feedback="after school, 30 minutes",
        pro_forma="https://example.org/pro-forma",
        suggested_start=MONDAY + timedelta(days=1),
        reason=None,
        dialogue_at=MONDAY + timedelta(days=2),
        record="We talked about questioning.",
        record_agreed_by=frozenset({"U03TOM", "U01HEAD"}),
        notes=(Note("U01HEAD", "Good wait time.", written), Note("U03TOM", "Thanks", written + timedelta(minutes=5))),
        created_at=datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
    )
    (added,) = add(store, visit)
    assert added.id is not None
    assert added == replace(visit, id=added.id)
    with store.uow() as uow:
        assert uow.visits.get(school.id, added.id) == added
        assert uow.visits.get(school.id + 1, added.id) is None  # another school's visit is not found
        assert uow.visits.get(school.id, added.id + 1) is None


def test_created_at_defaults_to_now(store, school):
    before = datetime.now(UTC)
    (added,) = add(store, a_visit(school.id))
    assert before <= added.created_at <= datetime.now(UTC)


def test_update_replaces_fields_visitors_and_agreements_but_keeps_notes(store, school):
    (visit,) = add(store, a_visit(school.id, visitors=("U01HEAD", "U04AMY"), record="r",
                                  record_agreed_by=frozenset({"U03TOM"}),
                                  notes=(Note("U01HEAD", "kept", MONDAY),)))
    changed = visit.but(
        visitors=("U04AMY", "U07GORDON"),
        status=VisitStatus.AGREED,
        start=MONDAY + timedelta(hours=2),
        minutes=45,
        record_agreed_by=frozenset({"U03TOM", "U04AMY"}),
        notes=(),
    )
    with store.uow() as uow:
        uow.visits.update(changed)
        uow.visits.add_note(school.id, visit.id, Note("U03TOM", "added", MONDAY + timedelta(hours=3)))
        uow.commit()
    with store.uow() as uow:
        stored = uow.visits.get(school.id, visit.id)
    assert stored.visitors == ("U04AMY", "U07GORDON")
    assert stored.status is VisitStatus.AGREED and stored.start == MONDAY + timedelta(hours=2) and stored.minutes == 45
    assert stored.record_agreed_by == {"U03TOM", "U04AMY"}
    assert [n.text for n in stored.notes] == ["kept", "added"]
    with store.uow() as uow:
        with pytest.raises(NotFound):
            uow.visits.update(changed.but(id=visit.id + 99))
        with pytest.raises(NotFound):
            uow.visits.add_note(school.id, visit.id + 99, Note("U03TOM", "x", MONDAY))


def test_times_come_back_as_the_same_instant_in_utc(store, school):
    summer = datetime(2026, 9, 14, 10, 30, tzinfo=LONDON)  # BST, UTC+1
    winter = datetime(2026, 12, 1, 10, 30, tzinfo=LONDON)  # GMT
    (a, b) = add(store, a_visit(school.id, start=summer, dialogue_at=winter), a_visit(school.id, start=winter))
    with store.uow() as uow:
        a, b = uow.visits.get(school.id, a.id), uow.visits.get(school.id, b.id)
    assert a.start == summer and a.dialogue_at == winter and b.start == winter
    assert a.start.utcoffset() == timedelta(0) and a.start.hour == 9
    assert a.end == summer + timedelta(minutes=30)


def test_naive_datetimes_are_refused(store, school):
    with store.uow() as uow, pytest.raises(sa_exc.StatementError, match="naive datetime"):
        uow.visits.add(a_visit(school.id, start=datetime(2026, 9, 14, 9, 0)))


def test_for_plan_finds_the_teachers_visits_by_start_in_range_and_status(store, school):
    add(
        store,
        a_visit(school.id, start=MONDAY - timedelta(minutes=10)),  # starts before the range
        a_visit(school.id, start=MONDAY),
        a_visit(school.id, start=MONDAY + timedelta(days=1), status=VisitStatus.AGREED),
        a_visit(school.id, start=MONDAY + timedelta(days=2), status=VisitStatus.DECLINED),
        a_visit(school.id, start=MONDAY + timedelta(days=7)),  # the end is exclusive
        a_visit(school.id, start=MONDAY, teacher="U04AMY"),
    )
    week, nobody, never = (MONDAY, MONDAY + timedelta(days=7)), [], (MONDAY, MONDAY)
    with store.uow() as uow:
        found, _ = uow.visits.for_plan(school.id, "U03TOM", week, BUSY_STATUSES, nobody, never, BUSY_STATUSES)
        everything, _ = uow.visits.for_plan(school.id, "U03TOM", week, VisitStatus, nobody, never, VisitStatus)
    assert [v.start for v in found] == [MONDAY, MONDAY + timedelta(days=1)]
    assert len(everything) == 3


def test_for_plan_reads_the_teachers_visits_and_everyones_near_the_time_in_one_query(store, school):
    hour, week = timedelta(hours=1), (MONDAY, MONDAY + timedelta(days=7))
    earlier, amy_visited, tomorrow, declined = add(
        store,
        a_visit(school.id, start=MONDAY - hour, minutes=90),  # Tom's, overlapping the hour but before the week
        a_visit(school.id, teacher="U07GORDON", visitors=("U04AMY",), start=MONDAY),
        a_visit(school.id, start=MONDAY + timedelta(days=1)),
        a_visit(school.id, start=MONDAY, status=VisitStatus.DECLINED),
    )
    statements = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with store.uow() as uow:
        booked, busy = uow.visits.for_plan(school.id, "U03TOM", week, BUSY_STATUSES, ["U03TOM", "U04AMY"],
                                           (MONDAY, MONDAY + hour), BUSY_STATUSES)
    assert [v.id for v in booked] == [tomorrow.id]
    assert [v.id for v in busy] == [earlier.id, amy_visited.id]
    assert declined.id not in {v.id for v in booked + busy}
    assert len([text for text in statements if "visits" in text]) == 1


def test_involving_finds_overlaps_as_teacher_or_visitor(store, school):
    hour = timedelta(hours=1)
    tom_taught, amy_visited, touching_before, touching_after, gordon, cancelled = add(
        store,
        a_visit(school.id, start=MONDAY, minutes=60),
        a_visit(school.id, teacher="U07GORDON", visitors=("U04AMY", "U01HEAD"), start=MONDAY + hour / 2),
        a_visit(school.id, teacher="U03TOM", start=MONDAY - hour, minutes=60),
        a_visit(school.id, teacher="U04AMY", start=MONDAY + hour, minutes=30),
        a_visit(school.id, teacher="U07GORDON", visitors=("U01HEAD",), start=MONDAY),
        a_visit(school.id, teacher="U04AMY", start=MONDAY, status=VisitStatus.CANCELLED),
    )
    with store.uow() as uow:
        found = uow.visits.involving(school.id, ["U03TOM", "U04AMY"], MONDAY, MONDAY + hour, BUSY_STATUSES)
        by_visitor = uow.visits.involving(school.id, iter(["U01HEAD"]), MONDAY, MONDAY + hour, BUSY_STATUSES)
        nobody = uow.visits.involving(school.id, [], MONDAY, MONDAY + hour, BUSY_STATUSES)
    assert [v.id for v in found] == [tom_taught.id, amy_visited.id]
    assert [v.id for v in by_visitor] == [tom_taught.id, gordon.id, amy_visited.id]
    assert nobody == []


def test_of_person_lists_teaching_and_visiting_soonest_first(store, school):
    later, past, visiting, soon = add(
        store,
        a_visit(school.id, start=MONDAY + timedelta(days=3)),
        a_visit(school.id, start=MONDAY - timedelta(days=3)),
        a_visit(school.id, teacher="U04AMY", visitors=("U03TOM",), start=MONDAY + timedelta(days=1)),
        a_visit(school.id, start=MONDAY),
    )
    with store.uow() as uow:
        found = uow.visits.of_person(school.id, "U03TOM", MONDAY)
    assert [v.id for v in found] == [soon.id, visiting.id, later.id]


def _plan(store, query) -> str:
    """The query plans of every SELECT `query` sends, PostgreSQL told to avoid full scans where it can."""
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with store.uow() as uow:
        event.listen(store.engine, "before_cursor_execute", remember)
        try:
            query(uow)
        finally:
            event.remove(store.engine, "before_cursor_execute", remember)
    assert statements
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        return "\n".join(
            str(row[-1]) for statement, parameters in statements
            for row in conn.exec_driver_sql(explain + statement, parameters)
        )


@pytest.mark.parametrize(
    "query, indexes",
    [
        (lambda uow, s: uow.visits.for_plan(s, "U03TOM", (MONDAY, MONDAY + timedelta(days=7)), BUSY_STATUSES,
                                            ["U03TOM", "U04AMY"], (MONDAY, MONDAY + timedelta(days=1)), BUSY_STATUSES),
         ["ix_visits_teacher_school_id_start_at", "ix_visit_visitors_chat_id"]),
        (lambda uow, s: uow.visits.involving(s, ["U03TOM", "U04AMY"], MONDAY, MONDAY + timedelta(days=1), BUSY_STATUSES),
         ["ix_visits_teacher_school_id_start_at", "ix_visit_visitors_chat_id"]),
        (lambda uow, s: uow.visits.of_person(s, "U04AMY", MONDAY),
         ["ix_visits_teacher_school_id_start_at", "ix_visit_visitors_chat_id"]),
        (lambda uow, s: uow.notices.due(MONDAY), ["ix_notices_status_due_at"]),
    ],
    ids=["for_plan", "involving", "of_person", "due"],
)
def test_queries_use_indexes_not_full_scans(store, school, query, indexes):
    add(store, *(a_visit(school.id, start=MONDAY + timedelta(days=i), visitors=("U01HEAD", "U04AMY")) for i in range(5)))
    plan = _plan(store, lambda uow: query(uow, school.id))
    assert "Seq Scan" not in plan and not re.search(r"^SCAN ", plan, re.M), plan
    if store.engine.dialect.name == "sqlite":  # no statistics there, so the plan is fixed; PostgreSQL costs its own
        for index in indexes:
            assert index in plan, plan


# --- walks, notices, concerns, objections ------------------------------------------------------


def a_walk(school_id: int, **changes) -> Walk:
    day = date(2026, 11, 10)
    walk = Walk(
        id=None,
        school_id=school_id,
        planned_by="U01HEAD",
        day=day,
        start=datetime(2026, 11, 10, 9, 0, tzinfo=LONDON),
        end=datetime(2026, 11, 10, 11, 0, tzinfo=LONDON),
        focus="reading across the curriculum",
        walkers=("U01HEAD", "U07GORDON"),
        announce_at=datetime(2026, 11, 2, 8, 0, tzinfo=LONDON),
    )
    return replace(walk, **changes)


def test_walk_round_trip_update_and_between(store, school):
    with store.uow() as uow:
        walk = uow.walks.add(a_walk(school.id))
        later = uow.walks.add(a_walk(school.id, day=date(2027, 2, 2), start=datetime(2027, 2, 2, 9, tzinfo=UTC),
                                     end=datetime(2027, 2, 2, 10, tzinfo=UTC), walkers=()))
        uow.commit()
    assert walk == replace(a_walk(school.id), id=walk.id)
    with store.uow() as uow:
        assert uow.walks.get(school.id, walk.id) == walk
        assert uow.walks.get(school.id + 1, walk.id) is None
        uow.walks.update(replace(walk, walkers=("U07GORDON", "U04AMY"), cancelled=True))
        uow.commit()
    with store.uow() as uow:
        stored = uow.walks.get(school.id, walk.id)
        assert stored.walkers == ("U07GORDON", "U04AMY") and stored.cancelled
        assert [w.id for w in uow.walks.between(school.id, date(2026, 11, 10), date(2027, 2, 2))] == [walk.id, later.id]
        assert [w.id for w in uow.walks.between(school.id, date(2026, 11, 11), date(2027, 2, 1))] == []
        with pytest.raises(NotFound):
            uow.walks.update(replace(walk, id=walk.id + 99))


def test_notices_due_sent_and_superseded(store, school):
    (visit,) = add(store, a_visit(school.id))
    with store.uow() as uow:
        walk = uow.walks.add(a_walk(school.id))
        notice = Notice(school.id, NoticeKind.REMINDER, "U01HEAD", MONDAY - timedelta(days=1), card("Tomorrow: visit"),
                        visit_id=visit.id)
        first = uow.notices.add(notice)
        second = uow.notices.add(replace(notice, due_at=MONDAY - timedelta(hours=1), card=card("In an hour")))
        tie = uow.notices.add(replace(notice, due_at=MONDAY - timedelta(hours=1), card=card("Also in an hour")))
        future = uow.notices.add(replace(notice, due_at=MONDAY + timedelta(minutes=1)))
        about_walk = uow.notices.add(Notice(school.id, NoticeKind.WALK_ANNOUNCEMENT, "C0STAFF", MONDAY - timedelta(days=2),
                                            card("Walk!"), walk_id=walk.id))
        uow.commit()
    assert first == replace(notice, id=first.id)
    with store.uow() as uow:
        assert [n.id for n in uow.notices.due(MONDAY)] == [about_walk.id, first.id, second.id, tie.id]
        assert [n.id for n in uow.notices.due(MONDAY, limit=2)] == [about_walk.id, first.id]
        uow.notices.mark_sent(first.id, MONDAY)
        uow.commit()
    with store.uow() as uow:
        assert first.id not in [n.id for n in uow.notices.due(MONDAY)]
        assert uow.notices.supersede(visit_id=visit.id) == 3  # second, tie, future; not the sent one
        assert uow.notices.supersede(walk_id=walk.id) == 1
        assert uow.notices.due(MONDAY + timedelta(days=1)) == []
        with pytest.raises(NotFound):
            uow.notices.mark_sent(future.id + 99, MONDAY)
        with pytest.raises(ValueError):
            uow.notices.supersede()
        uow.commit()
    with store.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, status FROM notices")).all())
        assert rows == {first.id: "sent", second.id: "superseded", tie.id: "superseded",
                        future.id: "superseded", about_walk.id: "superseded"}
        assert conn.scalar(text("SELECT attempts FROM notices WHERE id = :id"), {"id": first.id}) == 0


def test_concerns_and_objections(store, school):
    (visit,) = add(store, a_visit(school.id))
    at = datetime(2026, 9, 15, 12, 0, tzinfo=LONDON)
    with store.uow() as uow:
        concern = uow.concerns.add(Concern(None, school.id, "U03TOM", "U01HEAD", "Too many visits this week", at))
        objection = uow.objections.add(Objection(None, school.id, "U03TOM", "U07GORDON", "Conflict of interest", at))
        on_visit = uow.objections.add(Objection(None, school.id, "U03TOM", "U01HEAD", "Tired", at, visit_id=visit.id))
        uow.objections.add(Objection(None, school.id, "U04AMY", "U01HEAD", "Other teacher", at))
        uow.commit()
    assert concern.id is not None and concern.raised_at == at and concern.routed_to == "U01HEAD"
    with store.uow() as uow:
        assert uow.objections.for_teacher(school.id, "U03TOM") == [objection, on_visit]
        assert uow.objections.for_teacher(school.id + 1, "U03TOM") == []


# --- the unit of work --------------------------------------------------------------------------


def test_nothing_is_kept_without_commit(store, school):
    with store.uow() as uow:
        uow.visits.add(a_visit(school.id))
    with pytest.raises(RuntimeError):
        with store.uow() as uow:
            uow.visits.add(a_visit(school.id))
            raise RuntimeError("boom")
    with store.uow() as uow:
        assert uow.visits.of_person(school.id, "U03TOM", MONDAY - timedelta(days=1)) == []


def test_a_lost_database_is_unavailable_and_other_errors_are_not(store, school):
    lost = sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))
    with pytest.raises(Unavailable) as caught:
        with store.uow() as uow:
            uow.staff.all(school.id)
            raise lost
    assert str(caught.value) == (
        "The school's records can't be reached just now; nothing was changed. Please try again in a minute."
    )
    assert caught.value.__cause__ is lost
    with pytest.raises(sa_exc.IntegrityError):
        with store.uow() as uow:
            uow.staff.add(Staff(None, school.id, "U03TOM", "Tom again", frozenset()))


def test_a_dropped_postgres_connection_is_unavailable(postgres_url, demo_config):
    store = open_store(postgres_url)
    try:
        with store.uow() as uow:
            school = uow.schools.save(demo_config)
            uow.commit()
        with pytest.raises(Unavailable):
            with store.uow() as uow:
                pid = uow.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with store.engine.connect() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                uow.staff.all(school.id)
        with store.uow() as uow:  # the pool recovers
            assert len(uow.staff.all(school.id)) == 4
    finally:
        store.close()


def test_an_idle_pooled_connection_the_server_dropped_is_replaced_before_use(postgres_url, demo_config,
                                                                             monkeypatch):
    from storage import db

    store = open_store(postgres_url)
    try:
        with store.uow() as uow:
            school = uow.schools.save(demo_config)
            pid = uow.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            uow.commit()
        other = create_engine(postgres_url)  # the server restarted, or closed the idle connection
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # as if it had lain idle that long
        with store.uow() as uow:  # checked as it is taken: a fresh connection, and the request goes through
            assert len(uow.staff.all(school.id)) == 4
            assert uow.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        store.close()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgres_url):
    from storage.db import PINGED

    store = open_store(postgres_url)
    pinged: list[bool] = []
    event.listen(store.engine.pool, "checkout", lambda _c, record, _p: pinged.append(record.info[PINGED]))
    try:
        for _ in range(3):
            with store.uow() as uow:
                uow.session.execute(text("SELECT 1"))
        assert pinged == [False, False, False]
    finally:
        store.close()


def test_lock_makes_concurrent_bookings_for_one_teacher_take_turns(store, school):
    """20 people book Tom at once; the cap of 3 holds because each booking waits for the last."""
    threads, cap = 20, 3
    ready = threading.Barrier(threads)
    errors: list[BaseException] = []

    def book(i: int) -> None:
        try:
            ready.wait()
            with store.uow() as uow:
                uow.staff.lock(school.id, ["U03TOM"])
                booked, _ = uow.visits.for_plan(school.id, "U03TOM", (MONDAY, MONDAY + timedelta(days=30)),
                                                BUSY_STATUSES, [], (MONDAY, MONDAY), BUSY_STATUSES)
                time.sleep(0.01)  # widen the window a missing lock would leave open
                if len(booked) < cap:
                    uow.visits.add(a_visit(school.id, start=MONDAY + timedelta(hours=i)))
                uow.commit()
        except BaseException as err:  # reported below, not lost in the thread
            errors.append(err)

    workers = [threading.Thread(target=book, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    with store.uow() as uow:
        booked, _ = uow.visits.for_plan(school.id, "U03TOM", (MONDAY, MONDAY + timedelta(days=30)), VisitStatus,
                                        [], (MONDAY, MONDAY), VisitStatus)
        assert len(booked) == cap
