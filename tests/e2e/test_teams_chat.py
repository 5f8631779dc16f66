"""Teams: the command language typed in walkbot's personal chat, mentions as Teams sends them, team channels."""
from __future__ import annotations

import pytest
from teams_limits import buttons, cards_of, shown_text
from teams_support import (
    AMY,
    CHANNEL,
    RACHEL,
    STRANGER,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    mention,
    rows,
    teams_fixture,  # noqa: F401 (a fixture)
    walkbot_mention,
)

from bot.errors import Unavailable
from handlers.teams.listeners import CHAT_ME, ELSEWHERE, command
from storage.uow import UNAVAILABLE


def said(teams, person) -> str:
    return shown_text(teams.answered(person))


def test_a_typed_proposal_naming_the_teacher_by_a_teams_mention_asks_the_teacher(teams):
    answer = teams.say(RACHEL, 'propose <at>Tom Baker</at> Thu P3 30m kind formal focus "questioning" '
                               'feedback "after school"', entities=[mention(TOM)])
    assert answer.status == 200
    assert "Proposed #1 formal visit to Tom Baker's class, Thu 4 Feb 2027 at 11:10" in said(teams, RACHEL)
    notices = teams.notices("proposal")
    assert [n.recipient for n in notices] == [TOM.aad]  # the dispatcher takes it from here
    assert [a.id for a in notices[0].card.actions] == ["visit.agree.1", "visit.suggest.1", "visit.decline.1"]


def test_teams_html_escapes_are_read_back(teams):
    teams.say(RACHEL, "propose <at>Tom Baker</at> Thu P3 30m focus &quot;questions &amp; answers&quot;",
              entities=[mention(TOM)])
    assert "focus: questions & answers" in said(teams, RACHEL)


def test_a_mention_without_an_object_id_is_the_person_walkbot_knows_by_their_teams_id(teams):
    teams.install(TOM)
    teams.say(RACHEL, "propose <at>Tom Baker</at> Thu P3 30m", entities=[mention(TOM, aad=False)])
    assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad]


def test_a_mention_walkbot_cannot_tell_is_no_one_on_the_staff_list(teams):
    teams.say(RACHEL, "propose <at>Amy Chen</at> Thu P3 30m", entities=[mention(AMY, aad=False)])
    assert not teams.notices("proposal")
    assert "Proposed" not in said(teams, RACHEL)


@pytest.mark.parametrize("typed", ["list", "visit list", "/visit list", "  Visit   LIST "])
def test_commands_come_with_or_without_visit_in_front(teams, typed):
    teams.say(RACHEL, typed)
    assert said(teams, RACHEL) == "You have no visits coming up and nothing awaits your answer."


def test_the_command_language_as_the_router_takes_it():
    assert command("agree 12") == "/visit agree 12"
    assert command("visit agree 12") == "/visit agree 12"
    assert command("/visit agree 12") == "/visit agree 12"
    assert command("walk list") == "/walk list"
    assert command("/walk plan 2027-02-10 09:00-11:00") == "/walk plan 2027-02-10 09:00-11:00"
    assert command("hello there") == "/visit help"
    assert command("") == "/visit "


def test_limits_list_help_and_home(teams):
    teams.say(RACHEL, "propose @tom Thu P3 30m")
    teams.say(TOM, "limits")
    assert "of 3 observations" in said(teams, TOM)
    teams.say(TOM, "list")
    assert "#1 peer visit to Tom Baker's class" in said(teams, TOM)
    teams.say(TOM, "help")
    assert "Commands:" in said(teams, TOM)
    teams.say(TOM, "home")
    home = teams.answered(TOM)
    assert "walkbot · Durants Teams School" in shown_text(home)
    assert "Your allowance, session 2026-27" in shown_text(home)
    assert {"propose.open", "visit.agree.1"} <= {b["verb"] for b in buttons(home)}
    teams.say(TOM, "walk list")
    assert "walk" in said(teams, TOM).lower()


def test_words_that_are_no_command_get_the_help(teams):
    teams.say(TOM, "good morning walkbot")
    assert "Commands:" in said(teams, TOM)


def test_someone_not_on_the_staff_list_is_told_and_nothing_changes(teams):
    before = rows(teams.store)
    teams.say(STRANGER, "propose @tom Thu P3 30m")
    assert "not on Durants Teams School's staff list" in said(teams, STRANGER)
    assert rows(teams.store) == before


def test_a_message_that_does_not_say_who_sent_it_does_nothing(teams):
    activity = teams.activity("message", RACHEL, text="propose @tom Thu P3 30m")
    del activity["from"]["aadObjectId"]
    before = rows(teams.store)
    teams.post(activity)
    assert rows(teams.store) == before
    assert "can't tell who you are" in said(teams, RACHEL)


# --- team channels ---------------------------------------------------------------------------------------------------

def test_a_channel_message_that_does_not_mention_walkbot_is_ignored(teams):
    before = rows(teams.store)
    answer = teams.say(RACHEL, "propose @tom Thu P3 30m", conversation=CHANNEL, conversation_type="channel")
    assert answer.status == 200
    assert teams.connector.sent == []
    assert rows(teams.store) == before


def test_a_channel_message_mentioning_someone_else_is_ignored(teams):
    teams.say(RACHEL, "<at>Tom Baker</at> list", entities=[mention(TOM)], conversation=CHANNEL,
              conversation_type="channel")
    assert teams.connector.sent == []


def test_in_a_channel_walkbot_answers_when_mentioned_and_in_the_persons_own_chat(teams):
    teams.install(RACHEL)
    teams.connector.clear()
    teams.say(RACHEL, "<at>walkbot</at> propose <at>Tom Baker</at> Thu P3 30m",
              entities=[walkbot_mention(), mention(TOM)], conversation=CHANNEL, conversation_type="channel")
    assert "Proposed #1" in said(teams, RACHEL)  # in her personal chat, not the channel
    channel = [s for s in teams.connector.sent if s.conversation.startswith(CHANNEL)]
    assert len(channel) == 1 and shown_text(channel[0].activity["attachments"][0]["content"]) == ELSEWHERE
    assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad]


def test_in_a_channel_someone_walkbot_cannot_write_to_privately_is_asked_to_chat(teams):
    teams.say(TOM, "<at>walkbot</at> limits", entities=[walkbot_mention()], conversation=CHANNEL,
              conversation_type="channel")
    sent = teams.connector.sent
    assert len(sent) == 1 and sent[0].conversation.startswith(CHANNEL)
    assert shown_text(sent[0].activity["attachments"][0]["content"]) == CHAT_ME


def test_the_database_out_of_reach_is_said_in_a_sentence_never_a_500(teams, monkeypatch):
    def down(tenant):
        raise Unavailable(UNAVAILABLE)

    monkeypatch.setattr(teams.runtime.listeners.tenancy, "schools", down)
    assert teams.say(RACHEL, "list").status == 200
    assert said(teams, RACHEL) == UNAVAILABLE
    pressed = teams.press(TOM, {"verb": "visit.agree.1", "data": {"visit": 1, "at": None}})
    assert pressed.status == 200 and pressed.toast == UNAVAILABLE
    assert teams.fetch(TOM, {"action": "visit.suggest.1", "visit": 1}).body["task"]["value"] == UNAVAILABLE


def test_an_answer_teams_throttles_goes_through_the_outbox_and_none_is_lost(teams):
    """Teams takes 7 messages a second, 8 in two, in one chat: a burst of commands gets every answer, those past the
    limit written as notices due once Retry-After has passed, for the dispatcher to send."""
    for n in range(10):
        assert teams.say(TOM, "limits").status == 200
    answered = [s for s in teams.connector.to(TOM.chat) if "observations used this year" in shown_text_of(s)]
    later = teams.notices("answer", TOM.aad)
    assert teams.connector.throttled and later  # Teams said 429 to some...
    assert len(answered) + len(later) == 10  # ...and each of those waits in the outbox: nothing unsaid
    assert all(n.due_at > teams.clock.now() and "observations used this year" in n.text for n in later)


def shown_text_of(sent) -> str:
    return " ".join(shown_text(card) for card in cards_of(sent.activity))
