"""Teams end to end in tests: walkbot's real Teams endpoint (the SDK's App on walkbot's ASGI app, uvicorn on
127.0.0.1, port 0) with activities posted into it as the Bot Framework posts them, each with a token signed
by a local RSA key whose public half the connector stand-in publishes (tests/support/connector_standin.py);
walkbot's answers go to that stand-in. Nothing reaches Microsoft: the SDK is given the stand-in's cloud.

Every card walkbot shows is checked by Teams' rules (tests/support/teams_limits.py): what it sends the
connector by the stand-in (which refuses it with a 400, as Teams would), and what it answers an invoke
with (a replaced card, a dialog) here. A test whose walkbot sent anything Teams would refuse fails.

Use the fixtures `connector` and `teams`: `from teams_support import connector_fixture, teams_fixture  # noqa: F401`
in a test module (imported by those names, so that a test's `teams` argument redefines nothing).
"""
from __future__ import annotations

import copy
import itertools
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import jwt
import pytest
from connector_standin import ISSUER, KID, ConnectorStandIn
from cryptography.hazmat.primitives.asymmetric import rsa
from live import Client, serving
from sqlalchemy import select
from teams_limits import activity_problems, buttons, card_problems, cards_of

from bot.chat.router import Walkbot
from bot.domain.school import parse_school_config
from handlers.teams.app import build_teams
from handlers.teams.server import MESSAGES_PATH
from handlers.teams.settings import TeamsSettings
from storage.tables import Base

APP_ID = "4f9e3a52-7d61-4c1b-9a0e-6b2d8c5f1e37"
SECRET = "test-client-secret-value"  # noqa: S105 (a test's own)
TENANT = "6f1c2d3e-4b5a-4697-8899-aabbccddeeff"
OTHER_TENANT = "0badc0de-0000-4000-8000-000000000000"
BOT = f"28:{APP_ID}"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class Person:
    aad: str  # their Entra object id: their staff id in school.yml, unless it lists them by email
    teams_id: str  # 29:...
    name: str
    email: str | None = None  # what Teams' members API says of them

    @property
    def chat(self) -> str:
        """Their personal chat with walkbot."""
        return f"a:personal-{self.teams_id[3:]}"

    def member(self, tenant: str = TENANT) -> dict:
        """Them as Teams' members API describes a member."""
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad, "tenantId": tenant,
                **({"email": self.email, "userPrincipalName": self.email} if self.email else {})}


RACHEL = Person("8a1f0c2e-1111-4000-8000-000000000001", "29:1rachel", "Rachel Carli")  # SLT
TOM = Person("8a1f0c2e-2222-4000-8000-000000000002", "29:1tom", "Tom Baker")  # teacher
AMY = Person("8a1f0c2e-3333-4000-8000-000000000003", "29:1amy", "Amy Chen")  # teacher
STRANGER = Person("8a1f0c2e-9999-4000-8000-000000000009", "29:1stranger", "Sam Stranger",
                  "sam.stranger@durants.example")  # not on the list
# Listed by email alone, as a school that has no one's object id lists people.
NINA = Person("8a1f0c2e-4444-4000-8000-000000000004", "29:1nina", "Nina Patel", "nina.patel@durants.example")
EVERYONE = (RACHEL, TOM, AMY, STRANGER, NINA)
CHANNEL = "19:staffroom@thread.tacv2"
TEAM = "19:durants-staff@thread.tacv2"  # the staff team CHANNEL is in

SCHOOL = {
    "school": {
        "key": "durants-teams", "name": "Durants Teams School", "timezone": "Europe/London",
        "policy": "durants-learning-walks",
        "overrides": {"min_notice_school_days": {"value": 2, "agreed_by": "Test SNC", "agreed_on": "2026-09-01"}},
        "school_day": {"start": "08:50", "end": "15:20"},
        "periods": {"P1": "08:50-09:50", "P2": "09:50-10:50", "P3": "11:10-12:10"},
        "announcements_channel": CHANNEL,
        "teams": {"tenant_id": TENANT},
    },
    "sessions": [{"name": "2026-27", "terms": [
        {"name": "Autumn", "start": "2026-09-02", "end": "2026-12-18"},
        {"name": "Spring", "start": "2027-01-05", "end": "2027-03-26"},
        {"name": "Summer", "start": "2027-04-12", "end": "2027-07-21"}], "holidays": ["2026-10-26/2026-10-30"]}],
    "staff": [
        {"id": RACHEL.aad, "handle": "rachel", "name": RACHEL.name, "roles": ["slt", "promoted"]},
        {"id": TOM.aad, "handle": "tom", "name": TOM.name, "roles": ["teacher"], "line_manager": RACHEL.aad},
        {"id": AMY.aad, "handle": "amy", "name": AMY.name, "roles": ["teacher"], "line_manager": RACHEL.aad},
    ],
}

_KEYS: dict[str, rsa.RSAPrivateKey] = {}


def key(name: str = "teams") -> rsa.RSAPrivateKey:
    """A test RSA key, made once per run: "teams" signs as the Bot Framework does; any other name forges."""
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEYS[name]


def mint(service_url: str, *, signer: rsa.RSAPrivateKey | None = None, kid: str = KID, **claims: Any) -> str:
    """A Bot Framework channel token, as the connector signs one for an activity it posts to walkbot."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 5, "iat": now - 5,
            "exp": now + 3600, "appid": "standin-channel"} | claims
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, signer or key(), algorithm="RS256", headers={"kid": kid})


def school_config(**school: Any) -> dict:
    config = copy.deepcopy(SCHOOL)
    config["school"].update(school)
    return config


@dataclass
class Answer:
    status: int
    body: Any  # the parsed JSON, or the text, or None

    @property
    def card(self) -> dict:
        """The card an Execute's answer puts in place of the pressed one."""
        assert isinstance(self.body, dict) and self.body.get("type") == CONTENT_TYPE, f"no card in {self.body}"
        return self.body["value"]

    @property
    def toast(self) -> str:
        assert isinstance(self.body, dict) and self.body.get("type") == "application/vnd.microsoft.activity.message", \
            f"no message in {self.body}"
        return self.body["value"]

    @property
    def dialog(self) -> dict:
        """The form a task/fetch or task/submit answer shows in its dialog."""
        task = (self.body or {}).get("task") or {}
        assert task.get("type") == "continue", f"no dialog in {self.body}"
        return task["value"]["card"]["content"]


def mention(person: Person, *, aad: bool = True) -> dict:
    """A mention entity as Teams sends it with a message (with or without the person's object id)."""
    who = {"id": person.teams_id, "name": person.name} | ({"aadObjectId": person.aad} if aad else {})
    return {"type": "mention", "text": f"<at>{person.name}</at>", "mentioned": who}


def walkbot_mention() -> dict:
    """walkbot's own mention, as Teams sends it with a channel message said to walkbot."""
    return {"type": "mention", "text": "<at>walkbot</at>", "mentioned": {"id": BOT, "name": "walkbot"}}


def execute_of(card: dict, verb: str) -> dict:
    """The one Action.Execute of a card whose verb is `verb`, or of that verb whatever its key ("visit.agree")."""
    found = [b for b in buttons(card) if b.get("type") == "Action.Execute"
             and (b.get("verb") == verb or str(b.get("verb")).rpartition(".")[0] == verb)]
    assert len(found) == 1, f"no one {verb!r}: there are {[b.get('verb') for b in buttons(card)]}"
    return found[0]


@dataclass
class Tenant:
    """Teams as the tests see it: people in the school's tenant who type, press and install, and the connector."""

    http: Client
    connector: ConnectorStandIn
    store: Any
    clock: Any
    runtime: Any
    tenant: str = TENANT
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- activities into walkbot -----------------------------------------------------------------------------

    def activity(self, kind: str, who: Person, *, conversation: str | None = None, conversation_type: str = "personal",
                 tenant: str | None = None, **fields: Any) -> dict:
        tenant = tenant or self.tenant
        conv = {"id": conversation or who.chat, "conversationType": conversation_type, "tenantId": tenant}
        if conversation_type == "channel":
            conv["isGroup"] = True
        return {"type": kind, "id": f"f:{next(self._ids)}", "timestamp": "2027-02-01T08:30:00.000Z",
                "serviceUrl": self.connector.service_url, "channelId": "msteams",
                "from": {"id": who.teams_id, "name": who.name, "aadObjectId": who.aad},
                "recipient": {"id": BOT, "name": "walkbot"}, "conversation": conv,
                "channelData": {"tenant": {"id": tenant}}, "locale": "en-GB", **fields}

    def post(self, activity: dict, *, token: str | None | bool = True, headers: dict | None = None) -> Answer:
        if token is True:
            token = mint(activity.get("serviceUrl") or self.connector.service_url)
        sent = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
                **(headers or {})}
        answer = self.http.post(MESSAGES_PATH, json.dumps(activity), sent)
        try:
            parsed = Answer(answer.status, json.loads(answer.body) if answer.body else None)
        except ValueError:
            return Answer(answer.status, answer.text)
        _check_answer(parsed.body)
        return parsed

    def say(self, who: Person, text: str, **kw: Any) -> Answer:
        return self.post(self.activity("message", who, text=text, textFormat="plain", **kw))

    def press(self, who: Person, button: dict, *, message_id: str | None = None, inputs: dict | None = None,
              **kw: Any) -> Answer:
        """An Action.Execute pressed on a card: its verb and data (and the card's inputs), as Teams invokes it."""
        value = {"action": {"type": "Action.Execute", "id": button.get("id"), "verb": button.get("verb"),
                            "data": {**(button.get("data") or {}), **(inputs or {})}}, "trigger": "manual"}
        return self.post(self.activity("invoke", who, name="adaptiveCard/action", value=value,
                                       **({"replyToId": message_id} if message_id else {}), **kw))

    def fetch(self, who: Person, data: dict, *, message_id: str | None = None) -> Answer:
        """task/fetch: an Action.Submit with msteams {"type": "task/fetch"} pressed (a dialog opens)."""
        value = {"data": {"msteams": {"type": "task/fetch"}, **data}, "context": {"theme": "default"}}
        return self.post(self.activity("invoke", who, name="task/fetch", value=value,
                                       **({"replyToId": message_id} if message_id else {})))

    def submit(self, who: Person, dialog: dict, button: dict | None = None, inputs: dict | None = None, *,
               message_id: str | None = None) -> Answer:
        """task/submit: a dialog's Action.Submit (its own, or a time offered in it) with the inputs' values."""
        button = button or next(b for b in dialog.get("actions", ()) if b.get("type") == "Action.Submit")
        value = {"data": {**(button.get("data") or {}), **(inputs or {})}, "context": {"theme": "default"}}
        return self.post(self.activity("invoke", who, name="task/submit", value=value,
                                       **({"replyToId": message_id} if message_id else {})))

    def install(self, who: Person, **kw: Any) -> Answer:
        return self.post(self.activity("installationUpdate", who, action="add", **kw))

    def uninstall(self, who: Person, **kw: Any) -> Answer:
        return self.post(self.activity("installationUpdate", who, action="remove", **kw))

    def knows(self, who: Person, *conversations: str, tenant: str | None = None) -> None:
        """Tell the connector stand-in who this person is, in their personal chat and these conversations (a team's
        id among them): its members API then answers for them there."""
        for conversation in (who.chat, *conversations):
            self.connector.add_member(conversation, **who.member(tenant or self.tenant))

    def lookups(self) -> list[tuple[str, str]]:
        """Every (conversation, member) walkbot asked Teams' members API about."""
        return list(self.connector.member_lookups)

    # --- what walkbot did --------------------------------------------------------------------------------------

    def answered(self, who: Person | str) -> dict:
        """The card of the last message walkbot sent to this person's chat (or this conversation)."""
        sent = self.connector.last(who.chat if isinstance(who, Person) else who)
        found = cards_of(sent.activity)
        assert found, f"no card in {sent.activity}"
        return found[0]

    def conversations(self) -> list:
        with self.store.uow() as uow:
            return [ref for school in uow.schools.all() for ref in uow.teams.all(school.id)]

    def notices(self, kind: str | None = None, recipient: str | None = None) -> list:
        with self.store.uow() as uow:
            found = uow.notices.listing(["pending"])
        return [n for n in found if (kind is None or str(n.kind) == kind) and (recipient is None or
                                                                           n.recipient == recipient)]


def _check_answer(body: Any) -> None:
    """An invoke's answer, checked as Teams checks it: a card in place of a card, a dialog's form."""
    if not isinstance(body, dict):
        return
    if body.get("type") == CONTENT_TYPE:
        problems = card_problems(body.get("value"), "the Execute's card")
    elif isinstance(body.get("task"), dict) and body["task"].get("type") == "continue":
        problems = card_problems(body["task"]["value"]["card"]["content"], "the dialog's card")
    else:
        return
    assert not problems, f"Teams would refuse this answer: {problems}"


def rows(store) -> dict:
    """Every row of every table: to show a request changed nothing."""
    with store.engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in Base.metadata.tables.items()}


def listed_by_email(person: Person, **entry: Any) -> dict:
    """A staff entry giving this person's email and no id."""
    return {"email": person.email, "name": person.name, "roles": ["teacher"], **entry}


def load(store, config: dict | None = None):
    with store.uow() as uow:
        school = uow.schools.save(parse_school_config(config or SCHOOL))
        uow.commit()
    return school


def settings(**kw: Any) -> TeamsSettings:
    return TeamsSettings(**{"app_id": APP_ID, "app_secret": SECRET, "tenant": TENANT, **kw})


@pytest.fixture(name="connector")
def connector_fixture() -> Iterator[ConnectorStandIn]:
    with ConnectorStandIn(key=key(), client_id=APP_ID, client_secret=SECRET) as running:
        yield running
    assert not running.refused, f"Teams would refuse what walkbot sent: {[p[:3] for _, p in running.refused[:3]]}"
    for sent in running.sent:
        assert not activity_problems(sent.activity)


@contextmanager
def tenant(store, clock, connector: ConnectorStandIn, *, config: dict | None = None,
           teams_settings: TeamsSettings | None = None) -> Iterator[Tenant]:
    """The school linked to tenant TENANT, walkbot's Teams endpoint served over HTTP, the connector stand-in (which
    knows everyone here in their personal chat, as Teams does)."""
    load(store, config)
    runtime = build_teams(settings=teams_settings or settings(), clock=clock, cloud=connector.cloud,
                          walkbot=Walkbot(uow_factory=store.uow, clock=clock), store=store)
    with serving(runtime.http) as http:
        running = Tenant(http, connector, store, clock, runtime)
        for person in EVERYONE:
            running.knows(person)
        yield running


@pytest.fixture(name="teams")
def teams_fixture(store, clock, connector) -> Iterator[Tenant]:
    with tenant(store, clock, connector) as running:
        yield running
