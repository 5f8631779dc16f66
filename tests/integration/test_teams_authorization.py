"""Who may do what in Microsoft Teams: test_authorization's table, in its world, with its people and its
expectations, asked over HTTP of walkbot's real Teams endpoint (each activity's token signed as the Bot Framework
signs one, checked by the Teams SDK).

A typed command is said in the person's personal chat as Teams sends it: no slash, each @person a Teams mention.
A Slack button or form is done as Teams does it (TEAMS_WAYS): an Action.Execute pressed, taken from the very card
walkbot sends (the world's outbox notice about that visit, drawn by handlers.teams.cards, or the Home card); the
Suggest and Decline forms both in a dialog (task/fetch, then task/submit) and in place of the card. School A is
one Microsoft 365 tenant and school B another: "other_school" is Ben in his own tenant, "other_school_here" the
same Ben in ours.

Everyone has walkbot installed (as a setup policy installs it for all staff), and asks in their personal chat
with it. Whether the core allowed a request is what the router answered it (`Heard` keeps those replies);
everything else checked is what Teams shows the person: what a refusal says, that it gives nothing away, that
nothing changed.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from teams_hostile import seen, sent_since, served
from teams_limits import buttons, cards_of
from teams_support import CONTENT_TYPE, OTHER_TENANT, Answer, Person, Tenant, execute_of
from test_authorization import (  # noqa: F401 (world and fresh are fixtures)
    A_NAMES,
    ACTORS,
    DECLINED,
    GHOST,
    NOTE,
    NOW,
    PUBLIC_URL,
    RECORD,
    ROLES,
    SUGGESTED,
    TABLE,
    TENANTS,
    WALK_FOCUS,
    Action,
    World,
    fresh,
    rows,
    school_a,
    staged,
    world,
)

from bot.chat.router import SORRY, Reply, Walkbot
from bot.domain.clock import FixedClock
from bot.errors import WalkbotError
from handlers.teams import cards
from handlers.teams.tenancy import UNLINKED
from storage import Store

PEOPLE = {person["handle"]: (person["id"], person["name"]) for person in school_a()["staff"]}
_AT = re.compile(r"@([A-Za-z0-9]+)")
SLASHED = re.compile(r"(?<![\w/])/(visit|walk)\b")  # a command as Slack takes it: Teams has no slash commands
MESSAGE_ID = "1000000000042"  # the id Teams gave the message a card came in


class Heard(Walkbot):
    """The real core, keeping what it answered each request (a reply within a reply is part of its own)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.replies: list[Reply] = []
        self._depth = 0

    def handle(self, *args, **kw) -> Reply:
        return self._heard(super().handle, *args, **kw)

    def run(self, *args, **kw) -> Reply:
        return self._heard(super().run, *args, **kw)

    def _heard(self, call, *args, **kw) -> Reply:
        self._depth += 1
        try:
            reply = call(*args, **kw)
        finally:
            self._depth -= 1
        if not self._depth:
            self.replies.append(reply)
        return reply


def in_teams(text: str) -> tuple[str, list[dict]]:
    """A command as typed in Teams: no slash ("walk plan", "agree 4"), and each @person picked as a mention (its
    entity carrying their Entra object id, their staff id here)."""
    entities = []

    def mention(found: re.Match) -> str:
        staff_id, name = PEOPLE.get(found.group(1), (found.group(1), found.group(1)))
        said = f"<at>{name}</at>"
        entities.append({"type": "mention", "text": said,
                         "mentioned": {"id": f"29:{staff_id}", "name": name, "aadObjectId": staff_id}})
        return said
    return _AT.sub(mention, text.removeprefix("/visit ").removeprefix("/")), entities


def another_visit(button: dict, visit_id: int) -> dict:
    """The same button on a card about another visit."""
    verb = button["verb"].rpartition(".")[0]
    return {**button, "id": f"{verb}.{visit_id}", "verb": f"{verb}.{visit_id}",
            "data": {**button["data"], "visit": visit_id}}


def person(role: str) -> tuple[Person, str, str]:
    """Who plays the part in Teams: the person (their staff id as Entra object id), their tenant, and their
    personal chat with walkbot there."""
    where, actor = ACTORS[role]
    return Person(actor, f"29:{actor}", actor), TENANTS[where], f"a:personal-{where}-{actor}"


@dataclass
class Asking:
    """One person asking in their personal chat, from a tenant (their own, but for one test), about the visits in
    `ids`."""

    teams: Tenant
    role: str
    tenant: str
    world: World
    sent: dict[str, dict]  # each verb's button, from the card walkbot sends (the real visit's)
    ids: dict[str, int]

    def post(self, kind: str, **fields) -> Answer:
        who, _, chat = person(self.role)
        activity = self.teams.activity(kind, who, tenant=self.tenant, conversation=chat, **fields)
        answer = self.teams.post(activity)
        assert answer.status == 200, answer
        return answer

    def invoke(self, name: str, value: dict) -> Answer:
        return self.post("invoke", name=name, value=value, replyToId=MESSAGE_ID)

    def press(self, button: dict, inputs: dict | None = None) -> Answer:
        return self.invoke("adaptiveCard/action", {"action": {
            "type": "Action.Execute", "id": button.get("id"), "verb": button.get("verb"),
            "data": {**button["data"], **(inputs or {})}}, "trigger": "manual"})

    def button(self, verb: str, of: str | None) -> dict:
        """This verb's button as walkbot sends it, on the card about the visit asked about."""
        shown = self.sent[verb]
        return another_visit(shown, self.ids[of]) if of and self.ids[of] != self.world.ids[of] else shown


Way = Callable[[Asking, Action], str]  # does the row as Teams does; what the person is shown


def typing(words: str | None = None) -> Way:
    """Typed in the person's personal chat: the row's command, or `words`."""
    def way(ask: Asking, action: Action) -> str:
        text, entities = in_teams((words or action.text).format(**ask.ids))
        start = len(ask.teams.connector.sent)
        ask.post("message", text=text, textFormat="plain", entities=entities)
        return sent_since(ask.teams, start)
    return way


def pressing(verb: str) -> Way:
    def way(ask: Asking, action: Action) -> str:
        return seen(ask.press(ask.button(verb, action.of)))
    return way


def in_a_dialog(verb: str, inputs: dict) -> Way:
    """The form opened in a dialog from the card's button (task/fetch), filled in and sent (task/submit); a
    dialog's answer settles the message it came from (what that shows is shown too)."""
    def way(ask: Asking, action: Action) -> str:
        pressed = ask.button(verb, action.of)
        opened = ask.invoke("task/fetch", {"data": {"msteams": {"type": "task/fetch"}, "action": pressed["id"],
                                                    **pressed["data"]}})
        if (opened.body.get("task") or {}).get("type") != "continue":
            return seen(opened)  # told why not, before any form
        send = next(b for b in buttons(opened.dialog) if str(b.get("id")).endswith(".submit"))
        start = len(ask.teams.connector.sent)
        done = ask.invoke("task/submit", {"data": {**send["data"], **inputs}})
        return "\n".join(filter(None, (seen(done), sent_since(ask.teams, start))))
    return way


def in_the_card(verb: str, inputs: dict) -> Way:
    """The card's button replaces it with the form (Action.Execute), whose own button sends it."""
    def way(ask: Asking, action: Action) -> str:
        opened = ask.press(ask.button(verb, action.of))
        if opened.body.get("type") != CONTENT_TYPE:
            return seen(opened)
        send = next(b for b in buttons(opened.card) if str(b.get("verb")).endswith(".submit"))
        return seen(ask.press(send, inputs))
    return way


def opening(verb: str) -> Way:
    """A form opened from the Home card (task/fetch): walkbot first asks who the person is."""
    def way(ask: Asking, action: Action) -> str:
        return seen(ask.invoke("task/fetch", {"data": {"msteams": {"type": "task/fetch"}, "action": verb,
                                                       **ask.sent[verb]["data"]}}))
    return way


# Slack's buttons and forms, as Teams has them. Every other row of the table is typed.
TEAMS_WAYS: dict[str, tuple[tuple[str, Way], ...]] = {
    "who am I": (("opens a form", opening("propose.open")),),
    "home tab": (("typed", typing("home")),),
    "home tab counts": (("typed", typing("home")),),
    "Agree button": (("pressed", pressing("visit.agree")),),
    "Suggest form": (("dialog", in_a_dialog("visit.suggest", SUGGESTED)),
                     ("in the card", in_the_card("visit.suggest", SUGGESTED))),
    "Decline form": (("dialog", in_a_dialog("visit.decline", DECLINED)),
                     ("in the card", in_the_card("visit.decline", DECLINED))),
    "Accept button": (("pressed", pressing("visit.accept")),),
    "Withdraw button": (("pressed", pressing("visit.withdraw")),),
}
SENT_VERBS = ("visit.agree", "visit.suggest", "visit.decline", "visit.accept", "visit.withdraw")


def ways(action: Action) -> tuple[tuple[str, Way], ...]:
    return (("typed", typing()),) if action.text is not None else TEAMS_WAYS[action.name]


CASES = [pytest.param(action, way, role, id=f"{action.name}[{name}]-{role}")
         for action in TABLE for name, way in ways(action) for role in ROLES]


# --- Teams over the world -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamsStage:
    store: Store
    installed: sqlite3.Connection  # the world with walkbot installed for everyone: each case starts from it
    teams: Tenant
    heard: Heard


@pytest.fixture(scope="module")
def teams_stage(world, tmp_path_factory) -> Iterator[TeamsStage]:
    """walkbot's Teams endpoint over a copy of the world (a multi-tenant bot; each school's tenant is in its
    school.yml), installed for each person, as the world to start each case from. The connector holds no
    per-conversation limits: a person here asks far faster than anyone types."""
    folder = tmp_path_factory.mktemp("teams")
    with staged(world, folder) as store:
        heard = Heard(uow_factory=store.uow, clock=FixedClock(NOW), public_url=PUBLIC_URL)
        with served(store, heard.clock, walkbot=heard, tenant="multi", limited=False) as teams:
            for role in ROLES:
                who, tenant, chat = person(role)
                assert teams.install(who, tenant=tenant, conversation=chat).status == 200
            installed = sqlite3.connect(folder / "installed.db")
            connection = store.engine.raw_connection()
            try:
                connection.driver_connection.backup(installed)
            finally:
                connection.close()
            yield TeamsStage(store, installed, teams, heard)
            installed.close()


@pytest.fixture(scope="module")
def stage(teams_stage) -> tuple[Store, sqlite3.Connection]:
    """What test_authorization's `fresh` restores before each case: here, the world with walkbot installed."""
    return teams_stage.store, teams_stage.installed


@pytest.fixture(scope="module")
def teams(teams_stage) -> Tenant:
    return teams_stage.teams


@pytest.fixture(scope="module")
def heard(teams_stage) -> Heard:
    return teams_stage.heard


@pytest.fixture(scope="module")
def sent(teams, world, stage) -> dict[str, dict]:
    """Each verb's button as walkbot sends it: on the notice about the visit (the world's outbox, drawn for Teams),
    and the Home card Tom is shown on "home"."""
    store, _ = stage
    with store.uow() as uow:
        notices = uow.notices.listing(["pending"])
    found = {}
    for verb in SENT_VERBS:
        card = next(cards_of(cards.message(n.card))[0] for n in notices
                    if any(a.id.startswith(f"{verb}.") for a in n.card.actions)
                    and n.visit_id in (world.ids["proposed"], world.ids["countered"]))
        found[verb] = execute_of(card, verb)
    tom, tenant, chat = person("teacher")
    start = len(teams.connector.sent)
    teams.say(tom, "home", tenant=tenant, conversation=chat)
    found["propose.open"] = execute_of(cards_of(teams.connector.sent[start].activity)[0], "propose.open")
    return found


def ask(teams: Tenant, heard: Heard, world: World, sent: dict, role: str, action: Action, way: Way,
        ids: dict[str, int], tenant: str | None = None) -> tuple[str, list[Reply]]:
    """What the person playing `role` is shown for doing the row in Teams (from their school's tenant, unless
    given), and what the core answered them."""
    heard.replies.clear()
    shown = way(Asking(teams, role, tenant or person(role)[1], world, sent, ids), action)
    return shown, list(heard.replies)


def granted(action: Action, shown: str, replies: list[Reply]) -> bool:
    return bool(replies) and all(r.ok for r in replies) and (action.sees is None or action.sees in shown)


# --- the matrix ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "way", "role"), CASES)
def test_who_may_do_what_in_teams(world, fresh, teams, heard, sent, action, way, role):
    refused = role not in action.allowed
    before = rows(fresh) if refused else None
    ours_before = rows(fresh, leave_out_school=world.schools["B"]) if role == "other_school" else None

    shown, replies = ask(teams, heard, world, sent, role, action, way, world.ids)

    assert all(r.error is None or isinstance(r.error, WalkbotError) for r in replies), shown  # never a crash
    assert SORRY not in shown and "Traceback" not in shown, shown
    assert not SLASHED.search(shown), f"Teams was told to type a slash command: {shown}"
    if not refused:
        assert granted(action, shown, replies), shown
    else:
        assert not granted(action, shown, replies), shown
        assert rows(fresh) == before, f"{action.name} by {role} was refused but changed the database"
        if action.of and role not in action.may_see:  # nothing given away about it
            ghost, _ = ask(teams, heard, world, sent, role, action, way, {**world.ids, action.of: GHOST})
            assert shown == ghost.replace(str(GHOST), str(world.ids[action.of]))
    if role == "other_school":
        assert rows(fresh, leave_out_school=world.schools["B"]) == ours_before, "the other school changed ours"
        for secret in (*A_NAMES, NOTE, RECORD, WALK_FOCUS):
            assert secret not in shown, f"the other school was shown {secret!r}"


def test_every_row_of_the_table_has_its_teams_way_and_the_size_is_shown():
    buttons_and_forms = {action.name for action in TABLE if action.text is None}
    assert set(TEAMS_WAYS) == buttons_and_forms  # a new Slack button needs its Teams counterpart here
    allowed = sum(role in action.allowed for action, _, role in (case.values for case in CASES))
    print(f"\nTeams authorization matrix: {len(TABLE)} commands ({len(CASES) // len(ROLES)} ways in Teams) × "
          f"{len(ROLES)} people = {len(CASES)} cases ({allowed} allowed, {len(CASES) - allowed} refused)")
    assert len(CASES) == len({case.id for case in CASES})


def test_a_tenant_linked_to_no_school_is_told_so_and_nothing_is_done(world, fresh, teams, heard, sent):
    """Tom's own id, from a Microsoft 365 organisation no school.yml names: every row is the same sentence."""
    before = rows(fresh)
    for action in TABLE:
        for name, way in ways(action):
            shown, replies = ask(teams, heard, world, sent, "teacher", action, way, world.ids, OTHER_TENANT)
            assert replies == [] and shown == UNLINKED, (action.name, name, shown)
    assert rows(fresh) == before
