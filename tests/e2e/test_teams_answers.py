"""Teams: answering on the card. The teacher's buttons are taken from the very card walkbot would send them (the
outbox notice's card, drawn by handlers.teams.cards), pressed as Teams invokes them; the forms behind Suggest,
Decline and Propose work in a dialog (task/fetch, task/submit) and in place of the card."""
from __future__ import annotations

from teams_limits import buttons, cards_of, shown_text
from teams_support import (
    AMY,
    RACHEL,
    TOM,
    connector_fixture,  # noqa: F401 (a fixture)
    execute_of,
    rows,
    teams_fixture,  # noqa: F401 (a fixture)
)

from bot.domain.model import VisitStatus
from handlers.teams import cards
from handlers.teams.answers import NOT_SLT_WALK

MESSAGE_ID = "1000000000777"  # the id Teams gave the notice's message in Tom's chat


def propose(teams, text: str = "propose @tom Thu P3 30m") -> dict:
    """Rachel proposes; the card Tom would be sent, as the dispatcher would send it (its outbox row, drawn)."""
    teams.say(RACHEL, text)
    notices = teams.notices("proposal", TOM.aad)
    assert len(notices) == 1, [n.kind for n in teams.notices()]
    return cards_of(cards.message(notices[0].card))[0]


def visit(teams, visit_id: int = 1):
    with teams.store.uow() as uow:
        school = uow.schools.all()[0]
        return uow.visits.get(school.id, visit_id)


def submit_of(card: dict, action: str) -> dict:
    found = [b for b in buttons(card) if b.get("type") == "Action.Submit" and b.get("id") == action]
    assert len(found) == 1, f"no {action}: {[b.get('id') for b in buttons(card)]}"
    return found[0]


def task_fetch_data(card: dict, verb: str) -> dict:
    """What an Action.Submit opening a dialog for this button would carry (cards.submit): its id and data."""
    pressed = execute_of(card, verb)
    return {"action": pressed["id"], **pressed["data"]}


# --- Agree, Accept, Withdraw --------------------------------------------------------------------------------------

def test_the_teachers_agree_from_the_card_they_are_sent_agrees_and_settles_the_card(teams):
    card = propose(teams)
    agree = execute_of(card, "visit.agree")
    assert agree["verb"] == "visit.agree.1" and agree["data"]["visit"] == 1 and agree["data"]["at"]
    answer = teams.press(TOM, agree, message_id=MESSAGE_ID)
    assert answer.status == 200
    assert visit(teams).status is VisitStatus.AGREED
    settled = answer.card
    assert buttons(settled) == []  # whoever sees it sees the outcome, nothing left to press
    assert "#1 peer visit to Tom Baker's class" in shown_text(settled)
    assert "agreed" in shown_text(settled).lower()


def test_pressing_agree_again_shows_where_the_visit_stands_and_changes_nothing(teams):
    agree = execute_of(propose(teams), "visit.agree")
    teams.press(TOM, agree)
    before = rows(teams.store)
    again = teams.press(TOM, agree)
    assert buttons(again.card) == [] and "agreed" in shown_text(again.card).lower()
    assert rows(teams.store) == before


def test_an_agree_for_a_time_the_visit_no_longer_has_does_not_agree_it(teams):
    agree = execute_of(propose(teams), "visit.agree")
    stale = {**agree, "data": {**agree["data"], "at": agree["data"]["at"] - 86400}}  # a card showing another time
    answer = teams.press(TOM, stale)
    assert answer.toast
    assert visit(teams).status is VisitStatus.PROPOSED


def test_someone_else_pressing_the_teachers_agree_is_told_why_not_and_nothing_changes(teams):
    agree = execute_of(propose(teams), "visit.agree")
    teams.install(AMY)  # her chat stored: pressing changes nothing, not even that
    before = rows(teams.store)
    answer = teams.press(AMY, agree)
    assert answer.toast and rows(teams.store) == before


def test_a_button_walkbot_did_not_make_does_nothing(teams):
    propose(teams)
    teams.install(TOM)
    before = rows(teams.store)
    for verb, data in (("visit.agree.1", {"visit": "1"}), ("visit.agree.1", {"visit": True}),
                       ("visit.obliterate.1", {"visit": 1}), (None, {})):
        assert "can't tell which visit" in teams.press(TOM, {"verb": verb, "data": data}).toast
    assert rows(teams.store) == before


def test_the_visitor_accepts_the_suggested_time_from_their_card(teams):
    card = propose(teams)
    form = teams.press(TOM, execute_of(card, "visit.suggest")).card
    teams.press(TOM, execute_of(form, "suggest.submit"), inputs={"date": "2027-02-05", "time": "11:10"})
    assert visit(teams).status is VisitStatus.COUNTERED
    countered = [n for n in teams.notices(recipient=RACHEL.aad) if n.card.actions]
    accept = execute_of(cards_of(cards.message(countered[-1].card))[0], "visit.accept")
    answer = teams.press(RACHEL, accept)
    assert visit(teams).status is VisitStatus.AGREED
    assert buttons(answer.card) == []


# --- Suggest and Decline in a dialog ----------------------------------------------------------------------------

def test_suggest_in_a_dialog_and_the_message_it_came_from_is_settled(teams):
    card = propose(teams)
    opened = teams.fetch(TOM, task_fetch_data(card, "visit.suggest"), message_id=MESSAGE_ID)
    form = opened.dialog
    assert {i["id"] for i in form["body"] if i["type"].startswith("Input.")} == {"date", "time"}
    done = teams.submit(TOM, form, inputs={"date": "2027-02-05", "time": "11:10"}, message_id=MESSAGE_ID)
    assert done.body["task"]["type"] == "message" and "suggested" in done.body["task"]["value"]
    assert visit(teams).status is VisitStatus.COUNTERED
    update = teams.connector.last(TOM.chat)
    assert (update.method, update.activity_id) == ("PUT", MESSAGE_ID)
    assert buttons(cards_of(update.activity)[0]) == []
    assert "Another time suggested: Fri 5 Feb 2027 at 11:10" in shown_text(cards_of(update.activity)[0])


def test_a_refused_suggestion_comes_back_in_the_dialog_with_its_clause_and_the_nearest_times(teams):
    card = propose(teams)
    form = teams.fetch(TOM, task_fetch_data(card, "visit.suggest")).dialog
    before = rows(teams.store)
    refused = teams.submit(TOM, form, inputs={"date": "2027-02-06", "time": "11:10"})  # a Saturday
    again = refused.dialog
    assert rows(teams.store) == before
    assert "Sat 6 Feb 2027 is a weekend" in shown_text(again)
    times = [b for b in buttons(again) if str(b.get("id")).startswith("suggest.at.")]
    assert [b["type"] for b in times] == ["Action.Submit"] * 3
    assert times[0]["data"]["local"] == "2027-02-05T11:10"
    done = teams.submit(TOM, again, times[0], inputs={"date": "2027-02-06", "time": "11:10"},
                        message_id=MESSAGE_ID)
    assert done.body["task"]["type"] == "message"
    assert visit(teams).status is VisitStatus.COUNTERED
    assert visit(teams).suggested_start.isoformat().startswith("2027-02-05T11:10")


def test_decline_in_a_dialog_needs_a_reason(teams):
    card = propose(teams)
    form = teams.fetch(TOM, task_fetch_data(card, "visit.decline")).dialog
    empty = teams.submit(TOM, form, inputs={"reason": "   "}).dialog
    assert "Say why, so the visitor understands." in shown_text(empty)
    assert visit(teams).status is VisitStatus.PROPOSED
    done = teams.submit(TOM, empty, inputs={"reason": "Mock exams that week"}, message_id=MESSAGE_ID)
    assert done.body["task"]["type"] == "message"
    assert visit(teams).status is VisitStatus.DECLINED
    assert teams.connector.last(TOM.chat).method == "PUT"


def test_a_dialog_walkbot_did_not_make_does_nothing(teams):
    propose(teams)
    teams.install(TOM)
    before = rows(teams.store)
    assert "can't tell" in teams.fetch(TOM, {"action": "visit.suggest.1", "visit": "one"}).body["task"]["value"]
    assert "can't tell" in teams.post(teams.activity("invoke", TOM, name="task/submit", value={
        "data": {"form": "suggest", "action": "suggest.submit", "date": "2027-02-05", "time": "11:10"}})
    ).body["task"]["value"]
    assert rows(teams.store) == before


# --- the same forms in place of the card ----------------------------------------------------------------------

def test_suggest_from_the_message_replaces_its_card_with_the_form_and_then_the_outcome(teams):
    card = propose(teams)
    form = teams.press(TOM, execute_of(card, "visit.suggest")).card
    refused = teams.press(TOM, execute_of(form, "suggest.submit"), inputs={"date": "2027-02-06", "time": "11:10"})
    assert "Sat 6 Feb 2027 is a weekend" in shown_text(refused.card)
    settled = teams.press(TOM, execute_of(refused.card, "suggest.at.0"), inputs={"date": "2027-02-06",
                                                                                  "time": "11:10"})
    assert buttons(settled.card) == []
    assert "Another time suggested: Fri 5 Feb 2027 at 11:10" in shown_text(settled.card)


# --- proposing and planning from the Home card --------------------------------------------------------------

def test_a_refused_proposal_in_the_dialog_offers_the_nearest_times_and_one_is_proposed(teams):
    teams.say(RACHEL, "home")
    home = teams.answered(RACHEL)
    form = teams.fetch(RACHEL, task_fetch_data(home, "propose.open")).dialog
    teacher = next(i for i in form["body"] if i.get("id") == "teacher")
    assert {c["value"] for c in teacher["choices"]} >= {TOM.aad, AMY.aad}
    values = {"teacher": TOM.aad, "date": "2027-02-02", "time": "11:10", "minutes": "30", "kind": "peer"}
    before = rows(teams.store)
    again = teams.submit(RACHEL, form, inputs=values).dialog  # tomorrow: under two school days' notice
    assert rows(teams.store) == before
    text = shown_text(again)
    assert "at least 2 school days' notice" in text and "agreed by Test SNC" in text
    first = submit_of(again, "propose.at.0")
    done = teams.submit(RACHEL, again, first, inputs=values)
    assert "Proposed #1" in done.body["task"]["value"]
    assert [n.recipient for n in teams.notices("proposal")] == [TOM.aad]


def test_propose_from_the_home_card_in_place(teams):
    teams.say(RACHEL, "home")
    form = teams.press(RACHEL, execute_of(teams.answered(RACHEL), "propose.open")).card
    done = teams.press(RACHEL, execute_of(form, "propose.submit"),
                       inputs={"teacher": AMY.aad, "date": "2027-02-04", "time": "11:10", "minutes": "30",
                               "kind": "peer", "focus": "group work"})
    assert "Proposed #1 peer visit to Amy Chen's class" in shown_text(done.card)
    assert [n.recipient for n in teams.notices("proposal")] == [AMY.aad]


def test_only_slt_open_the_learning_walk_form(teams):
    answer = teams.fetch(TOM, {"action": "walk.open", "visit": None, "at": None})
    assert answer.body["task"]["value"] == NOT_SLT_WALK
    assert teams.fetch(RACHEL, {"action": "walk.open", "visit": None, "at": None}).dialog
