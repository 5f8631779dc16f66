"""The App Home's reads together (storage.repos.glance, over storage.repos.together): on SQLite and PostgreSQL, two
statements give exactly what the four reads they stand for give alone, for people with every kind of visit, walks
with walkers, and notices waiting to reach someone."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from notices_support import replayed_term_notices
from sqlalchemy import event, update

from bot.domain.model import Role
from storage.tables import NoticeRow

LONDON = ZoneInfo("Europe/London")
SINCE = datetime(2026, 9, 1, tzinfo=LONDON)
DAYS = (date(2026, 9, 1), date(2027, 7, 31))


@pytest.fixture
def term(store):
    replayed_term_notices(store)  # a spring term of the demo school, through the console
    with store.engine.begin() as conn:  # some notices wait to reach people walkbot cannot reach yet
        conn.execute(update(NoticeRow).where(NoticeRow.id % 3 == 0).values(waiting_for="slack.not_installed"))
        conn.execute(update(NoticeRow).where(NoticeRow.id % 5 == 0).values(waiting_for="teams.person"))
    return store


@pytest.mark.parametrize("since", [datetime(2027, 1, 1, tzinfo=LONDON), datetime(2027, 2, 1, tzinfo=LONDON)])
@pytest.mark.parametrize("each", [1, 3, 11])
def test_the_glance_reads_what_its_four_reads_read_alone(term, since, each):
    with term.uow() as uow:
        school = uow.schools.all()[0]
        staff = uow.staff.all(school.id)
        teachers = [s.chat_id for s in staff if s.has(Role.TEACHER)]
        assert uow.walks.between(school.id, *DAYS) and uow.notices.waiting(school.id)  # something of each to read
        for person in staff:
            starts = school.calendar.session_of(date(2027, 2, 1)).start
            glance = uow.glance.read(school.id, person.chat_id, since, each, teachers, starts, DAYS, waiting=True)
            assert glance.visits == uow.visits.of_person(school.id, person.chat_id, since, each=each)
            assert glance.counts == uow.visits.booked_by_teacher(school.id, teachers, starts)
            assert glance.walks == uow.walks.between(school.id, *DAYS)
            assert glance.waiting == uow.notices.waiting(school.id)
        assert any(uow.visits.of_person(school.id, p.chat_id, since, each=each) for p in staff)


def test_the_glance_is_two_statements_and_reads_no_waiting_unless_asked(term):
    said: list[str] = []
    event.listen(term.engine, "before_cursor_execute", lambda _c, _cur, text, *_: said.append(text))
    with term.uow() as uow:
        school = uow.schools.all()[0]
        said.clear()
        glance = uow.glance.read(school.id, "U03TOM", SINCE, 11, ["U03TOM"], school.calendar.session_of(date(2027, 2, 1)).start,
                                 DAYS, waiting=False)
    assert len([text for text in said if text.lstrip().upper().startswith(("SELECT", "WITH"))]) == 2
    assert glance.waiting == [] and not any("FROM notices" in text for text in said)


def test_a_glance_at_nothing_reads_nothing(term):
    with term.uow() as uow:
        school = uow.schools.all()[0]
        days = (DAYS[0].replace(year=2036), DAYS[1].replace(year=2037))
        glance = uow.glance.read(school.id, "U03TOM", SINCE + timedelta(days=3650), 11, [], days[0], days,
                                 waiting=False)
    assert (glance.visits, glance.counts, glance.walks, glance.waiting) == ([], {}, [], [])
