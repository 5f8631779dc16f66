"""Block Kit payloads: every one is built with slack_sdk's models and checked by them (lengths, counts),
and long or odd texts are clipped and escaped so Slack never rejects a message, a form or the App Home."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.model import Notice, Role, Staff, Visit, VisitKind, VisitStatus
from bot.overview import Overview, TeacherCounts
from bot.results import Allowance, VisitList
from bot.router import Walkbot
from bot.rules import Usage
from handlers.console import Console
from handlers.slack import modals
from handlers.slack.blocks import SECTION_MAX, mrkdwn, notice_message, reply_message, settled_message
from handlers.slack.home import home_view
from handlers.wiring import load_school
from storage import open_store
from storage.tables import NoticeRow

TERM = Path(__file__).parent / "data" / "spring_term.txt"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def school(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'walkbot.db'}")
    yield store, load_school(store, None)
    store.close()


def lengths_ok(message: dict) -> None:
    assert len(message["text"]) <= 4000 and len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_MAX


def test_every_notice_of_a_whole_term_renders_as_a_valid_message(school):
    store, demo = school
    clock = FixedClock(datetime(2027, 1, 11, 8, 30, tzinfo=LONDON))
    with store.uow() as uow:
        rachel = uow.staff.find(demo.id, "@rachel")
    console = Console(bot=Walkbot(uow_factory=store.uow, clock=clock), store=store, school=demo, clock=clock,
                      actor=rachel)
    for line in TERM.read_text().splitlines():
        console.say(line)
    with store.engine.connect() as conn:
        notices = [Notice(school_id=r.school_id, kind=r.kind, recipient=r.recipient, due_at=r.due_at, text=r.text,
                          visit_id=r.visit_id, walk_id=r.walk_id) for r in conn.execute(select(NoticeRow))]
    kinds = {n.kind for n in notices}
    assert {"proposal", "suggestion", "agreed", "walk.announcement"} <= kinds, kinds
    for notice in notices:
        message = notice_message(notice)  # to_dict() inside checks every length and count
        lengths_ok(message)
        has_buttons = any(b["type"] == "actions" for b in message["blocks"])
        assert has_buttons == (notice.kind in ("proposal", "suggestion")), notice


def test_a_very_long_notice_is_clipped_not_rejected():
    text = ("Focus: " + "a very long focus " * 400 + "\n") * 3
    for kind in ("proposal", "walk.announcement", "agreed"):
        message = notice_message(Notice(school_id=1, kind=kind, recipient="U1", due_at=datetime.now(LONDON),
                                        text=text, visit_id=7))
        lengths_ok(message)
    assert len(reply_message("x" * 100_000)["blocks"][0]["text"]["text"]) == SECTION_MAX
    many = reply_message("\n".join(["x" * 2000] * 100))
    assert len(many["blocks"]) == 10 and many["blocks"][-1]["text"]["text"].startswith("… (cut short")


def test_text_is_escaped_but_mentions_stay_mentions():
    assert mrkdwn("Year 7 & 8 <b>, ask <@U03TOM|tom>") == "Year 7 &amp; 8 &lt;b&gt;, ask <@U03TOM|tom>"
    clipped = mrkdwn("&" * 50, 20)
    assert len(clipped) <= 20 and clipped.endswith("&amp;…")  # never half an escape


def test_forms_hold_the_longest_values_people_can_type(school):
    _, demo = school
    long = "x" * 2000
    view = modals.propose_view(demo, {"focus": long, "feedback": long, "pro_forma": "https://e.g/" + "p" * 2000})
    view.to_dict()
    trouble = modals.Trouble(fields={"focus": long * 2}, general=(long * 3,), headline="No",
                             alternatives=(("Propose " + long, "2027-02-03T09:50"),))
    answer = trouble.ack(lambda t: modals.propose_view(demo, {}, t))
    assert answer["response_action"] == "update" and len(answer["view"].to_dict()["blocks"]) <= 100


def test_the_home_tab_stays_within_slacks_hundred_blocks(school):
    _, demo = school
    start = datetime(2027, 2, 4, 9, 0, tzinfo=LONDON)
    me = Staff(1, demo.id, "U03TOM", "Tom Baker", frozenset({Role.TEACHER, Role.SLT}))
    visits = tuple(Visit(i, demo.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.PEER, start + timedelta(days=i), 20,
                         VisitStatus.PROPOSED, focus="f" * 2000) for i in range(1, 60))
    listing = VisitList(demo, {"U03TOM": "Tom Baker"}, visits, visits, visits, visits)
    allowance = Allowance(me, demo.calendar.sessions[0], (), ())
    usage = (Usage("observations used this year", 1, 3, "observations_per_year"),
             Usage("minutes", 30, 180, "observation_minutes_per_year"))
    teachers = tuple(TeacherCounts(Staff(n, demo.id, f"U{n}", f"Teacher Number {n}", me.roles), usage)
                     for n in range(200))
    view = home_view(Overview(demo, me, listing, allowance, (), teachers), flash="y" * 5000).to_dict()
    assert len(view["blocks"]) <= 100
    shown = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "Teacher Number 149: 1 of 3" in shown and "… and 50 more" in shown


def test_a_settled_message_has_no_buttons(school):
    _, demo = school
    visit = Visit(3, demo.id, "U03TOM", ("U05SAM",), "U05SAM", VisitKind.FORMAL,
                  datetime(2027, 2, 4, 11, 10, tzinfo=LONDON), 30, VisitStatus.DECLINED, reason="exams <soon>")
    message = settled_message(demo, visit, {"U03TOM": "Tom Baker", "U05SAM": "Sam Patel"})
    assert [b["type"] for b in message["blocks"]] == ["section", "context"]
    assert message["blocks"][1]["elements"][0]["text"] == "Declined: “exams &lt;soon&gt;”"
