"""Who a concern, an objection or a report of unsafe practice reaches, in the cases the console scripts leave out
(tests/e2e/test_routing_console.py has the main ones), and what is kept of each: on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.chat.router import Walkbot
from bot.domain.clock import FixedClock
from bot.domain.model import NoticeKind, ObjectionStatus
from bot.domain.school import parse_school_config
from handlers.wiring import read_school_file

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 1, 11, 8, 30, tzinfo=LONDON)
STAFF = [
    {"id": "U01HEAD", "handle": "rachel", "name": "Rachel Carli", "roles": ["head", "teacher"]},
    {"id": "U02DEPUTY", "handle": "daniela", "name": "Daniela Barzanti", "roles": ["slt", "teacher"],
     "line_manager": "U01HEAD"},
    {"id": "U03TOM", "handle": "tom", "name": "Tom Baker", "roles": ["teacher"], "line_manager": "U02DEPUTY"},
    {"id": "U04AMY", "handle": "amy", "name": "Amy Chen", "roles": ["teacher"], "line_manager": "U02DEPUTY"},
    {"id": "U07GORDON", "handle": "gordon", "name": "Gordon Reid", "roles": ["governor"]},
]


class School:
    def __init__(self, store, staff=STAFF, **school):
        config = read_school_file(None)
        config["school"].update(school)
        config["staff"] = staff
        with store.uow() as uow:
            self.id = uow.schools.save(parse_school_config(config)).id
            uow.commit()
        self.store, self.clock = store, FixedClock(NOW)
        self.bot = Walkbot(uow_factory=store.uow, clock=self.clock)

    def say(self, actor: str, text: str) -> str:
        return self.bot.handle(text, school_id=self.id, actor=actor).text

    def told(self, kind: NoticeKind) -> list[str]:
        with self.store.uow() as uow:
            return [n.recipient for n in uow.notices.listing(["pending"]) if n.kind == kind]


def test_co_heads_are_both_told_of_a_concern_and_the_first_by_name_resolves_an_objection(store):
    co_head = {"id": "U08MAYA", "handle": "maya", "name": "Maya Hart", "roles": ["head"]}
    school = School(store, [*STAFF, co_head])
    said = school.say("U03TOM", '/visit concern about @daniela "x"')
    assert "passed to Maya Hart, Rachel Carli (head teacher)" in said
    assert sorted(school.told(NoticeKind.CONCERN)) == ["U01HEAD", "U08MAYA"]
    school.say("U02DEPUTY", '/visit propose @tom 2027-01-14 P2 30m kind formal focus "questioning" feedback "later"')
    assert "Maya Hart (head teacher) has been asked" in school.say("U03TOM", '/visit object 1 "line manager"')
    assert school.told(NoticeKind.OBJECTION) == ["U08MAYA"]
    assert school.say("U01HEAD", '/visit object 1 resolve "x"') == \
        "There is no open objection on visit #1 for you to resolve."


def test_with_no_head_on_the_list_slt_stand_in_leaving_out_whom_it_concerns(store):
    staff = [{**person, "roles": ["slt", "teacher"]} if person["id"] == "U01HEAD" else person for person in STAFF]
    school = School(store, staff)
    said = school.say("U03TOM", '/visit concern about @daniela "drop-ins"')
    assert said.startswith("Your concern has been passed to Rachel Carli (SLT: the staff list names no head teacher)")
    assert school.told(NoticeKind.CONCERN) == ["U01HEAD"]


def test_a_school_whose_concerns_do_not_go_to_line_managers_sends_them_to_the_head(store):
    school = School(store, overrides={"concerns_to_line_manager": {"value": False, "agreed_by": "SNC",
                                                                    "agreed_on": "2026-09-01"}})
    assert "Rachel Carli (head teacher)" in school.say("U03TOM", '/visit concern "too many drop-ins"')


def test_what_is_kept_of_an_objection_and_a_concern(store):
    school = School(store, escalation={"head": "U07GORDON"})
    school.say("U04AMY", '/visit propose @tom 2027-01-14 P2 30m kind formal focus "questioning" feedback "later"')
    school.say("U03TOM", '/visit object 1 "we have history"')
    school.say("U03TOM", '/visit concern about @amy "she visits too often"')
    with store.uow() as uow:
        [objection] = uow.objections.for_teacher(school.id, "U03TOM")
        assert (objection.observer, objection.routed_to, objection.status) == ("U04AMY", "U02DEPUTY",
                                                                               ObjectionStatus.OPEN)
    school.clock.set(datetime(2027, 1, 12, 9, 0, tzinfo=LONDON))
    assert school.say("U02DEPUTY", '/visit object 1 resolve "we agreed Amy visits with Sam"').startswith("Resolved")
    with store.uow() as uow:
        assert uow.objections.for_teacher(school.id, "U03TOM") == []  # settled: no longer stops a booking
        assert uow.objections.open_on_visit(school.id, 1) == []
    with store.engine.connect() as conn:
        status, settled_at, resolution = conn.exec_driver_sql(
            "SELECT status, settled_at, resolution FROM objections").one()
        about, routed_to = conn.exec_driver_sql("SELECT about, routed_to FROM concerns").one()
    assert (status, resolution) == ("resolved", "we agreed Amy visits with Sam") and settled_at is not None
    assert (about, routed_to) == ("U04AMY", "U02DEPUTY")


@pytest.mark.parametrize("typed", ['/visit object 1 withdraw', '/visit object 1 @amy withdraw'])
def test_withdraw_may_name_the_observer_and_a_reason_may_start_with_the_word(store, typed):
    school = School(store)
    school.say("U04AMY", '/visit propose @tom 2027-01-14 P2 30m kind formal focus "questioning" feedback "later"')
    assert school.say("U03TOM", '/visit object 1 withdraw from my lessons please').startswith("Recorded")
    assert school.say("U03TOM", typed).startswith("Withdrawn: your objection to Amy Chen")
    assert school.told(NoticeKind.OBJECTION_WITHDRAWN) == ["U02DEPUTY"]
