"""The staff list kept from chat (/visit staff ...): SLT only; school.yml re-loads keep who SLT added."""
from __future__ import annotations

from bot.usecases import commands as c
from handlers.wiring import load_school

NIA = '/visit staff add @U09NIA "Nia Jones" roles teacher,promoted manager @rachel handle nia'


def active(chat) -> set[str]:
    with chat.store.uow() as uow:
        return {s.chat_id for s in uow.staff.all(chat.school.id)}


def test_slt_add_someone_who_is_told_and_can_then_use_walkbot(chat):
    reply = chat.say(NIA)
    assert reply.startswith("Added Nia Jones to Durants Demo School's staff list (promoted, teacher, line manager "
                            "Rachel Carli). They have been told.")
    assert "→ Nia Jones: Rachel Carli added you to Durants Demo School's staff list in walkbot" in reply
    chat.say("as @nia")
    assert chat.say("/visit limits").startswith("Nia Jones, session 2026-27: 0 of 3 observations")


def test_adding_someone_already_there_or_with_a_taken_handle_is_refused(chat):
    assert chat.say('/visit staff add @U03TOM "Tom Baker"') == "Tom Baker is already on the staff list (teacher)."
    assert "@tom is already Tom Baker's handle" in chat.say('/visit staff add @U09NIA "Nia" handle tom')
    assert "can't find @nobody" in chat.say('/visit staff add @U09NIA "Nia" manager @nobody')
    assert "U09NIA" not in active(chat)


def test_only_slt_keep_the_staff_list(chat):
    chat.say("as @tom")
    for command in (NIA, "/visit staff remove @amy", "/visit staff list"):
        assert chat.say(command) == "Only SLT can change or see the staff list."
    assert "U09NIA" not in active(chat) and "U04AMY" in active(chat)


def test_the_list_says_who_was_added_in_chat(chat):
    chat.say(NIA)
    listing = chat.say("/visit staff list")
    assert listing.startswith("Durants Demo School's staff list (8):")
    assert "@nia       Nia Jones (promoted, teacher) · line manager Rachel Carli · added in chat" in listing
    assert listing.endswith("@tom       Tom Baker (teacher) · line manager Daniela Barzanti")  # from school.yml


def test_people_added_in_chat_survive_a_school_yml_reload_and_removed_ones_listed_there_come_back(chat):
    chat.say(NIA)
    reply = chat.say("/visit staff remove @amy")
    assert reply.startswith("Took Amy Chen off Durants Demo School's staff list: they can no longer use walkbot")
    assert "still listed in school.yml, so loading it again brings them back" in reply
    assert "U04AMY" not in active(chat)
    load_school(chat.store, None)
    assert {"U09NIA", "U04AMY"} <= active(chat)


def test_someone_taken_off_and_added_again_is_back(chat):
    chat.say(NIA)
    assert "school.yml" not in chat.say("/visit staff remove @nia")  # the file never listed Nia
    assert chat.say(NIA.replace("handle nia", "")).startswith("Nia Jones is back on Durants Demo School's staff list")


def test_no_one_takes_themselves_off(chat):
    assert chat.say("/visit staff remove @rachel") == ("You can't take yourself off the staff list; ask another "
                                                       "member of SLT.")


def test_mistakes_in_the_command_are_explained(chat):
    assert "Say their full name" in chat.say("/visit staff add @U09NIA roles teacher")
    reply = chat.say('/visit staff add @U09NIA "N" roles wizard')
    assert "'wizard' is not a role; roles are teacher, promoted, slt" in reply
    assert "There is no command 'staff hire' after /visit" in chat.say("/visit staff hire @x")
    assert [line.split(" ")[2] for line in chat.say("/visit help staff").splitlines()
            if line.startswith("/visit")] == ["add", "remove", "list"]


def test_who_am_i_and_the_overview_read_as_text_too(chat):
    me = chat.bot.run(c.WhoAmI(school_id=chat.school.id, actor="U03TOM"), chat.school)
    assert me.text == "You are Tom Baker (teacher) on Durants Demo School's staff list."
    overview = chat.bot.run(c.ShowOverview(school_id=chat.school.id, actor="U01HEAD"), chat.school).text
    # The same card as the App Home: the console names the commands where Slack draws buttons.
    assert overview.startswith("walkbot · Durants Demo School\nStart with /visit propose, or /walk plan.")
    assert "Awaiting your answer:\nNothing awaits your answer." in overview
    assert "Visits per teacher this session:\n  Amy Chen: 0 of 3 observations used this year · 0 of 180 minutes" \
        in overview


def test_someone_taken_off_the_list_is_messaged_no_more(chat):
    chat.say("as @sam")
    chat.say('/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"')
    chat.say("as @tom")
    chat.say("/visit agree 1")  # Sam's reminders and the "was it held?" nudge are planned
    chat.say("as @rachel")
    assert chat.say("/visit staff remove @sam").startswith("Took Sam Patel off")
    shown = chat.say("advance to 2027-02-04T12:00")
    assert "→ Tom Baker: " in shown and "→ Sam Patel" not in shown
    with chat.store.uow() as uow:
        gone = [n for n in uow.notices.listing(["expired"]) if n.recipient == "U05SAM"]
    assert gone and all(n.last_error == "not sent: the recipient was taken off the staff list" for n in gone)


def test_the_overview_shows_the_soonest_of_many_coming_visits_and_says_where_the_rest_are(chat, store):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from bot.usecases.overview import SHOWN
    from storage.tables import VisitRow, VisitVisitorRow

    first = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
    visits = [dict(school_id=chat.school.id, teacher="U03TOM", proposer="U01HEAD", kind="formal", status="agreed",
                   start_at=first + timedelta(days=n), end_at=first + timedelta(days=n, minutes=30), minutes=30,
                   focus=f"visit {n}", created_at=first - timedelta(days=30)) for n in range(SHOWN + 5)]
    with store.engine.begin() as conn:
        ids = conn.execute(insert(VisitRow).returning(VisitRow.id, sort_by_parameter_order=True), visits).scalars()
        conn.execute(insert(VisitVisitorRow), [dict(visit_id=i, chat_id="U01HEAD", position=0) for i in ids])

    overview = chat.bot.run(c.ShowOverview(school_id=chat.school.id, actor="U01HEAD"), chat.school).text
    coming = overview.split("Coming up:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len([shown for shown in coming if shown.startswith("  #")]) == SHOWN
    assert "10 Feb" in coming[0]  # the soonest first
    assert "Only the soonest are shown here: say /visit list for all your visits." in overview
    listed = chat.bot.run(c.ListVisits(school_id=chat.school.id, actor="U01HEAD"), chat.school).text
    assert listed.count("formal visit") == SHOWN + 5 and "Only the soonest" not in listed
